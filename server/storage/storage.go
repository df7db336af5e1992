// Package storage is the server's durable state: users, sessions,
// conversations, memberships and messages. The services use it through
// the interfaces of store.go, with this package's types; *DB, in an
// embedded SQLite database or in PostgreSQL (OpenPostgres, pgdriver.go),
// is the implementation here.
//
// Every write goes through one goroutine, the sequencer, which batches
// concurrent writes into one transaction (group commit), assigns each
// message the next gap-free seq of its conversation, and reports every
// committed message, in commit order, with the member list it must reach.
// Reads use a separate pool of read-only connections. Another goroutine,
// on a connection of its own, copies the write-ahead log back into the
// database file (checkpoints), so that no commit waits for that work.
//
// storage knows nothing of connections or the wire: it returns
// *proto.Error for failures a client caused and wrapped errors otherwise.
package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"parley/net/proto"
)

// Options tune a DB. The zero value is the production default.
// Synchronous, CheckpointFrames, MaxWALFrames and OnCheckpoint are
// SQLite's; the others mean the same to every implementation of Store.
type Options struct {
	// Synchronous is SQLite's synchronous pragma: "FULL" (default) makes a
	// commit survive power loss as well as a crash; "NORMAL" only a crash.
	Synchronous string
	// MaxBatch bounds the writes grouped into one transaction (default 512).
	MaxBatch int
	// OnCommit receives every committed message in commit order, from the
	// sequencer goroutine. It must not block for long (the next commit
	// waits) nor submit a write. The slice is reused after OnCommit returns: copy what you keep.
	OnCommit func([]Committed)
	// OnBatch, if set, observes each transaction: how many writes it
	// grouped and how long it took from start to commit (for metrics).
	OnBatch func(jobs int, took time.Duration)
	// CheckpointFrames is how many frames (pages) the commits write to
	// the write-ahead log between two checkpoints (default 4000).
	CheckpointFrames int
	// MaxWALFrames bounds the write-ahead log (default 32000, ~128 MiB):
	// from half of it on, checkpoints also reset the log, and at it the
	// sequencer waits for that.
	MaxWALFrames int
	// OnCheckpoint, if set, observes each checkpoint, from the
	// checkpointing goroutine (for metrics and tests).
	OnCheckpoint func(Checkpoint)
	// NoRequests: a new direct conversation never waits as a
	// first-contact request (blocks.go), for tests of other features.
	NoRequests bool
	// OnClusterCommit, PostgreSQL only: after every committed transaction,
	// its position on the cluster's commit clock (gap-free over the
	// transactions of every node) and its messages (often none), from the
	// sequencer goroutine, after OnCommit. The same batch is in the commit
	// log (CommitLog) under pos. It must not block for long.
	OnClusterCommit func(pos int64, batch []Committed)
	Logger          *slog.Logger
	Now             func() time.Time
}

// withDefaults fills in the defaults every implementation shares.
func (opts Options) withDefaults() Options {
	if opts.Synchronous == "" {
		opts.Synchronous = "FULL"
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 512
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return opts
}

// Committed is a message that is durable, with the users it must reach.
// Members is an immutable snapshot: never modify it.
type Committed struct {
	Message proto.Message
	Members []proto.UserID
	// Conv summarises the conversation after a membership event (a
	// system message, or a group event that adds or removes a member),
	// so the subject's devices can learn of it in order: Subject joined
	// (Member) or left it.
	Conv    *proto.Conversation `json:",omitempty"`
	Subject proto.UserID        `json:",omitempty"`
	Member  bool                `json:",omitempty"`
	// Settings, if set, changed with the message: its sender wrote in a
	// request waiting for them, which accepted it (blocks.go). It goes
	// to the sender's devices.
	Settings *proto.ConvSettings `json:",omitempty"`
}

// DB is the server's database. All methods are safe for concurrent use.
type DB struct {
	w, r *sql.DB
	opts Options
	log  *slog.Logger
	now  func() time.Time

	// jobs is never closed: many goroutines send on it. Close marks the
	// DB closed under closing (write-locked, so after every enqueue in
	// progress has handed its job over), then closes quit: the sequencer
	// runs what is queued and stops.
	jobs      chan *job
	closing   sync.RWMutex // enqueue holds it for reading
	closed    bool         // under closing
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	seq       *sequencer // owned by the sequencer goroutine
	// gate is held by the sequencer for each transaction, and by a
	// checkpoint that resets the log.
	gate sync.Mutex
	ckpt *checkpointer
	// search is the search index, written behind the commit (search.go).
	search *searchIndex
	// pg: the database is PostgreSQL (OpenPostgres), shared by the
	// nodes of a cluster; ckpt is nil.
	pg bool
}

// FileName is the database file inside the data folder.
const FileName = "parley.db"

// Open opens (creating if needed) the database in dir and migrates it.
func Open(ctx context.Context, dir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	opts = opts.withDefaults()
	if opts.CheckpointFrames <= 0 {
		opts.CheckpointFrames = defaultCheckpointFrames
	}
	if opts.MaxWALFrames <= 0 {
		opts.MaxWALFrames = defaultMaxWALFrames
	}
	opts.MaxWALFrames = max(opts.MaxWALFrames, 2*opts.CheckpointFrames)
	path := filepath.Join(dir, FileName)
	type role int
	const (
		roleWriter role = iota
		roleReader
		roleCheckpoint
	)
	dsn := func(r role) string {
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		// The checkpointer syncs the log and the database file as the
		// writer's commits do.
		q.Add("_pragma", "synchronous("+opts.Synchronous+")")
		q.Add("_pragma", "foreign_keys(1)")
		switch r {
		case roleWriter:
			q.Add("_pragma", "busy_timeout(10000)")
			q.Set("_txlock", "immediate")
			// The writer keeps up to 64 MiB of pages: inserts land on
			// index pages all over the file, and a page read is a system
			// call on the sequencer's path.
			q.Add("_pragma", "cache_size(-65536)")
			// Commits never checkpoint: the checkpointer does.
			q.Add("_pragma", "wal_autocheckpoint(0)")
		case roleReader:
			q.Add("_pragma", "busy_timeout(10000)")
			q.Add("_pragma", "query_only(1)")
		case roleCheckpoint:
			// A reset waits this long for readers to leave the log,
			// holding up the sequencer meanwhile; if they do not, a
			// later round tries again.
			q.Add("_pragma", "busy_timeout(20)")
		}
		return "file:" + path + "?" + q.Encode()
	}
	w, err := sql.Open("sqlite", dsn(roleWriter))
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	w.SetMaxOpenConns(1) // one writer: the sequencer and the few direct writes take turns
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(roleReader))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open database for reading: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	c, err := sql.Open("sqlite", dsn(roleCheckpoint))
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("open database for checkpoints: %w", err)
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxLifetime(0)
	c.SetConnMaxIdleTime(0)
	d, err := start(ctx, w, r, dir, opts, false)
	if err != nil {
		c.Close()
		return nil, err
	}
	d.ckpt = newCheckpointer(c, &d.gate, opts.CheckpointFrames, opts.MaxWALFrames, opts.OnCheckpoint, opts.Logger)
	go d.runSequencer()
	return d, nil
}

// OpenPostgres opens the PostgreSQL database at dsn (a postgres:// URL
// or key=value string), creating the schema or migrating it, for one of
// the nodes of a cluster that share it. dir is the node's own folder, for
// its search index (a cache of the database's messages, search.go).
// Options mean what they mean for Open, but Synchronous and the
// checkpoint fields, which are SQLite's.
//
// Several nodes may write the same database: the sequencer of each takes
// the cluster's commit clock (a row) first in every transaction, so their
// transactions take turns, and a conversation's state comes from the
// database whenever another node wrote since this one last did
// (sequencer.go).
func OpenPostgres(ctx context.Context, dsn, dir string, opts Options) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	opts = opts.withDefaults()
	wconn, err := newPGConnector(dsn, true)
	if err != nil {
		return nil, fmt.Errorf("postgres address: %w", err)
	}
	conn, err := newPGConnector(dsn, false)
	if err != nil {
		return nil, fmt.Errorf("postgres address: %w", err)
	}
	w := sql.OpenDB(wconn)
	w.SetMaxOpenConns(2) // the sequencer's transaction, and migrations or a stray direct write
	if err := migratePG(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	r := sql.OpenDB(conn)
	n := max(4, 2*runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d, err := start(ctx, w, r, dir, opts, true)
	if err != nil {
		return nil, err
	}
	go d.runSequencer()
	return d, nil
}

// start makes the DB over its writer and readers, with the search index
// in dir; the caller starts the sequencer. On failure it closes w and r.
func start(ctx context.Context, w, r *sql.DB, dir string, opts Options, pg bool) (*DB, error) {
	si, err := openSearch(ctx, dir, r, opts.Logger, pg)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	onCommit := opts.OnCommit
	opts.OnCommit = func(b []Committed) {
		si.committed(b)
		if onCommit != nil {
			onCommit(b)
		}
	}
	d := &DB{
		w: w, r: r, opts: opts, log: opts.Logger, now: opts.Now, search: si, pg: pg,
		jobs: make(chan *job, 4*opts.MaxBatch),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	d.seq = newSequencer(d)
	return d, nil
}

// Close stops the sequencer after the writes already queued, then the
// checkpoints, and closes the database. Writes submitted once Close has
// begun fail with ErrClosed. Close may be called more than once; later
// calls wait for the first and return its result.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		d.closing.Lock() // waits for the enqueues in progress
		d.closed = true
		d.closing.Unlock()
		close(d.quit)
		<-d.done
		var ckptErr error
		if d.ckpt != nil {
			ckptErr = d.ckpt.close()
		}
		d.closeErr = errors.Join(d.search.close(), ckptErr, d.r.Close(), d.w.Close())
	})
	return d.closeErr
}

// Ping checks that the database answers a query (for /readyz).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// migrations are applied in order; the database's user_version says how
// many have run. Never edit one that has shipped: append a new one.
var migrations = []string{
	// 1: the first schema.
	`CREATE TABLE users (
		id       INTEGER PRIMARY KEY,
		name     TEXT NOT NULL,
		pw_hash  TEXT NOT NULL,
		created  INTEGER NOT NULL
	);
	CREATE TABLE sessions (
		token_hash BLOB PRIMARY KEY,
		user_id    INTEGER NOT NULL REFERENCES users(id),
		device     TEXT NOT NULL DEFAULT '',
		created    INTEGER NOT NULL,
		last_used  INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX sessions_user ON sessions(user_id);
	CREATE TABLE conversations (
		id         INTEGER PRIMARY KEY,
		kind       TEXT NOT NULL CHECK (kind IN ('group', 'direct')),
		name       TEXT NOT NULL,
		direct_key TEXT UNIQUE,
		created    INTEGER NOT NULL,
		last_seq   INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE members (
		conv_id INTEGER NOT NULL REFERENCES conversations(id),
		user_id INTEGER NOT NULL REFERENCES users(id),
		joined  INTEGER NOT NULL,
		PRIMARY KEY (conv_id, user_id)
	) WITHOUT ROWID;
	CREATE INDEX members_user ON members(user_id, conv_id);
	CREATE TABLE messages (
		conv_id   INTEGER NOT NULL,
		seq       INTEGER NOT NULL,
		sender    INTEGER NOT NULL,
		client_id TEXT,
		time      INTEGER NOT NULL,
		kind      TEXT NOT NULL,
		text      TEXT NOT NULL DEFAULT '',
		event     TEXT,
		PRIMARY KEY (conv_id, seq)
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX messages_client ON messages(sender, client_id) WHERE client_id IS NOT NULL;`,
	// 2: files (see files.go). A file message keeps its proto.File as JSON
	// in messages.event.
	`CREATE TABLE files (
		id      TEXT PRIMARY KEY,
		sha256  TEXT NOT NULL,
		name    TEXT NOT NULL,
		size    INTEGER NOT NULL,
		type    TEXT NOT NULL DEFAULT '',
		conv_id INTEGER NOT NULL,
		seq     INTEGER NOT NULL,
		sender  INTEGER NOT NULL,
		created INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX files_sender ON files(sender);
	CREATE TABLE uploads (
		id         TEXT PRIMARY KEY,
		user_id    INTEGER NOT NULL,
		client_id  TEXT,
		conv_id    INTEGER NOT NULL,
		name       TEXT NOT NULL,
		type       TEXT NOT NULL DEFAULT '',
		size       INTEGER NOT NULL,
		sha256     TEXT NOT NULL,
		received   INTEGER NOT NULL DEFAULT 0,
		hash_state BLOB,
		state      TEXT NOT NULL CHECK (state IN ('open', 'verified', 'done')),
		file_id    TEXT,
		seq        INTEGER NOT NULL DEFAULT 0,
		created    INTEGER NOT NULL,
		updated    INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX uploads_client ON uploads(user_id, client_id) WHERE client_id IS NOT NULL;
	CREATE INDEX uploads_user ON uploads(user_id, state);
	CREATE INDEX uploads_updated ON uploads(updated);`,
	// 3: a conversation's last seq is MAX(seq) of its messages (an index
	// lookup), not a column every commit had to update.
	`ALTER TABLE conversations DROP COLUMN last_seq;`,
	// 4 (events.go): history changes. meta holds, as JSON, a message's
	// fields beyond the first schema (target, emoji, call, reply_to,
	// forwarded, mentions, and the folded edited, deleted, reactions,
	// pinned); NULL for a plain message. pins lists each conversation's
	// pinned messages; hidden the messages a user deleted for themself.
	`ALTER TABLE messages ADD COLUMN meta TEXT;
	CREATE TABLE pins (
		conv_id INTEGER NOT NULL,
		seq     INTEGER NOT NULL,
		PRIMARY KEY (conv_id, seq)
	) WITHOUT ROWID;
	CREATE TABLE hidden (
		user_id   INTEGER NOT NULL,
		id        INTEGER NOT NULL,
		conv_id   INTEGER NOT NULL,
		seq       INTEGER NOT NULL,
		PRIMARY KEY (user_id, id)
	) WITHOUT ROWID;
	CREATE UNIQUE INDEX hidden_message ON hidden(user_id, conv_id, seq);
	CREATE INDEX files_sha256 ON files(sha256);
	CREATE INDEX files_message ON files(conv_id, seq);`,
	// 5: read state and receipts (reads_state.go). (The search index is a
	// database of its own: search.go.)
	`ALTER TABLE users ADD COLUMN read_receipts INTEGER NOT NULL DEFAULT 1;
	CREATE TABLE reads (
		conv_id       INTEGER NOT NULL,
		user_id       INTEGER NOT NULL,
		read_seq      INTEGER NOT NULL DEFAULT 0,
		delivered_seq INTEGER NOT NULL DEFAULT 0,
		PRIMARY KEY (conv_id, user_id)
	) WITHOUT ROWID;`,
	// 6: groups (groups.go). A group's join policy, description, and who
	// may invite and send (0 members, 1 admins), and whether its owner
	// deleted it (the row stays, so that its ID is never given again);
	// each member's role (0 member, 1 admin, 2 owner); bans and waiting
	// join requests. Existing
	// groups become "ask" (they were open to anyone: the hole this
	// closes); their creator becomes the owner, or, if the creator has
	// left, the longest-standing member.
	`ALTER TABLE conversations ADD COLUMN description TEXT NOT NULL DEFAULT '';
	ALTER TABLE conversations ADD COLUMN policy TEXT NOT NULL DEFAULT 'ask';
	ALTER TABLE conversations ADD COLUMN invite_admins INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN send_admins INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE conversations ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE members ADD COLUMN role INTEGER NOT NULL DEFAULT 0;
	UPDATE members SET role = 2 WHERE (conv_id, user_id) IN (
		SELECT m.conv_id, m.sender FROM messages m JOIN conversations c ON c.id = m.conv_id
		WHERE c.kind = 'group' AND m.seq = 1 AND m.kind = 'system' AND json_extract(m.event, '$.type') = 'created');
	UPDATE members SET role = 2
		WHERE conv_id IN (SELECT id FROM conversations WHERE kind = 'group')
		AND NOT EXISTS (SELECT 1 FROM members o WHERE o.conv_id = members.conv_id AND o.role = 2)
		AND user_id = (SELECT f.user_id FROM members f WHERE f.conv_id = members.conv_id ORDER BY f.joined, f.user_id LIMIT 1);
	CREATE TABLE bans (
		conv_id INTEGER NOT NULL,
		user_id INTEGER NOT NULL,
		actor   INTEGER NOT NULL,
		time    INTEGER NOT NULL,
		PRIMARY KEY (conv_id, user_id)
	) WITHOUT ROWID;
	CREATE TABLE join_requests (
		conv_id INTEGER NOT NULL,
		user_id INTEGER NOT NULL,
		time    INTEGER NOT NULL,
		PRIMARY KEY (conv_id, user_id)
	) WITHOUT ROWID;`,
	// 7: invite links (links.go). The token is kept (admins list their
	// links to share them again); expires 0 is never, max_uses 0 no limit.
	`CREATE TABLE invite_links (
		id       INTEGER PRIMARY KEY,
		token    TEXT NOT NULL UNIQUE,
		conv_id  INTEGER NOT NULL,
		creator  INTEGER NOT NULL,
		created  INTEGER NOT NULL,
		expires  INTEGER NOT NULL DEFAULT 0,
		max_uses INTEGER NOT NULL DEFAULT 0,
		uses     INTEGER NOT NULL DEFAULT 0,
		revoked  INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX invite_links_conv ON invite_links(conv_id, revoked);`,
	// 8: profiles and devices (people.go, sessions.go). A session's
	// platform and the client address it was last active from; a user's
	// about line, picture (the thumbnail's file ID) and whether the
	// account was deleted (the row stays: its ID is never given again);
	// a file's purpose: '' a conversation's file, 'picture' a picture
	// upload, 'thumb' a profile picture the server made. profile_rev
	// orders profile changes (the highest + 1 at each), so that sync can
	// give a device the profiles changed while it was away.
	`ALTER TABLE sessions ADD COLUMN platform TEXT NOT NULL DEFAULT '';
	ALTER TABLE sessions ADD COLUMN address TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN about TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN picture TEXT NOT NULL DEFAULT '';
	ALTER TABLE users ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE users ADD COLUMN profile_rev INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX users_profile_rev ON users(profile_rev);
	ALTER TABLE files ADD COLUMN purpose TEXT NOT NULL DEFAULT '';`,
	// 9: blocking, first-contact requests, muting, archiving (blocks.go).
	// A member's request: 0 none, 1 waiting for their answer, 2 they
	// deleted it; notify and its end (0: none); archived_seq: the newest
	// message when they archived it (-1: not archived).
	`ALTER TABLE members ADD COLUMN request INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE members ADD COLUMN notify TEXT NOT NULL DEFAULT 'all';
	ALTER TABLE members ADD COLUMN notify_until INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE members ADD COLUMN archived_seq INTEGER NOT NULL DEFAULT -1;
	CREATE TABLE blocks (
		user_id INTEGER NOT NULL,
		blocked INTEGER NOT NULL,
		time    INTEGER NOT NULL,
		PRIMARY KEY (user_id, blocked)
	) WITHOUT ROWID;
	CREATE INDEX blocks_blocked ON blocks(blocked, user_id);`,
	// 10: the operator (operator.go). A disabled account cannot log in;
	// registration codes let people register when the server's
	// registration mode is "codes" (expires 0 is never).
	`ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE registration_codes (
		code     TEXT PRIMARY KEY,
		created  INTEGER NOT NULL,
		expires  INTEGER NOT NULL DEFAULT 0,
		max_uses INTEGER NOT NULL,
		uses     INTEGER NOT NULL DEFAULT 0
	) WITHOUT ROWID;`,
	// 11: pictures, voice messages and media (media.go). thumbs holds the
	// two thumbnails the server made of a picture, by the SHA-256 of the
	// picture's blob (so the same picture uploaded again reuses them) and
	// its size as shown; an upload keeps its caption and voice metadata
	// (proto.Voice as JSON) until it is published; a file's media is the
	// kind the media request pages through: 'pictures', 'voice' or 'files'
	// (files shared before this migration are 'files': they have no
	// thumbnails).
	`CREATE TABLE thumbs (
		source     TEXT PRIMARY KEY,
		width      INTEGER NOT NULL,
		height     INTEGER NOT NULL,
		small_id   TEXT NOT NULL UNIQUE,
		small_sha  TEXT NOT NULL,
		small_size INTEGER NOT NULL,
		small_type TEXT NOT NULL,
		large_id   TEXT NOT NULL UNIQUE,
		large_sha  TEXT NOT NULL,
		large_size INTEGER NOT NULL,
		large_type TEXT NOT NULL,
		created    INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX thumbs_small_sha ON thumbs(small_sha);
	CREATE INDEX thumbs_large_sha ON thumbs(large_sha);
	ALTER TABLE uploads ADD COLUMN text TEXT NOT NULL DEFAULT '';
	ALTER TABLE uploads ADD COLUMN voice TEXT;
	ALTER TABLE files ADD COLUMN media TEXT NOT NULL DEFAULT 'files';
	CREATE INDEX files_media ON files(conv_id, media, seq);`,
	// 12: group pictures (groups.go): the thumbnail's file ID ('' none).
	// The thumbnail is a 'thumb' file whose conv_id is the group's, so it
	// goes with the group and not with the admin who set it.
	`ALTER TABLE conversations ADD COLUMN picture TEXT NOT NULL DEFAULT '';`,
	// 13: uploads on S3 (files in cluster mode, server/files/s3.go): the
	// multipart upload's ID, its parts and the chunks not yet in a part
	// (JSON, '' none), and the claim of the request storing bytes (a
	// token, '' none, and when it lapses, Unix ms), so that the nodes
	// take turns on one upload; blob_locks are the blobs' locks across
	// nodes (LockBlob), each with its holder and when it lapses.
	`CREATE TABLE blob_locks (
		sha256 TEXT PRIMARY KEY,
		holder TEXT NOT NULL,
		until  INTEGER NOT NULL
	) WITHOUT ROWID;
	ALTER TABLE uploads ADD COLUMN multipart TEXT NOT NULL DEFAULT '';
	ALTER TABLE uploads ADD COLUMN parts TEXT NOT NULL DEFAULT '';
	ALTER TABLE uploads ADD COLUMN chunks TEXT NOT NULL DEFAULT '';
	ALTER TABLE uploads ADD COLUMN writer TEXT NOT NULL DEFAULT '';
	ALTER TABLE uploads ADD COLUMN writer_until INTEGER NOT NULL DEFAULT 0;`,
	// 14: rate limits that the nodes of a cluster share (limits.go): a
	// bucket's theoretical arrival time in Unix nanoseconds, and whether
	// its last take found a token. SQLite has the table but keeps its
	// limits in memory.
	`CREATE TABLE rate_limits (
		bucket TEXT PRIMARY KEY,
		tat    INTEGER NOT NULL,
		taken  INTEGER NOT NULL
	) WITHOUT ROWID;`,
}

func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this server (%d): upgrade the server", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

// SchemaVersion reports how many migrations the database has run.
func (d *DB) SchemaVersion(ctx context.Context) (int, error) {
	q := "PRAGMA user_version"
	if d.pg {
		q = "SELECT version FROM schema_version"
	}
	var v int
	err := d.r.QueryRowContext(ctx, q).Scan(&v)
	return v, err
}

// PostgreSQL runs the same migrations as SQLite, in the words of
// pgMigration, after its own first one (pgSetup): the schema version, and
// the cluster's commit clock and log (sequencer.go, commitlog.go).
const pgSetup = `CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL);
INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM schema_version);
CREATE TABLE IF NOT EXISTS commit_clock (id BIGINT PRIMARY KEY CHECK (id = 1), pos BIGINT NOT NULL);
INSERT INTO commit_clock VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS commit_log (pos BIGINT PRIMARY KEY, time BIGINT NOT NULL, batch BYTEA NOT NULL, convs TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS commit_members (hash TEXT PRIMARY KEY, time BIGINT NOT NULL, members TEXT NOT NULL);`

// pgMigration says a migration written for SQLite in PostgreSQL's words.
// Migrations keep to the SQL both understand but for these: SQLite's
// INTEGER is 64 bits (bigint), BLOB is bytea, tables without rowid are
// every PostgreSQL table, the one table with an automatic key says so,
// and JSON is read with ->>.
func pgMigration(m string) string {
	return strings.NewReplacer(
		"id       INTEGER PRIMARY KEY,\n\t\ttoken", "id       BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,\n\t\ttoken",
		"INTEGER", "BIGINT",
		"BLOB", "BYTEA",
		") WITHOUT ROWID", ")",
		"json_extract(m.event, '$.type')", "(m.event::jsonb ->> 'type')",
	).Replace(m)
}

// migratePG creates or migrates a PostgreSQL database. Nodes starting
// at once take turns (an advisory lock): one migrates, the others find
// it done.
func migratePG(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect to postgres: %w", err)
	}
	defer conn.Close()
	const lock = 0x70617231 // "par1"
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lock); err != nil {
		return fmt.Errorf("lock for migrations: %w", err)
	}
	defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(?)", lock)
	if _, err := conn.ExecContext(ctx, pgSetup); err != nil {
		return fmt.Errorf("set up schema: %w", err)
	}
	var version int
	if err := conn.QueryRowContext(ctx, "SELECT version FROM schema_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this server (%d): upgrade the server", version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, pgMigration(migrations[i])); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE schema_version SET version = ?", i+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}

func (d *DB) nowMs() int64 { return d.now().UnixMilli() }

// ErrClosed is the error of a write submitted once Close has begun: the
// server is shutting down, and the client may retry elsewhere or later
// (code unavailable).
var ErrClosed = proto.Errorf(proto.CodeUnavailable, "the server is shutting down")
