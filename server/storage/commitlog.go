package storage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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

// logCommit writes the transaction's messages under its position, and
// the big lists of recipients they name that the log may not hold yet.
func (s *sequencer) logCommit(tx *sql.Tx) error {
	now := s.d.nowMs()
	s.logTime = now
	b, err := encodeLog(s.committed, func(m []proto.UserID) string { return s.snapshotRef(m, now) })
	if err != nil {
		return fmt.Errorf("encode commit %d: %w", s.pos, err)
	}
	if len(s.toStore) > 0 {
		hashes, times, lists := make([]string, len(s.toStore)), make([]int64, len(s.toStore)), make([]string, len(s.toStore))
		for i, r := range s.toStore {
			l, err := json.Marshal(r.members)
			if err != nil {
				return fmt.Errorf("encode recipients of commit %d: %w", s.pos, err)
			}
			hashes[i], times[i], lists[i] = r.hash, now, string(l)
		}
		if _, err := s.exec(tx, sqlStoreSnapshots, hashes, times, lists); err != nil {
			return fmt.Errorf("log recipients of commit %d: %w", s.pos, err)
		}
	}
	var convs strings.Builder
	for id := range s.changed {
		if convs.Len() > 0 {
			convs.WriteByte(',')
		}
		convs.WriteString(strconv.FormatInt(int64(id), 10))
	}
	if _, err := tx.Exec("INSERT INTO commit_log (pos, time, batch, convs) VALUES (?, ?, ?, ?)", s.pos, now, b, convs.String()); err != nil {
		return fmt.Errorf("log commit %d: %w", s.pos, err)
	}
	return nil
}

// A commit-log row holds its batch as JSON, each list of recipients once:
// the messages of one conversation in a batch share their members'
// snapshot (convState.members is immutable). A list of more than
// inlineMembers is not in the row but named by its hash, and stored once
// in commit_members, which every row naming it shares: a group of
// thousands costs its list once per snapshot (until its membership
// changes), not once per message or transaction. The first rows were a
// JSON array of Committed, each with its members; decodeLog reads both.
type loggedBatch struct {
	// Members: each a JSON array of user IDs, or a string, the hash of
	// one in commit_members.
	Members []json.RawMessage `json:"members"`
	Batch   []loggedEntry     `json:"batch"`
}

// loggedEntry is a Committed whose Members is an index into
// loggedBatch.Members, plus one (0: none).
type loggedEntry struct {
	Committed
	Members int `json:"Members,omitempty"`
}

// inlineMembers is the most recipients a row holds in itself: about as
// many bytes as a message.
const inlineMembers = 64

// snapshotRenewMs is how often a list of recipients in use is written to
// commit_members again (its time renewed), and how long after the rows
// it is kept (PruneCommitLog): longer than any row naming it.
const snapshotRenewMs = 60_000

// sqlStoreSnapshots stores lists of recipients by hash, or renews their
// time.
const sqlStoreSnapshots = `INSERT INTO commit_members (hash, time, members)
	SELECT * FROM unnest(?::text[], ?::bigint[], ?::text[])
	ON CONFLICT (hash) DO UPDATE SET time = GREATEST(commit_members.time, EXCLUDED.time)`

// snapshotKey is an immutable members slice, by identity.
type snapshotKey struct {
	first *proto.UserID
	n     int
}

func keyOf(m []proto.UserID) snapshotKey {
	k := snapshotKey{n: len(m)}
	if k.n > 0 {
		k.first = &m[0]
	}
	return k
}

// snapshotRef is a list of recipients the sequencer names by hash.
type snapshotRef struct {
	members []proto.UserID // keeps the slice, so its address is not reused
	hash    string
	stored  int64 // when this node last stored it, committed (ms; 0: never)
	queued  bool  // in toStore
}

// snapshotRef names m for the current transaction's row: "" (the row
// holds it) or its hash, queued to be stored if this node has not
// stored it in the last snapshotRenewMs.
func (s *sequencer) snapshotRef(m []proto.UserID, now int64) string {
	if len(m) <= inlineMembers {
		return ""
	}
	k := keyOf(m)
	r := s.snapshots[k]
	if r == nil {
		if s.snapshots == nil || len(s.snapshots) >= maxSnapshots {
			s.snapshots = map[snapshotKey]*snapshotRef{}
		}
		r = &snapshotRef{members: m, hash: hashMembers(m)}
		s.snapshots[k] = r
	}
	if now-r.stored >= snapshotRenewMs && !r.queued {
		r.queued = true
		s.toStore = append(s.toStore, r)
	}
	return r.hash
}

// maxSnapshots bounds the sequencer's cache of hashed lists.
const maxSnapshots = 4096

// snapshotsCommitted marks the lists the transaction stored, once it has
// committed (committed false: it did not).
func (s *sequencer) snapshotsCommitted(committed bool) {
	for _, r := range s.toStore {
		r.queued = false
		if committed {
			r.stored = s.logTime
		}
	}
	s.toStore = s.toStore[:0]
}

// hashMembers names a list of recipients: the first 16 bytes of the
// SHA-256 of its IDs, in hex.
func hashMembers(m []proto.UserID) string {
	h := sha256.New()
	var b [8]byte
	for _, u := range m {
		binary.LittleEndian.PutUint64(b[:], uint64(u))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// encodeLog encodes a batch for the commit log; ref names a list that
// the row does not hold ("": the row holds it).
func encodeLog(batch []Committed, ref func([]proto.UserID) string) ([]byte, error) {
	lb := loggedBatch{Batch: make([]loggedEntry, len(batch))}
	index := map[snapshotKey]int{}
	var lists []byte // the lists' JSON, one after another
	for i, c := range batch {
		lb.Batch[i].Committed = c
		if c.Members == nil {
			continue
		}
		k := keyOf(c.Members) // all empty lists are one
		j, ok := index[k]
		if !ok {
			// Written by hand: a hash is hex, a list numbers (json.Marshal
			// per list was most of a small batch's encoding).
			start := len(lists)
			if h := ref(c.Members); h != "" {
				lists = append(append(append(lists, '"'), h...), '"')
			} else {
				lists = append(lists, '[')
				for i, u := range c.Members {
					if i > 0 {
						lists = append(lists, ',')
					}
					lists = strconv.AppendInt(lists, int64(u), 10)
				}
				lists = append(lists, ']')
			}
			lb.Members = append(lb.Members, lists[start:len(lists):len(lists)])
			j = len(lb.Members)
			index[k] = j
		}
		lb.Batch[i].Members = j
	}
	return json.Marshal(lb)
}

// parsedRow is a commit-log row read, its lists of recipients by hash
// not yet looked up.
type parsedRow struct {
	batch []Committed
	lists [][]proto.UserID // by index, nil where refs names a hash
	refs  []string
	index []int // per entry of batch: its list, plus one
}

// parseLog reads a commit-log row of either form.
func parseLog(b []byte) (parsedRow, error) {
	var p parsedRow
	if t := bytes.TrimSpace(b); len(t) == 0 || t[0] != '{' {
		err := json.Unmarshal(b, &p.batch)
		return p, err
	}
	var lb loggedBatch
	if err := json.Unmarshal(b, &lb); err != nil {
		return p, err
	}
	p.lists, p.refs = make([][]proto.UserID, len(lb.Members)), make([]string, len(lb.Members))
	for i, raw := range lb.Members {
		var err error
		if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
			err = json.Unmarshal(t, &p.refs[i])
		} else {
			err = json.Unmarshal(t, &p.lists[i])
			if err == nil && p.lists[i] == nil {
				err = errors.New("a list of recipients that is null")
			}
		}
		if err != nil {
			return p, fmt.Errorf("recipients %d: %w", i, err)
		}
	}
	p.batch, p.index = make([]Committed, len(lb.Batch)), make([]int, len(lb.Batch))
	for i, e := range lb.Batch {
		if e.Members < 0 || e.Members > len(lb.Members) {
			return p, fmt.Errorf("entry %d: recipients %d of %d", i, e.Members, len(lb.Members))
		}
		p.batch[i], p.index[i] = e.Committed, e.Members
	}
	return p, nil
}

// errSnapshotGone: a row names a list of recipients commit_members no
// longer holds (pruned with the row's neighbours).
var errSnapshotGone = errors.New("storage: the commit log no longer holds a list of recipients")

// resolve gives the row's batch, its lists by hash from snapshots.
func (p parsedRow) resolve(snapshots map[string][]proto.UserID) ([]Committed, error) {
	for i, h := range p.refs {
		if h == "" {
			continue
		}
		l, ok := snapshots[h]
		if !ok {
			return nil, fmt.Errorf("%s: %w", h, errSnapshotGone)
		}
		p.lists[i] = l
	}
	for i, j := range p.index {
		if j > 0 {
			p.batch[i].Members = p.lists[j-1]
		}
	}
	return p.batch, nil
}

// decodeLog decodes a commit-log row of either form; snapshots holds the
// lists it names by hash. Entries that shared a list share it again
// (read-only, as OnCommit's are).
func decodeLog(b []byte, snapshots map[string][]proto.UserID) ([]Committed, error) {
	p, err := parseLog(b)
	if err != nil {
		return nil, err
	}
	return p.resolve(snapshots)
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
	var parsed []parsedRow
	var refs []string
	for rows.Next() {
		var l Logged
		var b []byte
		if err := rows.Scan(&l.Pos, &b); err != nil {
			return nil, fmt.Errorf("read commit log after %d: %w", after, err)
		}
		p, err := parseLog(b)
		if err != nil {
			return nil, fmt.Errorf("decode commit %d: %w", l.Pos, err)
		}
		for _, h := range p.refs {
			if h != "" {
				refs = append(refs, h)
			}
		}
		out, parsed = append(out, l), append(parsed, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read commit log after %d: %w", after, err)
	}
	rows.Close()
	snapshots, err := d.snapshots(ctx, refs)
	if err != nil {
		return nil, fmt.Errorf("read commit log after %d: %w", after, err)
	}
	for i, p := range parsed {
		if out[i].Batch, err = p.resolve(snapshots); err != nil {
			if !errors.Is(err, errSnapshotGone) {
				return nil, fmt.Errorf("decode commit %d: %w", out[i].Pos, err)
			}
			// Pruned under the reader: the rows from here on are gone too.
			if i == 0 {
				return nil, fmt.Errorf("position %d: %v: %w", out[i].Pos, err, ErrLogPruned)
			}
			out = out[:i]
			break
		}
	}
	if len(out) > 0 && out[0].Pos != after+1 {
		return out, fmt.Errorf("position %d: %w", after+1, ErrLogPruned)
	}
	return out, nil
}

// snapshots reads the lists of recipients named hashes.
func (d *DB) snapshots(ctx context.Context, hashes []string) (map[string][]proto.UserID, error) {
	if len(hashes) == 0 {
		return nil, nil
	}
	slices.Sort(hashes)
	hashes = slices.Compact(hashes)
	rows, err := d.r.QueryContext(ctx, "SELECT hash, members FROM commit_members WHERE hash = ANY(?::text[])", hashes)
	if err != nil {
		return nil, fmt.Errorf("lists of recipients: %w", err)
	}
	defer rows.Close()
	out := make(map[string][]proto.UserID, len(hashes))
	for rows.Next() {
		var h string
		var b []byte
		if err := rows.Scan(&h, &b); err != nil {
			return nil, fmt.Errorf("lists of recipients: %w", err)
		}
		var m []proto.UserID
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("list of recipients %s: %w", h, err)
		}
		out[h] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lists of recipients: %w", err)
	}
	return out, nil
}

// PruneCommitLog deletes the log's rows older than keep, and the lists
// of recipients no row can name any more, and returns how many rows went.
// Every node may run it.
func (d *DB) PruneCommitLog(ctx context.Context, keep time.Duration) (int64, error) {
	if !d.pg {
		return 0, ErrNotCluster
	}
	before := d.now().Add(-keep).UnixMilli()
	res, err := d.w.ExecContext(ctx, "DELETE FROM commit_log WHERE time < ?", before)
	if err != nil {
		return 0, fmt.Errorf("prune commit log: %w", err)
	}
	// A list in use is stored again every snapshotRenewMs: one older than
	// that before the oldest row kept is named by none (a margin of five
	// times, for the nodes' clocks).
	if _, err := d.w.ExecContext(ctx, "DELETE FROM commit_members WHERE time < ?", before-5*snapshotRenewMs); err != nil {
		return 0, fmt.Errorf("prune commit log's recipients: %w", err)
	}
	return res.RowsAffected()
}
