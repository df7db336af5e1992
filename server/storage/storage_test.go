package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"parley/net/proto"
)

func openTest(t *testing.T, onCommit func([]Committed)) *DB {
	t.Helper()
	d, err := Open(context.Background(), t.TempDir(), Options{Synchronous: "NORMAL", OnCommit: onCommit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func mustUser(t *testing.T, d *DB, name string) proto.User {
	t.Helper()
	u, err := d.CreateUser(context.Background(), name, "hash")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestConcurrentSendsGetGapFreeSeqsInCommitOrder(t *testing.T) {
	var mu sync.Mutex
	var pushed []int64
	d := openTest(t, func(cs []Committed) {
		mu.Lock()
		for _, c := range cs {
			pushed = append(pushed, c.Message.Seq)
		}
		mu.Unlock()
	})
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

func TestSendIsIdempotentPerSenderAndClientID(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, _ := d.CreateGroupWith(ctx, a, NewGroup{Name: "g", Policy: proto.PolicyOpen})
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

func TestFailedJobInABatchLeavesNoTrace(t *testing.T) {
	var committed []Committed
	d := openTest(t, func(cs []Committed) { committed = append(committed, cs...) })
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, _ := d.CreateGroup(ctx, a, "g")
	boom := errors.New("boom")
	// A job that adds a member and appends a message, then fails.
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		c, err := s.group(tx, g.ID)
		if err != nil {
			return nil, err
		}
		if err := s.addMember(tx, c, b.ID); err != nil {
			return nil, err
		}
		if _, err := s.append(tx, c, systemMessage(b, proto.EventJoined, nil)); err != nil {
			return nil, err
		}
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("job error = %v, want boom", err)
	}
	if ok, _ := d.IsMember(ctx, g.ID, b.ID); ok {
		t.Fatal("failed job's member insert survived")
	}
	if _, _, err := d.Send(ctx, b, g.ID, "x", "hi"); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("b sends after failed join: %v, want not_member (cache not rolled back)", err)
	}
	m, _, err := d.Send(ctx, a, g.ID, "y", "hi")
	if err != nil || m.Seq != 2 {
		t.Fatalf("next seq = %d (%v), want 2: the failed job's seq leaked", m.Seq, err)
	}
	for _, c := range committed {
		if c.Message.Event != nil && c.Message.Event.Type == proto.EventJoined {
			t.Fatal("failed job's message reached OnCommit")
		}
	}
}

func TestMembershipAndAuthorisation(t *testing.T) {
	d := openTest(t, nil)
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

func TestSchemaMigratesOnceAndSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := d.CreateUser(ctx, "persisted", "h")
	d.Close()
	d, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if v, _ := d.SchemaVersion(ctx); v != len(migrations) {
		t.Fatalf("schema version %d, want %d", v, len(migrations))
	}
	got, err := d.User(ctx, u.ID)
	if err != nil || got != u {
		t.Fatalf("user after reopen: %+v %v", got, err)
	}
}

func TestHistoryPagesStopAtAByteBudget(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, _ := d.CreateGroup(ctx, a, "g")
	long := string(make([]byte, proto.MaxTextBytes))
	for i := range 300 { // 300 × 16 KiB = 4.7 MiB > MaxPageBytes
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
	if total > MaxPageBytes {
		t.Fatalf("page holds %d bytes of text, over %d", total, MaxPageBytes)
	}
}

// A database written before migration 3 kept each conversation's last seq
// in a column; after the upgrade it comes from the messages themselves,
// and sends continue the sequence without a gap or a repeat.
func TestUpgradeKeepsEachConversationsSequence(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	old, err := sql.Open("sqlite", "file:"+dir+"/"+FileName)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(migrations[:2:2],
		"PRAGMA user_version = 2",
		"INSERT INTO users (id, name, pw_hash, created) VALUES (1234, 'Ana', 'h', 1)",
		"INSERT INTO conversations (id, kind, name, created, last_seq) VALUES (555, 'group', 'g', 1, 2), (556, 'group', 'empty', 1, 0)",
		"INSERT INTO members (conv_id, user_id, joined) VALUES (555, 1234, 1), (556, 1234, 1)",
		`INSERT INTO messages (conv_id, seq, sender, time, kind, text) VALUES (555, 1, 1234, 1, 'text', 'one'), (555, 2, 1234, 2, 'text', 'two')`,
	) {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	d, err := Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ana := proto.User{ID: 1234, Name: "Ana"}
	c, err := d.Conversation(ctx, ana.ID, 555)
	if err != nil || c.LastSeq != 2 || c.Last == nil || c.Last.Text != "two" {
		t.Fatalf("upgraded conversation: %+v (last %+v) %v", c, c.Last, err)
	}
	if c, err := d.Conversation(ctx, ana.ID, 556); err != nil || c.LastSeq != 0 || c.Last != nil {
		t.Fatalf("upgraded empty conversation: %+v %v", c, err)
	}
	for conv, want := range map[proto.ConvID]int64{555: 3, 556: 1} {
		m, _, err := d.Send(ctx, ana, conv, fmt.Sprint("after-", conv), "hi")
		if err != nil || m.Seq != want {
			t.Fatalf("send to %d after upgrade: seq %d, want %d (%v)", conv, m.Seq, want, err)
		}
	}
	if c, err := d.Conversation(ctx, ana.ID, 555); err != nil || c.LastSeq != 3 || c.Last.Seq != 3 {
		t.Fatalf("after a send: %+v %v", c, err)
	}
}
