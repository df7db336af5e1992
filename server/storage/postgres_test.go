package storage_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"parley/net/proto"
	"parley/server/internal/servicetest"
	"parley/server/storage"
)

// node is one server node's storage on a shared PostgreSQL database, and
// the seqs its OnCommit reported, in order.
type node struct {
	*storage.DB
	mu     sync.Mutex
	pushed []int64
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

// Two nodes write one conversation at once: seqs stay gap-free and
// unique, each node reports its commits in seq order, and what one node
// changes (a member added, then gone) holds at once on the other, whose
// cache had the conversation from before.
func TestPostgresNodesWriteOneConversation(t *testing.T) {
	nodes := openNodes(t, 2)
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
	want := 3 + 2*perNode*each // created, warm, joined, the sends
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
	// b leaves through n2: n1 refuses b's next send.
	if _, err := n2.Leave(ctx, b, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := n1.Send(ctx, b, g.ID, "after", "gone"); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("n1 took a send from b, who left through n2: %v", err)
	}
}
