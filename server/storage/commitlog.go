package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/net/proto"
)

// The commit log (PostgreSQL only) is how the nodes of a cluster learn
// what the others committed, with the database as the log and the bus
// only a faster way to hear of it. Every transaction of every node's
// sequencer takes the next position on the commit clock (sequencer.go
// tick) and writes its committed messages under that position in
// commit_log, in the same transaction: a position is in the log exactly
// when it is committed, and positions are gap-free, so a node that
// missed one (a lost bus message, a silent peer, a bus outage) reads it
// here. Rows older than a few minutes are pruned (PruneCommitLog); a node
// that fell further behind than that cannot repair, and says so
// (ErrLogPruned).

// ErrNotCluster is the error of the commit log's methods on SQLite.
var ErrNotCluster = errors.New("storage: the commit log is PostgreSQL's (cluster mode)")

// ErrLogPruned says that positions asked for are no longer in the log.
var ErrLogPruned = errors.New("storage: the commit log no longer holds those positions")

// Logged is one transaction in the commit log.
type Logged struct {
	Pos   int64
	Batch []Committed
}

// logCommit writes the transaction's messages under its position.
func (s *sequencer) logCommit(tx *sql.Tx) error {
	b, err := encodeLog(s.committed)
	if err != nil {
		return fmt.Errorf("encode commit %d: %w", s.pos, err)
	}
	var convs strings.Builder
	for id := range s.changed {
		if convs.Len() > 0 {
			convs.WriteByte(',')
		}
		convs.WriteString(strconv.FormatInt(int64(id), 10))
	}
	if _, err := tx.Exec("INSERT INTO commit_log (pos, time, batch, convs) VALUES (?, ?, ?, ?)", s.pos, s.d.nowMs(), b, convs.String()); err != nil {
		return fmt.Errorf("log commit %d: %w", s.pos, err)
	}
	return nil
}

// A commit-log row holds its batch as JSON, each list of recipients once:
// the messages of one conversation in a batch share their members'
// snapshot (convState.members is immutable), so a batch of n messages to a
// group of m members costs n messages and m IDs, not n × m IDs. The
// first rows were a JSON array of Committed, each with its members;
// decodeLog reads both.
type loggedBatch struct {
	Members [][]proto.UserID `json:"members"`
	Batch   []loggedEntry    `json:"batch"`
}

// loggedEntry is a Committed whose Members is an index into
// loggedBatch.Members, plus one (0: none).
type loggedEntry struct {
	Committed
	Members int `json:"Members,omitempty"`
}

// encodeLog encodes a batch for the commit log.
func encodeLog(batch []Committed) ([]byte, error) {
	type snapshot struct {
		first *proto.UserID
		n     int
	}
	lb := loggedBatch{Batch: make([]loggedEntry, len(batch))}
	index := map[snapshot]int{}
	for i, c := range batch {
		lb.Batch[i].Committed = c
		if c.Members == nil {
			continue
		}
		// An empty snapshot has no first element: all empty ones are one.
		k := snapshot{n: len(c.Members)}
		if k.n > 0 {
			k.first = &c.Members[0]
		}
		j, ok := index[k]
		if !ok {
			lb.Members = append(lb.Members, c.Members)
			j = len(lb.Members)
			index[k] = j
		}
		lb.Batch[i].Members = j
	}
	return json.Marshal(lb)
}

// decodeLog decodes a commit-log row of either form. Entries that shared
// a snapshot share it again (read-only, as OnCommit's are).
func decodeLog(b []byte) ([]Committed, error) {
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		var batch []Committed
		err := json.Unmarshal(b, &batch)
		return batch, err
	}
	var lb loggedBatch
	if err := json.Unmarshal(b, &lb); err != nil {
		return nil, err
	}
	batch := make([]Committed, len(lb.Batch))
	for i, e := range lb.Batch {
		batch[i] = e.Committed
		if e.Members < 0 || e.Members > len(lb.Members) {
			return nil, fmt.Errorf("entry %d: members %d of %d", i, e.Members, len(lb.Members))
		}
		if e.Members > 0 {
			batch[i].Members = lb.Members[e.Members-1]
			if batch[i].Members == nil {
				batch[i].Members = []proto.UserID{}
			}
		}
	}
	return batch, nil
}

// CommitClock returns the position of the cluster's last committed
// transaction.
func (d *DB) CommitClock(ctx context.Context) (int64, error) {
	if !d.pg {
		return 0, ErrNotCluster
	}
	var pos int64
	if err := d.r.QueryRowContext(ctx, "SELECT pos FROM commit_clock WHERE id = 1").Scan(&pos); err != nil {
		return 0, fmt.Errorf("read commit clock: %w", err)
	}
	return pos, nil
}

// CommitLog returns the logged transactions after position after, up to
// position upto (inclusive; 0: no bound), in order, at most limit of
// them. If the first position wanted (after+1) is no longer in the log,
// the error wraps ErrLogPruned, and the rows are those from the oldest
// the log still holds.
func (d *DB) CommitLog(ctx context.Context, after, upto int64, limit int) ([]Logged, error) {
	if !d.pg {
		return nil, ErrNotCluster
	}
	if upto <= 0 {
		upto = 1 << 62
	}
	rows, err := d.r.QueryContext(ctx, "SELECT pos, batch FROM commit_log WHERE pos > ? AND pos <= ? ORDER BY pos LIMIT ?", after, upto, limit)
	if err != nil {
		return nil, fmt.Errorf("read commit log after %d: %w", after, err)
	}
	defer rows.Close()
	var out []Logged
	for rows.Next() {
		var l Logged
		var b []byte
		if err := rows.Scan(&l.Pos, &b); err != nil {
			return nil, fmt.Errorf("read commit log after %d: %w", after, err)
		}
		if l.Batch, err = decodeLog(b); err != nil {
			return nil, fmt.Errorf("decode commit %d: %w", l.Pos, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read commit log after %d: %w", after, err)
	}
	if len(out) > 0 && out[0].Pos != after+1 {
		return out, fmt.Errorf("position %d: %w", after+1, ErrLogPruned)
	}
	return out, nil
}

// PruneCommitLog deletes the log's rows older than keep, and returns how
// many went. Every node may run it.
func (d *DB) PruneCommitLog(ctx context.Context, keep time.Duration) (int64, error) {
	if !d.pg {
		return 0, ErrNotCluster
	}
	res, err := d.w.ExecContext(ctx, "DELETE FROM commit_log WHERE time < ?", d.now().Add(-keep).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("prune commit log: %w", err)
	}
	return res.RowsAffected()
}
