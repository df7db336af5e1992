package node_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/hub"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/storage"
)

// dialNode opens a connection that is not logged in.
func dialNode(t *testing.T, s *nodetest.Server) *client.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, s.URL, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantLimited fails t unless err is rate_limited with retry_after_ms retry.
func wantLimited(t *testing.T, what string, err error, retry time.Duration) {
	t.Helper()
	var pe *proto.Error
	if !errors.As(err, &pe) || pe.Code != proto.CodeRateLimited || pe.RetryAfterMs != retry.Milliseconds() {
		t.Fatalf("%s: %v (%#v), want rate_limited with retry_after_ms %d", what, err, pe, retry.Milliseconds())
	}
}

func wantCode(t *testing.T, what string, err error, code proto.Code) {
	t.Helper()
	if proto.CodeOf(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// twoNodes starts two nodes on one PostgreSQL database, on one clock.
func twoNodes(t *testing.T, clock *nodetest.Clock, set func(*node.Config)) (dsn string, a, b *nodetest.Server) {
	dsn = servicetest.PostgreSQL(t)
	cfg := nodetest.WithConfig(func(c *node.Config) {
		c.DB, c.Now = dsn, clock.Now
		set(c)
	})
	return dsn, nodetest.Start(t, cfg), nodetest.Start(t, cfg)
}

// An attacker who spreads wrong passwords over two nodes of a cluster
// gets the account's budget once, not twice; the budget comes back by
// the clock, one per Every; the right password then resets it, on
// whichever node.
func TestLoginLimitHoldsAcrossNodes(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	dsn, a, b := twoNodes(t, clock, func(c *node.Config) {
		c.LoginUserLimit = hub.Limit{Burst: 3, Every: time.Minute}
		c.LoginAddrLimit = hub.Limit{Burst: -1}
	})
	victim := a.NewUser(t, "victim").User.ID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	onA, onB := dialNode(t, a), dialNode(t, b)
	guess := func(c *client.Conn, password string) error {
		_, err := c.Login(ctx, victim, password, "")
		return err
	}
	for i, c := range []*client.Conn{onA, onB, onA} {
		wantCode(t, fmt.Sprint("wrong password ", i+1), guess(c, "guess"), proto.CodeBadCredentials)
	}
	wantLimited(t, "fourth wrong password, on B", guess(onB, "guess"), time.Minute)
	wantLimited(t, "fourth wrong password, on A", guess(onA, "guess"), time.Minute)
	wantLimited(t, "the right password, on B", guess(onB, nodetest.Password), time.Minute)

	var rows int
	pg, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close(ctx)
	if err := pg.QueryRow(ctx, "SELECT count(*) FROM rate_limits WHERE bucket = $1", "login_user:"+strconv.FormatInt(int64(victim), 10)).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the account's bucket in the database: %d rows, %v", rows, err)
	}

	clock.Advance(40 * time.Second)
	wantLimited(t, "after 40 s", guess(onA, "guess"), 20*time.Second)
	clock.Advance(20 * time.Second)
	wantCode(t, "one more after a minute, on B", guess(onB, "guess"), proto.CodeBadCredentials)
	wantLimited(t, "and no second one, on A", guess(onA, "guess"), time.Minute)

	clock.Advance(time.Minute)
	if _, err := onA.Login(ctx, victim, nodetest.Password, ""); err != nil {
		t.Fatalf("the right password once a token is back: %v", err)
	}
	// A successful login fills the bucket for every node.
	for i, c := range []*client.Conn{onB, onB, onB} {
		wantCode(t, fmt.Sprint("wrong password after the reset ", i+1), guess(c, "guess"), proto.CodeBadCredentials)
	}
	wantLimited(t, "fourth after the reset", guess(onB, "guess"), time.Minute)
}

// Registrations from one address spread over two nodes get one budget.
func TestRegistrationLimitHoldsAcrossNodes(t *testing.T) {
	clock := nodetest.NewClock(time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC))
	_, a, b := twoNodes(t, clock, func(c *node.Config) {
		c.RegisterLimit = hub.Limit{Burst: 2, Every: time.Hour}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	onA, onB := dialNode(t, a), dialNode(t, b)
	if _, err := onA.Register(ctx, "one", nodetest.Password); err != nil {
		t.Fatal(err)
	}
	if _, err := onB.Register(ctx, "two", nodetest.Password); err != nil {
		t.Fatal(err)
	}
	_, err := onA.Register(ctx, "three", nodetest.Password)
	wantLimited(t, "third registration, on A", err, time.Hour)
	_, err = onB.Register(ctx, "three", nodetest.Password)
	wantLimited(t, "third registration, on B", err, time.Hour)
	clock.Advance(time.Hour)
	if _, err := onB.Register(ctx, "three", nodetest.Password); err != nil {
		t.Fatalf("a registration an hour later: %v", err)
	}
	_, err = onA.Register(ctx, "four", nodetest.Password)
	wantLimited(t, "and no second one", err, time.Hour)
}

// A single server on SQLite keeps its limits in memory: they hold, and
// not one bucket is written to the database.
func TestSQLiteNodeKeepsLimitsInMemory(t *testing.T) {
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.LoginUserLimit = hub.Limit{Burst: 2, Every: time.Minute}
		c.RegisterLimit = hub.Limit{Burst: 2, Every: time.Hour}
	}))
	victim := s.NewUser(t, "victim").User.ID
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dialNode(t, s)
	for range 2 {
		_, err := c.Login(ctx, victim, "guess", "")
		wantCode(t, "wrong password", err, proto.CodeBadCredentials)
	}
	_, err := c.Login(ctx, victim, "guess", "")
	if proto.CodeOf(err) != proto.CodeRateLimited {
		t.Fatalf("third wrong password: %v, want rate_limited", err)
	}
	if _, err := c.Register(ctx, "two", nodetest.Password); err != nil {
		t.Fatal(err)
	}
	_, err = c.Register(ctx, "three", nodetest.Password)
	if proto.CodeOf(err) != proto.CodeRateLimited {
		t.Fatalf("third registration: %v, want rate_limited", err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(s.Dir, storage.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM rate_limits").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("rate_limits holds %d rows (%v): SQLite's limits must stay in memory", rows, err)
	}
}
