package storage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
)

// walBytes is the size of the data folder's write-ahead log file.
func walBytes(t *testing.T, dir string) int64 {
	t.Helper()
	n, err := walSize(dir)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func walSize(dir string) (int64, error) {
	fi, err := os.Stat(filepath.Join(dir, FileName+"-wal"))
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// openHeld opens a database whose checkpointer, once its first
// checkpoint has run (first is closed), waits until release is called.
// opts.OnCheckpoint, if set, runs before (and so may delay) the hold.
// closeDB closes the database (again at the end of the test: no-op).
func openHeld(t *testing.T, dir string, opts Options) (d *DB, first <-chan struct{}, release func(), closeDB func() error) {
	t.Helper()
	ran := make(chan struct{})
	held := make(chan struct{})
	var once sync.Once
	observe := opts.OnCheckpoint
	opts.OnCheckpoint = func(c Checkpoint) {
		if observe != nil {
			observe(c)
		}
		once.Do(func() { close(ran); <-held })
	}
	d, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	release = sync.OnceFunc(func() { close(held) })
	closeDB = sync.OnceValue(d.Close)
	t.Cleanup(func() { release(); closeDB() })
	return d, ran, release, closeDB
}

// writeUntil sends messages one by one until ch is closed. The send in
// flight then is given up (it may still commit): when ch is the first
// checkpoint of openHeld, the log may have reached its bound before that
// checkpoint ended, and the sequencer then waits for the checkpointer,
// which is now held until the test releases it.
func writeUntil(t *testing.T, d *DB, ch <-chan struct{}) {
	t.Helper()
	u := mustUser(t, d, "warm")
	g, err := d.CreateGroup(context.Background(), u, "g")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ch:
			cancel()
		case <-stop:
		}
	}()
	for i := 0; ; i++ {
		select {
		case <-ch:
			return
		default:
		}
		if _, _, err := d.Send(ctx, u, g.ID, fmt.Sprint(i), "hello"); err != nil {
			if ctx.Err() != nil {
				return // ch is closed
			}
			t.Fatal(err)
		}
	}
}

// The first checkpoint of openHeld may end only after the log reached
// its bound (a slow checkpoint, on a busy machine): the sequencer then
// waits for the checkpointer, which is held, and writeUntil must still
// return (it waited for the send forever, and the test hung until the
// package's timeout). A watchdog releases the checkpointer should
// writeUntil not return, so that the test fails instead of hanging.
func TestWriteUntilReturnsWhenTheSequencerWaitsForTheHeldCheckpointer(t *testing.T) {
	var d *DB
	opened := make(chan struct{})
	var once sync.Once
	d, first, release, closeDB := openHeld(t, t.TempDir(), Options{
		Synchronous:      "NORMAL",
		CheckpointFrames: 50,
		MaxWALFrames:     400,
		OnCheckpoint: func(Checkpoint) {
			// The first checkpoint ends only once the sequencer waits.
			once.Do(func() {
				<-opened
				k := d.ckpt
				k.mu.Lock()
				for !k.urgent && !k.closing {
					k.cond.Wait()
				}
				k.mu.Unlock()
			})
		},
	})
	close(opened)
	var hung atomic.Bool
	watchdog := time.AfterFunc(time.Minute, func() { hung.Store(true); release() })
	writeUntil(t, d, first)
	watchdog.Stop()
	if hung.Load() {
		t.Fatal("writeUntil waited for a send held up by the held checkpointer")
	}
	release()
	if err := closeDB(); err != nil {
		t.Fatal(err)
	}
}

func fileBytes(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// walFrameBytes is one frame of the log: a page and its 24-byte header.
const walFrameBytes = 4096 + 24

// sendMany sends n messages from `senders` goroutines, each user in a
// group of their own, and fails the test on any error.
func sendMany(t *testing.T, d *DB, senders, n int) {
	t.Helper()
	ctx := context.Background()
	users := make([]proto.User, senders)
	groups := make([]proto.ConvID, senders)
	for i := range users {
		users[i] = mustUser(t, d, fmt.Sprint("u", i))
		g, err := d.CreateGroup(ctx, users[i], "g")
		if err != nil {
			t.Fatal(err)
		}
		groups[i] = g.ID
	}
	text := fmt.Sprintf("%0100d", 0)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Go(func() {
			for i := range n / senders {
				if _, _, err := d.Send(ctx, users[s], groups[s], fmt.Sprint(i), text); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestCommitsLeaveCheckpointsToTheCheckpointer(t *testing.T) {
	dir := t.TempDir()
	d, first, release, closeDB := openHeld(t, dir, Options{
		Synchronous:      "NORMAL",
		CheckpointFrames: 100,
		MaxWALFrames:     1 << 30, // never wait for the checkpointer
	})
	writeUntil(t, d, first) // the checkpointer is now held
	dbFile := filepath.Join(dir, FileName)
	dbBefore, walBefore := fileBytes(t, dbFile), walBytes(t, dir)

	// 3000 messages: thousands of frames, past the 1000 at which SQLite's
	// own automatic checkpoint would run inside a commit. They commit
	// without touching the database file.
	sendMany(t, d, 8, 3000)
	if got := fileBytes(t, dbFile); got != dbBefore {
		t.Fatalf("database file went from %d to %d bytes while the checkpointer was held: a commit checkpointed", dbBefore, got)
	}
	if grown := (walBytes(t, dir) - walBefore) / walFrameBytes; grown < 1000 {
		t.Fatalf("the log grew by %d frames, want more than 1000 (the test did not write enough)", grown)
	}

	// Released, the checkpointer copies the log into the database file.
	release()
	if err := closeDB(); err != nil {
		t.Fatal(err)
	}
	if got := fileBytes(t, dbFile); got <= dbBefore {
		t.Fatalf("database file %d bytes after the checkpoints, want more than %d", got, dbBefore)
	}
}

func TestWALStaysBoundedUnderLoad(t *testing.T) {
	dir := t.TempDir()
	const every, maxFrames = 50, 400
	var mu sync.Mutex
	var largest int64
	restarts := 0
	d, err := Open(context.Background(), dir, Options{
		Synchronous:      "NORMAL",
		CheckpointFrames: every,
		MaxWALFrames:     maxFrames,
		OnBatch: func(int, time.Duration) {
			// After each commit, from the sequencer: the log as it is now.
			n, err := walSize(dir)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			largest = max(largest, n)
			mu.Unlock()
		},
		OnCheckpoint: func(c Checkpoint) {
			if c.Err != nil {
				t.Errorf("checkpoint: %v", c.Err)
			}
			if c.Restart && !c.Busy {
				mu.Lock()
				restarts++
				mu.Unlock()
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	const n = 4000 // each writes at least two pages: ~20 times the bound
	sendMany(t, d, 8, n)

	mu.Lock()
	defer mu.Unlock()
	// One transaction of 8 sends writes well under 100 frames.
	if bound := int64(maxFrames+100) * walFrameBytes; largest > bound {
		t.Fatalf("the log reached %d bytes (%d frames), want at most %d frames", largest, largest/walFrameBytes, maxFrames+100)
	}
	if restarts == 0 {
		t.Fatal("the log was never reset")
	}
}

func TestSequencerWaitsForALaggingCheckpointer(t *testing.T) {
	dir := t.TempDir()
	const maxFrames = 400
	d, first, release, _ := openHeld(t, dir, Options{
		Synchronous:      "NORMAL",
		CheckpointFrames: 50,
		MaxWALFrames:     maxFrames,
	})
	writeUntil(t, d, first) // the checkpointer is now held

	sent := make(chan struct{})
	go func() {
		defer close(sent)
		sendMany(t, d, 8, 4000)
	}()
	// The log reaches its bound and the sequencer waits for a checkpoint
	// rather than let it grow (or, failing that, every send commits).
	k := d.ckpt
	allSent := false
	go func() {
		<-sent
		k.mu.Lock()
		allSent = true
		k.cond.Broadcast()
		k.mu.Unlock()
	}()
	k.mu.Lock()
	for !k.urgent && !allSent {
		k.cond.Wait()
	}
	waited := k.urgent
	k.mu.Unlock()
	if !waited {
		t.Fatalf("every send committed while the checkpointer was held; the log has %d frames", walBytes(t, dir)/walFrameBytes)
	}
	if n := walBytes(t, dir) / walFrameBytes; n > maxFrames+100 {
		t.Fatalf("the log holds %d frames while the checkpointer is held, want at most %d", n, maxFrames+100)
	}
	release()
	<-sent
	if n := walBytes(t, dir) / walFrameBytes; n > maxFrames+100 {
		t.Fatalf("the log holds %d frames, want at most %d", n, maxFrames+100)
	}
}
