//go:build linux

package servicetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgreSQL starts a private PostgreSQL server for t and returns the DSN
// of its database "postgres", for the superuser "parley" (trust
// authentication, over TCP on 127.0.0.1 only; no Unix socket).
//
// initdb and postgres refuse to run as root: as root they run as the
// unprivileged user tools/services.sh creates (parley-test), in a directory
// it owns. The server trades durability for speed (fsync off: a crashed
// machine loses the data, a killed server does not).
func PostgreSQL(t testing.TB) (dsn string) {
	t.Helper()
	return StartPostgreSQL(t).URL
}

// StartPostgreSQL is PostgreSQL that returns the server, to stop and
// start (its URL is the DSN).
func StartPostgreSQL(t testing.TB) *Service {
	t.Helper()
	s := ensureBuilt(t)
	dir := t.TempDir()
	cred, err := postgresCredential(s.postgresUser, dir)
	if err != nil {
		t.Fatalf("servicetest: PostgreSQL: %v", err)
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(s.postgresBin, "initdb"),
		"--pgdata", data, "--username", "parley", "--auth", "trust",
		"--encoding", "UTF8", "--locale", "C", "--no-sync")
	initdb.Env = append(os.Environ(), "LC_ALL=C")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	start := time.Now()
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("servicetest: PostgreSQL: initdb: %v\n%s", err, out)
	}
	t.Logf("servicetest: initdb took %v", time.Since(start).Round(time.Millisecond))

	dsnFor := func(port int) string {
		return fmt.Sprintf("postgres://parley@127.0.0.1:%d/postgres?sslmode=disable", port)
	}
	launch := func(port int) (*process, error) {
		return startProcess("postgres", filepath.Join(dir, "postgres.log"), cred, []string{"LC_ALL=C"},
			filepath.Join(s.postgresBin, "postgres"), "-D", data,
			"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-k", "",
			"-c", "fsync=off", "-c", "full_page_writes=off")
	}
	ready := func(port int) error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsnFor(port))
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		var got string
		if err := conn.QueryRow(ctx, "SELECT current_setting('data_directory')").Scan(&got); err != nil {
			return err
		}
		if got != data {
			return fmt.Errorf("the server on port %d serves %s, not %s", port, got, data)
		}
		return nil
	}
	// SIGINT is PostgreSQL's fast shutdown: it does not wait for clients
	// the test left connected (SIGTERM would).
	port, p := startProcessOnFreePort(t, os.Interrupt, launch, ready)
	return &Service{URL: dsnFor(port), t: t, port: port, p: p, launch: launch, ready: ready, crash: syscall.SIGQUIT}
}

// postgresCredential returns who initdb and postgres run as, and makes dir
// theirs: nil (this process's user) unless name is set, then that user,
// who gets dir and must be able to reach it.
func postgresCredential(name, dir string) (*syscall.Credential, error) {
	if name == "" {
		return nil, nil
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("%w (tools/services.sh build creates it when run as root)", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", name, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", name, u.Gid, err)
	}
	if err := os.Chown(dir, int(uid), int(gid)); err != nil {
		return nil, fmt.Errorf("give %s to %s: %w", dir, name, err)
	}
	// The test's own temporary directories above dir are private (0700):
	// let the user through them, not read them.
	top := filepath.Clean(os.TempDir())
	if rel, err := filepath.Rel(top, dir); err != nil || strings.HasPrefix(rel, "..") {
		return nil, fmt.Errorf("%s is not under the temporary directory %s", dir, top)
	}
	for d := filepath.Dir(dir); d != top && d != filepath.Dir(d); d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(d, fi.Mode().Perm()|0o001); err != nil {
				return nil, fmt.Errorf("let %s through %s: %w", name, d, err)
			}
		}
	}
	for d := top; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return nil, err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return nil, fmt.Errorf("%s cannot reach %s: %s is not searchable by others (mode %v); set TMPDIR to a directory other users can reach, such as /tmp", name, dir, d, fi.Mode().Perm())
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
