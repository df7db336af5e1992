package storage

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL mode runs the same queries as SQLite through
// database/sql, on pgx's driver wrapped by pgConnector. The storage code
// writes SQL both engines understand; the wrapper bridges the two
// differences that every query would otherwise have to spell twice:
//
//   - placeholders: SQLite's ? becomes PostgreSQL's $1, $2, … (rebind);
//   - booleans: the schema stores flags as integers, as SQLite does, and
//     a Go bool argument becomes 0 or 1 (PostgreSQL refuses a bool for a
//     bigint column). Scanning an integer into a bool works as it does on
//     SQLite (database/sql converts).

// pgConnector opens pgx connections that rebind and convert.
type pgConnector struct{ inner driver.Connector }

// pgIdleInTransaction bounds how long a node's session may sit inside a
// transaction without a statement running (PostgreSQL's
// idle_in_transaction_session_timeout), unless the address sets it: the
// sequencer's transaction holds the cluster's commit clock, so a node
// frozen in one (SIGSTOP, a paused VM, a stalled disk) would otherwise stop
// every node's writes for as long as it stays frozen. PostgreSQL ends that
// session; the frozen node's batch fails when it wakes (unavailable, and
// its writers retry). A variable for tests.
var pgIdleInTransaction = 5 * time.Second

// The sequencer's session plans every statement for its arguments
// (plan_cache_mode force_custom_plan), unless the address says otherwise.
// Its statements are prepared once and run for ever; a plan PostgreSQL
// made generic while the tables were small can stay after they grew: the
// lookup of a run's client IDs (bulk.go) then joined the arrays to a
// sequential scan of messages, a scan per transaction, and halved the
// throughput. Planning each run costs far less than that.
const pgWriterPlans = "force_custom_plan"

// newPGConnector opens connections to dsn; writer: for the sequencer.
func newPGConnector(dsn string, writer bool) (driver.Connector, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	const idle = "idle_in_transaction_session_timeout"
	if _, ok := cfg.RuntimeParams[idle]; !ok {
		cfg.RuntimeParams[idle] = strconv.FormatInt(pgIdleInTransaction.Milliseconds(), 10)
	}
	const plans = "plan_cache_mode"
	if _, ok := cfg.RuntimeParams[plans]; !ok && writer {
		cfg.RuntimeParams[plans] = pgWriterPlans
	}
	return pgConnector{inner: stdlib.GetConnector(*cfg)}, nil
}

func (c pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &pgConn{conn.(*stdlib.Conn)}, nil
}

func (c pgConnector) Driver() driver.Driver { return c.inner.Driver() }

// pgConn is a pgx connection whose queries are rebound.
type pgConn struct{ *stdlib.Conn }

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(context.Background(), rebind(query))
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.PrepareContext(ctx, rebind(query))
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.ExecContext(ctx, rebind(query), args)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.QueryContext(ctx, rebind(query), args)
}

// CheckNamedValue passes every argument to pgx as it is, but a bool,
// which becomes the integer the schema stores.
func (c *pgConn) CheckNamedValue(v *driver.NamedValue) error {
	if b, ok := v.Value.(bool); ok {
		v.Value = int64(0)
		if b {
			v.Value = int64(1)
		}
	}
	return nil
}

// rebind turns SQLite's placeholders into PostgreSQL's: ? into the next
// number ($1, $2, …), ?NNN into $NNN, leaving string literals, quoted
// identifiers and comments alone.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		switch ch := query[i]; ch {
		case '\'', '"':
			j := strings.IndexByte(query[i+1:], ch)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case '-':
			if i+1 < len(query) && query[i+1] == '-' {
				j := strings.IndexByte(query[i:], '\n')
				if j < 0 {
					b.WriteString(query[i:])
					return b.String()
				}
				b.WriteString(query[i : i+j])
				i += j - 1
				continue
			}
			b.WriteByte(ch)
		case '?':
			b.WriteByte('$')
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			if j > i+1 { // ?NNN, numbered as PostgreSQL numbers
				b.WriteString(query[i+1 : j])
				i = j - 1
				continue
			}
			n++
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// pgCode is the SQLSTATE of a PostgreSQL error ("" for other errors).
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Unreachable reports whether err is the database server being out of
// reach (PostgreSQL down, restarting, or the network to it gone), as
// opposed to a query that failed: the request may succeed if tried again
// later.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return true
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return true
	}
	code := pgCode(err)
	// 08: connection exception; 57P01–57P03: the server is shutting down
	// or starting; 25P03: this session sat too long in a transaction (the
	// node was frozen) and PostgreSQL ended it.
	return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "25P03"
}

// PostgreSQL's error codes that storage tells apart.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)
