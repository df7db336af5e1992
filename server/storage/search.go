package storage

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"sync/atomic"
	"time"

	"parley/net/proto"
	"parley/searchtext"
)

// The search index is a database of its own, SearchFileName beside the
// main one, written by a goroutine of its own (the indexer), behind the
// commit: indexing a message inside the sequencer's transaction cost 14 %
// more server CPU per durable send (docs/benchmarks.md), over the 5 % a
// plain send may lose. The sequencer hands every committed message with
// text to the indexer without waiting (a bounded queue; when it is full
// the indexer is marked behind and catches up from the messages table),
// and a search first waits until the indexer has taken in everything
// committed before it, so a search still finds every message acknowledged
// before it was sent.
//
// search_fts is a contentless FTS5 table: its document is the
// conversation's token and the message's search tokens, made in Go by
// package searchtext exactly as the client's local index makes them (so a
// CJK substring matches the same way); conv_id and seq are stored beside
// it, unindexed, to find the message. The row ID grows in commit order:
// newest first is rowid descending, and a page's last row ID is the
// cursor of the next. indexed holds, per conversation, the highest seq
// indexed: what the indexer catches up from, at every start (after a
// crash, or the upgrade that added the index) and whenever it fell
// behind. The index can always be rebuilt from the messages, so its
// commits are not synced (synchronous NORMAL).

// SearchFileName is the search index's file inside the data folder.
const SearchFileName = "search.db"

const searchSchema = `
CREATE TABLE IF NOT EXISTS indexed (conv_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5 (
	body, conv_id UNINDEXED, seq UNINDEXED,
	content = '', contentless_delete = 1, contentless_unindexed = 1,
	tokenize = "` + searchtext.FTSTokenizer + `"
);`

// searchQueueLen bounds the messages waiting for the indexer.
var searchQueueLen = 1 << 16 // a variable for tests

// searchItem is a committed message to index, or (done set) a barrier:
// done is closed once everything before it is indexed.
type searchItem struct {
	conv proto.ConvID
	seq  int64
	time int64
	text string
	done chan struct{}
}

type searchIndex struct {
	w, r   *sql.DB // the index's writer (one connection) and readers
	main   *sql.DB // the main database's readers, to catch up from
	shared bool    // other nodes write main too: catch up before every search
	log    *slog.Logger
	in     chan searchItem
	behind atomic.Bool // messages were not queued: catch up before the next barrier
	quit   chan struct{}
	done   chan struct{}

	// Owned by the indexer goroutine.
	high map[proto.ConvID]int64 // per conversation, the highest seq indexed
	next int64                  // the next row ID
}

// shared: other nodes write the main database too (PostgreSQL), so
// their messages come in only by catching up, which every search does
// first.
func openSearch(ctx context.Context, dir string, main *sql.DB, log *slog.Logger, shared bool) (*searchIndex, error) {
	path := filepath.Join(dir, SearchFileName)
	dsn := func(writer bool) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		if !writer {
			q.Add("_pragma", "query_only(1)")
		}
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(true))
	if err != nil {
		return nil, fmt.Errorf("open search index: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if _, err := w.ExecContext(ctx, searchSchema); err != nil {
		w.Close()
		return nil, fmt.Errorf("create search index: %w", err)
	}
	// Merge segments only when 16 of a size have gathered (FTS5's
	// default is 4): a quarter of the merging, for a few more segments
	// to read per search.
	if _, err := w.ExecContext(ctx, "INSERT INTO search_fts (search_fts, rank) VALUES ('automerge', 16)"); err != nil {
		w.Close()
		return nil, fmt.Errorf("configure search index: %w", err)
	}
	r, err := sql.Open("sqlite", dsn(false))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open search index for reading: %w", err)
	}
	x := &searchIndex{w: w, r: r, main: main, log: log, shared: shared, in: make(chan searchItem, searchQueueLen),
		quit: make(chan struct{}), done: make(chan struct{}), high: map[proto.ConvID]int64{}}
	if err := x.load(ctx); err != nil {
		x.w.Close()
		x.r.Close()
		return nil, err
	}
	x.behind.Store(true) // catch up with what was committed but not indexed
	go x.run()
	return x, nil
}

func (x *searchIndex) load(ctx context.Context) error {
	if err := x.w.QueryRowContext(ctx, "SELECT COALESCE(MAX(rowid), 0) + 1 FROM search_fts").Scan(&x.next); err != nil {
		return fmt.Errorf("search index: last row: %w", err)
	}
	rows, err := x.w.QueryContext(ctx, "SELECT conv_id, seq FROM indexed")
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c proto.ConvID
		var seq int64
		if err := rows.Scan(&c, &seq); err != nil {
			return fmt.Errorf("search index: %w", err)
		}
		x.high[c] = seq
	}
	return rows.Err()
}

// committed queues the messages of a commit that have text, without
// waiting; from the sequencer goroutine.
//
// Once one message did not fit, none is queued until the indexer has
// caught up: a later message of the same conversation must not be indexed
// before it, or the high-water mark would pass it.
func (x *searchIndex) committed(batch []Committed) {
	if x.behind.Load() {
		return // the catch-up takes them from the messages table
	}
	for i := range batch {
		m := &batch[i].Message
		if m.Text == "" {
			continue
		}
		select {
		case x.in <- searchItem{conv: m.Conv, seq: m.Seq, time: m.Time, text: m.Text}:
		default:
			x.behind.Store(true)
			return
		}
	}
}

// wait returns once everything committed before it is indexed.
func (x *searchIndex) wait(ctx context.Context) error {
	if x.shared {
		x.behind.Store(true) // and what other nodes committed
	}
	done := make(chan struct{})
	select {
	case x.in <- searchItem{done: done}:
	case <-x.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-x.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the indexer after what is queued, and closes the index.
func (x *searchIndex) close() error {
	close(x.quit)
	<-x.done
	return errors.Join(x.r.Close(), x.w.Close())
}

func (x *searchIndex) run() {
	defer close(x.done)
	x.catchUpIfBehind()
	var batch []searchItem
	for {
		var first searchItem
		select {
		case first = <-x.in:
		case <-x.quit:
			select {
			case first = <-x.in:
			default:
				return
			}
		}
		batch = x.gather(append(batch[:0], first))
		if err := x.index(batch); err != nil {
			x.log.Error("search index", "err", err)
			x.behind.Store(true) // the next catch-up redoes it
		}
		x.catchUpIfBehind()
		for _, it := range batch {
			if it.done != nil {
				close(it.done)
			}
		}
	}
}

// searchLinger is how long the indexer gathers messages into one
// transaction: FTS5 writes a segment per transaction and merges them
// later, so fewer, larger transactions cost less per message. A search
// (a barrier) ends the wait at once.
const searchLinger = time.Second

// gather adds to batch what arrives within searchLinger, up to 16384
// messages, stopping at a barrier or Close.
func (x *searchIndex) gather(batch []searchItem) []searchItem {
	if batch[0].done != nil {
		return batch
	}
	t := time.NewTimer(searchLinger)
	defer t.Stop()
	for len(batch) < 16384 {
		select {
		case it := <-x.in:
			batch = append(batch, it)
			if it.done != nil {
				return batch
			}
		case <-t.C:
			return batch
		case <-x.quit:
			return batch
		}
	}
	return batch
}

// catchUpIfBehind catches up if messages were not queued. It clears the
// mark first: what is committed from then on is queued again, and what
// the catch-up also reads is skipped by the high-water marks.
func (x *searchIndex) catchUpIfBehind() {
	if !x.behind.Swap(false) {
		return
	}
	if err := x.catchUp(); err != nil {
		x.log.Error("search index catch-up", "err", err)
		x.behind.Store(true)
	}
}

// index adds the messages of items above their conversation's high-water
// mark, in one transaction.
func (x *searchIndex) index(items []searchItem) error {
	if !slices.ContainsFunc(items, func(it searchItem) bool { return it.done == nil }) {
		return nil
	}
	ctx := context.Background()
	tx, err := x.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, "INSERT INTO search_fts (rowid, body, conv_id, seq) VALUES (?, ?, ?, ?)")
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	high := map[proto.ConvID]int64{}
	next := x.next
	for _, it := range items {
		if it.done != nil || it.seq <= max(x.high[it.conv], high[it.conv]) {
			continue
		}
		doc := searchtext.ConvToken(int64(it.conv)) + " " + searchtext.IndexText(it.text)
		if _, err := ins.ExecContext(ctx, next, doc, it.conv, it.seq); err != nil {
			return fmt.Errorf("index %d/%d: %w", it.conv, it.seq, err)
		}
		next++
		high[it.conv] = it.seq
	}
	mark, err := tx.PrepareContext(ctx, "INSERT INTO indexed (conv_id, seq) VALUES (?, ?) ON CONFLICT (conv_id) DO UPDATE SET seq = excluded.seq")
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	for c, seq := range high {
		if _, err := mark.ExecContext(ctx, c, seq); err != nil {
			return fmt.Errorf("index high-water mark of %d: %w", c, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	x.next = next
	for c, seq := range high {
		x.high[c] = seq
	}
	return nil
}

// catchUp indexes every committed message with text above its
// conversation's high-water mark, oldest first.
func (x *searchIndex) catchUp() error {
	ctx := context.Background()
	rows, err := x.main.QueryContext(ctx, "SELECT conv_id, MAX(seq) FROM messages GROUP BY conv_id")
	if err != nil {
		return fmt.Errorf("last seqs: %w", err)
	}
	var todo []proto.ConvID
	for rows.Next() {
		var c proto.ConvID
		var last int64
		if err := rows.Scan(&c, &last); err != nil {
			rows.Close()
			return fmt.Errorf("last seqs: %w", err)
		}
		if last > x.high[c] {
			todo = append(todo, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("last seqs: %w", err)
	}
	var items []searchItem
	for _, c := range todo {
		rows, err := x.main.QueryContext(ctx, "SELECT seq, time, text FROM messages WHERE conv_id = ? AND seq > ? AND text != '' ORDER BY seq", c, x.high[c])
		if err != nil {
			return fmt.Errorf("messages of %d: %w", c, err)
		}
		for rows.Next() {
			it := searchItem{conv: c}
			if err := rows.Scan(&it.seq, &it.time, &it.text); err != nil {
				rows.Close()
				return fmt.Errorf("messages of %d: %w", c, err)
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("messages of %d: %w", c, err)
		}
	}
	// Oldest first across conversations, each conversation in seq order
	// (its times made non-decreasing, should the clock have gone back).
	for i := 1; i < len(items); i++ {
		if items[i].conv == items[i-1].conv {
			items[i].time = max(items[i].time, items[i-1].time)
		}
	}
	slices.SortFunc(items, func(a, b searchItem) int {
		return cmp.Or(cmp.Compare(a.time, b.time), cmp.Compare(a.conv, b.conv), cmp.Compare(a.seq, b.seq))
	})
	for len(items) > 0 {
		n := min(len(items), 4096)
		if err := x.index(items[:n]); err != nil {
			return err
		}
		items = items[n:]
	}
	return nil
}

// Search returns user's messages matching query, newest first: in conv
// only (of which user must be a member), or else in every conversation
// user is a member of now. before is the cursor of the previous page (0:
// from the newest); next is the cursor after this page, 0 when there are
// no more. Like history, a member finds all of a conversation's messages.
func (d *DB) Search(ctx context.Context, user proto.UserID, query string, conv proto.ConvID, before int64, limit int) (ms []proto.Message, next int64, err error) {
	var convs []proto.ConvID
	if conv != 0 {
		if err := d.requireMember(ctx, conv, user); err != nil {
			return nil, 0, err
		}
		convs = []proto.ConvID{conv}
	} else if convs, err = d.UserConversationIDs(ctx, user); err != nil {
		return nil, 0, err
	}
	ts := searchtext.ParseQuery(query)
	if len(ts) == 0 || len(convs) == 0 {
		return nil, 0, nil
	}
	match := searchtext.FTSQuery(ts)
	if conv != 0 {
		match += ` "` + searchtext.ConvToken(int64(conv)) + `"`
	}
	if before <= 0 {
		before = 1 << 62
	}
	if err := d.search.wait(ctx); err != nil {
		return nil, 0, err
	}
	list, _ := json.Marshal(convs)
	rows, err := d.search.r.QueryContext(ctx, `SELECT rowid, conv_id, seq FROM search_fts
		WHERE search_fts MATCH ? AND rowid < ? AND conv_id IN (SELECT value FROM json_each(?))
		ORDER BY rowid DESC LIMIT ?`, match, before, string(list), limit+1)
	if err != nil {
		return nil, 0, fmt.Errorf("search %q: %w", query, err)
	}
	type hit struct {
		row  int64
		conv proto.ConvID
		seq  int64
	}
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.row, &h.conv, &h.seq); err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("search %q: %w", query, err)
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("search %q: %w", query, err)
	}
	if len(hits) > limit {
		hits = hits[:limit]
		next = hits[limit-1].row
	}
	for _, h := range hits {
		rows, err := d.r.QueryContext(ctx, messageSelect+" WHERE m.conv_id = ? AND m.seq = ?", h.conv, h.seq)
		if err != nil {
			return nil, 0, fmt.Errorf("search %q: %w", query, err)
		}
		found, err := scanMessages(rows, 1)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range found {
			if stillMatches(m, ts) {
				ms = append(ms, m)
			}
		}
	}
	return ms, next, nil
}

// stillMatches reports whether a hit is a message whose text, as it is
// now, satisfies the query. The index keeps what was committed: a deleted
// message, text edited away, and the edit entries that carry new text
// are in it too, and must never be returned (a search must not reveal
// what the sender took back). Text that an edit brought in is not found
// by the server's search (the client's own index has it).
func stillMatches(m proto.Message, ts []searchtext.Term) bool {
	if m.Deleted || proto.IsChange(m.Kind) || m.Kind == proto.MsgCall {
		return false
	}
	return searchtext.Matches(searchtext.IndexTokens(m.Text), ts)
}
