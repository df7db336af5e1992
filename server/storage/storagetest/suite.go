// Package storagetest is the storage test suite: the behaviour every
// storage.Store implementation must have. Each implementation's tests
// call Run with a NewDatabase of their own (server/storage/suite_test.go
// for SQLite), so that one more implementation is one more opener.
//
// What the suite cannot see from outside a Store (SQLite's migrations
// from old schemas, its checkpoints, failures injected into its
// sequencer's statements) stays in the implementation's own tests.
package storagetest

import (
	"context"
	"testing"

	"parley/net/proto"
	"parley/server/storage"
)

// Database opens one database made for one test. Calling it again after
// the Store it gave was closed opens the same data again: what was
// acknowledged before is there. The suite sets only the Options every
// implementation shares (OnCommit, Now, NoRequests, Logger); the opener
// may set its own, such as SQLite's Synchronous.
type Database func(opts storage.Options) (storage.Store, error)

// NewDatabase makes a fresh, empty database for one test or benchmark,
// removed when it ends.
type NewDatabase func(tb testing.TB) Database

// Run runs the suite against the implementation that newDB opens.
func Run(t *testing.T, newDB NewDatabase) {
	tests := []struct {
		name string
		fn   func(t *testing.T, db Database)
	}{
		// messages.go
		{"ConcurrentSendsGetGapFreeSeqsInCommitOrder", testConcurrentSendsGetGapFreeSeqsInCommitOrder},
		{"SendIsIdempotentPerSenderAndClientID", testSendIsIdempotentPerSenderAndClientID},
		{"MembershipAndAuthorisation", testMembershipAndAuthorisation},
		{"HistoryPagesStopAtAByteBudget", testHistoryPagesStopAtAByteBudget},
		{"EditWindowIsCheckedAgainstTheMessagesTime", testEditWindowIsCheckedAgainstTheMessagesTime},
		{"WritesRacingCloseCommitOrFailWithClosed", testWritesRacingCloseCommitOrFailWithClosed},
		{"SearchFindsNewestFirstPageByPage", testSearchFindsNewestFirstPageByPage},
		{"AsyncSendsKeepTheirOrder", testAsyncSendsKeepTheirOrder},
		{"MembershipEventsCarryTheirSubject", testMembershipEventsCarryTheirSubject},
		// events.go
		{"EveryHistoryEntryIsSequencedFoldedAndCommitted", testEveryHistoryEntryIsSequencedFoldedAndCommitted},
		{"ChangesAreIdempotentAndChecked", testChangesAreIdempotentAndChecked},
		{"HideIsTheUsersOwn", testHideIsTheUsersOwn},
		// reads.go
		{"SyncGivesWhatTheDeviceMissed", testSyncGivesWhatTheDeviceMissed},
		{"ReadPositionsAndReceipts", testReadPositionsAndReceipts},
		{"RequestsAndBlocks", testRequestsAndBlocks},
		// files.go
		{"UploadPublishAndRelease", testUploadPublishAndRelease},
		{"ThumbnailsFollowTheirPicture", testThumbnailsFollowTheirPicture},
		{"UploadClaimsTakeTurns", testUploadClaimsTakeTurns},
		{"BlobLocksHaveOneHolder", testBlobLocksHaveOneHolder},
		// groups.go
		{"DeletedGroupIsGone", testDeletedGroupIsGone},
		{"AGroupPictureGoesWithTheGroup", testAGroupPictureGoesWithTheGroup},
		{"LinksRequestsBansAndPermissions", testLinksRequestsBansAndPermissions},
		// people.go
		{"ProfilesContactsAndDeletedAccounts", testProfilesContactsAndDeletedAccounts},
		{"SessionsAndPasswords", testSessionsAndPasswords},
		// accounts.go
		{"RevokeUserSessionsEndsAllButTheOneKept", testRevokeUserSessionsEndsAllButTheOneKept},
		{"RevokeDeviceFindsOnlyTheUsersOwnSession", testRevokeDeviceFindsOnlyTheUsersOwnSession},
		{"RegistrationCodesAreSpentWithTheRegistration", testRegistrationCodesAreSpentWithTheRegistration},
		{"DisableAndResetRevokeSessions", testDisableAndResetRevokeSessions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newDB(t)) })
	}
}

// open opens db, closed when the test ends (Close may be called more than
// once).
func open(t *testing.T, db Database, opts storage.Options) storage.Store {
	t.Helper()
	s, err := db(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustUser(t *testing.T, d storage.Store, name string) proto.User {
	t.Helper()
	u, err := d.CreateUser(context.Background(), name, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return u
}
