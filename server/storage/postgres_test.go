package storage_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/internal/servicetest"
	"parley/server/storage"
)

// node is one server node's storage on a shared PostgreSQL database, and
// the seqs its OnCommit reported, in order.
type node struct {
	*storage.DB
	mu        sync.Mutex
	pushed    []int64
	positions []int64 // OnClusterCommit's
}

func (n *node) reported() []int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.pushed)
}

// openNodes opens k nodes on one fresh database, all at once (so their
// migrations race, and must take turns).
func openNodes(t *testing.T, k int) []*node {
	t.Helper()
	db := pgDatabase(t, servicetest.PostgreSQL(t))
	nodes := make([]*node, k)
	errs := make([]error, k)
	var wg sync.WaitGroup
	for i := range nodes {
		n := &node{}
		nodes[i] = n
		dir := t.TempDir()
		wg.Go(func() {
			n.DB, errs[i] = storage.OpenPostgres(context.Background(), db, dir, storage.Options{OnCommit: func(cs []storage.Committed) {
				n.mu.Lock()
				defer n.mu.Unlock()
				for _, c := range cs {
					n.pushed = append(n.pushed, c.Message.Seq)
				}
			}, OnClusterCommit: func(pos int64, _ []storage.Committed) {
				n.mu.Lock()
				defer n.mu.Unlock()
				n.positions = append(n.positions, pos)
			}})
		})
	}
	wg.Wait()
	for i, n := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		t.Cleanup(func() { n.Close() })
	}
	return nodes
}

// Three nodes write one hot conversation at once: seqs stay gap-free
// and unique, each node reports its commits in seq order, and what one
// node changes (a member added, then gone) holds at once on another,
// whose cache had the conversation from before.
func TestPostgresNodesWriteOneConversation(t *testing.T) {
	nodes := openNodes(t, 3)
	n1, n2 := nodes[0], nodes[1]
	ctx := context.Background()
	a, err := n1.CreateUser(ctx, "a", "hash")
	if err != nil {
		t.Fatal(err)
	}
	b, err := n2.CreateUser(ctx, "b", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := n1.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := n1.Send(ctx, a, g.ID, "warm", "n1 has g in its cache"); err != nil {
		t.Fatal(err)
	}
	// b joins through n2; n1, whose cache has g without b, takes b's sends.
	if _, err := n2.JoinGroup(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	const perNode, each = 4, 100
	var wg sync.WaitGroup
	for i, n := range nodes {
		for s := range perNode {
			wg.Go(func() {
				for k := range each {
					sender := a
					if k%2 == 1 {
						sender = b
					}
					if _, dup, err := n.Send(ctx, sender, g.ID, fmt.Sprintf("%d-%d-%d", i, s, k), "hello"); err != nil || dup {
						t.Errorf("node %d: send: %v dup=%v", i+1, err, dup)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	ms, _, err := n2.History(ctx, a.ID, proto.HistoryRequest{Conv: g.ID, Limit: proto.MaxHistoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	var all []int64
	for before := int64(0); ; {
		req := proto.HistoryRequest{Conv: g.ID, Limit: proto.MaxHistoryLimit}
		if before > 0 {
			req.Before = &before
		}
		if ms, _, err = n1.History(ctx, a.ID, req); err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			break
		}
		for _, m := range ms {
			all = append(all, m.Seq)
		}
		before = ms[0].Seq
	}
	slices.Sort(all)
	want := 3 + len(nodes)*perNode*each // created, warm, joined, the sends
	if len(all) != want || all[0] != 1 || all[len(all)-1] != int64(want) {
		t.Fatalf("history holds %d messages, seqs %d..%d; want 1..%d", len(all), all[0], all[len(all)-1], want)
	}
	for i := 1; i < len(all); i++ {
		if all[i] != all[i-1]+1 {
			t.Fatalf("seq %d follows %d: a gap or a duplicate", all[i], all[i-1])
		}
	}
	for i, n := range nodes {
		if got := n.reported(); !slices.IsSorted(got) || len(got) < perNode*each {
			t.Errorf("node %d reported %d commits, in order %v", i+1, len(got), slices.IsSorted(got))
		}
	}
	// The commit log holds every position once, gap-free, each reported
	// by the node that committed it, and every message of the
	// conversation in seq order.
	clock, err := n1.CommitClock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var logged []storage.Logged
	for after := int64(0); after < clock; {
		page, err := n2.CommitLog(ctx, after, clock, 100)
		if err != nil || len(page) == 0 {
			t.Fatalf("commit log after %d (clock %d): %d rows, %v", after, clock, len(page), err)
		}
		logged = append(logged, page...)
		after = page[len(page)-1].Pos
	}
	var inLog []int64
	for i, l := range logged {
		if l.Pos != int64(i+1) {
			t.Fatalf("the log's row %d has position %d", i, l.Pos)
		}
		for _, c := range l.Batch {
			if c.Message.Conv == g.ID {
				inLog = append(inLog, c.Message.Seq)
			}
		}
	}
	if !slices.Equal(inLog, all) {
		t.Fatalf("the log holds the conversation's seqs %v…, want 1..%d in order", inLog[:min(5, len(inLog))], want)
	}
	var reported []int64
	for _, n := range nodes {
		n.mu.Lock()
		reported = append(reported, n.positions...)
		n.mu.Unlock()
	}
	slices.Sort(reported)
	if len(reported) != int(clock) || reported[0] != 1 || reported[len(reported)-1] != clock {
		t.Fatalf("the nodes reported %d positions, want each of 1..%d once", len(reported), clock)
	}
	if pruned, err := n1.PruneCommitLog(ctx, -time.Minute); err != nil || pruned != clock {
		t.Fatalf("pruned %d rows (%v), want all %d", pruned, err, clock)
	}
	if _, _, err := n1.Send(ctx, a, g.ID, "after-prune", "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := n1.CommitLog(ctx, 0, 0, 10); !errors.Is(err, storage.ErrLogPruned) {
		t.Fatalf("reading pruned positions: %v, want ErrLogPruned", err)
	}
	if l, err := n1.CommitLog(ctx, clock, 0, 10); err != nil || len(l) != 1 || l[0].Pos != clock+1 {
		t.Fatalf("the log after the prune: %+v %v, want position %d", l, err, clock+1)
	}

	// b leaves through n2: n1 refuses b's next send.
	if _, err := n2.Leave(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n1.Send(ctx, b, g.ID, "after", "gone"); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("n1 took a send from b, who left through n2: %v", err)
	}
}

// Two nodes take the same sends at once, each as runs of asynchronous
// sends (bulk.go): every client ID is stored once, one node's answer is
// the message and the other's the same message as a duplicate, and the
// conversation's seqs stay gap-free.
func TestPostgresNodesTakeTheSameSendsOnce(t *testing.T) {
	nodes := openNodes(t, 2)
	ctx := context.Background()
	a, err := nodes[0].CreateUser(ctx, "a", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := nodes[0].CreateGroup(ctx, a, "g")
	if err != nil {
		t.Fatal(err)
	}
	const sends = 400
	type result struct {
		m   proto.Message
		dup bool
		err error
	}
	results := [2][sends]result{}
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			var sent sync.WaitGroup
			for k := range sends {
				sent.Add(1)
				if err := n.SendAsync(ctx, a, g.ID, fmt.Sprint("k", k), fmt.Sprint("text ", k), func(m proto.Message, dup bool, err error) {
					results[i][k] = result{m, dup, err}
					sent.Done()
				}); err != nil {
					t.Error(err)
					sent.Done()
				}
			}
			sent.Wait()
		})
	}
	wg.Wait()
	seqs := map[int64]bool{}
	for k := range sends {
		r0, r1 := results[0][k], results[1][k]
		if r0.err != nil || r1.err != nil || r0.dup == r1.dup || r0.m.Seq != r1.m.Seq || r0.m.Text != fmt.Sprint("text ", k) || r1.m.Text != r0.m.Text {
			t.Fatalf("client ID k%d: node 1 %+v, node 2 %+v; want one message, once a duplicate", k, r0, r1)
		}
		seqs[r0.m.Seq] = true
	}
	for s := int64(2); s <= sends+1; s++ { // seq 1: created
		if !seqs[s] {
			t.Fatalf("no send took seq %d: %d seqs for %d sends", s, len(seqs), sends)
		}
	}
	ms, _, err := nodes[1].History(ctx, a.ID, proto.HistoryRequest{Conv: g.ID, Limit: 1})
	if err != nil || len(ms) != 1 || ms[0].Seq != sends+1 {
		t.Fatalf("the newest message: %+v %v, want seq %d", ms, err, sends+1)
	}
}
