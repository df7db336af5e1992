package storagetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

func testConcurrentSendsGetGapFreeSeqsInCommitOrder(t *testing.T, db Database) {
	var mu sync.Mutex
	var pushed []int64
	d := open(t, db, storage.Options{OnCommit: func(cs []storage.Committed) {
		mu.Lock()
		for _, c := range cs {
			pushed = append(pushed, c.Message.Seq)
		}
		mu.Unlock()
	}})
	ctx := context.Background()
	owner := mustUser(t, d, "owner")
	g, err := d.CreateGroup(ctx, owner, "g")
	if err != nil {
		t.Fatal(err)
	}
	const senders, each = 8, 100
	var wg sync.WaitGroup
	seqs := make(chan int64, senders*each)
	for s := range senders {
		wg.Go(func() {
			for i := range each {
				m, dup, err := d.Send(ctx, owner, g.ID, fmt.Sprintf("%d-%d", s, i), "hello")
				if err != nil || dup {
					t.Errorf("send: %v dup=%v", err, dup)
					return
				}
				seqs <- m.Seq
			}
		})
	}
	wg.Wait()
	close(seqs)
	seen := map[int64]bool{}
	for s := range seqs {
		if seen[s] {
			t.Fatalf("seq %d assigned twice", s)
		}
		seen[s] = true
	}
	// seq 1 is the "created" event; the sends took 2..801 with no gap.
	for s := int64(2); s <= senders*each+1; s++ {
		if !seen[s] {
			t.Fatalf("seq %d missing", s)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(pushed) != senders*each+1 {
		t.Fatalf("OnCommit delivered %d messages, want all %d", len(pushed), senders*each+1)
	}
	for i, s := range pushed {
		if s != int64(i+1) {
			t.Fatalf("OnCommit delivered seq %d at position %d: not in commit order", s, i)
		}
	}
	ms, more, err := d.History(ctx, owner.ID, proto.HistoryRequest{Conv: g.ID, Limit: 10})
	if err != nil || !more || len(ms) != 10 || ms[0].Seq != 791+1 {
		// newest page: seqs 792..801
		t.Fatalf("latest page: %d messages, more=%v, first=%v, err=%v", len(ms), more, ms, err)
	}
}

func testSendIsIdempotentPerSenderAndClientID(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, _ := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	m1, dup, err := d.Send(ctx, a, g.ID, "same-id", "first")
	if err != nil || dup {
		t.Fatal(err, dup)
	}
	m2, dup, err := d.Send(ctx, a, g.ID, "same-id", "a retry, maybe with other text")
	if err != nil || !dup {
		t.Fatalf("retry: dup=%v err=%v", dup, err)
	}
	if m2.Seq != m1.Seq || m2.Text != "first" || m2.Time != m1.Time {
		t.Fatalf("retry returned %+v, want the original %+v", m2, m1)
	}
	// Another sender may use the same client id: keys are per sender.
	m3, dup, err := d.Send(ctx, b, g.ID, "same-id", "b's own")
	if err != nil || dup || m3.Seq != m1.Seq+1 {
		t.Fatalf("b's send: %+v dup=%v err=%v", m3, dup, err)
	}
}

func testMembershipAndAuthorisation(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c")
	g, _ := d.CreateGroup(ctx, a, "g")
	if _, _, err := d.Invite(ctx, b, c.ID, g.ID); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("non-member invites: %v", err)
	}
	if _, _, err := d.Invite(ctx, a, 424242, g.ID); proto.CodeOf(err) != proto.CodeNoSuchUser {
		t.Fatalf("invite unknown user: %v", err)
	}
	if _, _, err := d.History(ctx, b.ID, proto.HistoryRequest{Conv: g.ID, Limit: 5}); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("non-member history: %v", err)
	}
	if _, err := d.Members(ctx, g.ID, b.ID); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("non-member members: %v", err)
	}
	dm, peer, created, err := d.Direct(ctx, a, b.ID)
	if err != nil || !created || peer.ID != b.ID || dm.Name != "b" {
		t.Fatalf("direct: %+v %+v %v %v", dm, peer, created, err)
	}
	again, _, created, err := d.Direct(ctx, b, a.ID)
	if err != nil || created || again.ID != dm.ID || again.Name != "a" {
		t.Fatalf("direct from the other side: %+v created=%v err=%v", again, created, err)
	}
	if _, err := d.JoinGroup(ctx, c, dm.ID); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("joining a direct conversation by ID: %v", err)
	}
	if _, err := d.Leave(ctx, a, dm.ID); proto.CodeOf(err) != proto.CodeNotGroup {
		t.Fatalf("leaving a direct conversation: %v", err)
	}
	if _, _, _, err := d.Direct(ctx, a, a.ID); proto.CodeOf(err) != proto.CodeSelf {
		t.Fatalf("direct with self: %v", err)
	}
	convs, err := d.Conversations(ctx, a.ID)
	if err != nil || len(convs) != 2 {
		t.Fatalf("a's conversations: %+v %v", convs, err)
	}
}

func testHistoryPagesStopAtAByteBudget(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, _ := d.CreateGroup(ctx, a, "g")
	long := strings.Repeat("x", proto.MaxTextBytes)
	for i := range 300 { // 300 × 16 KiB = 4.7 MiB > storage.MaxPageBytes
		if _, _, err := d.Send(ctx, a, g.ID, fmt.Sprint(i), long); err != nil {
			t.Fatal(err)
		}
	}
	ms, more, err := d.History(ctx, a.ID, proto.HistoryRequest{Conv: g.ID, After: new(int64(1)), Limit: proto.MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	if !more || len(ms) == 0 || len(ms) >= 300 {
		t.Fatalf("page of %d long messages, more=%v: want a partial page with more", len(ms), more)
	}
	if ms[0].Seq != 2 || ms[len(ms)-1].Seq != int64(len(ms)+1) {
		t.Fatalf("partial page is not the first %d messages after seq 1", len(ms))
	}
	total := 0
	for _, m := range ms {
		total += len(m.Text)
	}
	if total > storage.MaxPageBytes {
		t.Fatalf("page holds %d bytes of text, over %d", total, storage.MaxPageBytes)
	}
}

func testEditWindowIsCheckedAgainstTheMessagesTime(t *testing.T, db Database) {
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixMilli())
	d := open(t, db, storage.Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	ctx := context.Background()
	u := mustUser(t, d, "Li")
	g, err := d.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := d.Send(ctx, u, g.ID, "m", "hello")
	if err != nil {
		t.Fatal(err)
	}
	const window = 48 * time.Hour
	edit := func(id string) error {
		_, err := d.ApplyChange(ctx, u, storage.Change{Conv: g.ID, Target: m.Seq, ClientID: id, Kind: proto.MsgEdit, Text: "edited " + id, EditWindow: window})
		return err
	}
	now.Add(window.Milliseconds()) // the last moment of the window
	if err := edit("in"); err != nil {
		t.Fatalf("edit at the end of the window: %v", err)
	}
	now.Add(1)
	if err := edit("late"); proto.CodeOf(err) != proto.CodeEditWindow {
		t.Fatalf("edit after the window: %v, want %s", err, proto.CodeEditWindow)
	}
	ms, _, err := d.History(ctx, u.ID, proto.HistoryRequest{Conv: g.ID, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if last := ms[len(ms)-1]; last.Kind != proto.MsgEdit || last.Text != "edited in" {
		t.Fatalf("the late edit left an entry: %+v", last)
	}
	if got := ms[m.Seq-1]; got.Text != "edited in" || got.Edited != m.Time+window.Milliseconds() {
		t.Fatalf("folded %+v", got)
	}
	// A delete has no window.
	if _, err := d.ApplyChange(ctx, u, storage.Change{Conv: g.ID, Target: m.Seq, ClientID: "del", Kind: proto.MsgDelete}); err != nil {
		t.Fatalf("delete after the edit window: %v", err)
	}
}

// Many goroutines keep writing while Close runs: every write either
// commits (and is then in the database) or fails with storage.ErrClosed; none
// panics, hangs or is lost, and Close sends on no closed channel (the
// race detector would say so).
func testWritesRacingCloseCommitOrFailWithClosed(t *testing.T, db Database) {
	ctx := context.Background()
	d, err := db(storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	owner := mustUser(t, d, "owner")
	g, err := d.CreateGroup(ctx, owner, "g")
	if err != nil {
		t.Fatal(err)
	}

	const writers = 64
	var acked, closed, asyncDone atomic.Int64
	var started, wg sync.WaitGroup
	started.Add(writers)
	for w := range writers {
		wg.Go(func() {
			first := true
			for i := 0; ; i++ {
				id := fmt.Sprintf("%d-%d", w, i)
				var err error
				if w%2 == 0 {
					_, _, err = d.Send(ctx, owner, g.ID, id, "hi")
				} else {
					// SendAsync: its callback runs once if and only if it
					// was accepted.
					res := make(chan error, 1)
					if err = d.SendAsync(ctx, owner, g.ID, id, "hi", func(_ proto.Message, _ bool, err error) {
						asyncDone.Add(1)
						res <- err
					}); err == nil {
						err = <-res
					}
				}
				if first {
					first = false
					started.Done()
				}
				switch {
				case err == nil:
					acked.Add(1)
				case errors.Is(err, storage.ErrClosed) && proto.CodeOf(err) == proto.CodeUnavailable:
					closed.Add(1)
					return
				default:
					t.Errorf("write %s: %v, want success or storage.ErrClosed", id, err)
					return
				}
			}
		})
	}
	started.Wait() // every writer is under way
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	if closed.Load() != writers {
		t.Fatalf("%d writers saw storage.ErrClosed, want all %d", closed.Load(), writers)
	}

	// After Close, a write fails at once, and Close again is harmless.
	if _, _, err := d.Send(ctx, owner, g.ID, "late", "hi"); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("send after close: %v, want storage.ErrClosed", err)
	}
	if err := d.SendAsync(ctx, owner, g.ID, "late", "hi", func(proto.Message, bool, error) {
		t.Error("callback of a write refused after close")
	}); !errors.Is(err, storage.ErrClosed) {
		t.Fatalf("async send after close: %v, want storage.ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	// Every acknowledged write is durable, and nothing else was written.
	d = open(t, db, storage.Options{})
	c, err := d.Conversation(ctx, owner.ID, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + acked.Load(); c.LastSeq != want {
		t.Fatalf("last seq after reopen %d, want %d (the created event and %d acknowledged sends)", c.LastSeq, want, acked.Load())
	}
}

// Search finds a user's messages newest first, a page at a time: here
// Chinese text, by a word inside it, in one conversation and in all.
func testSearchFindsNewestFirstPageByPage(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	u, other := mustUser(t, d, "u"), mustUser(t, d, "other")
	g, err := d.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for i := range 20 {
		m, _, err := d.Send(ctx, u, g.ID, fmt.Sprint("a-", i), fmt.Sprintf("大家你好啊 %d", i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, m.Seq)
	}
	slices.Reverse(want)
	search := func(user proto.UserID, q string, conv proto.ConvID) []int64 {
		t.Helper()
		var seqs []int64
		var before int64
		for {
			ms, next, err := d.Search(ctx, user, q, conv, before, 7)
			if err != nil {
				t.Fatalf("search %q: %v", q, err)
			}
			for _, m := range ms {
				seqs = append(seqs, m.Seq)
			}
			if next == 0 {
				return seqs
			}
			before = next
		}
	}
	if got := search(u.ID, "你好", g.ID); !slices.Equal(got, want) {
		t.Fatalf("in the group, found %v, want %v", got, want)
	}
	if got := search(u.ID, "你好", 0); !slices.Equal(got, want) {
		t.Fatalf("everywhere, found %v, want %v", got, want)
	}
	if got := search(other.ID, "你好", 0); len(got) != 0 {
		t.Fatalf("a non-member found %v", got)
	}
}

// Sends one sender submits with SendAsync in order are sequenced in that
// order, and each callback runs once, after the commit.
func testAsyncSendsKeepTheirOrder(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	u := mustUser(t, d, "u")
	g, err := d.CreateGroup(ctx, u, "g")
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	seqs := make([]int64, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		err := d.SendAsync(ctx, u, g.ID, fmt.Sprint(i), fmt.Sprint("message ", i), func(m proto.Message, dup bool, err error) {
			defer wg.Done()
			if err != nil || dup {
				t.Errorf("send %d: %v dup=%v", i, err, dup)
			}
			seqs[i] = m.Seq
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i, s := range seqs {
		if s != int64(i+2) { // seq 1 is the "created" event
			t.Fatalf("send %d got seq %d, want %d", i, s, i+2)
		}
	}
}

// A membership change reaches OnCommit with the member list it must
// reach (a leaver's "left" still reaches the leaver's other devices) and
// a summary of the conversation for the subject.
func testMembershipEventsCarryTheirSubject(t *testing.T, db Database) {
	var mu sync.Mutex
	var committed []storage.Committed
	d := open(t, db, storage.Options{OnCommit: func(cs []storage.Committed) {
		mu.Lock()
		committed = append(committed, cs...)
		mu.Unlock()
	}})
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Send(ctx, a, g.ID, "m", "hello"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Leave(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Send(ctx, a, g.ID, "m2", "anyone?"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	members := func(c storage.Committed) []proto.UserID {
		ms := slices.Clone(c.Members)
		slices.Sort(ms)
		return ms
	}
	both := []proto.UserID{a.ID, b.ID}
	slices.Sort(both)
	want := []struct {
		kind    string
		members []proto.UserID
		subject proto.UserID
		member  bool
	}{
		{"system:created", []proto.UserID{a.ID}, a.ID, true},
		{"system:joined", both, b.ID, true},
		{proto.MsgText, both, 0, false},
		{"system:left", both, b.ID, false},
		{proto.MsgText, []proto.UserID{a.ID}, 0, false},
	}
	if len(committed) != len(want) {
		t.Fatalf("OnCommit got %d messages, want %d", len(committed), len(want))
	}
	for i, w := range want {
		c := committed[i]
		if kindOf(c.Message) != w.kind || !slices.Equal(members(c), w.members) || c.Subject != w.subject || c.Member != w.member {
			t.Fatalf("commit %d: %s to %v, subject %d member %v; want %+v", i, kindOf(c.Message), members(c), c.Subject, c.Member, w)
		}
		if (w.subject != 0) != (c.Conv != nil) || c.Conv != nil && c.Conv.ID != g.ID {
			t.Fatalf("commit %d (%s): summary %+v", i, w.kind, c.Conv)
		}
	}
}
