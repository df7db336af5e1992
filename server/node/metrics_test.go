package node_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"parley/net/client"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// Checkpoints run beside the commits, out of sight of any request: the
// metrics are how an operator sees them.
func TestCheckpointsShowInTheMetrics(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.CheckpointFrames = 8 }))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	me, err := c.Register(ctx, "Li Hua", "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Login(ctx, me.ID, "correct horse", "test"); err != nil {
		t.Fatal(err)
	}
	g, err := c.CreateGroup(ctx, "checkpoints")
	if err != nil {
		t.Fatal(err)
	}
	const want = `parley_db_checkpoints_total{kind="passive"}`
	// Each send is its own commit of a page or two: some dozens cross
	// the 8-page interval a few times. The checkpoint follows the commit
	// asynchronously, so keep sending until the metrics show one.
	for i := 0; ; i++ {
		if _, err := c.Send(ctx, g.ID, client.NewClientID(), "hello"); err != nil {
			t.Fatal(err)
		}
		_, body, _ := get(t, "GET", srv.HTTPURL+"/metrics")
		if strings.Contains(body, want) {
			for _, name := range []string{"parley_db_checkpoint_seconds_bucket", "parley_db_wal_uncopied_pages"} {
				if !strings.Contains(body, name) {
					t.Errorf("/metrics lacks %s", name)
				}
			}
			return
		}
		if i == 2000 {
			t.Fatalf("no checkpoint in /metrics after %d messages:\n%s", i, body)
		}
	}
}
