package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ShutdownBudgets are the time budgets of the shutdown stages. Each counts
// from the start of its own stage, so a stage that overruns does not
// shorten the next.
type ShutdownBudgets struct {
	// HTTP: the HTTP server stops accepting and finishes the requests in
	// flight (uploads, downloads); those still running at the end are
	// cut off (they resume later).
	HTTP time.Duration
	// Connections: every WebSocket is closed with status 1001 (going
	// away) and the hub waits for the clients to answer; those that have
	// not at the end are cut off.
	Connections time.Duration
	// Storage: background file work stops, the writes already queued
	// commit and the database closes.
	Storage time.Duration
}

// DefaultShutdownBudgets are the server's: at most 25 s in all.
var DefaultShutdownBudgets = ShutdownBudgets{HTTP: 10 * time.Second, Connections: 5 * time.Second, Storage: 10 * time.Second}

// A Stage is one step of shutdown. Run should return once ctx ends, the
// end of its budget.
type Stage struct {
	Name   string
	Budget time.Duration
	Run    func(ctx context.Context) error
}

// HTTPServer is what the "http" stage stops (an *http.Server).
type HTTPServer interface {
	Shutdown(ctx context.Context) error
	Close() error
}

// ShutdownStages returns the node's shutdown, in order: "http" (only if
// srv is not nil), "connections" and "storage", with the budgets of b.
// Run them with RunStages.
func (n *Node) ShutdownStages(b ShutdownBudgets, srv HTTPServer) []Stage {
	var stages []Stage
	if srv != nil {
		stages = append(stages, Stage{Name: "http", Budget: b.HTTP, Run: func(ctx context.Context) error {
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close() // cut off the transfers still running
				return err
			}
			return nil
		}})
	}
	return append(stages,
		Stage{Name: "connections", Budget: b.Connections, Run: n.hub.Shutdown},
		Stage{Name: "storage", Budget: b.Storage, Run: func(context.Context) error { return n.closeStorage() }},
	)
}

// closeStorage stops the admin socket and the file service's background work, lets the queued
// writes commit, closes the database, then stops fan-out (no commit can
// come after). Only the first call does it; the others wait for it.
func (n *Node) closeStorage() error {
	n.closeOnce.Do(func() {
		if n.udp != nil {
			n.udp.Close() // after the connections: their calls are over
		}
		if n.admin != nil {
			n.admin.Close() // after the commands under way
		}
		n.files.Close()
		n.closeErr = n.db.Close()
		if b := n.bus.Load(); b != nil {
			b.Close() // after the last commit's publish, before fan-out stops
		}
		n.hub.Close()
	})
	return n.closeErr
}

// RunStages runs the stages one after the other. Each gets a context that
// ends when its own budget, counted from its start, runs out, or when ctx
// ends (a hard stop). A stage still running then is left behind, and the
// next one starts at once with its whole budget. The errors of the stages
// are returned together, each named by its stage.
func RunStages(ctx context.Context, log *slog.Logger, stages ...Stage) error {
	return runStages(ctx, log, context.WithTimeout, stages)
}

// runStages is RunStages with the budgets' clock given (tests).
func runStages(ctx context.Context, log *slog.Logger, withTimeout func(context.Context, time.Duration) (context.Context, context.CancelFunc), stages []Stage) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var errs []error
	for _, st := range stages {
		sctx, cancel := withTimeout(ctx, st.Budget)
		done := make(chan error, 1)
		go func() { done <- st.Run(sctx) }()
		var err error
		select {
		case err = <-done:
		case <-sctx.Done():
			select {
			case err = <-done: // it returned at the deadline too
			default:
				err = fmt.Errorf("still running after its %s budget: %w", st.Budget, context.Cause(sctx))
			}
		}
		cancel()
		if err != nil {
			log.Warn("shutdown stage did not finish cleanly", "stage", st.Name, "budget", st.Budget, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", st.Name, err))
			continue
		}
		log.Info("shutdown stage done", "stage", st.Name)
	}
	return errors.Join(errs...)
}
