package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"modernc.org/sqlite"
)

// Checkpoint describes one WAL checkpoint, for Options.OnCheckpoint.
type Checkpoint struct {
	// Restart: the log was reset (a RESTART checkpoint, during which the
	// sequencer waited); the next commit writes it from the start again.
	// Otherwise it was a PASSIVE checkpoint, run beside the commits.
	Restart bool
	// Busy: it could not copy everything or could not reset the log (a
	// reader was still using the log); a later one will.
	Busy bool
	// Frames is the size of the log in frames (pages) when it ran, and
	// Copied how many of them are now in the database file.
	Frames, Copied int
	Took           time.Duration
	Err            error
}

// Checkpoint defaults (Options.CheckpointFrames, MaxWALFrames). SQLite's
// own automatic checkpoint runs every 1000 frames (~4 MiB), inside a
// commit. Off the commit path a longer interval costs no latency, and a
// page that several commits rewrote is copied once: every 4000 frames
// the checkpoints of the 500-sender durable load took 6 µs of CPU per
// message instead of 10. The log is reset at 16000 frames (~64 MiB).
// The sequencer waits for that at 32000.
const (
	defaultCheckpointFrames = 4000
	defaultMaxWALFrames     = 32000
)

// checkpointer copies the write-ahead log back into the database file on
// a connection and goroutine of its own, so that no commit does that
// work: the writer's connection has wal_autocheckpoint off.
//
// The sequencer reports the frames each commit wrote (committed). Every
// `every` frames a round runs a PASSIVE checkpoint, beside the commits
// that go on meanwhile. A PASSIVE checkpoint cannot reset the log while
// commits keep appending to it, so when the log holds `soft` frames the
// round runs a second PASSIVE one (for what came in during the first),
// then a RESTART holding gate, which the sequencer holds for each
// transaction: it has only a transaction or two left to copy, and the
// next commit writes the log from its beginning again. Should the rounds
// fall behind, the sequencer waits before its next transaction once the
// log holds `hard` frames (throttle). So the log stays bounded, as with
// SQLite's automatic checkpoint, without a commit ever doing the copying.
type checkpointer struct {
	db                *sql.DB // one connection
	gate              *sync.Mutex
	every, soft, hard int
	observe           func(Checkpoint)
	log               *slog.Logger

	mu      sync.Mutex
	cond    sync.Cond // a round is due, a round ended, or closing
	pending int       // frames committed since the last round began
	unreset int       // frames committed since the log was last reset
	urgent  bool      // the sequencer is waiting for a round
	running bool
	rounds  int // rounds finished
	closing bool
	done    chan struct{}
}

func newCheckpointer(db *sql.DB, gate *sync.Mutex, every, maxFrames int, observe func(Checkpoint), log *slog.Logger) *checkpointer {
	k := &checkpointer{
		db: db, gate: gate, every: every, soft: maxFrames / 2, hard: maxFrames,
		observe: observe, log: log, done: make(chan struct{}),
	}
	k.cond.L = &k.mu
	go k.run()
	return k
}

// committed notes the frames a commit wrote. The sequencer calls it
// holding gate.
func (k *checkpointer) committed(frames int) {
	k.mu.Lock()
	k.pending += frames
	k.unreset += frames
	if k.pending >= k.every {
		k.cond.Broadcast()
	}
	k.mu.Unlock()
}

// throttle holds the sequencer before its next transaction while the log
// is over its hard bound, until a round that starts from now has ended.
func (k *checkpointer) throttle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.unreset < k.hard {
		return
	}
	target := k.rounds + 1
	if k.running { // it may have decided against a reset already
		target++
	}
	k.urgent = true
	k.cond.Broadcast()
	for k.unreset >= k.hard && k.rounds < target && !k.closing {
		k.cond.Wait()
	}
}

// close ends the rounds (after the sequencer has stopped).
func (k *checkpointer) close() error {
	k.mu.Lock()
	k.closing = true
	k.cond.Broadcast()
	k.mu.Unlock()
	<-k.done
	return k.db.Close()
}

func (k *checkpointer) run() {
	defer close(k.done)
	for {
		k.mu.Lock()
		for k.pending < k.every && !k.urgent && !k.closing {
			k.cond.Wait()
		}
		if k.closing {
			k.mu.Unlock()
			return
		}
		k.pending, k.urgent, k.running = 0, false, true
		k.mu.Unlock()

		k.round()

		k.mu.Lock()
		k.running = false
		k.rounds++
		k.cond.Broadcast()
		k.mu.Unlock()
	}
}

// round copies the log into the database file beside the commits, and
// resets the log when it has grown to soft frames.
func (k *checkpointer) round() {
	c := k.checkpoint("PASSIVE")
	if c.Err != nil || c.Frames < k.soft {
		return
	}
	// Copy what came in meanwhile too, so that the reset, which holds up
	// the sequencer, has little left to copy.
	if c = k.checkpoint("PASSIVE"); c.Err != nil {
		return
	}
	k.gate.Lock()
	defer k.gate.Unlock()
	c = k.checkpoint("RESTART")
	if c.Err == nil && !c.Busy {
		k.mu.Lock()
		k.unreset = 0
		k.mu.Unlock()
	}
}

func (k *checkpointer) checkpoint(mode string) Checkpoint {
	start := time.Now()
	var busy int
	c := Checkpoint{Restart: mode == "RESTART"}
	err := k.db.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &c.Frames, &c.Copied)
	c.Took = time.Since(start)
	c.Busy = busy != 0 || c.Copied < c.Frames
	if err != nil {
		c.Err = fmt.Errorf("checkpoint (%s): %w", mode, err)
		k.log.Warn("checkpoint failed", "err", c.Err)
	}
	if k.observe != nil {
		k.observe(c)
	}
	return c
}

// walFrames returns the frames (pages) the writer's connection has
// written to the log since the last call.
func walFrames(w *sql.DB) (int, error) {
	conn, err := w.Conn(context.Background())
	if err != nil {
		return 0, fmt.Errorf("count log frames: %w", err)
	}
	defer conn.Close()
	var n int
	err = conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if !ok {
			return fmt.Errorf("driver connection %T has no status", dc)
		}
		var err error
		n, _, err = st.Status(sqlite.DBStatusCacheWrite, true)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("count log frames: %w", err)
	}
	return n, nil
}
