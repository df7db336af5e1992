package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"parley/net/proto"
)

// Many goroutines keep writing while Close runs: every write either
// commits (and is then in the database) or fails with ErrClosed; none
// panics, hangs or is lost, and Close sends on no closed channel (the
// race detector would say so).
func TestWritesRacingCloseCommitOrFailWithClosed(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	owner := mustUser(t, d, "owner")
	g, err := d.CreateGroup(ctx, owner, "g")
	if err != nil {
		t.Fatal(err)
	}

	const writers = 64
	var acked, closed, asyncDone atomic.Int64
	var started, wg sync.WaitGroup
	started.Add(writers)
	for w := range writers {
		wg.Go(func() {
			first := true
			for i := 0; ; i++ {
				id := fmt.Sprintf("%d-%d", w, i)
				var err error
				if w%2 == 0 {
					_, _, err = d.Send(ctx, owner, g.ID, id, "hi")
				} else {
					// SendAsync: its callback runs once if and only if it
					// was accepted.
					res := make(chan error, 1)
					if err = d.SendAsync(ctx, owner, g.ID, id, "hi", func(_ proto.Message, _ bool, err error) {
						asyncDone.Add(1)
						res <- err
					}); err == nil {
						err = <-res
					}
				}
				if first {
					first = false
					started.Done()
				}
				switch {
				case err == nil:
					acked.Add(1)
				case errors.Is(err, ErrClosed) && proto.CodeOf(err) == proto.CodeUnavailable:
					closed.Add(1)
					return
				default:
					t.Errorf("write %s: %v, want success or ErrClosed", id, err)
					return
				}
			}
		})
	}
	started.Wait() // every writer is under way
	if err := d.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	wg.Wait()
	if closed.Load() != writers {
		t.Fatalf("%d writers saw ErrClosed, want all %d", closed.Load(), writers)
	}

	// After Close, a write fails at once, and Close again is harmless.
	if _, _, err := d.Send(ctx, owner, g.ID, "late", "hi"); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v, want ErrClosed", err)
	}
	if err := d.SendAsync(ctx, owner, g.ID, "late", "hi", func(proto.Message, bool, error) {
		t.Error("callback of a write refused after close")
	}); !errors.Is(err, ErrClosed) {
		t.Fatalf("async send after close: %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	// Every acknowledged write is durable, and nothing else was written.
	d, err = Open(ctx, dir, Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := d.Conversation(ctx, owner.ID, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + acked.Load(); c.LastSeq != want {
		t.Fatalf("last seq after reopen %d, want %d (the created event and %d acknowledged sends)", c.LastSeq, want, acked.Load())
	}
}
