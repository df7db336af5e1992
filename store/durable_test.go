package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"parley/net/proto"
)

// The durable store passes the suite over the fake backend, every reopen
// loading a fresh working set from the records alone.
func TestDurable(t *testing.T) {
	runSuite(t, func(t *testing.T) opener {
		dbs := map[string]*memKV{}
		return func(t *testing.T, account string, opt Options) Store {
			k, ok := dbs[account]
			if ok {
				k = k.reopen()
			} else {
				k = newMemKV()
				dbs[account] = k
			}
			return openTestDurable(t, k, opt, browserLimits)
		}
	})
}

func openTestDurable(t testing.TB, k *memKV, opt Options, lim limits) *durable {
	t.Helper()
	s, err := openDurable(k, opt, lim)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// snapshot is everything a store answers, read through the Store interface.
type snapshot struct {
	Session   *Session
	Convs     []Conversation
	Have      map[proto.ConvID]int64
	Members   map[proto.ConvID][]proto.Member
	Messages  map[proto.ConvID][]proto.Message
	Outbox    []OutboxItem
	Transfers []Transfer
}

func snap(t *testing.T, s Store) snapshot {
	t.Helper()
	ctx := context.Background()
	var sn snapshot
	if ses, err := s.Session(ctx); err == nil {
		sn.Session = &ses
	} else if !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	var err error
	sn.Convs, err = s.Conversations(ctx)
	must(t, err)
	sn.Have, err = s.Have(ctx)
	must(t, err)
	sn.Members = map[proto.ConvID][]proto.Member{}
	sn.Messages = map[proto.ConvID][]proto.Message{}
	for _, c := range sn.Convs {
		ms, err := s.Members(ctx, c.ID)
		must(t, err)
		sn.Members[c.ID] = ms
		sn.Messages[c.ID] = allMessages(t, s, c.ID)
	}
	sn.Outbox, err = s.Outbox(ctx)
	must(t, err)
	sn.Transfers, err = s.Transfers(ctx)
	must(t, err)
	return sn
}

// allMessages pages through every stored message of a conversation.
func allMessages(t *testing.T, s Store, conv proto.ConvID) []proto.Message {
	t.Helper()
	var all []proto.Message
	after := int64(0)
	for {
		page, err := s.After(context.Background(), conv, after, MaxLimit)
		must(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// storedSeqs decodes the message buckets of conv the backend holds.
func storedSeqs(t *testing.T, k *memKV, conv proto.ConvID) []int64 {
	t.Helper()
	recs, err := k.reopen().Scan(msgPrefix(conv)) // k may be closed
	must(t, err)
	var out []int64
	for _, r := range recs {
		for v := r.Value; v != ""; {
			m, more, err := decodeMessage(v)
			must(t, err)
			out, v = append(out, m.Seq), more
		}
	}
	return out
}

// wantNewest fails unless seqs are the newest of a conversation up to
// last, contiguous, between lim.keep and lim.keep+lim.slack() of them.
func wantNewest(t *testing.T, what string, seqs []int64, last int64, lim limits) {
	t.Helper()
	n := len(seqs)
	if n < lim.keep || n > lim.keep+lim.slack() || !slices.Equal(seqs, seqRange(last-int64(n)+1, last)) {
		t.Fatalf("%s = %v, want the newest %d to %d up to %d", what, seqs, lim.keep, lim.keep+lim.slack(), last)
	}
}

func sameSnapshot(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// populate gives a store one of everything.
func populate(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	must(t, s.SaveSession(ctx, Session{Server: "https://chat.example.org", User: proto.User{ID: 4821, Name: "李华"}, Token: "tok"}))
	peer := &proto.User{ID: 77, Name: "王芳"}
	last := msg(2, 9, "see you")
	must(t, s.PutConversations(ctx,
		proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "Study Group", Members: 3, LastSeq: 4},
		proto.Conversation{ID: 2, Kind: proto.KindDirect, Name: "王芳", Peer: peer, Members: 2, LastSeq: 9, Last: &last},
	))
	sys := proto.Message{Conv: 1, Seq: 1, Sender: 1, SenderName: "王芳", Time: t0, Kind: proto.MsgSystem,
		Event: &proto.Event{Type: proto.EventInvited, Actor: proto.User{ID: 1, Name: "王芳"}, Subject: &proto.User{ID: 4821, Name: "李华"}}}
	file := msg(1, 3, "")
	file.Kind, file.File = proto.MsgFile, &proto.File{ID: "f1", Name: "报告.pdf", Size: 12_400_000, SHA256: "ab12", Type: "application/pdf"}
	put(t, s, sys, msg(1, 2, "大家好"), file, msg(1, 4, "hello"), msg(2, 8, "hi"))
	must(t, s.SetSynced(ctx, 1, 4))
	must(t, s.MarkRead(ctx, 1, 2))
	must(t, s.ReplaceMembers(ctx, 1, []proto.Member{{User: proto.User{ID: 4821, Name: "李华"}, Online: true}, {User: proto.User{ID: 1, Name: "王芳"}}}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k2", Conv: 1, Text: "第一条"}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k1", Conv: 2, Text: "second", Created: t0}))
	must(t, s.RecordAttempt(ctx, "k2"))
	must(t, s.PutTransfer(ctx, Transfer{ID: "t1", Direction: Up, Conv: 1, Name: "报告.pdf", Size: 12_400_000, Path: "/home/li/报告.pdf", Offset: 4096, State: TransferPaused, UploadID: "u1"}))
}

func TestDurableReopenRestoresEverything(t *testing.T) {
	k := newMemKV()
	s := openTestDurable(t, k, Options{Now: newClock().Now}, browserLimits)
	populate(t, s)
	want := snap(t, s)
	must(t, s.Close())

	again := openTestDurable(t, k.reopen(), Options{}, browserLimits)
	got := snap(t, again)
	sameSnapshot(t, "after reopen", got, want)
	if got.Session == nil || got.Session.Token != "tok" || len(got.Outbox) != 2 || got.Outbox[0].Attempts != 1 {
		t.Fatalf("session %+v, outbox %+v: want the token and both items", got.Session, got.Outbox)
	}
	if f := got.Messages[1][2].File; f == nil || f.Name != "报告.pdf" {
		t.Fatalf("file message = %+v", got.Messages[1][2])
	}
	if hits := search(t, again, SearchQuery{Text: "大家"}); len(hits) != 1 {
		t.Fatalf("search after reopen = %q", texts(hits))
	}

	// Logging out clears the token for good.
	ctx := context.Background()
	must(t, again.ClearSession(ctx))
	must(t, again.Close())
	again = openTestDurable(t, k.reopen(), Options{}, browserLimits)
	if _, err := again.Session(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("session after logout and reopen: %v", err)
	}
}

func TestDurableOutboxKeepsItsOrderAcrossReopens(t *testing.T) {
	ctx := context.Background()
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, browserLimits)
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	for _, id := range []string{"z", "a", "m"} {
		must(t, s.Enqueue(ctx, OutboxItem{ClientID: id, Conv: 1, Text: id}))
	}
	must(t, s.Close())
	s = openTestDurable(t, k.reopen(), Options{}, browserLimits)
	must(t, s.RemoveOutbox(ctx, "z"))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "b", Conv: 1, Text: "b"})) // after m, not in z's place
	must(t, s.Close())
	s = openTestDurable(t, k.reopen(), Options{}, browserLimits)
	items, err := s.Outbox(ctx)
	must(t, err)
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ClientID)
	}
	if !slices.Equal(ids, []string{"a", "m", "b"}) {
		t.Fatalf("outbox = %v, want [a m b]", ids)
	}
}

// Two tabs of the same account each queue a message while offline: the
// cache they share keeps both.
func TestDurableTwoTabsKeepEachOthersOutbox(t *testing.T) {
	ctx := context.Background()
	k := newMemKV()
	tab1 := openTestDurable(t, k, Options{}, browserLimits)
	must(t, tab1.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	tab2 := openTestDurable(t, k.reopen(), Options{}, browserLimits)
	must(t, tab1.Enqueue(ctx, OutboxItem{ClientID: "from-tab-1", Conv: 1, Text: "one"}))
	must(t, tab2.Enqueue(ctx, OutboxItem{ClientID: "from-tab-2", Conv: 1, Text: "two"}))
	must(t, tab1.Close())
	must(t, tab2.Close())

	s := openTestDurable(t, k.reopen(), Options{}, browserLimits)
	items, err := s.Outbox(ctx)
	must(t, err)
	if len(items) != 2 || items[0].ClientID != "from-tab-1" || items[1].ClientID != "from-tab-2" {
		t.Fatalf("outbox = %+v, want both tabs' items", items)
	}
}

func TestDurableWritesWhatOnlyThisDeviceKnowsStrictly(t *testing.T) {
	ctx := context.Background()
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, browserLimits)
	last := func() batch { return k.db.writes[len(k.db.writes)-1] }
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "one"}))
	put(t, s, msg(1, 1, "from the server"))
	if last().Strict {
		t.Error("a message from the server was written strictly")
	}
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k", Conv: 1, Text: "mine"}))
	if !last().Strict {
		t.Error("an outbox item was not written strictly")
	}
	must(t, s.SaveSession(ctx, Session{Token: "t"}))
	if !last().Strict {
		t.Error("the session was not written strictly")
	}
	must(t, s.QueueChange(ctx, PendingChange{ClientID: "e", Type: proto.TypeEdit, Body: []byte(`{"conv":1,"seq":1,"client_id":"e","text":"x"}`)}))
	if !last().Strict {
		t.Error("a history change was not written strictly")
	}
	// Re-putting what is stored writes nothing.
	n := len(k.db.writes)
	put(t, s, msg(1, 1, "from the server"))
	must(t, s.MarkRead(ctx, 1, 0))
	if len(k.db.writes) != n {
		t.Errorf("no-op writes made %d batches", len(k.db.writes)-n)
	}
}

// fakeHistory is a server's history of one conversation, 1..last.
type fakeHistory struct {
	conv proto.ConvID
	last int64
}

func (h fakeHistory) after(seq int64) []proto.Message {
	if seq >= h.last {
		return nil
	}
	return numbered(h.conv, seq+1, h.last)
}

// syncLikeTheModel does what app/account.go's sync and advanceSynced do
// for a known conversation: fetch everything after Have, store it, and
// move SyncedSeq over the contiguous messages stored after it. It returns
// how many messages it downloaded.
func syncLikeTheModel(t *testing.T, s Store, h fakeHistory) int {
	t.Helper()
	ctx := context.Background()
	have, err := s.Have(ctx)
	must(t, err)
	got := h.after(have[h.conv])
	put(t, s, got...)
	synced := have[h.conv]
	for _, m := range allMessages(t, s, h.conv) {
		if m.Seq == synced+1 {
			synced = m.Seq
		}
	}
	must(t, s.SetSynced(ctx, h.conv, synced))
	return len(got)
}

// Small limits: the backend keeps 10 to 14 messages per conversation, in
// buckets of 4 seqs.
var testLimits = limits{keep: 10, bucket: 4}

func TestDurableTrimKeepsTheNewestAndTheSyncPosition(t *testing.T) {
	ctx := context.Background()
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, testLimits)
	must(t, s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "busy", LastSeq: 100}))
	must(t, s.Enqueue(ctx, OutboxItem{ClientID: "k", Conv: 1, Text: "unsent"}))
	must(t, s.SaveSession(ctx, Session{Token: "tok"}))
	for from := int64(1); from <= 100; from += 5 { // pushes, a few at a time
		put(t, s, numbered(1, from, from+4)...)
	}
	must(t, s.SetSynced(ctx, 1, 100))
	must(t, s.MarkRead(ctx, 1, 90))
	wantNewest(t, "backend", storedSeqs(t, k, 1), 100, testLimits)
	// This session still has them all: the open conversation may be
	// scrolled back.
	if got := allMessages(t, s, 1); len(got) != 100 {
		t.Fatalf("working set holds %d messages, want 100", len(got))
	}
	must(t, s.Close())

	s = openTestDurable(t, k.reopen(), Options{}, testLimits)
	c := conv(t, s, 1)
	if c.SyncedSeq != 100 || c.ReadSeq != 90 || c.LastSeq != 100 || c.Unread != 10 || c.Last.Seq != 100 {
		t.Fatalf("conversation after reopen = %+v", c)
	}
	kept := allMessages(t, s, 1)
	wantNewest(t, "kept after reopen", seqs(kept), 100, testLimits)
	oldest := kept[0].Seq
	if older, _ := s.Before(ctx, 1, oldest, pageSize); len(older) != 0 {
		t.Fatalf("before the oldest kept = %v", seqs(older))
	}
	// The sync resumes where it was: nothing is downloaded again.
	if n := syncLikeTheModel(t, s, fakeHistory{conv: 1, last: 100}); n != 0 {
		t.Fatalf("sync after reopen downloaded %d messages, want 0", n)
	}
	if items, _ := s.Outbox(ctx); len(items) != 1 {
		t.Fatalf("outbox after trimming = %+v", items)
	}
	if ses, err := s.Session(ctx); err != nil || ses.Token != "tok" {
		t.Fatalf("session after trimming = %+v, %v", ses, err)
	}

	// Scrolling back fetches older pages from the server (the cache is
	// incomplete below the oldest kept); they are shown, not stored again.
	put(t, s, numbered(1, oldest-pageSize, oldest-1)...)
	if older, _ := s.Before(ctx, 1, oldest, pageSize); !slices.Equal(seqs(older), seqRange(oldest-pageSize, oldest-1)) {
		t.Fatalf("scrolled back = %v", seqs(older))
	}
	wantNewest(t, "backend after scrolling back", storedSeqs(t, k, 1), 100, testLimits)
}

const pageSize = 50 // as the model pages history

func TestDurableTrimAboveAGapIsRefilledWithoutAHole(t *testing.T) {
	ctx := context.Background()
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, testLimits)
	server := fakeHistory{conv: 1, last: 80}
	put(t, s, numbered(1, 1, 5)...)
	must(t, s.SetSynced(ctx, 1, 5))
	// Pushes 50..80 arrive before the gap 6..49 is filled, and the page is
	// closed.
	for seq := int64(50); seq <= 80; seq++ {
		put(t, s, msg(1, seq, fmt.Sprintf("message %d", seq)))
	}
	must(t, s.Close())

	s = openTestDurable(t, k.reopen(), Options{}, testLimits)
	if have, _ := s.Have(ctx); have[1] != 5 {
		t.Fatalf("Have after reopen = %v, want 1:5", have)
	}
	if n := syncLikeTheModel(t, s, server); n != 75 {
		t.Fatalf("sync downloaded %d, want the 75 after seq 5", n)
	}
	if c := conv(t, s, 1); c.SyncedSeq != 80 {
		t.Fatalf("SyncedSeq after the refill = %d, want 80", c.SyncedSeq)
	}
	must(t, s.Close())

	s = openTestDurable(t, k.reopen(), Options{}, testLimits)
	wantNewest(t, "kept", seqs(allMessages(t, s, 1)), 80, testLimits)
	if n := syncLikeTheModel(t, s, server); n != 0 {
		t.Fatalf("second sync downloaded %d, want 0", n)
	}
}

func TestDurableOpenTrimsACacheWrittenWithALargerBound(t *testing.T) {
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, limits{keep: 1000, bucket: 64})
	put(t, s, numbered(1, 1, 300)...)
	put(t, s, numbered(2, 1, 5)...)
	must(t, s.Close())

	smaller := limits{keep: 100, bucket: 64}
	s = openTestDurable(t, k.reopen(), Options{}, smaller)
	wantNewest(t, "conversation 1 after opening with keep 100", seqs(allMessages(t, s, 1)), 300, smaller)
	wantNewest(t, "backend", storedSeqs(t, k, 1), 300, smaller)
	if got := allMessages(t, s, 2); len(got) != 5 {
		t.Fatalf("conversation 2 = %v", seqs(got))
	}
}

func TestDurableKeepsTheBucketSizeItWasWrittenWith(t *testing.T) {
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, limits{keep: 100, bucket: 4})
	put(t, s, numbered(1, 1, 30)...)
	must(t, s.Close())
	s = openTestDurable(t, k.reopen(), Options{}, limits{keep: 100, bucket: 64})
	put(t, s, numbered(1, 31, 40)...)
	must(t, s.Close())
	if recs, _ := k.reopen().Scan(msgPrefix(1)); len(recs) != 11 {
		t.Fatalf("%d buckets, want 11 of 4 seqs for 1..40", len(recs))
	}
	s = openTestDurable(t, k.reopen(), Options{}, browserLimits)
	if got := seqs(allMessages(t, s, 1)); !slices.Equal(got, seqRange(1, 40)) {
		t.Fatalf("messages = %v", got)
	}
}

// A write the backend refuses (quota exceeded, say) is an error from the
// method, and changes nothing: not the working set, not what a reopen
// loads.
func TestDurableBackendErrorIsReturnedAndChangesNothing(t *testing.T) {
	quota := errors.New("QuotaExceededError: the quota has been exceeded")
	acked := msg(1, 5, "第一条")
	acked.ClientID = "k2"
	tests := []struct {
		name string
		do   func(ctx context.Context, s Store) error
	}{
		{"SaveSession", func(ctx context.Context, s Store) error { return s.SaveSession(ctx, Session{Token: "new"}) }},
		{"ClearSession", func(ctx context.Context, s Store) error { return s.ClearSession(ctx) }},
		{"PutConversations", func(ctx context.Context, s Store) error {
			return s.PutConversations(ctx, proto.Conversation{ID: 1, Kind: proto.KindGroup, Name: "renamed", LastSeq: 50}, proto.Conversation{ID: 3, Kind: proto.KindGroup, Name: "new"})
		}},
		{"DeleteConversation", func(ctx context.Context, s Store) error { return s.DeleteConversation(ctx, 1) }},
		{"MarkRead", func(ctx context.Context, s Store) error { return s.MarkRead(ctx, 1, 4) }},
		{"SetSynced", func(ctx context.Context, s Store) error { return s.SetSynced(ctx, 2, 9) }},
		{"ReplaceMembers", func(ctx context.Context, s Store) error { return s.ReplaceMembers(ctx, 1, nil) }},
		{"ReplaceMembersOfANewConversation", func(ctx context.Context, s Store) error {
			return s.ReplaceMembers(ctx, 5, []proto.Member{{User: proto.User{ID: 1}}})
		}},
		{"PutMessages", func(ctx context.Context, s Store) error {
			_, err := s.PutMessages(ctx, []proto.Message{msg(1, 6, "new"), msg(1, 2, "old"), msg(7, 1, "new conversation")})
			return err
		}},
		{"PutLiveFoldingChanges", func(ctx context.Context, s Store) error {
			edit := entry(1, 5, proto.MsgEdit, 4821, 4)
			edit.Text = "hello again"
			react := entry(1, 6, proto.MsgReact, 1, 2)
			react.Emoji = "👍"
			_, err := s.PutLive(ctx, []proto.Message{edit, react, entry(1, 7, proto.MsgDelete, 4821, 3), entry(1, 8, proto.MsgPin, 1, 2)})
			return err
		}},
		{"Hide", func(ctx context.Context, s Store) error { return s.Hide(ctx, 1, 2) }},
		{"Enqueue", func(ctx context.Context, s Store) error {
			return s.Enqueue(ctx, OutboxItem{ClientID: "k3", Conv: 1, Text: "lost?"})
		}},
		{"RecordAttempt", func(ctx context.Context, s Store) error { return s.RecordAttempt(ctx, "k1") }},
		{"RemoveOutbox", func(ctx context.Context, s Store) error { return s.RemoveOutbox(ctx, "k1") }},
		{"Ack", func(ctx context.Context, s Store) error { return s.Ack(ctx, "k2", acked) }},
		{"PutTransfer", func(ctx context.Context, s Store) error {
			return s.PutTransfer(ctx, Transfer{ID: "t1", Direction: Up, Offset: 1 << 20, State: TransferActive})
		}},
		{"PutNewTransfer", func(ctx context.Context, s Store) error {
			return s.PutTransfer(ctx, Transfer{ID: "t2", Direction: Down})
		}},
		{"DeleteTransfer", func(ctx context.Context, s Store) error { return s.DeleteTransfer(ctx, "t1") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			k := newMemKV()
			s := openTestDurable(t, k, Options{Now: newClock().Now}, browserLimits)
			populate(t, s)
			before := snap(t, s)

			k.db.fail = quota
			err := tc.do(ctx, s)
			if !errors.Is(err, quota) {
				t.Fatalf("err = %v, want the backend's error", err)
			}
			sameSnapshot(t, "working set after the failed write", snap(t, s), before)

			k.db.fail = nil
			must(t, s.Close())
			sameSnapshot(t, "reopened after the failed write", snap(t, openTestDurable(t, k.reopen(), Options{}, browserLimits)), before)
		})
	}
}

func TestDurableTrimFailureKeepsEverything(t *testing.T) {
	k := newMemKV()
	s := openTestDurable(t, k, Options{}, testLimits)
	put(t, s, numbered(1, 1, 12)...)
	k.db.fail = errors.New("disk full")
	if _, err := s.PutMessages(context.Background(), numbered(1, 13, 20)); err == nil {
		t.Fatal("the failed write reported no error")
	}
	k.db.fail = nil
	if got := allMessages(t, s, 1); len(got) != 12 {
		t.Fatalf("working set = %v, want 1..12", seqs(got))
	}
	wantNewest(t, "backend after the failed trim", storedSeqs(t, k, 1), 12, testLimits)
	put(t, s, numbered(1, 13, 20)...) // the retry trims
	must(t, s.Close())
	s = openTestDurable(t, k.reopen(), Options{}, testLimits)
	wantNewest(t, "after the retry and a reopen", seqs(allMessages(t, s, 1)), 20, testLimits)
}

func TestDurableCorruptRecordIsReportedAndKept(t *testing.T) {
	tests := []struct {
		name, key, value string
		want             string // in the error
	}{
		{"MessagesTruncated", bucketKey(1, 0), encodeMessages(msg(1, 2, "大家好"))[:20], "truncated"},
		{"MessageNumberGarbled", bucketKey(1, 0), "2:v21:x" + encodeMessages(msg(1, 2, "x"))[len("2:v21:1"):], `message number "x"`},
		{"MessageOutsideItsBucket", bucketKey(1, 0), encodeMessages(msg(1, 64, "next bucket's")), "holds message (conv 1, seq 64)"},
		{"MessagesOutOfOrder", bucketKey(1, 0), encodeMessages(msg(1, 3, "three"), msg(1, 2, "two")), "holds message (conv 1, seq 2)"},
		{"MessageOfAnotherConversation", bucketKey(1, 0), encodeMessages(msg(2, 3, "two's")), "holds message (conv 2, seq 3)"},
		{"MessagesOfNoConversation", bucketKey(9, 0), encodeMessages(msg(9, 1, "orphan")), "conversation with no record"},
		{"EmptyBucket", bucketKey(1, 64), "", "empty bucket"},
		{"BucketKeyMisaligned", prefixMsg + hex16(1) + "/" + hex16(3), encodeMessages(msg(1, 3, "x")), "not a bucket key"},
		{"OutboxItemNotJSON", outboxKey("k2"), `{"client_id":`, "unexpected end of JSON input"},
		{"OutboxItemUnderAnotherKey", outboxKey("k2"), `{"order":1,"client_id":"k9","conv":1,"text":"x"}`, `holds outbox item "k9" of conversation 1 at 1`},
		{"OutboxItemWithoutOrder", outboxKey("k2"), `{"client_id":"k2","conv":1,"text":"x"}`, `holds outbox item "k2" of conversation 1 at 0`},
		{"ConversationWrongType", convKey(1), `{"id":"one"}`, "cannot unmarshal"},
		{"Members", membersKey(1), `[{"id":1,"name":`, "unexpected end of JSON input"},
		{"Session", keySession, `nope`, "invalid character"},
		{"Transfer", transferKey("t1"), `{"id":"t1","direction":"sideways"}`, `holds transfer "t1"`},
		{"UnknownKind", "blob/1", `{}`, "unknown kind of record"},
		{"NewerFormat", keyMeta, `{"format":2,"bucket":64}`, "format 2, this version of Parley reads format 1"},
		{"NoBucketSize", keyMeta, `{"format":1}`, "bucket size 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := newMemKV()
			s := openTestDurable(t, k, Options{}, browserLimits)
			populate(t, s)
			must(t, s.Close())
			k.db.recs[tc.key] = tc.value
			records := len(k.db.recs)

			k = k.reopen()
			_, err := openDurable(k, Options{}, browserLimits)
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open = %v, want ErrCorrupt", err)
			}
			if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("%q", tc.key)) || !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q does not name the record %q and %q", msg, tc.key, tc.want)
			}
			if !k.closed {
				t.Error("the failed open left the backend open")
			}
			if len(k.db.recs) != records || k.db.recs[tc.key] != tc.value {
				t.Fatal("the failed open changed the records")
			}
		})
	}
}

func encodeMessages(ms ...proto.Message) string {
	var b []byte
	for _, m := range ms {
		b = appendMessage(b, m)
	}
	return string(b)
}

func TestDurableEveryCorruptRecordIsListed(t *testing.T) {
	k := newMemKV()
	lim := limits{keep: 1000, bucket: 2}
	s := openTestDurable(t, k, Options{}, lim)
	put(t, s, numbered(1, 1, 30)...)
	must(t, s.Close())
	for start := int64(0); start < 24; start += 2 {
		k.db.recs[bucketKey(1, start)] = "garbage"
	}
	_, err := openDurable(k.reopen(), Options{}, lim)
	msg := fmt.Sprint(err)
	if !strings.Contains(msg, fmt.Sprintf("%q", bucketKey(1, 18))) || !strings.Contains(msg, "and 2 more") {
		t.Fatalf("error = %s\nwant the first ten records named and two more counted", msg)
	}
}

func TestDurableBackendReadErrorFailsTheOpen(t *testing.T) {
	k := newMemKV()
	k.closed = true // a backend whose every call fails
	if _, err := openDurable(k, Options{}, browserLimits); !errors.Is(err, errKVClosed) {
		t.Fatalf("open = %v, want the backend's error", err)
	}
}

func BenchmarkDurable(b *testing.B) {
	runBenchmarks(b, func(b *testing.B) Store {
		s, err := openDurable(newMemKV(), Options{}, browserLimits)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	})
}

// BenchmarkDurableOpen measures a page load: reading a full cache back
// into a working set (decoding every record and indexing it for search).
// 10k is five conversations of browserLimits.keep; 50k is twenty-five.
func BenchmarkDurableOpen(b *testing.B) {
	keep := browserLimits.keep
	for _, convs := range []int{5, 25} {
		b.Run(fmt.Sprintf("%dk", convs*keep/1000), func(b *testing.B) {
			k := newMemKV()
			s, err := openDurable(k, Options{}, browserLimits)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(7, 8))
			for c := range convs {
				ms := benchMessages(r, proto.ConvID(c+1), 1, keep, t0)
				if _, err := s.PutMessages(context.Background(), ms); err != nil {
					b.Fatal(err)
				}
			}
			s.Close()
			for b.Loop() {
				s, err := openDurable(k.reopen(), Options{}, browserLimits)
				if err != nil {
					b.Fatal(err)
				}
				s.Close()
			}
			b.ReportMetric(float64(convs*keep), "messages")
		})
	}
}
