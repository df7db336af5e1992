package storagetest

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

// hexOf is a made-up ID or SHA-256: n hex digits, all c.
func hexOf(c byte, n int) string { return strings.Repeat(string(c), n) }

// An upload is created once per client ID within the quota, records its
// progress, and is published once as a file message; the file's blob is
// referenced while a message holds it, and a delete for everyone releases
// it.
func testUploadPublishAndRelease(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	sha := hexOf('a', 64)
	u := storage.Upload{ID: hexOf('1', 32), User: a.ID, ClientID: "up-1", Conv: g.ID, Name: "notes.txt", Type: "text/plain", Size: 10, SHA256: sha, Text: "my notes"}
	up, existed, err := d.CreateUpload(ctx, u, 15)
	if err != nil || existed || up.State != storage.UploadOpen || up.Received != 0 {
		t.Fatalf("create: %+v existed=%v %v", up, existed, err)
	}
	again := u
	again.ID = hexOf('2', 32)
	if up, existed, err := d.CreateUpload(ctx, again, 15); err != nil || !existed || up.ID != u.ID {
		t.Fatalf("retried create: %+v existed=%v %v", up, existed, err)
	}
	other := u
	other.ID, other.ClientID = hexOf('3', 32), "up-2"
	if _, _, err := d.CreateUpload(ctx, other, 15); proto.CodeOf(err) != proto.CodeQuotaExceeded {
		t.Fatalf("a second upload over the quota: %v", err)
	}
	outsider := u
	outsider.ID, outsider.User, outsider.ClientID = hexOf('4', 32), c.ID, "up-c"
	if _, _, err := d.CreateUpload(ctx, outsider, 0); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("an upload into a group by a non-member: %v", err)
	}
	if used, err := d.UsedBytes(ctx, a.ID); err != nil || used != 10 {
		t.Fatalf("used: %d %v", used, err)
	}
	if err := d.SaveUploadProgress(ctx, u.ID, 10, []byte("hash state"), storage.UploadVerified); err != nil {
		t.Fatal(err)
	}
	got, err := d.Upload(ctx, u.ID)
	if err != nil || got.Received != 10 || string(got.HashState) != "hash state" || got.State != storage.UploadVerified {
		t.Fatalf("upload after progress: %+v %v", got, err)
	}
	if ids, err := d.UploadIDs(ctx); err != nil || len(ids) != 1 || !ids[u.ID] {
		t.Fatalf("upload IDs: %v %v", ids, err)
	}
	if us, err := d.UploadsUpdatedBefore(ctx, 0, true); err != nil || len(us) != 1 || us[0].ID != u.ID {
		t.Fatalf("verified uploads: %+v %v", us, err)
	}

	fileID := hexOf('f', 32)
	m, err := d.PublishUpload(ctx, u.ID, fileID, a, storage.Found{})
	if err != nil || m.Kind != proto.MsgFile || m.File == nil || m.File.ID != fileID || m.File.SHA256 != sha || m.Text != "my notes" {
		t.Fatalf("publish: %+v %v", m, err)
	}
	if m2, err := d.PublishUpload(ctx, u.ID, hexOf('e', 32), a, storage.Found{}); err != nil || m2.Seq != m.Seq || m2.File.ID != fileID {
		t.Fatalf("retried publish: %+v %v", m2, err)
	}
	if got, err := d.Upload(ctx, u.ID); err != nil || got.State != storage.UploadDone || got.FileID != fileID || got.Seq != m.Seq {
		t.Fatalf("upload after publishing: %+v %v", got, err)
	}
	f, err := d.File(ctx, fileID)
	if err != nil || f.Conv != g.ID || f.Seq != m.Seq || f.Sender != a.ID || f.SHA256 != sha || f.Size != 10 {
		t.Fatalf("file: %+v %v", f, err)
	}
	if ok, err := d.BlobReferenced(ctx, sha); err != nil || !ok {
		t.Fatalf("blob referenced: %v %v", ok, err)
	}
	for _, x := range []struct {
		user proto.UserID
		may  bool
	}{{b.ID, true}, {c.ID, false}} {
		if ok, err := d.MayDownloadContent(ctx, x.user, sha); err != nil || ok != x.may {
			t.Fatalf("user %d may download: %v %v, want %v", x.user, ok, err, x.may)
		}
	}
	ms, more, err := d.Media(ctx, b.ID, proto.MediaRequest{Conv: g.ID, Kind: proto.MediaFiles, Limit: 10})
	if err != nil || more || len(ms) != 1 || ms[0].Seq != m.Seq {
		t.Fatalf("media: %+v more=%v %v", ms, more, err)
	}
	if ms, _, err := d.Media(ctx, b.ID, proto.MediaRequest{Conv: g.ID, Kind: proto.MediaPictures, Limit: 10}); err != nil || len(ms) != 0 {
		t.Fatalf("pictures: %+v %v", ms, err)
	}

	r, err := d.ApplyChange(ctx, a, storage.Change{Conv: g.ID, Target: m.Seq, ClientID: "del", Kind: proto.MsgDelete})
	if err != nil || r.Released != sha {
		t.Fatalf("delete the file message: %+v %v", r, err)
	}
	if ok, err := d.BlobReferenced(ctx, sha); err != nil || ok {
		t.Fatalf("blob referenced after the delete: %v %v", ok, err)
	}
	if _, err := d.File(ctx, fileID); proto.CodeOf(err) != proto.CodeNoSuchFile {
		t.Fatalf("file after the delete: %v", err)
	}
	if err := d.DeleteUpload(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Upload(ctx, u.ID); !storage.IsNoSuchUpload(err) {
		t.Fatalf("deleted upload: %v", err)
	}
	if err := d.DeleteUpload(ctx, u.ID); err != nil {
		t.Fatalf("deleting an unknown upload: %v", err)
	}
}

// A picture's thumbnails are recorded once per content, downloadable as
// files by whoever may download the picture, and dropped with the last
// reference to it.
func testThumbnailsFollowTheirPicture(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	sha := hexOf('b', 64)
	th := storage.Thumbs{
		Source: sha, Width: 400, Height: 300,
		Small: storage.Thumb{ID: hexOf('5', 32), SHA256: hexOf('c', 64), Size: 100, Type: "image/jpeg"},
		Large: storage.Thumb{ID: hexOf('6', 32), SHA256: hexOf('d', 64), Size: 1000, Type: "image/jpeg"},
	}
	if _, ok, err := d.ThumbsOf(ctx, sha); err != nil || ok {
		t.Fatalf("thumbs before any: %v %v", ok, err)
	}
	if got, err := d.AddThumbs(ctx, th); err != nil || got != th {
		t.Fatalf("add thumbs: %+v %v", got, err)
	}
	second := th
	second.Small.ID, second.Large.ID = hexOf('7', 32), hexOf('8', 32)
	if got, err := d.AddThumbs(ctx, second); err != nil || got != th {
		t.Fatalf("thumbs added again for the same picture: %+v %v, want the first", got, err)
	}
	if got, ok, err := d.ThumbsOf(ctx, sha); err != nil || !ok || got != th {
		t.Fatalf("thumbs of the picture: %+v %v %v", got, ok, err)
	}
	f, source, err := d.ThumbFile(ctx, th.Large.ID)
	if err != nil || source != sha || f.SHA256 != th.Large.SHA256 || f.Size != th.Large.Size {
		t.Fatalf("thumb file: %+v %q %v", f, source, err)
	}
	u := storage.Upload{ID: hexOf('9', 32), User: a.ID, ClientID: "pic", Conv: g.ID, Name: "p.jpg", Type: "image/jpeg", Size: 5000, SHA256: sha}
	if _, _, err := d.CreateUpload(ctx, u, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveUploadProgress(ctx, u.ID, u.Size, nil, storage.UploadVerified); err != nil {
		t.Fatal(err)
	}
	m, err := d.PublishUpload(ctx, u.ID, hexOf('a', 32), a, storage.Found{Image: th.Image()})
	if err != nil || m.File.Image == nil || *m.File.Image != *th.Image() {
		t.Fatalf("publish a picture: %+v %v", m, err)
	}
	if ms, _, err := d.Media(ctx, a.ID, proto.MediaRequest{Conv: g.ID, Kind: proto.MediaPictures, Limit: 10}); err != nil || len(ms) != 1 {
		t.Fatalf("pictures: %+v %v", ms, err)
	}
	if shas, err := d.DropThumbs(ctx, sha); err != nil || len(shas) != 0 {
		t.Fatalf("drop thumbs of a picture still shared: %v %v", shas, err)
	}
	if _, err := d.ApplyChange(ctx, a, storage.Change{Conv: g.ID, Target: m.Seq, ClientID: "del", Kind: proto.MsgDelete}); err != nil {
		t.Fatal(err)
	}
	shas, err := d.DropThumbs(ctx, sha)
	slices.Sort(shas)
	if err != nil || !slices.Equal(shas, []string{th.Small.SHA256, th.Large.SHA256}) {
		t.Fatalf("drop thumbs of a picture gone: %v %v", shas, err)
	}
	if _, ok, err := d.ThumbsOf(ctx, sha); err != nil || ok {
		t.Fatalf("thumbs after dropping: %v %v", ok, err)
	}
}

// An upload on S3 is stored by one request at a time: a claim is a
// check-and-set on the offset that waits out another live claim, what the
// request stored (parts, chunks, the multipart upload) is saved only
// under its own claim, and a claim that lapsed can be taken over.
func testUploadClaimsTakeTurns(t *testing.T, db Database) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC).UnixMilli())
	d := open(t, db, storage.Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	id := hexOf('1', 32)
	if _, _, err := d.CreateUpload(ctx, storage.Upload{ID: id, User: a.ID, Conv: g.ID, Name: "big.bin", Size: 20 << 20, SHA256: hexOf('a', 64)}, 0); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.ClaimUpload(ctx, id, 0, "first", time.Minute); err != nil || !ok {
		t.Fatalf("first claim: %v %v", ok, err)
	}
	if ok, err := d.ClaimUpload(ctx, id, 0, "second", time.Minute); err != nil || ok {
		t.Fatalf("a second claim while the first is live: %v %v", ok, err)
	}
	if u, err := d.Upload(ctx, id); err != nil || u.Writer != "first" {
		t.Fatalf("the claimed upload: %+v %v", u, err)
	}
	if err := d.SaveUploadParts(ctx, id, "second", storage.UploadParts{Received: 1, State: storage.UploadOpen}); proto.CodeOf(err) != proto.CodeOffsetMismatch {
		t.Fatalf("saving without the claim: %v", err)
	}
	if err := d.SetUploadMultipart(ctx, id, "first", "mp-1"); err != nil {
		t.Fatal(err)
	}
	p := storage.UploadParts{Received: 7 << 20, HashState: []byte("state"), State: storage.UploadOpen,
		Parts: []storage.UploadPart{{N: 1, ETag: "e1", Size: 6 << 20}}, Chunks: []storage.UploadChunk{{ID: hexOf('c', 32), Size: 1 << 20}}}
	if err := d.SaveUploadParts(ctx, id, "first", p); err != nil {
		t.Fatal(err)
	}
	u, err := d.Upload(ctx, id)
	if err != nil || u.Received != 7<<20 || string(u.HashState) != "state" || u.Multipart != "mp-1" || u.Writer != "" ||
		!slices.Equal(u.Parts, p.Parts) || !slices.Equal(u.Chunks, p.Chunks) {
		t.Fatalf("upload after saving its parts: %+v %v", u, err)
	}
	if ok, err := d.ClaimUpload(ctx, id, 0, "second", time.Minute); err != nil || ok {
		t.Fatalf("a claim at an old offset: %v %v", ok, err)
	}
	// A claim whose request died lapses, and another request takes it
	// over; the first cannot save any more.
	if ok, err := d.ClaimUpload(ctx, id, 7<<20, "third", time.Second); err != nil || !ok {
		t.Fatalf("third claim: %v %v", ok, err)
	}
	now.Add(2000)
	if u, err := d.Upload(ctx, id); err != nil || u.Writer != "" {
		t.Fatalf("a lapsed claim is still reported: %+v %v", u, err)
	}
	if ok, err := d.ClaimUpload(ctx, id, 7<<20, "fourth", time.Second); err != nil || !ok {
		t.Fatalf("a claim after the last lapsed: %v %v", ok, err)
	}
	if err := d.SaveUploadParts(ctx, id, "third", storage.UploadParts{Received: 8 << 20, State: storage.UploadOpen}); proto.CodeOf(err) != proto.CodeOffsetMismatch {
		t.Fatalf("saving after the claim was taken over: %v", err)
	}
	if err := d.ReleaseUploadClaim(ctx, id, "fourth"); err != nil {
		t.Fatal(err)
	}
	if u, err := d.Upload(ctx, id); err != nil || u.Writer != "" || u.Received != 7<<20 {
		t.Fatalf("after the release: %+v %v", u, err)
	}
}

// A blob's lock across nodes has one live holder at a time; it ends when
// its holder unlocks it or its lease lapses.
func testBlobLocksHaveOneHolder(t *testing.T, db Database) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC).UnixMilli())
	d := open(t, db, storage.Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	ctx := context.Background()
	sha, other := hexOf('a', 64), hexOf('b', 64)
	lock := func(sha, token string, want bool) {
		t.Helper()
		if ok, err := d.LockBlob(ctx, sha, token, time.Minute); err != nil || ok != want {
			t.Fatalf("LockBlob(%s…, %s) = %v, %v; want %v", sha[:4], token, ok, err, want)
		}
	}
	lock(sha, "n1", true)
	lock(sha, "n2", false)
	lock(other, "n2", true) // another blob
	if err := d.UnlockBlob(ctx, sha, "n2"); err != nil {
		t.Fatal(err)
	}
	lock(sha, "n3", false) // n2 was not the holder: n1 still is
	if err := d.UnlockBlob(ctx, sha, "n1"); err != nil {
		t.Fatal(err)
	}
	lock(sha, "n3", true)
	now.Add(time.Minute.Milliseconds() + 1) // n3 died: its lease lapses
	lock(sha, "n4", true)
	lock(other, "n5", true)
}
