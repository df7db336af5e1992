package storage

import (
	"database/sql"
	"fmt"

	"parley/net/proto"
)

// Bulk sends on PostgreSQL. There every statement is a round trip to the
// database, and a batch of plain sends (Send, SendAsync) would cost one
// insert each. Instead the sequencer runs each run of consecutive plain
// sends in a batch (startRun … endRun; at least minRun of them) like this:
//
//   - before the run, one query looks up every (sender, client ID) of the
//     run among the stored messages (the transaction holds the commit
//     clock, so no other writer can add one until it commits);
//   - each send is checked as before (membership, who may send) in its
//     turn; a client ID already stored, or already sent in the run, gives
//     back that message (dup), as the unique index would;
//   - append gives the message its seq from the cache and queues the row
//     instead of inserting it (pending);
//   - the rows go in with one INSERT … SELECT FROM unnest(…) (flush) when
//     the run ends: before any other job, and before the commit log.
//
// Seqs need no reservation in the database: the sequencer holds the commit
// clock's row lock for the whole transaction, so its cached last seq per
// conversation is the truth, as for single inserts. A send that cannot be
// queued (a direct conversation with someone quiet or waiting, whose send
// writes more rows) flushes the queue first and inserts on its own.
//
// The acknowledgements still come after the commit; a failing insert
// fails the batch as a failing single insert does (the transaction is
// spoiled), and a send refused in its turn writes nothing.

// clientKey is a message's idempotency key.
type clientKey struct {
	sender   proto.UserID
	clientID string
}

// bulkState is the sequencer's state for a run of plain sends.
type bulkState struct {
	inRun bool
	// known: the run's client IDs already stored, with their messages.
	known map[clientKey]proto.Message
	// pending: the run's messages not inserted yet, in seq order per
	// conversation; queued maps a pending message's key to its index.
	pending []proto.Message
	queued  map[clientKey]int
	// pendingStart: len(pending) when the current job started.
	pendingStart int
}

const (
	// sqlKnownClientIDs finds the stored messages among a run's
	// (sender, client ID) pairs.
	sqlKnownClientIDs = `SELECT m.sender, m.client_id, m.conv_id, m.seq, m.time, m.kind, m.text
		FROM unnest(?::bigint[], ?::text[]) AS k(sender, client_id)
		JOIN messages m ON m.sender = k.sender AND m.client_id = k.client_id
		WHERE m.client_id IS NOT NULL`
	// sqlInsertMsgs inserts a run's messages (an empty client ID is none).
	// The conflict clause only keeps a taken client ID from spoiling the
	// transaction: flush counts the rows and refuses a short count.
	sqlInsertMsgs = `INSERT INTO messages (conv_id, seq, sender, client_id, time, kind, text)
		SELECT conv_id, seq, sender, NULLIF(client_id, ''), time, kind, text
		FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::text[], ?::bigint[], ?::text[], ?::text[])
			AS r(conv_id, seq, sender, client_id, time, kind, text)` + pgNoDuplicate
)

var pgHotStatements = []string{sqlKnownClientIDs, sqlInsertMsgs}

// minRun is the fewest sends worth a run: two statements (the lookup and
// the insert) against one insert per send.
const minRun = 3

// startRun begins a run of plain sends, jobs[0] and those right after it
// with a send key: it looks up their client IDs among the stored
// messages. Fewer than minRun sends go one by one, as on SQLite.
func (s *sequencer) startRun(tx *sql.Tx, jobs []*job) error {
	var senders []int64
	var ids []string
	n := 0
	for _, j := range jobs {
		if j.send == nil {
			break
		}
		if j.ctx.Err() != nil {
			continue
		}
		n++
		if j.send.clientID != "" {
			senders = append(senders, int64(j.send.sender))
			ids = append(ids, j.send.clientID)
		}
	}
	if n < minRun {
		return nil
	}
	b := &s.bulk
	b.inRun = true
	if b.known == nil {
		b.known, b.queued = map[clientKey]proto.Message{}, map[clientKey]int{}
	}
	clear(b.known)
	if len(ids) == 0 {
		return nil
	}
	st, err := s.stmt(tx, sqlKnownClientIDs)
	if err != nil {
		return fmt.Errorf("look up %d client ids: %w", len(ids), err)
	}
	rows, err := st.Query(senders, ids)
	if err != nil {
		return fmt.Errorf("look up %d client ids: %w", len(ids), err)
	}
	defer rows.Close()
	for rows.Next() {
		var m proto.Message
		if err := rows.Scan(&m.Sender, &m.ClientID, &m.Conv, &m.Seq, &m.Time, &m.Kind, &m.Text); err != nil {
			return fmt.Errorf("look up %d client ids: %w", len(ids), err)
		}
		b.known[clientKey{m.Sender, m.ClientID}] = m
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("look up %d client ids: %w", len(ids), err)
	}
	return nil
}

// endRun inserts what the run queued, and ends it.
func (s *sequencer) endRun(tx *sql.Tx) error {
	if !s.bulk.inRun {
		return nil
	}
	s.bulk.inRun = false
	return s.flush(tx)
}

// resetBulk forgets any run, for a new batch.
func (s *sequencer) resetBulk() {
	s.bulk.inRun = false
	s.bulk.pending = s.bulk.pending[:0]
	clear(s.bulk.queued)
}

// lookupInRun answers findByClientID for a key of the current run
// without a query: a message queued in the run, one inserted earlier in
// the run (known), or none.
func (s *sequencer) lookupInRun(k clientKey) (proto.Message, bool) {
	b := &s.bulk
	if i, ok := b.queued[k]; ok && i < len(b.pending) && b.pending[i].Sender == k.sender && b.pending[i].ClientID == k.clientID {
		return b.pending[i], true
	}
	m, ok := b.known[k]
	return m, ok
}

// deferInsert queues m's row for the run's insert, if m is a message the
// bulk insert can hold (no event, no meta), and reports whether it did.
func (s *sequencer) deferInsert(m proto.Message, meta, event any) bool {
	if !s.bulk.inRun || meta != nil || event != nil {
		return false
	}
	if m.ClientID != "" {
		s.bulk.queued[clientKey{m.Sender, m.ClientID}] = len(s.bulk.pending)
	}
	s.bulk.pending = append(s.bulk.pending, m)
	return true
}

// flush inserts the queued messages with one statement. They then count
// as stored for the rest of the run (known).
func (s *sequencer) flush(tx *sql.Tx) error {
	b := &s.bulk
	n := len(b.pending)
	if n == 0 {
		return nil
	}
	convs, seqs, senders, times := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	ids, kinds, texts := make([]string, n), make([]string, n), make([]string, n)
	for i, m := range b.pending {
		convs[i], seqs[i], senders[i], times[i] = int64(m.Conv), m.Seq, int64(m.Sender), m.Time
		ids[i], kinds[i], texts[i] = m.ClientID, m.Kind, m.Text
	}
	res, err := s.exec(tx, sqlInsertMsgs, convs, seqs, senders, ids, times, kinds, texts)
	if err != nil {
		return fmt.Errorf("insert %d messages: %w", n, err)
	}
	got, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("insert %d messages: %w", n, err)
	}
	if got != int64(n) {
		// The run's lookup missed a stored client ID: the seqs after it
		// would have a gap. The batch must not commit.
		return fmt.Errorf("insert %d messages: %d inserted (a client ID was taken)", n, got)
	}
	for _, m := range b.pending {
		if m.ClientID != "" && b.inRun {
			b.known[clientKey{m.Sender, m.ClientID}] = m
		}
	}
	b.pending = b.pending[:0]
	clear(b.queued)
	return nil
}
