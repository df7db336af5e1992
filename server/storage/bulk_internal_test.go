package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"parley/net/proto"
	"parley/server/internal/servicetest"
)

var pgInternalDBs atomic.Int64

// openPG opens a fresh database on a private PostgreSQL server.
func openPG(t *testing.T, opts Options) *DB {
	t.Helper()
	dsn := servicetest.PostgreSQL(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("bulk_%d", pgInternalDBs.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	cfg, _ := pgx.ParseConfig(dsn)
	d, err := OpenPostgres(ctx, fmt.Sprintf("postgres://parley@%s:%d/%s?sslmode=disable", cfg.Host, cfg.Port, name), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// holdSequencer runs a job that blocks the sequencer until the returned
// function is called, so that every write submitted meanwhile lands in
// the next batch. fn runs on the sequencer first (to set test seams).
func holdSequencer(t *testing.T, d *DB, fn func(s *sequencer)) (release func()) {
	t.Helper()
	running, free := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := d.exec(context.Background(), func(_ *sql.Tx, s *sequencer) (any, error) {
			fn(s)
			close(running)
			<-free
			return nil, nil
		})
		done <- err
	}()
	<-running
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// countInserts is a fault that fails nothing and counts the statements
// that insert messages.
func countInserts(n *atomic.Int64) func(string) error {
	return func(q string) error {
		if strings.HasPrefix(q, "INSERT INTO messages") {
			n.Add(1)
		}
		return nil
	}
}

type sendResult struct {
	m   proto.Message
	dup bool
	err error
}

// sendAll submits sends without waiting; results are filled in when
// wg is done.
func sendAll(t *testing.T, d *DB, wg *sync.WaitGroup, r *sendResult, sender proto.User, conv proto.ConvID, clientID, text string) {
	t.Helper()
	wg.Add(1)
	if err := d.SendAsync(context.Background(), sender, conv, clientID, text, func(m proto.Message, dup bool, err error) {
		*r = sendResult{m, dup, err}
		wg.Done()
	}); err != nil {
		t.Fatal(err)
	}
}

// storedSeqs returns conv's messages as "seq:sender:clientID:text".
func storedSeqs(t *testing.T, d *DB, conv proto.ConvID) []string {
	t.Helper()
	rows, err := d.r.Query("SELECT seq, sender, COALESCE(client_id, ''), text FROM messages WHERE conv_id = ? ORDER BY seq", conv)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var seq int64
		var sender proto.UserID
		var id, text string
		if err := rows.Scan(&seq, &sender, &id, &text); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%d:%s:%s", seq, sender, id, text))
	}
	return out
}

// A batch of plain sends on PostgreSQL is inserted with one statement per
// run of sends, and keeps every rule of single sends: a client ID stored
// before, or sent earlier in the batch, gives back the first message
// (dup); a non-member and a missing conversation are refused and write
// nothing; seqs stay gap-free per conversation; a write between the sends
// (b leaving) ends the run, and the sends after it see its effect.
func TestPostgresSendsOfABatchInsertTogether(t *testing.T) {
	var mu sync.Mutex
	var reported []string
	d := openPG(t, Options{OnCommit: func(cs []Committed) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			reported = append(reported, fmt.Sprintf("%d/%d", c.Message.Conv, c.Message.Seq))
		}
	}})
	ctx := context.Background()
	a, err := d.CreateUser(ctx, "a", "hash")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.CreateUser(ctx, "b", "hash")
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.CreateUser(ctx, "c", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateGroupWith(ctx, a, NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	h, err := d.CreateGroup(ctx, a, "h")
	if err != nil {
		t.Fatal(err)
	}
	old, _, err := d.Send(ctx, a, g.ID, "old", "stored before")
	if err != nil {
		t.Fatal(err)
	}
	gBefore, hBefore := storedSeqs(t, d, g.ID), storedSeqs(t, d, h.ID)

	var inserts atomic.Int64
	release := holdSequencer(t, d, func(s *sequencer) { s.fault = countInserts(&inserts) })
	var wg sync.WaitGroup
	r := make([]sendResult, 13)
	sendAll(t, d, &wg, &r[0], a, g.ID, "k1", "one")
	sendAll(t, d, &wg, &r[1], b, g.ID, "k2", "two")
	sendAll(t, d, &wg, &r[2], a, h.ID, "k3", "three")
	sendAll(t, d, &wg, &r[3], a, g.ID, "old", "again")    // stored before
	sendAll(t, d, &wg, &r[4], a, g.ID, "k1", "one again") // earlier in the batch
	sendAll(t, d, &wg, &r[5], c, g.ID, "k4", "not a member")
	sendAll(t, d, &wg, &r[6], a, 999999, "k5", "nowhere")
	sendAll(t, d, &wg, &r[7], a, g.ID, "", "no client id")
	sendAll(t, d, &wg, &r[8], b, g.ID, "k2", "two again")
	// b leaves: a write of another kind between the sends.
	wg.Add(1)
	var left error
	if err := d.enqueue(&job{ctx: ctx, run: func(tx *sql.Tx, s *sequencer) (any, error) {
		gc, err := s.conv(tx, g.ID)
		if err != nil {
			return nil, err
		}
		if _, err := s.append(tx, gc, systemMessage(b, proto.EventLeft, nil)); err != nil {
			return nil, err
		}
		return nil, s.removeMember(tx, gc, b.ID)
	}, done: func(_ any, err error) { left = err; wg.Done() }}); err != nil {
		t.Fatal(err)
	}
	sendAll(t, d, &wg, &r[9], b, g.ID, "k6", "after leaving")
	sendAll(t, d, &wg, &r[10], b, g.ID, "k2", "two, after leaving") // a retry still finds it
	sendAll(t, d, &wg, &r[11], a, g.ID, "k7", "seven")
	sendAll(t, d, &wg, &r[12], a, g.ID, "k1", "one, once more")
	release()
	wg.Wait()
	if left != nil {
		t.Fatalf("leave: %v", left)
	}

	last := old.Seq
	want := []struct {
		seq  int64 // 0: an error
		dup  bool
		code proto.Code
	}{
		{last + 1, false, ""}, {last + 2, false, ""}, {0, false, "h"}, {old.Seq, true, ""}, {last + 1, true, ""},
		{0, false, proto.CodeNotMember}, {0, false, proto.CodeNoSuchConv}, {last + 3, false, ""}, {last + 2, true, ""},
		{0, false, proto.CodeNotMember}, {last + 2, true, ""}, {last + 5, false, ""}, {last + 1, true, ""},
	}
	for i, w := range want {
		got := r[i]
		switch {
		case w.code == "h":
			if got.err != nil || got.dup || got.m.Conv != h.ID || got.m.Seq != int64(len(hBefore))+1 {
				t.Errorf("send %d: %+v, want the next seq of h", i, got)
			}
		case w.code != "":
			if e, ok := errors.AsType[*proto.Error](got.err); !ok || e.Code != w.code {
				t.Errorf("send %d: %+v, want %s", i, got, w.code)
			}
		default:
			if got.err != nil || got.dup != w.dup || got.m.Conv != g.ID || got.m.Seq != w.seq {
				t.Errorf("send %d: %+v, want seq %d dup %v", i, got, w.seq, w.dup)
			}
		}
	}
	if r[3].m.Text != "stored before" || r[4].m.Text != "one" || r[8].m.Text != "two" || r[10].m.Text != "two" {
		t.Errorf("a duplicate gives back the first message's text: %q %q %q %q", r[3].m.Text, r[4].m.Text, r[8].m.Text, r[10].m.Text)
	}
	if r[4].m.SenderName != "a" || r[10].m.SenderName != "b" {
		t.Errorf("a duplicate names its sender: %q %q", r[4].m.SenderName, r[10].m.SenderName)
	}

	gWant := append(slices.Clone(gBefore),
		fmt.Sprintf("%d:%d:k1:one", last+1, a.ID),
		fmt.Sprintf("%d:%d:k2:two", last+2, b.ID),
		fmt.Sprintf("%d:%d::no client id", last+3, a.ID),
		fmt.Sprintf("%d:%d::", last+4, b.ID), // left
		fmt.Sprintf("%d:%d:k7:seven", last+5, a.ID))
	if got := storedSeqs(t, d, g.ID); !slices.Equal(got, gWant) {
		t.Errorf("g holds\n%q\nwant\n%q", got, gWant)
	}
	hWant := append(slices.Clone(hBefore), fmt.Sprintf("%d:%d:k3:three", len(hBefore)+1, a.ID))
	if got := storedSeqs(t, d, h.ID); !slices.Equal(got, hWant) {
		t.Errorf("h holds %q, want %q", got, hWant)
	}
	// One insert for the sends before the leave, the leave's own, one
	// for the sends after it (one per new message without the bulk path).
	if n := inserts.Load(); n != 3 {
		t.Errorf("%d statements inserted messages, want 3", n)
	}
	mu.Lock()
	wantReported := []string{
		fmt.Sprintf("%d/%d", g.ID, last+1), fmt.Sprintf("%d/%d", g.ID, last+2), fmt.Sprintf("%d/%d", h.ID, len(hBefore)+1),
		fmt.Sprintf("%d/%d", g.ID, last+3), fmt.Sprintf("%d/%d", g.ID, last+4), fmt.Sprintf("%d/%d", g.ID, last+5),
	}
	if got := reported[len(reported)-len(wantReported):]; !slices.Equal(got, wantReported) {
		t.Errorf("OnCommit reported %q, want %q", got, wantReported)
	}
	mu.Unlock()
	checkCacheMatchesDB(t, d)

	// Two sends alone are not worth a run (a lookup and an insert): each
	// inserts on its own.
	inserts.Store(0)
	release = holdSequencer(t, d, func(*sequencer) {})
	r = make([]sendResult, 2)
	sendAll(t, d, &wg, &r[0], a, g.ID, "k8", "eight")
	sendAll(t, d, &wg, &r[1], a, g.ID, "k8", "eight again")
	release()
	wg.Wait()
	if r[0].err != nil || r[0].m.Seq != last+6 || r[1].err != nil || !r[1].dup || r[1].m.Seq != last+6 {
		t.Errorf("two sends of one client ID: %+v", r)
	}
	if n := inserts.Load(); n != 2 {
		t.Errorf("%d statements inserted messages, want 2", n)
	}
}

// When a batch's bulk insert fails, the batch fails as a whole (the
// transaction is spoiled), nothing of it is stored, and the next sends
// take the seqs it would have had.
func TestPostgresAFailedBulkInsertFailsItsBatch(t *testing.T) {
	d := openPG(t, Options{})
	ctx := context.Background()
	a, err := d.CreateUser(ctx, "a", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	before := storedSeqs(t, d, g.ID)
	boom := errors.New("boom")
	release := holdSequencer(t, d, func(s *sequencer) { s.fault = failing(sqlInsertMsgs, 1, boom) })
	var wg sync.WaitGroup
	r := make([]sendResult, 3)
	for i := range r {
		sendAll(t, d, &wg, &r[i], a, g.ID, fmt.Sprint("k", i), "hello")
	}
	release()
	wg.Wait()
	for i, got := range r {
		if !errors.Is(got.err, boom) {
			t.Errorf("send %d: %+v, want the insert's error", i, got)
		}
	}
	if got := storedSeqs(t, d, g.ID); !slices.Equal(got, before) {
		t.Errorf("g holds %q after the failed batch, want %q", got, before)
	}
	checkCacheMatchesDB(t, d)
	m, dup, err := d.Send(ctx, a, g.ID, "k0", "again")
	if err != nil || dup || m.Seq != int64(len(before))+1 {
		t.Fatalf("the retry: %+v dup=%v err=%v, want seq %d", m, dup, err, len(before)+1)
	}
}

// The sequencer's session plans each statement for its arguments, so
// that the lookup of a run's client IDs does not keep a plan made while
// messages was small (a sequential scan per transaction once it is not);
// the readers keep PostgreSQL's default.
func TestPostgresTheWriterPlansForItsArguments(t *testing.T) {
	d := openPG(t, Options{})
	var writer, reader string
	onSequencer(t, d, func(tx *sql.Tx, _ *sequencer) {
		if err := tx.QueryRow("SHOW plan_cache_mode").Scan(&writer); err != nil {
			t.Error(err)
		}
	})
	if err := d.r.QueryRow("SHOW plan_cache_mode").Scan(&reader); err != nil {
		t.Fatal(err)
	}
	if writer != "force_custom_plan" || reader != "auto" {
		t.Errorf("plan_cache_mode: writer %q, readers %q; want force_custom_plan, auto", writer, reader)
	}
}
