package storage

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"parley/net/proto"
)

// onSequencer runs fn on the sequencer goroutine (as a write job that
// writes nothing), where the sequencer's state may be read and its test
// seams set.
func onSequencer(t *testing.T, d *DB, fn func(tx *sql.Tx, s *sequencer)) {
	t.Helper()
	if _, err := d.exec(context.Background(), func(tx *sql.Tx, s *sequencer) (any, error) {
		fn(tx, s)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
}

// failing returns a fault that fails the nth statement (counting from
// 1) of the given SQL, once.
func failing(query string, nth int, err error) func(string) error {
	n := 0
	return func(q string) error {
		if q != query {
			return nil
		}
		if n++; n == nth {
			return err
		}
		return nil
	}
}

// checkCacheMatchesDB fails the test unless every conversation in the
// sequencer's cache exists in the database with the cached kind, name,
// last seq and members.
func checkCacheMatchesDB(t *testing.T, d *DB) {
	t.Helper()
	onSequencer(t, d, func(tx *sql.Tx, s *sequencer) {
		for id, c := range s.convs {
			var kind, name string
			var last int64
			err := tx.QueryRow(`SELECT kind, name, COALESCE((SELECT MAX(seq) FROM messages WHERE conv_id = c.id), 0)
				FROM conversations c WHERE id = ?`, id).Scan(&kind, &name, &last)
			if errors.Is(err, sql.ErrNoRows) {
				t.Errorf("the cache holds conversation %d, which the database does not", id)
				continue
			}
			if err != nil {
				t.Errorf("load %d: %v", id, err)
				continue
			}
			if kind != c.kind || name != c.name || last != c.lastSeq {
				t.Errorf("conversation %d: cache %s %q last seq %d, database %s %q last seq %d", id, c.kind, c.name, c.lastSeq, kind, name, last)
			}
			var members []proto.UserID
			rows, err := tx.Query("SELECT user_id FROM members WHERE conv_id = ? ORDER BY user_id", id)
			if err != nil {
				t.Errorf("members of %d: %v", id, err)
				continue
			}
			for rows.Next() {
				var u proto.UserID
				rows.Scan(&u)
				members = append(members, u)
			}
			rows.Close()
			if !slices.Equal(members, c.members) {
				t.Errorf("conversation %d: cached members %v, database %v", id, c.members, members)
			}
		}
	})
}

func countRows(t *testing.T, d *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.r.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// A create-group that fails after it inserted the group, its owner and
// cached it leaves no trace: no row, no cache entry, no message.
func TestFailedCreateGroupLeavesNoTrace(t *testing.T) {
	var committed []Committed
	d := openTest(t, func(cs []Committed) { committed = append(committed, cs...) })
	ctx := context.Background()
	a := mustUser(t, d, "a")
	boom := errors.New("disk on fire")
	onSequencer(t, d, func(_ *sql.Tx, s *sequencer) { s.fault = failing(sqlInsertMsg, 1, boom) })

	if _, err := d.CreateGroup(ctx, a, "doomed"); !errors.Is(err, boom) {
		t.Fatalf("create group: %v, want the injected failure", err)
	}
	checkCacheMatchesDB(t, d)
	if n := countRows(t, d, "SELECT COUNT(*) FROM conversations"); n != 0 {
		t.Fatalf("%d conversations after a failed create", n)
	}
	if n := countRows(t, d, "SELECT COUNT(*) FROM members"); n != 0 {
		t.Fatalf("%d memberships after a failed create", n)
	}
	if convs, err := d.Conversations(ctx, a.ID); err != nil || len(convs) != 0 {
		t.Fatalf("a's conversations: %+v %v", convs, err)
	}
	if len(committed) != 0 {
		t.Fatalf("the failed create published %+v", committed)
	}
	// The next create works and starts its group at seq 1.
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil || g.LastSeq != 1 || g.Members != 1 {
		t.Fatalf("create after a failure: %+v %v", g, err)
	}
	checkCacheMatchesDB(t, d)
}

// A direct conversation that fails after it inserted the conversation and
// its first member leaves no trace, and the next attempt creates it.
func TestFailedDirectLeavesNoTrace(t *testing.T) {
	d := openTest(t, nil)
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	boom := errors.New("disk on fire")
	onSequencer(t, d, func(_ *sql.Tx, s *sequencer) { s.fault = failing(sqlInsertMember, 2, boom) })

	if _, _, _, err := d.Direct(ctx, a, b.ID); !errors.Is(err, boom) {
		t.Fatalf("direct: %v, want the injected failure", err)
	}
	checkCacheMatchesDB(t, d)
	if n := countRows(t, d, "SELECT COUNT(*) FROM conversations"); n != 0 {
		t.Fatalf("%d conversations after a failed direct", n)
	}
	if n := countRows(t, d, "SELECT COUNT(*) FROM members"); n != 0 {
		t.Fatalf("%d memberships after a failed direct", n)
	}
	dm, _, created, err := d.Direct(ctx, a, b.ID)
	if err != nil || !created || dm.Members != 2 {
		t.Fatalf("direct after a failure: %+v created=%v %v", dm, created, err)
	}
	if _, _, err := d.Send(ctx, b, dm.ID, "x", "hi"); err != nil {
		t.Fatalf("send in the direct conversation: %v", err)
	}
	checkCacheMatchesDB(t, d)
}

// When a failed job cannot be rolled back to its savepoint, the database
// holds its writes: the whole batch fails, every job in it gets the
// error, nothing of it commits, and the cache agrees with the database.
func TestFailedRollbackFailsTheWholeBatch(t *testing.T) {
	var committed []Committed
	d := openTest(t, func(cs []Committed) { committed = append(committed, cs...) })
	ctx := context.Background()
	a := mustUser(t, d, "a")
	g, err := d.CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	committed = nil
	rollbackFailed := errors.New("rollback failed")

	// Hold the sequencer in a job of its own while the batch is queued, so
	// that the three writes below run in one transaction.
	running, release := make(chan struct{}), make(chan struct{})
	blocker := make(chan error, 1)
	go func() {
		_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
			s.fault = failing(sqlRollbackTo, 1, rollbackFailed)
			close(running)
			<-release
			return nil, nil
		})
		blocker <- err
	}()
	<-running
	results := make(chan error, 3)
	submit := func(j *job) {
		j.ctx = ctx
		j.done = func(_ any, err error) { results <- err }
		if err := d.enqueue(j); err != nil {
			t.Fatal(err)
		}
	}
	sendJob := func(clientID string) *job {
		return &job{single: true, run: func(tx *sql.Tx, s *sequencer) (any, error) {
			m, _, err := s.send(tx, a, g.ID, clientID, "hi")
			return m, err
		}}
	}
	submit(sendJob("before")) // succeeds on its own
	submit(&job{run: func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("INSERT INTO users (id, name, pw_hash, created) VALUES (99999, 'ghost', 'h', 0)"); err != nil {
			return nil, err
		}
		return nil, errors.New("the job fails after a write")
	}})
	submit(sendJob("after"))
	close(release)
	if err := <-blocker; err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := <-results; !errors.Is(err, rollbackFailed) {
			t.Errorf("a job of the broken batch: %v, want the rollback failure", err)
		}
	}

	if n := countRows(t, d, "SELECT COUNT(*) FROM users WHERE id = 99999"); n != 0 {
		t.Fatal("the failed job's write was committed")
	}
	if n := countRows(t, d, "SELECT COUNT(*) FROM messages WHERE conv_id = ?", g.ID); n != 1 {
		t.Fatalf("%d messages in the group, want only the created event", n)
	}
	if len(committed) != 0 {
		t.Fatalf("the broken batch published %d messages", len(committed))
	}
	checkCacheMatchesDB(t, d)
	m, _, err := d.Send(ctx, a, g.ID, "next", "hi")
	if err != nil || m.Seq != 2 {
		t.Fatalf("next send: seq %d, %v; want 2 (the broken batch took no seq)", m.Seq, err)
	}
}
