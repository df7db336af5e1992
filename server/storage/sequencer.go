package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"parley/net/proto"
)

// A job is one write, run by the sequencer inside a savepoint of a shared
// transaction. Its result is delivered only after that transaction commits.
type job struct {
	ctx context.Context
	run func(tx *sql.Tx, s *sequencer) (any, error)
	// done is called once, from the sequencer goroutine. It must not
	// block, nor submit a write (that would wait for the sequencer, and
	// for a Close in progress).
	done func(v any, err error)
	// single: the job writes with at most one statement, its last step, so
	// a failure leaves nothing to roll back in the database and it runs
	// without a savepoint (two statements fewer per message).
	single bool
	// send: a plain send (Send, SendAsync), whose insert PostgreSQL may
	// make with others' (bulk.go); its sender and client ID.
	send *clientKey
}

// convState is what the sequencer caches of a conversation it has written
// to. lastSeq is the highest seq in messages (the database stores no
// separate copy: it is loaded as MAX(seq), an index lookup). members is
// sorted and immutable: changes replace the slice, so a snapshot handed to
// OnCommit never changes under its reader.
type convState struct {
	id      proto.ConvID
	kind    string
	name    string
	lastSeq int64
	members []proto.UserID
	// Groups (groups.go): the owner (0: none), the admins besides the
	// owner (sorted, immutable like members), the join policy, and
	// whether only admins may invite, and send.
	owner                    proto.UserID
	admins                   []proto.UserID
	policy                   string
	inviteAdmins, sendAdmins bool
	gone                     bool   // deleted: s.conv answers nil
	peerGone                 bool   // a direct conversation whose other person deleted their account (people.go)
	picture                  string // a group's picture: its thumbnail's file ID ('' none)
	// Direct conversations (blocks.go): quiet are the members who get
	// nothing the other member sends (they blocked them, or deleted
	// their request); waiting those whose request waits for their answer.
	// Sorted and immutable like members.
	quiet, waiting []proto.UserID
}

func (c *convState) isMember(u proto.UserID) bool {
	_, ok := slices.BinarySearch(c.members, u)
	return ok
}

// sequencer is the state of the single writer goroutine.
type sequencer struct {
	d     *DB
	convs map[proto.ConvID]*convState
	// Per job, so that a failed job leaves the cache as it found it: the
	// states as they were before the job touched them, and the
	// conversations it created or loaded into the cache.
	undo      map[proto.ConvID]convState
	added     []proto.ConvID
	committed []Committed // messages of the current transaction
	jobStart  int         // len(committed) when the current job started
	// broken is set when a failed job could not be undone in the
	// database (ROLLBACK TO failed): the whole transaction must go.
	broken error

	// PostgreSQL (several nodes may write): clock is the commit clock's
	// position after this sequencer's last commit (0: unknown), pos the
	// current transaction's, and changed the conversations whose cached
	// state it changed (touch), which it logs for the other nodes.
	clock, pos int64
	changed    map[proto.ConvID]struct{}
	bulk       bulkState // runs of plain sends (bulk.go)
	// Lists of recipients named by hash in the commit log (commitlog.go),
	// those the current transaction stores, and when it logged.
	snapshots map[snapshotKey]*snapshotRef
	toStore   []*snapshotRef
	logTime   int64

	// fault, if set (by tests, from a job), runs before each statement
	// that goes through exec and fails it with the error it returns.
	fault func(query string) error

	// Statements on the writer's one connection, prepared once (hot
	// paths: parsing SQL cost more than running it), and their
	// transaction-bound forms for the current batch.
	prepared map[string]*sql.Stmt
	txStmts  map[string]*sql.Stmt
}

// Hot statements, prepared before the first batch.
const (
	sqlSavepoint     = "SAVEPOINT job"
	sqlRelease       = "RELEASE job"
	sqlRollbackTo    = "ROLLBACK TO job"
	sqlInsertMsg     = "INSERT INTO messages (conv_id, seq, sender, client_id, time, kind, text, event) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	sqlInsertMsgMeta = "INSERT INTO messages (conv_id, seq, sender, client_id, time, kind, text, event, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	sqlByClientID    = "SELECT conv_id, seq, time, kind, text FROM messages WHERE sender = ? AND client_id = ?"

	sqlInsertMember = "INSERT INTO members (conv_id, user_id, joined) VALUES (?, ?, ?)"
)

// On PostgreSQL, where a refused insert would spoil the transaction, a
// message whose client ID is taken is not inserted (and not an error):
// the insert reports no row, and append returns errDuplicateClientID.
const pgNoDuplicate = " ON CONFLICT (sender, client_id) WHERE client_id IS NOT NULL DO NOTHING"

var hotStatements = []string{sqlSavepoint, sqlRelease, sqlRollbackTo, sqlInsertMsg, sqlByClientID}

// errDuplicateClientID: the sender has a message with that client ID
// already (PostgreSQL's form of SQLite's unique violation).
var errDuplicateClientID = errors.New("storage: the sender's client ID is taken")

// prepare prepares the hot statements (outside any transaction: the
// writer pool has one connection, which a transaction holds).
func (s *sequencer) prepare() {
	if s.prepared != nil {
		return
	}
	s.prepared = map[string]*sql.Stmt{}
	hot := hotStatements
	if s.d.pg {
		hot = append(slices.Clip(hot), pgHotStatements...)
	}
	for _, q := range hot {
		st, err := s.d.w.Prepare(q)
		if err != nil {
			s.d.log.Warn("prepare statement", "sql", q, "err", err)
			continue // stmt falls back to preparing it per transaction
		}
		s.prepared[q] = st
	}
}

// stmt returns query as a statement of tx.
func (s *sequencer) stmt(tx *sql.Tx, query string) (*sql.Stmt, error) {
	if st := s.txStmts[query]; st != nil {
		return st, nil
	}
	var st *sql.Stmt
	if p := s.prepared[query]; p != nil {
		st = tx.Stmt(p)
	} else {
		var err error
		if st, err = tx.Prepare(query); err != nil {
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	s.txStmts[query] = st
	return st, nil
}

// exec runs a write statement in tx through the statement cache.
func (s *sequencer) exec(tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	if s.fault != nil {
		if err := s.fault(query); err != nil {
			return nil, err
		}
	}
	st, err := s.stmt(tx, query)
	if err != nil {
		return nil, err
	}
	return st.Exec(args...)
}

// maxCachedConvs bounds the sequencer's cache; past it the cache is dropped
// after a commit and reloaded on demand.
const maxCachedConvs = 50000

func newSequencer(d *DB) *sequencer {
	return &sequencer{d: d, convs: map[proto.ConvID]*convState{}, undo: map[proto.ConvID]convState{}, txStmts: map[string]*sql.Stmt{}}
}

// exec runs fn as a job and waits for its commit.
func (d *DB) exec(ctx context.Context, fn func(tx *sql.Tx, s *sequencer) (any, error)) (any, error) {
	return d.wait(&job{ctx: ctx, run: fn})
}

// wait runs j and waits for its commit.
func (d *DB) wait(j *job) (any, error) {
	type result struct {
		v   any
		err error
	}
	ch := make(chan result, 1)
	j.done = func(v any, err error) { ch <- result{v, err} }
	if err := d.enqueue(j); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.v, r.err
	case <-j.ctx.Done():
		// The job may still commit; an idempotent retry finds it.
		return nil, j.ctx.Err()
	}
}

// enqueue hands j to the sequencer, or fails with ErrClosed once Close
// has begun. It holds closing for reading while it hands the job over, so
// Close cannot finish marking the DB closed meanwhile: every job accepted
// is in jobs before the sequencer is told to stop, and runs.
func (d *DB) enqueue(j *job) error {
	d.closing.RLock()
	defer d.closing.RUnlock()
	if d.closed {
		return ErrClosed
	}
	select {
	case d.jobs <- j:
		return nil
	case <-j.ctx.Done():
		return j.ctx.Err()
	}
}

func (d *DB) runSequencer() {
	defer close(d.done)
	batch := make([]*job, 0, d.opts.MaxBatch)
	for {
		var first *job
		select {
		case first = <-d.jobs:
		case <-d.quit:
			// Nothing can be queued any more: run what is, then stop.
			select {
			case first = <-d.jobs:
			default:
				return
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < d.opts.MaxBatch {
			select {
			case j := <-d.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		d.seq.runBatch(batch)
	}
}

func (s *sequencer) runBatch(batch []*job) {
	d := s.d
	start := d.now()
	results := make([]any, len(batch))
	errs := make([]error, len(batch))
	s.committed = s.committed[:0]
	s.resetBulk()
	s.prepare()
	clear(s.txStmts) // the previous transaction closed them

	fail := func(err error) {
		d.log.Error("write batch failed", "err", err, "jobs", len(batch))
		s.convs = map[proto.ConvID]*convState{} // may hold uncommitted values
		s.clock = 0
		s.snapshotsCommitted(false)
		for _, j := range batch {
			j.done(nil, fmt.Errorf("write batch: %w", err))
		}
	}
	ctx := context.Background()
	// The transaction holds the gate, so a checkpoint that resets the
	// log runs between two of them; past its bound, the log is reset
	// before it grows further.
	if d.ckpt != nil {
		d.ckpt.throttle()
	}
	d.gate.Lock()
	tx, err := d.w.BeginTx(ctx, nil)
	if err != nil {
		d.gate.Unlock()
		fail(err)
		return
	}
	// abort rolls the transaction back and fails the whole batch.
	abort := func(err error) {
		if rerr := tx.Rollback(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("roll back: %w", rerr))
		}
		s.countFrames()
		d.gate.Unlock()
		fail(err)
	}
	if d.pg {
		if err := s.tick(tx); err != nil {
			abort(err)
			return
		}
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if d.pg {
			var err error
			if j.send == nil {
				err = s.endRun(tx)
			} else if !s.bulk.inRun {
				err = s.startRun(tx, batch[i:])
			}
			if err != nil {
				abort(err)
				return
			}
		}
		results[i], errs[i] = s.runJob(ctx, tx, j)
		if s.broken != nil {
			// The transaction holds what a failed job wrote: none of the
			// batch may commit.
			err := s.broken
			s.broken = nil
			abort(err)
			return
		}
	}
	if d.pg {
		if err := s.endRun(tx); err != nil {
			abort(err)
			return
		}
		if err := s.logCommit(tx); err != nil {
			abort(err)
			return
		}
	}
	// With synchronous=FULL the commit has synced the log: only now are
	// the writes durable, acknowledged and published (below).
	err = tx.Commit()
	s.countFrames()
	d.gate.Unlock()
	if err != nil {
		fail(err)
		return
	}
	s.clock = s.pos
	s.snapshotsCommitted(true)
	if d.opts.OnCommit != nil && len(s.committed) > 0 {
		d.opts.OnCommit(s.committed)
	}
	if d.pg && d.opts.OnClusterCommit != nil {
		d.opts.OnClusterCommit(s.pos, s.committed)
	}
	for i, j := range batch {
		j.done(results[i], errs[i])
	}
	if len(s.convs) > maxCachedConvs {
		s.convs = map[proto.ConvID]*convState{}
	}
	if d.opts.OnBatch != nil {
		d.opts.OnBatch(len(batch), d.now().Sub(start))
	}
}

// tick advances the cluster's commit clock, first thing in a PostgreSQL
// transaction. Its row lock makes the nodes' transactions take turns, so
// seqs stay gap-free and in commit order whoever writes, and IDs drawn
// at random cannot collide. If the clock moved since this sequencer's
// last commit, other nodes wrote: the conversations their transactions
// changed (the commit log names them) are dropped from the cache, to be
// loaded again from the database; if they cannot be known, all are.
func (s *sequencer) tick(tx *sql.Tx) error {
	clear(s.changed)
	if s.changed == nil {
		s.changed = map[proto.ConvID]struct{}{}
	}
	if err := tx.QueryRow("UPDATE commit_clock SET pos = pos + 1 WHERE id = 1 RETURNING pos").Scan(&s.pos); err != nil {
		return fmt.Errorf("commit clock: %w", err)
	}
	if s.pos == s.clock+1 {
		return nil
	}
	if s.clock == 0 {
		s.convs = map[proto.ConvID]*convState{}
		return nil
	}
	rows, err := tx.Query("SELECT convs FROM commit_log WHERE pos > ? AND pos < ?", s.clock, s.pos)
	if err != nil {
		return fmt.Errorf("what other nodes changed: %w", err)
	}
	defer rows.Close()
	n := int64(0)
	var stale []proto.ConvID
	for rows.Next() {
		var list string
		if err := rows.Scan(&list); err != nil {
			return fmt.Errorf("what other nodes changed: %w", err)
		}
		n++
		for f := range strings.SplitSeq(list, ",") {
			if id, err := strconv.ParseInt(f, 10, 64); err == nil {
				stale = append(stale, proto.ConvID(id))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("what other nodes changed: %w", err)
	}
	if n != s.pos-s.clock-1 { // pruned meanwhile: nothing can be trusted
		s.convs = map[proto.ConvID]*convState{}
		return nil
	}
	for _, id := range stale {
		delete(s.convs, id)
	}
	return nil
}

// countFrames tells the checkpointer how many frames the last
// transaction wrote to the log.
func (s *sequencer) countFrames() {
	if s.d.ckpt == nil {
		return
	}
	n, err := walFrames(s.d.w)
	if err != nil {
		s.d.log.Warn("count log frames", "err", err)
		n = 1 // checkpoints still come, every CheckpointFrames commits
	}
	s.d.ckpt.committed(n)
}

// runJob runs j in tx. If it fails, it undoes what j did, in the
// database (back to its savepoint), the cache and the messages to
// publish; if the database cannot be undone, it sets s.broken.
func (s *sequencer) runJob(ctx context.Context, tx *sql.Tx, j *job) (v any, err error) {
	clear(s.undo)
	s.added = s.added[:0]
	s.jobStart = len(s.committed)
	s.bulk.pendingStart = len(s.bulk.pending)
	single := j.single
	if !single {
		if _, err := s.exec(tx, sqlSavepoint); err != nil {
			return nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write job panicked: %v", p)
		}
		if err == nil {
			if single {
				return
			}
			_, err = s.exec(tx, sqlRelease)
			if err == nil {
				return
			}
		}
		// Undo the job: database, cache and messages.
		if single && s.d.pg && !refusedBeforeWriting(err) {
			// A failed statement spoils a PostgreSQL transaction: the
			// batch cannot commit.
			s.broken = fmt.Errorf("a write failed: %w", err)
		}
		if !single {
			if _, rerr := s.exec(tx, sqlRollbackTo); rerr != nil {
				s.broken = fmt.Errorf("roll back a failed write (%v): %w", err, rerr)
			} else if _, rerr := s.exec(tx, sqlRelease); rerr != nil {
				s.broken = fmt.Errorf("release a failed write (%v): %w", err, rerr)
			}
		}
		for id, old := range s.undo {
			*s.convs[id] = old
		}
		for _, id := range s.added {
			delete(s.convs, id)
		}
		s.committed = s.committed[:s.jobStart]
		if len(s.bulk.pending) > s.bulk.pendingStart {
			s.bulk.pending = s.bulk.pending[:s.bulk.pendingStart]
		}
		v = nil
	}()
	return j.run(tx, s)
}

// refusedBeforeWriting reports whether a single-statement job's error
// left its transaction usable: a refusal (a *proto.Error, decided before
// the statement) or a duplicate client ID (which PostgreSQL's insert
// skips rather than fails).
func refusedBeforeWriting(err error) bool {
	if errors.Is(err, errDuplicateClientID) {
		return true
	}
	_, ok := errors.AsType[*proto.Error](err)
	return ok
}

// conv returns the cached state of a conversation, loading it on first use,
// or nil if there is no such conversation.
func (s *sequencer) conv(tx *sql.Tx, id proto.ConvID) (*convState, error) {
	if c, ok := s.convs[id]; ok {
		if c.gone {
			return nil, nil
		}
		return c, nil
	}
	c := &convState{id: id}
	err := tx.QueryRow(`SELECT kind, name, COALESCE((SELECT MAX(seq) FROM messages WHERE conv_id = c.id), 0),
		policy, invite_admins, send_admins, picture,
		kind = 'direct' AND EXISTS (SELECT 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.conv_id = c.id AND u.deleted = 1)
		FROM conversations c WHERE id = ? AND deleted = 0`, id).Scan(&c.kind, &c.name, &c.lastSeq, &c.policy, &c.inviteAdmins, &c.sendAdmins, &c.picture, &c.peerGone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation %d: %w", id, err)
	}
	rows, err := tx.Query("SELECT user_id, role, request FROM members WHERE conv_id = ? ORDER BY user_id", id)
	if err != nil {
		return nil, fmt.Errorf("load members of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u proto.UserID
		var role, request int
		if err := rows.Scan(&u, &role, &request); err != nil {
			return nil, fmt.Errorf("load members of %d: %w", id, err)
		}
		c.members = append(c.members, u)
		switch request {
		case requestWaiting:
			c.waiting = append(c.waiting, u)
		case requestDeleted:
			c.quiet = append(c.quiet, u)
		}
		switch role {
		case roleOwner:
			c.owner = u
		case roleAdmin:
			c.admins = append(c.admins, u)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load members of %d: %w", id, err)
	}
	rows.Close()
	if c.kind == proto.KindDirect {
		if err := loadBlocked(tx, c); err != nil {
			return nil, err
		}
	}
	s.add(c)
	return c, nil
}

// add caches c, a conversation the current job loaded or created: if the
// job fails, it leaves the cache again.
func (s *sequencer) add(c *convState) {
	s.convs[c.id] = c
	s.added = append(s.added, c.id)
}

// touch records c's state before the current job changes it. Every
// change to what convState mirrors goes through it (after s.conv), so
// changed names every conversation another node's cache must reload.
func (s *sequencer) touch(c *convState) {
	if _, ok := s.undo[c.id]; !ok {
		s.undo[c.id] = *c
	}
	if s.d.pg {
		s.changed[c.id] = struct{}{}
	}
}

func (s *sequencer) addMember(tx *sql.Tx, c *convState, u proto.UserID) error {
	if _, err := s.exec(tx, sqlInsertMember, c.id, u, s.d.nowMs()); err != nil {
		return fmt.Errorf("add member %d to %d: %w", u, c.id, err)
	}
	s.touch(c)
	i, _ := slices.BinarySearch(c.members, u)
	c.members = slices.Insert(slices.Clone(c.members), i, u)
	return nil
}

func (s *sequencer) removeMember(tx *sql.Tx, c *convState, u proto.UserID) error {
	if _, err := tx.Exec("DELETE FROM members WHERE conv_id = ? AND user_id = ?", c.id, u); err != nil {
		return fmt.Errorf("remove member %d from %d: %w", u, c.id, err)
	}
	s.touch(c)
	c.members = slices.DeleteFunc(slices.Clone(c.members), func(m proto.UserID) bool { return m == u })
	s.dropRole(c, u)
	return nil
}

// append gives m the next seq of its conversation, stores it, and queues it
// for OnCommit with the current members as recipients.
func (s *sequencer) append(tx *sql.Tx, c *convState, m proto.Message) (proto.Message, error) {
	s.touch(c)
	m.Conv = c.id
	m.Seq = c.lastSeq + 1
	m.Time = s.d.nowMs()
	var clientID, event any
	if m.ClientID != "" {
		clientID = m.ClientID
	}
	if m.Event != nil || m.File != nil {
		var v any = m.Event
		if m.File != nil {
			v = m.File
		}
		b, err := json.Marshal(v)
		if err != nil {
			return m, fmt.Errorf("encode event: %w", err)
		}
		event = string(b)
	}
	meta, err := encodeMeta(m)
	if err != nil {
		return m, err
	}
	quiet := len(c.quiet) > 0 || len(c.waiting) > 0 && slices.Contains(c.waiting, m.Sender)
	if quiet || !s.deferInsert(m, meta, event) {
		if err := s.insert(tx, m, clientID, event, meta); err != nil {
			return m, err
		}
	} // else inserted with the rest of its run (bulk.go)
	c.lastSeq = m.Seq
	cm := Committed{Message: m, Members: c.members}
	if len(c.quiet) > 0 {
		if cm.Members, err = s.silence(tx, c, m); err != nil {
			return m, err
		}
	}
	if len(c.waiting) > 0 && slices.Contains(c.waiting, m.Sender) && (m.Kind == proto.MsgText || m.Kind == proto.MsgFile) {
		if cm.Settings, err = s.acceptBySending(tx, c, m.Sender); err != nil {
			return m, err
		}
	}
	if m.Kind == proto.MsgSystem && m.Event != nil {
		last := m
		cm.Conv = &proto.Conversation{ID: c.id, Kind: c.kind, Name: c.name, Members: len(c.members), LastSeq: m.Seq, Last: &last, Picture: c.picture}
		cm.Subject, cm.Member = m.Event.Actor.ID, m.Event.Type != proto.EventLeft
		if m.Event.Subject != nil {
			cm.Subject = m.Event.Subject.ID
		}
	}
	s.committed = append(s.committed, cm)
	return m, nil
}

// insert stores m, after the messages a run of sends queued.
func (s *sequencer) insert(tx *sql.Tx, m proto.Message, clientID, event, meta any) error {
	if err := s.flush(tx); err != nil {
		return err
	}
	var err error
	var res sql.Result
	insert, insertMeta := sqlInsertMsg, sqlInsertMsgMeta
	if s.d.pg {
		insert, insertMeta = insert+pgNoDuplicate, insertMeta+pgNoDuplicate
	}
	if meta != nil {
		res, err = s.exec(tx, insertMeta, m.Conv, m.Seq, m.Sender, clientID, m.Time, m.Kind, m.Text, event, meta)
	} else { // a plain message: the statement of the first schema
		res, err = s.exec(tx, insert, m.Conv, m.Seq, m.Sender, clientID, m.Time, m.Kind, m.Text, event)
	}
	if err != nil {
		return fmt.Errorf("insert message %d/%d: %w", m.Conv, m.Seq, err)
	}
	if s.d.pg {
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("insert message %d/%d: %w", m.Conv, m.Seq, err)
		} else if n == 0 {
			return fmt.Errorf("insert message %d/%d: %w", m.Conv, m.Seq, errDuplicateClientID)
		}
		if s.bulk.inRun && m.ClientID != "" {
			s.bulk.known[clientKey{m.Sender, m.ClientID}] = m
		}
	}
	return nil
}

// allocID picks an unused random ID with at least minDigits digits from
// table, moving to longer IDs when a length is nearly full. IDs are never
// deleted, so an unused ID has never been used.
func allocID(tx *sql.Tx, table string, minDigits int) (int64, error) {
	lo := int64(1)
	for range minDigits - 1 {
		lo *= 10
	}
	for digits := minDigits; digits <= 18; digits++ {
		hi := lo*10 - 1
		for range 24 {
			id := lo + rand.Int64N(hi-lo+1)
			var one int
			err := tx.QueryRow("SELECT 1 FROM "+table+" WHERE id = ?", id).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return id, nil
			}
			if err != nil {
				return 0, fmt.Errorf("allocate id in %s: %w", table, err)
			}
		}
		lo *= 10
	}
	return 0, fmt.Errorf("allocate id in %s: no free id", table)
}
