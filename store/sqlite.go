//go:build !js

package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"parley/net/proto"
	"parley/searchtext"
)

// SQLite is a Store in one SQLite database file (modernc.org/sqlite, pure
// Go). The database runs in WAL mode with synchronous=NORMAL: a committed
// write survives an app crash; a power cut may lose the last commits, which
// the next sync fetches again.
//
// A SQLite is safe for concurrent use: it holds one *sql.DB; reads run in
// parallel, writes take the write lock up front (BEGIN IMMEDIATE) and wait
// for each other up to the busy timeout.
type SQLite struct {
	db     *sql.DB
	opt    Options
	closed atomic.Bool
	st     statements
}

var _ Store = (*SQLite)(nil)

// statements are the hot queries, prepared once.
type statements struct {
	insertMsg, insertFTS, ensureConv, noteMsg *sql.Stmt
	latest, before, after                     *sql.Stmt
	search                                    *sql.Stmt
}

// busyTimeoutMs bounds how long a write waits for another writer.
const busyTimeoutMs = 5000

// dsn returns the driver name for the database file at path.
func dsn(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") { // Windows: C:/x → /C:/x
		p = "/" + p
	}
	q := url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busyTimeoutMs),
			"journal_mode(WAL)",
			"synchronous(NORMAL)",
			"foreign_keys(1)",
		},
		"_txlock": {"immediate"},
	}
	return (&url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}).String(), nil
}

// OpenSQLite opens (creating if needed) the database at path and brings its
// schema up to date.
func OpenSQLite(path string, opt Options) (*SQLite, error) {
	name, err := dsn(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", name)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	ctx := context.Background()
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &SQLite{db: db, opt: opt}
	if err := s.prepare(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

// migrations[i] takes the schema from user_version i to i+1. Append only.
var migrations = []string{
	// 1: the first schema.
	`
CREATE TABLE session (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	server    TEXT NOT NULL,
	user_id   INTEGER NOT NULL,
	user_name TEXT NOT NULL,
	token     TEXT NOT NULL
);

CREATE TABLE conversations (
	id         INTEGER PRIMARY KEY,
	kind       TEXT NOT NULL DEFAULT '',
	name       TEXT NOT NULL DEFAULT '',
	peer_id    INTEGER,                    -- NULL unless direct
	peer_name  TEXT NOT NULL DEFAULT '',
	members    INTEGER NOT NULL DEFAULT 0,
	top_seq    INTEGER NOT NULL DEFAULT 0, -- max(server's last_seq, stored seqs)
	read_seq   INTEGER NOT NULL DEFAULT 0,
	synced_seq INTEGER NOT NULL DEFAULT 0,
	last       TEXT,                       -- JSON proto.Message, the newest known
	last_seq   INTEGER NOT NULL DEFAULT 0, -- seq of last
	activity   INTEGER NOT NULL,           -- last's time, or created
	created    INTEGER NOT NULL            -- Unix ms, first seen on this device
);
CREATE INDEX conversations_by_activity ON conversations (activity DESC, id DESC);

CREATE TABLE members (
	conv    INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	user_id INTEGER NOT NULL,
	pos     INTEGER NOT NULL,
	name    TEXT NOT NULL,
	online  INTEGER NOT NULL,
	PRIMARY KEY (conv, user_id)
);

CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,       -- insertion order: new rows append
	key         INTEGER NOT NULL UNIQUE,   -- messageKey, sorts by time; the rowid in messages_fts
	conv        INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,
	client_id   TEXT NOT NULL,
	sender      INTEGER NOT NULL,
	sender_name TEXT NOT NULL,
	time        INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	text        TEXT NOT NULL,
	event       TEXT,                      -- JSON proto.Event
	UNIQUE (conv, seq)
);

-- The conversation token and the search tokens made in Go (see search.go),
-- space-separated; contentless, so the text is stored once, in messages.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
	body,
	content = '',
	contentless_delete = 1,
	tokenize = "` + searchtext.FTSTokenizer + `"
);

CREATE TABLE outbox (
	n         INTEGER PRIMARY KEY,         -- FIFO order
	client_id TEXT NOT NULL UNIQUE,
	conv      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
	text      TEXT NOT NULL,
	created   INTEGER NOT NULL,
	attempts  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE transfers (
	id        TEXT PRIMARY KEY,
	direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
	conv      INTEGER NOT NULL,
	name      TEXT NOT NULL,
	size      INTEGER NOT NULL,
	sha256    TEXT NOT NULL,
	path      TEXT NOT NULL,
	done      INTEGER NOT NULL,           -- bytes transferred
	state     TEXT NOT NULL,
	upload_id TEXT NOT NULL,
	created   INTEGER NOT NULL,
	updated   INTEGER NOT NULL
);
`,
	// 2: drafts (what was typed and not sent, per conversation) and the
	// conversation open last.
	`
CREATE TABLE drafts (
	conv INTEGER PRIMARY KEY,              -- no foreign key: a draft outlives the cache's rows
	text TEXT NOT NULL
);

CREATE TABLE last_open (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	conv INTEGER NOT NULL
);
`,
	// 3: history changes (fold.go): the history fields of a message as
	// JSON, the seq it is folded up to, and the seq a queued reply answers.
	`
ALTER TABLE messages ADD COLUMN history TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN fold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN reply_to INTEGER NOT NULL DEFAULT 0;
-- The change entries only, for the unread count (convCols).
CREATE INDEX messages_changes ON messages (conv, seq)
	WHERE kind IN ('edit', 'delete', 'react', 'unreact', 'pin', 'unpin');
`,
	// 4: the members a queued message mentions, as a JSON array ('' for
	// none).
	`
ALTER TABLE outbox ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
`,
	// 5: the queue of history changes not answered yet, and the newest
	// hide held (changes.go).
	`
CREATE TABLE pending_changes (
	n         INTEGER PRIMARY KEY,         -- FIFO order
	client_id TEXT NOT NULL UNIQUE,
	type      TEXT NOT NULL,
	body      TEXT NOT NULL                -- the request, JSON
);

CREATE TABLE hidden_after (
	id    INTEGER PRIMARY KEY CHECK (id = 1),
	after INTEGER NOT NULL
);
`,
	// 6: a group's picture (the server's summary) and my settings of a
	// conversation (SetConvSettings): settings is the proto.ConvSettings
	// as JSON, '' until any are stored.
	`
ALTER TABLE conversations ADD COLUMN picture TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN settings TEXT NOT NULL DEFAULT '';
`,
	// 7: voice messages (voice.go): the voice messages played on this
	// device (the others' are "unplayed"), and the voice of a queued
	// voice upload, JSON proto.Voice ('' for a plain file).
	`
CREATE TABLE voice_played (
	file_id TEXT PRIMARY KEY
);
ALTER TABLE transfers ADD COLUMN voice TEXT NOT NULL DEFAULT '';
`,
	// 8: an upload's caption, kept with it until it is sent ('' for none).
	`
ALTER TABLE transfers ADD COLUMN caption TEXT NOT NULL DEFAULT '';
`,
}

// migrate applies the migrations the database has not seen, each in its
// own transaction together with the user_version bump.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		done, err := migrateOne(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("migrate: read version: %w", err)
	}
	switch {
	case v == len(migrations):
		return true, nil
	case v > len(migrations):
		return false, fmt.Errorf("migrate: database schema %d is newer than this app's (%d)", v, len(migrations))
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return false, fmt.Errorf("migrate to %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("migrate to %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to %d: %w", v+1, err)
	}
	return false, nil
}

const msgCols = `conv, seq, client_id, sender, sender_name, time, kind, text, event, history`

func (s *SQLite) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&s.st.insertMsg, `INSERT INTO messages (key, ` + msgCols + `, fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (conv, seq) DO NOTHING`},
		{&s.st.insertFTS, `INSERT INTO messages_fts (rowid, body) VALUES (?, ?)`},
		{&s.st.ensureConv, `INSERT INTO conversations (id, activity, created) VALUES (?1, ?2, ?2)
			ON CONFLICT (id) DO NOTHING`},
		// ?1 the highest seq added, ?5 the highest shown one (its message
		// ?2, time ?3).
		{&s.st.noteMsg, `UPDATE conversations SET
				top_seq  = max(top_seq, ?1),
				last     = iif(?5 > last_seq, ?2, last),
				activity = iif(?5 > last_seq, ?3, activity),
				last_seq = max(last_seq, ?5)
			WHERE id = ?4`},
		{&s.st.latest, `SELECT ` + msgCols + ` FROM messages WHERE conv = ? ORDER BY seq DESC LIMIT ?`},
		{&s.st.before, `SELECT ` + msgCols + ` FROM messages WHERE conv = ? AND seq < ? ORDER BY seq DESC LIMIT ?`},
		{&s.st.after, `SELECT ` + msgCols + ` FROM messages WHERE conv = ? AND seq > ? ORDER BY seq LIMIT ?`},
		// FTS5 walks its doclists in descending rowid order and stops after
		// limit matches; the rowid is messageKey, so those are the newest.
		{&s.st.search, `SELECT ` + msgCols + ` FROM messages
			WHERE key IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rowid DESC LIMIT ?)
			ORDER BY key DESC`},
	} {
		st, err := s.db.PrepareContext(ctx, p.sql)
		if err != nil {
			return fmt.Errorf("prepare %s: %w", p.sql, err)
		}
		*p.dst = st
	}
	return nil
}

// Close implements Store.
func (s *SQLite) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	return s.db.Close() // closes the prepared statements too
}

func (s *SQLite) check() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return nil
}

// tx runs fn in a write transaction.
func (s *SQLite) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.check(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// exec runs one write statement and reports ErrNotFound when it touched no
// row.
func (s *SQLite) exec(ctx context.Context, query string, args ...any) error {
	if err := s.check(); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// ---- Session ----

func (s *SQLite) Session(ctx context.Context) (Session, error) {
	if err := s.check(); err != nil {
		return Session{}, err
	}
	var ses Session
	err := s.db.QueryRowContext(ctx, `SELECT server, user_id, user_name, token FROM session WHERE id = 1`).
		Scan(&ses.Server, &ses.User.ID, &ses.User.Name, &ses.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	return ses, nil
}

func (s *SQLite) SaveSession(ctx context.Context, ses Session) error {
	if err := s.check(); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO session (id, server, user_id, user_name, token)
		VALUES (1, ?, ?, ?, ?)`, ses.Server, ses.User.ID, ses.User.Name, ses.Token)
	if err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

func (s *SQLite) ClearSession(ctx context.Context) error {
	if err := s.check(); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM session`); err != nil {
		return fmt.Errorf("clear session: %w", err)
	}
	return nil
}

// ---- Conversations ----

// convCols ends with the count of change entries between the read and
// the top seq: they are never unread.
const convCols = `id, kind, name, peer_id, peer_name, members, top_seq, read_seq, synced_seq, last, created, picture, settings,
	(SELECT count(*) FROM messages m WHERE m.conv = conversations.id AND m.seq > read_seq AND m.seq <= top_seq
		AND m.kind IN ('edit', 'delete', 'react', 'unreact', 'pin', 'unpin'))`

func scanConv(sc interface{ Scan(...any) error }) (Conversation, error) {
	var (
		c        Conversation
		peerID   sql.NullInt64
		peerName string
		last     sql.NullString
		settings string
		changes  int64
	)
	err := sc.Scan(&c.ID, &c.Kind, &c.Name, &peerID, &peerName, &c.Members,
		&c.LastSeq, &c.ReadSeq, &c.SyncedSeq, &last, &c.Created, &c.Picture, &settings, &changes)
	if err != nil {
		return Conversation{}, err
	}
	if settings != "" {
		if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
			return Conversation{}, fmt.Errorf("conversation %d: settings: %w", c.ID, err)
		}
	}
	if peerID.Valid {
		c.Peer = &proto.User{ID: proto.UserID(peerID.Int64), Name: peerName}
	}
	if last.Valid {
		var m proto.Message
		if err := json.Unmarshal([]byte(last.String), &m); err != nil {
			return Conversation{}, fmt.Errorf("conversation %d: last message: %w", c.ID, err)
		}
		c.Last = &m
	}
	c.Unread = max(0, c.LastSeq-c.ReadSeq-changes)
	return c, nil
}

func (s *SQLite) PutConversations(ctx context.Context, cs ...proto.Conversation) error {
	for _, pc := range cs {
		if pc.ID <= 0 {
			return fmt.Errorf("put conversation %d: %w", pc.ID, ErrInvalid)
		}
		if pc.Last != nil {
			if err := validateMessage(*pc.Last); err != nil {
				return fmt.Errorf("put conversation %d: last: %w", pc.ID, err)
			}
		}
	}
	now := s.opt.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, pc := range cs {
			var (
				peerID   any
				peerName string
				last     any
				lastSeq  int64
				activity = now
			)
			if pc.Peer != nil {
				peerID, peerName = pc.Peer.ID, pc.Peer.Name
			}
			if pc.Last != nil && shown(*pc.Last) {
				b, err := json.Marshal(pc.Last)
				if err != nil {
					return err
				}
				last, lastSeq, activity = string(b), pc.Last.Seq, pc.Last.Time
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO conversations
				(id, kind, name, peer_id, peer_name, members, top_seq, last, last_seq, activity, created, picture)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET
					kind = excluded.kind, name = excluded.name, picture = excluded.picture,
					peer_id = excluded.peer_id, peer_name = excluded.peer_name,
					members = excluded.members,
					top_seq = max(top_seq, excluded.top_seq),
					last = iif(excluded.last_seq > last_seq, excluded.last, last),
					activity = iif(excluded.last_seq > last_seq, excluded.activity, activity),
					last_seq = max(last_seq, excluded.last_seq)`,
				pc.ID, pc.Kind, pc.Name, peerID, peerName, pc.Members,
				max(pc.LastSeq, lastSeq), last, lastSeq, activity, now, pc.Picture)
			if err != nil {
				return fmt.Errorf("conversation %d: %w", pc.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put conversations: %w", err)
	}
	return nil
}

func (s *SQLite) SetConvSettings(ctx context.Context, cs ...proto.ConvSettings) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, set := range cs {
			b, err := json.Marshal(set)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET settings = ? WHERE id = ?`, string(b), set.Conv); err != nil {
				return fmt.Errorf("conversation %d: %w", set.Conv, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set conversation settings: %w", err)
	}
	return nil
}

func (s *SQLite) Conversations(ctx context.Context) ([]Conversation, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+convCols+` FROM conversations ORDER BY activity DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConv(rows)
		if err != nil {
			return nil, fmt.Errorf("conversations: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	return out, nil
}

func (s *SQLite) Conversation(ctx context.Context, id proto.ConvID) (Conversation, error) {
	if err := s.check(); err != nil {
		return Conversation{}, err
	}
	c, err := scanConv(s.db.QueryRowContext(ctx, `SELECT `+convCols+` FROM conversations WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation %d: %w", id, err)
	}
	return c, nil
}

func (s *SQLite) DeleteConversation(ctx context.Context, id proto.ConvID) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages_fts
			WHERE rowid IN (SELECT key FROM messages WHERE conv = ?)`, id); err != nil {
			return err
		}
		// Messages, members and outbox rows go by ON DELETE CASCADE.
		res, err := tx.ExecContext(ctx, `DELETE FROM conversations WHERE id = ?`, id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = ErrNotFound
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete conversation %d: %w", id, err)
	}
	return nil
}

func (s *SQLite) MarkRead(ctx context.Context, id proto.ConvID, seq int64) error {
	if err := s.exec(ctx, `UPDATE conversations SET read_seq = max(read_seq, ?) WHERE id = ?`, seq, id); err != nil {
		return fmt.Errorf("mark read %d: %w", id, err)
	}
	return nil
}

func (s *SQLite) SetSynced(ctx context.Context, id proto.ConvID, seq int64) error {
	if err := s.exec(ctx, `UPDATE conversations SET synced_seq = ? WHERE id = ?`, seq, id); err != nil {
		return fmt.Errorf("set synced %d: %w", id, err)
	}
	return nil
}

func (s *SQLite) Have(ctx context.Context) (map[proto.ConvID]int64, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, synced_seq FROM conversations`)
	if err != nil {
		return nil, fmt.Errorf("have: %w", err)
	}
	defer rows.Close()
	have := make(map[proto.ConvID]int64)
	for rows.Next() {
		var id proto.ConvID
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, fmt.Errorf("have: %w", err)
		}
		have[id] = seq
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("have: %w", err)
	}
	return have, nil
}

// ---- Members ----

func (s *SQLite) ReplaceMembers(ctx context.Context, conv proto.ConvID, ms []proto.Member) error {
	if conv <= 0 {
		return fmt.Errorf("replace members of %d: %w", conv, ErrInvalid)
	}
	now := s.opt.now()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.st.ensureConv).ExecContext(ctx, conv, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM members WHERE conv = ?`, conv); err != nil {
			return err
		}
		for i, m := range ms {
			_, err := tx.ExecContext(ctx, `INSERT INTO members (conv, user_id, pos, name, online)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (conv, user_id) DO UPDATE SET name = excluded.name, online = excluded.online`,
				conv, m.ID, i, m.Name, m.Online)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace members of %d: %w", conv, err)
	}
	return nil
}

func (s *SQLite) Members(ctx context.Context, conv proto.ConvID) ([]proto.Member, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, name, online FROM members WHERE conv = ? ORDER BY pos`, conv)
	if err != nil {
		return nil, fmt.Errorf("members of %d: %w", conv, err)
	}
	defer rows.Close()
	var out []proto.Member
	for rows.Next() {
		var m proto.Member
		if err := rows.Scan(&m.ID, &m.Name, &m.Online); err != nil {
			return nil, fmt.Errorf("members of %d: %w", conv, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("members of %d: %w", conv, err)
	}
	return out, nil
}

// ---- Messages ----

func (s *SQLite) PutMessages(ctx context.Context, ms []proto.Message) (int, error) {
	return s.putAll(ctx, ms, false)
}

func (s *SQLite) PutLive(ctx context.Context, ms []proto.Message) (int, error) {
	return s.putAll(ctx, ms, true)
}

func (s *SQLite) putAll(ctx context.Context, ms []proto.Message, live bool) (int, error) {
	for _, m := range ms {
		if err := validateMessage(m); err != nil {
			return 0, fmt.Errorf("put messages: %w", err)
		}
	}
	var added int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		added, err = s.putMessages(ctx, tx, ms, live)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("put messages: %w", err)
	}
	return added, nil
}

// putMessages inserts ms in tx, folds the change entries among them into
// their targets (fold.go) and advances their conversations.
func (s *SQLite) putMessages(ctx context.Context, tx *sql.Tx, ms []proto.Message, live bool) (int, error) {
	// In key order, FTS5 appends to its pending index instead of flushing
	// it whenever a row ID goes down.
	ms = slices.Clone(ms)
	slices.SortStableFunc(ms, func(a, b proto.Message) int { return cmp.Compare(messageKey(a), messageKey(b)) })
	var (
		insertMsg = tx.StmtContext(ctx, s.st.insertMsg)
		insertFTS = tx.StmtContext(ctx, s.st.insertFTS)
		newest    = make(map[proto.ConvID]proto.Message) // per conversation, the highest shown seq added
		top       = make(map[proto.ConvID]int64)         // per conversation, the highest seq added
		now       = s.opt.now()
		added     []proto.Message
		known     error
	)
	base := foldBases(ms, live, func(id proto.ConvID) int64 {
		var n int64
		err := tx.QueryRowContext(ctx, `SELECT top_seq FROM conversations WHERE id = ?`, id).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			known = err
		}
		return n
	})
	if known != nil {
		return 0, known
	}
	for _, m := range ms {
		if _, ok := newest[m.Conv]; !ok {
			if _, err := tx.StmtContext(ctx, s.st.ensureConv).ExecContext(ctx, m.Conv, now); err != nil {
				return 0, fmt.Errorf("conversation %d: %w", m.Conv, err)
			}
			newest[m.Conv] = proto.Message{}
		}
		event, err := eventColumn(m)
		if err != nil {
			return 0, err
		}
		key, inserted, err := insertMessage(ctx, insertMsg, m, event, base(m))
		if err != nil {
			return 0, fmt.Errorf("message (%d, %d): %w", m.Conv, m.Seq, err)
		}
		if !inserted {
			continue // stored already
		}
		added = append(added, m)
		top[m.Conv] = max(top[m.Conv], m.Seq)
		if m.Seq > newest[m.Conv].Seq && shown(m) {
			newest[m.Conv] = m
		}
		if !searchable(m) || m.Deleted {
			continue
		}
		if _, err := insertFTS.ExecContext(ctx, key, searchtext.ConvToken(int64(m.Conv))+" "+searchtext.IndexText(m.Text)); err != nil {
			return 0, fmt.Errorf("index message (%d, %d): %w", m.Conv, m.Seq, err)
		}
	}
	for _, e := range changeEntries(added) {
		if err := s.foldInto(ctx, tx, e); err != nil {
			return 0, fmt.Errorf("fold (%d, %d) into %d: %w", e.Conv, e.Seq, e.Target, err)
		}
	}
	noteMsg := tx.StmtContext(ctx, s.st.noteMsg)
	for conv, seq := range top {
		m := newest[conv]
		if m.Seq == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE conversations SET top_seq = max(top_seq, ?) WHERE id = ?`, seq, conv); err != nil {
				return 0, fmt.Errorf("conversation %d: %w", conv, err)
			}
			continue
		}
		b, err := json.Marshal(m)
		if err != nil {
			return 0, err
		}
		if _, err := noteMsg.ExecContext(ctx, seq, string(b), m.Time, conv, m.Seq); err != nil {
			return 0, fmt.Errorf("conversation %d: %w", conv, err)
		}
	}
	return len(added), nil
}

func (s *SQLite) Hide(ctx context.Context, conv proto.ConvID, seq int64) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+` FROM messages WHERE conv = ? AND seq = ?`, conv, seq))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil || m.Hidden {
			return err
		}
		m.Hidden = true
		_, err = tx.ExecContext(ctx, `UPDATE messages SET history = ? WHERE conv = ? AND seq = ?`, encodeHistory(m), conv, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("hide (%d, %d): %w", conv, seq, err)
	}
	return nil
}

// eventColumn is what the event column holds for m: a system message's
// Event, or a file message's File, as JSON; nil for neither.
func eventColumn(m proto.Message) (any, error) {
	if m.Event == nil && m.File == nil {
		return nil, nil
	}
	var v any = m.Event
	if m.Kind == proto.MsgFile {
		v = m.File
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// foldInto applies the change entry e to its target, if it is cached and
// not folded up to e already: the row, its search index entry, and the
// conversation's Last if it is the target.
func (s *SQLite) foldInto(ctx context.Context, tx *sql.Tx, e proto.Message) error {
	var key, folded int64
	t, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+msgCols+`, key, fold FROM messages WHERE conv = ? AND seq = ?`,
		e.Conv, e.Target), &key, &folded)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not cached: the server sends it folded
	}
	if err != nil {
		return err
	}
	if folded >= e.Seq || !shown(t) {
		return nil
	}
	fold(&t, e)
	event, err := eventColumn(t)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET text = ?, event = ?, history = ?, fold = ? WHERE key = ?`,
		t.Text, event, encodeHistory(t), e.Seq, key); err != nil {
		return err
	}
	if e.Kind == proto.MsgEdit || e.Kind == proto.MsgDelete {
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages_fts WHERE rowid = ?`, key); err != nil {
			return err
		}
		if searchable(t) && !t.Deleted {
			if _, err := tx.ExecContext(ctx, `INSERT INTO messages_fts (rowid, body) VALUES (?, ?)`,
				key, searchtext.ConvToken(int64(t.Conv))+" "+searchtext.IndexText(t.Text)); err != nil {
				return err
			}
		}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE conversations SET last = ? WHERE id = ? AND last_seq = ?`, string(b), t.Conv, t.Seq)
	return err
}

// keyBits is the part of a message key below the time.
const keyBits = 20

// messageKey is a message's search key, its row ID in messages_fts: its time
// in milliseconds above keyBits bits of a hash of (conv, seq). Keys sort like
// times, so a search reads the newest matches first and stops after a page
// however many messages match; the hash keeps messages of the same
// millisecond apart, and insertMessage steps past the rare collision.
//
// The key is not the messages table's row ID: history fetched by scrolling
// back would then land in the middle of the table and rewrite most of its
// pages; only the small key index takes those inserts.
func messageKey(m proto.Message) int64 {
	t := min(max(m.Time, 0), 1<<(63-keyBits)-1)
	h := uint64(m.Conv)*0x9E3779B97F4A7C15 ^ uint64(m.Seq)*0xC2B2AE3D27D4EB4F
	h ^= h >> 31
	return t<<keyBits | int64(h&(1<<keyBits-1))
}

// insertMessage inserts m unless (conv, seq) is stored already, and returns
// its key.
func insertMessage(ctx context.Context, st *sql.Stmt, m proto.Message, event any, fold int64) (key int64, inserted bool, err error) {
	key = messageKey(m)
	for range 1 << keyBits {
		res, err := st.ExecContext(ctx, key, m.Conv, m.Seq, m.ClientID, m.Sender, m.SenderName,
			m.Time, m.Kind, m.Text, event, encodeHistory(m), fold)
		// A (conv, seq) conflict does nothing, so a uniqueness error is the key's.
		var serr *sqlite.Error
		if errors.As(err, &serr) && serr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE {
			key++ // another message has this key
			continue
		}
		if err != nil {
			return 0, false, err
		}
		n, err := res.RowsAffected()
		return key, n == 1, err
	}
	return 0, false, fmt.Errorf("no free key near %d", messageKey(m))
}

func scanMessages(rows *sql.Rows, reverse bool) ([]proto.Message, error) {
	defer rows.Close()
	var out []proto.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if reverse {
		slices.Reverse(out)
	}
	return out, nil
}

// scanMessage scans the msgCols of one row, and then whatever more.
func scanMessage(sc interface{ Scan(...any) error }, more ...any) (proto.Message, error) {
	var (
		m       proto.Message
		event   sql.NullString
		history string
	)
	if err := sc.Scan(append([]any{&m.Conv, &m.Seq, &m.ClientID, &m.Sender, &m.SenderName,
		&m.Time, &m.Kind, &m.Text, &event, &history}, more...)...); err != nil {
		return proto.Message{}, err
	}
	if err := decodeHistory(history, &m); err != nil {
		return proto.Message{}, fmt.Errorf("message (%d, %d): history: %w", m.Conv, m.Seq, err)
	}
	if event.Valid && m.Kind == proto.MsgFile {
		m.File = new(proto.File)
		if err := json.Unmarshal([]byte(event.String), m.File); err != nil {
			return proto.Message{}, fmt.Errorf("message (%d, %d): file: %w", m.Conv, m.Seq, err)
		}
	} else if event.Valid {
		m.Event = new(proto.Event)
		if err := json.Unmarshal([]byte(event.String), m.Event); err != nil {
			return proto.Message{}, fmt.Errorf("message (%d, %d): event: %w", m.Conv, m.Seq, err)
		}
	}
	return m, nil
}

// query runs a prepared message query.
func (s *SQLite) query(ctx context.Context, st *sql.Stmt, reverse bool, args ...any) ([]proto.Message, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return scanMessages(rows, reverse)
}

func (s *SQLite) Latest(ctx context.Context, conv proto.ConvID, limit int) ([]proto.Message, error) {
	ms, err := s.query(ctx, s.st.latest, true, conv, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("latest messages of %d: %w", conv, err)
	}
	return ms, nil
}

func (s *SQLite) Before(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	ms, err := s.query(ctx, s.st.before, true, conv, seq, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("messages of %d before %d: %w", conv, seq, err)
	}
	return ms, nil
}

func (s *SQLite) After(ctx context.Context, conv proto.ConvID, seq int64, limit int) ([]proto.Message, error) {
	ms, err := s.query(ctx, s.st.after, false, conv, seq, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("messages of %d after %d: %w", conv, seq, err)
	}
	return ms, nil
}

func (s *SQLite) Search(ctx context.Context, q SearchQuery) ([]proto.Message, error) {
	ts := searchtext.ParseQuery(q.Text)
	if len(ts) == 0 {
		return nil, s.check()
	}
	match := searchtext.FTSQuery(ts)
	if q.Conv != 0 {
		match += ` "` + searchtext.ConvToken(int64(q.Conv)) + `"`
	}
	ms, err := s.query(ctx, s.st.search, false, match, clampLimit(q.Limit))
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Text, err)
	}
	return ms, nil
}

// ---- Outbox ----

func (s *SQLite) Enqueue(ctx context.Context, it OutboxItem) error {
	if err := validateOutbox(it); err != nil {
		return err
	}
	if it.Created == 0 {
		it.Created = s.opt.now()
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var known, queued bool
		err := tx.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM conversations WHERE id = ?),
			EXISTS (SELECT 1 FROM outbox WHERE client_id = ?)`, it.Conv, it.ClientID).Scan(&known, &queued)
		switch {
		case err != nil:
			return err
		case !known:
			return fmt.Errorf("conversation %d: %w", it.Conv, ErrNotFound)
		case queued:
			return ErrExists
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO outbox (client_id, conv, text, reply_to, mentions, created, attempts)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, it.ClientID, it.Conv, it.Text, it.ReplyTo, encodeMentions(it.Mentions), it.Created, it.Attempts)
		return err
	})
	if err != nil {
		return fmt.Errorf("enqueue %q: %w", it.ClientID, err)
	}
	return nil
}

func (s *SQLite) Outbox(ctx context.Context) ([]OutboxItem, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT client_id, conv, text, reply_to, mentions, created, attempts FROM outbox ORDER BY n`)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		var it OutboxItem
		var mentions string
		if err := rows.Scan(&it.ClientID, &it.Conv, &it.Text, &it.ReplyTo, &mentions, &it.Created, &it.Attempts); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
		if mentions != "" {
			if err := json.Unmarshal([]byte(mentions), &it.Mentions); err != nil {
				return nil, fmt.Errorf("outbox: the mentions of %q: %w", it.ClientID, err)
			}
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return out, nil
}

// encodeMentions is the mentions column: a JSON array, ” for none.
func encodeMentions(ids []proto.UserID) string {
	if len(ids) == 0 {
		return ""
	}
	return encode(ids)
}

func (s *SQLite) RecordAttempt(ctx context.Context, clientID string) error {
	if err := s.exec(ctx, `UPDATE outbox SET attempts = attempts + 1 WHERE client_id = ?`, clientID); err != nil {
		return fmt.Errorf("record attempt %q: %w", clientID, err)
	}
	return nil
}

func (s *SQLite) RemoveOutbox(ctx context.Context, clientID string) error {
	if err := s.exec(ctx, `DELETE FROM outbox WHERE client_id = ?`, clientID); err != nil {
		return fmt.Errorf("remove outbox %q: %w", clientID, err)
	}
	return nil
}

func (s *SQLite) Ack(ctx context.Context, clientID string, m proto.Message) error {
	if err := validateMessage(m); err != nil {
		return fmt.Errorf("ack %q: %w", clientID, err)
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.putMessages(ctx, tx, []proto.Message{m}, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE client_id = ?`, clientID)
		return err
	})
	if err != nil {
		return fmt.Errorf("ack %q: %w", clientID, err)
	}
	return nil
}

// ---- Transfers ----

const transferCols = `id, direction, conv, name, size, sha256, path, done, state, upload_id, created, updated, voice, caption`

func scanTransfer(sc interface{ Scan(...any) error }) (Transfer, error) {
	var t Transfer
	var voice string
	err := sc.Scan(&t.ID, &t.Direction, &t.Conv, &t.Name, &t.Size, &t.SHA256, &t.Path,
		&t.Offset, &t.State, &t.UploadID, &t.Created, &t.Updated, &voice, &t.Caption)
	if err == nil && voice != "" {
		t.Voice = new(proto.Voice)
		if jerr := json.Unmarshal([]byte(voice), t.Voice); jerr != nil {
			return t, fmt.Errorf("the voice of transfer %q: %w", t.ID, jerr)
		}
	}
	return t, err
}

// voiceColumn is a transfer's voice column: JSON, or "".
func voiceColumn(v *proto.Voice) string {
	if v == nil {
		return ""
	}
	return encode(v)
}

func (s *SQLite) PutTransfer(ctx context.Context, t Transfer) error {
	if err := validateTransfer(t); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	now := s.opt.now()
	_, err := s.db.ExecContext(ctx, `INSERT INTO transfers (`+transferCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			direction = excluded.direction, conv = excluded.conv, name = excluded.name,
			size = excluded.size, sha256 = excluded.sha256, path = excluded.path,
			done = excluded.done, state = excluded.state, upload_id = excluded.upload_id,
			updated = excluded.updated, voice = excluded.voice, caption = excluded.caption`,
		t.ID, t.Direction, t.Conv, t.Name, t.Size, t.SHA256, t.Path, t.Offset, t.State, t.UploadID, now, now, voiceColumn(t.Voice), t.Caption)
	if err != nil {
		return fmt.Errorf("put transfer %q: %w", t.ID, err)
	}
	return nil
}

func (s *SQLite) Transfer(ctx context.Context, id string) (Transfer, error) {
	if err := s.check(); err != nil {
		return Transfer{}, err
	}
	t, err := scanTransfer(s.db.QueryRowContext(ctx, `SELECT `+transferCols+` FROM transfers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Transfer{}, fmt.Errorf("transfer %q: %w", id, err)
	}
	return t, nil
}

func (s *SQLite) Transfers(ctx context.Context) ([]Transfer, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+transferCols+` FROM transfers ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("transfers: %w", err)
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		t, err := scanTransfer(rows)
		if err != nil {
			return nil, fmt.Errorf("transfers: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("transfers: %w", err)
	}
	return out, nil
}

func (s *SQLite) DeleteTransfer(ctx context.Context, id string) error {
	if err := s.exec(ctx, `DELETE FROM transfers WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete transfer %q: %w", id, err)
	}
	return nil
}
