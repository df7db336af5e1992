package node

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBudget is one stage's budget on a test clock: it ends only when the
// test says so.
type fakeBudget struct {
	d      time.Duration
	ctx    context.Context
	expire func()
}

// fakeClock stands in for context.WithTimeout: it hands each budget to
// the test instead of starting a timer.
type fakeClock chan fakeBudget

func (f fakeClock) withTimeout(parent context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(parent)
	f <- fakeBudget{d: d, ctx: ctx, expire: func() { cancel(context.DeadlineExceeded) }}
	return ctx, func() { cancel(context.Canceled) }
}

// Stages run in order, each with its own whole budget: one that overruns
// (returning only at its deadline) or ignores its budget altogether does
// not shorten the next, which starts with a live context and its full
// budget.
func TestShutdownStagesRunInOrderEachWithItsOwnBudget(t *testing.T) {
	var mu sync.Mutex
	var started []string
	liveAtStart := map[string]bool{}
	began := make(chan string)
	start := func(name string, ctx context.Context) {
		mu.Lock()
		started = append(started, name)
		liveAtStart[name] = ctx.Err() == nil
		mu.Unlock()
		began <- name
	}
	release := make(chan struct{})
	stuckDone := make(chan struct{})
	stages := []Stage{
		{Name: "slow", Budget: 1 * time.Second, Run: func(ctx context.Context) error {
			start("slow", ctx)
			<-ctx.Done() // overruns until its deadline
			return ctx.Err()
		}},
		{Name: "stuck", Budget: 2 * time.Second, Run: func(ctx context.Context) error {
			start("stuck", ctx)
			defer close(stuckDone)
			<-release // ignores its budget
			return nil
		}},
		{Name: "quick", Budget: 3 * time.Second, Run: func(ctx context.Context) error {
			start("quick", ctx)
			return nil
		}},
	}
	clock := make(fakeClock)
	result := make(chan error, 1)
	go func() { result <- runStages(context.Background(), nil, clock.withTimeout, stages) }()

	for i, want := range []time.Duration{1 * time.Second, 2 * time.Second, 3 * time.Second} {
		b := <-clock
		if b.d != want {
			t.Errorf("stage %d got a budget of %s, want its own %s", i, b.d, want)
		}
		<-began
		if i < 2 {
			b.expire() // the first two run out of time
		}
	}
	err := <-result
	close(release)
	<-stuckDone

	if want := []string{"slow", "stuck", "quick"}; !slices.Equal(started, want) {
		t.Fatalf("stages started in the order %v, want %v", started, want)
	}
	for _, name := range started {
		if !liveAtStart[name] {
			t.Errorf("stage %s started with its budget already spent", name)
		}
	}
	if err == nil {
		t.Fatal("no error for the stages that overran")
	}
	msg := err.Error()
	if !strings.Contains(msg, "slow: ") || !strings.Contains(msg, "stuck: still running after its 2s budget") || strings.Contains(msg, "quick") {
		t.Fatalf("error %q: want one for slow and stuck, none for quick", msg)
	}
}
