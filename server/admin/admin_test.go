package admin_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/admin"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/node/nodetest"
)

func id[T ~int64](v T) string { return strconv.FormatInt(int64(v), 10) }

func startServer(t *testing.T, registration string, clock *nodetest.Clock) *nodetest.Server {
	t.Helper()
	return nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.AdminSocket = true
		c.Registration = registration
		if clock != nil {
			c.Now = clock.Now
		}
	}))
}

// run runs `parley-server admin -data DIR args…` and returns its output.
func run(t *testing.T, dir, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := admin.Command(ctx, append([]string{"-data", dir}, args...), func(string) string { return "" }, strings.NewReader(stdin), &out)
	return out.String(), err
}

// columns makes every run of spaces in out one space.
func columns(out string) string {
	var b strings.Builder
	for line := range strings.Lines(out) {
		b.WriteString(strings.Join(strings.Fields(line), " ") + "\n")
	}
	return b.String()
}

func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, "", args...)
	if err != nil {
		t.Fatalf("admin %v: %v", args, err)
	}
	return out
}

func dial(t *testing.T, s *nodetest.Server) *client.Conn {
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

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantClosed waits for the server to close c and checks the close frame.
func wantClosed(t *testing.T, c *client.Conn, status websocket.StatusCode, reason string) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second): // a guard against hangs
		t.Fatalf("the connection is still open, want it closed with %d %q", status, reason)
	}
	var ce websocket.CloseError
	if !errors.As(c.Err(), &ce) || ce.Code != status || ce.Reason != reason {
		t.Fatalf("connection ended with %v, want close %d %q", c.Err(), status, reason)
	}
}

func TestRegistrationModes(t *testing.T) {
	t.Run("open", func(t *testing.T) {
		s := startServer(t, "", nil) // nodetest's default: open
		if _, err := dial(t, s).RegisterWithCode(ctx(t), "Li", nodetest.Password, "anything"); err != nil {
			t.Fatalf("open registration with a code (ignored): %v", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		s := startServer(t, hub.RegistrationClosed, nil)
		c := dial(t, s)
		for _, code := range []string{"", "anything"} {
			if _, err := c.RegisterWithCode(ctx(t), "Li", nodetest.Password, code); proto.CodeOf(err) != proto.CodeRegistrationClosed {
				t.Fatalf("closed registration, code %q: %v, want registration_closed", code, err)
			}
		}
		if out := mustRun(t, s.Dir, "users"); strings.Count(out, "\n") != 1 {
			t.Fatalf("users after refused registrations:\n%s", out)
		}
	})
	t.Run("codes", func(t *testing.T) {
		clock := nodetest.NewClock(time.Date(2026, 12, 5, 1, 0, 0, 0, time.UTC))
		s := startServer(t, hub.RegistrationCodes, clock)
		c := dial(t, s)
		once := strings.TrimSpace(mustRun(t, s.Dir, "create-code"))
		twice := strings.TrimSpace(mustRun(t, s.Dir, "create-code", "-uses", "2", "-expires", "off"))
		hour := strings.TrimSpace(mustRun(t, s.Dir, "create-code", "-expires", "1h"))
		if len(once) != 26 || once == twice {
			t.Fatalf("codes %q, %q: want 26 characters each, different", once, twice)
		}
		for _, tc := range []struct {
			code string
			want proto.Code
		}{
			{"", proto.CodeCodeRequired},
			{"wrong", proto.CodeBadCode},
			{once, ""},
			{once, proto.CodeCodeUsedUp},
			{twice, ""},
			{twice, ""},
			{twice, proto.CodeCodeUsedUp},
		} {
			u, err := c.RegisterWithCode(ctx(t), "Li", nodetest.Password, tc.code)
			if proto.CodeOf(err) != tc.want {
				t.Fatalf("register with code %q: %v, want %q", tc.code, err, tc.want)
			}
			if err == nil {
				if _, err := c.Login(ctx(t), u.ID, nodetest.Password, "test"); err != nil {
					t.Fatalf("log in after registering with a code: %v", err)
				}
				if err := c.Logout(ctx(t)); err != nil {
					t.Fatal(err)
				}
			}
		}
		clock.Advance(time.Hour)
		if _, err := c.RegisterWithCode(ctx(t), "Li", nodetest.Password, hour); proto.CodeOf(err) != proto.CodeCodeExpired {
			t.Fatalf("register with a code an hour old: %v, want code_expired", err)
		}
		out := columns(mustRun(t, s.Dir, "codes"))
		for _, want := range []string{once + " 1/1 2026-12-12T01:00:00Z used-up", twice + " 2/2 never used-up", hour + " 0/1 2026-12-05T02:00:00Z expired"} {
			if !strings.Contains(out, want) {
				t.Errorf("codes output lacks %q:\n%s", want, out)
			}
		}
		if n := strings.Count(mustRun(t, s.Dir, "users"), "\n"); n != 1+3 {
			t.Fatalf("users: %d lines, want a header and the 3 registered", n)
		}
	})
}

func TestAdminCommandsAgainstARunningServer(t *testing.T) {
	s := startServer(t, "", nil)
	li := s.NewUser(t, "Li Hua")
	tom := s.NewUser(t, "Tom")
	tomPhone := dial(t, s)
	if _, err := tomPhone.Resume(ctx(t), tom.Token); err != nil {
		t.Fatal(err)
	}

	// users: one line per user, by ID, the name last.
	out := mustRun(t, s.Dir, "users")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID STATUS SESSIONS CREATED NAME" {
		t.Fatalf("users:\n%s", out)
	}
	var found bool
	for _, line := range lines[1:] {
		if f := strings.Fields(line); f[0] == id(li.ID) {
			found = true
			if f[1] != "active" || f[2] != "1" || strings.Join(f[4:], " ") != "Li Hua" {
				t.Fatalf("users line of Li: %q", line)
			}
		}
	}
	if !found {
		t.Fatalf("users lists no %d:\n%s", li.ID, out)
	}

	// reset-password: every session of Tom's ends at once; the old
	// password and token are refused, the printed one works.
	out = mustRun(t, s.Dir, "reset-password", id(tom.ID))
	pw := strings.TrimSpace(out)
	if len(pw) != 16 {
		t.Fatalf("reset-password printed %q, want a 16-character password", out)
	}
	wantClosed(t, tom.Conn, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)
	wantClosed(t, tomPhone, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)
	c := dial(t, s)
	if _, err := c.Resume(ctx(t), tom.Token); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("resume with a token from before the reset: %v, want bad_token", err)
	}
	if _, err := c.Login(ctx(t), tom.ID, nodetest.Password, "test"); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("login with the old password: %v, want bad_credentials", err)
	}
	if _, err := c.Login(ctx(t), tom.ID, pw, "test"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	// -stdin takes it from the first line of stdin.
	if out, err := run(t, s.Dir, "my new password\n", "reset-password", "-stdin", id(tom.ID)); err != nil || !strings.Contains(out, "reset") {
		t.Fatalf("reset-password -stdin: %q, %v", out, err)
	}
	wantClosed(t, c, websocket.StatusCode(proto.CloseRevoked), proto.ReasonRevoked)
	if _, err := dial(t, s).Login(ctx(t), tom.ID, "my new password", "test"); err != nil {
		t.Fatalf("login with the password from stdin: %v", err)
	}
	if _, err := run(t, s.Dir, "", "reset-password", "-stdin", id(tom.ID)); err == nil {
		t.Fatal("reset-password -stdin with nothing on stdin succeeded")
	}
	if _, err := run(t, s.Dir, "short\n", "reset-password", "-stdin", id(tom.ID)); err == nil || !strings.Contains(err.Error(), "weak_password") {
		t.Fatalf("reset-password to a 5-byte password: %v, want weak_password", err)
	}

	// disable: Li's connection closes, logins are refused; enable lets
	// them in again.
	if out := mustRun(t, s.Dir, "disable", id(li.ID)); !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %q", out)
	}
	wantClosed(t, li.Conn, websocket.StatusCode(proto.CloseRevoked), proto.ReasonDisabled)
	c = dial(t, s)
	if _, err := c.Resume(ctx(t), li.Token); proto.CodeOf(err) != proto.CodeBadToken {
		t.Fatalf("resume of a disabled account: %v, want bad_token", err)
	}
	if _, err := c.Login(ctx(t), li.ID, "wrong password", "test"); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("login to a disabled account with a wrong password: %v, want bad_credentials", err)
	}
	if _, err := c.Login(ctx(t), li.ID, nodetest.Password, "test"); proto.CodeOf(err) != proto.CodeAccountDisabled {
		t.Fatalf("login to a disabled account: %v, want account_disabled", err)
	}
	if out := columns(mustRun(t, s.Dir, "users")); !strings.Contains(out, id(li.ID)+" disabled 0") {
		t.Fatalf("users after disable:\n%s", out)
	}
	mustRun(t, s.Dir, "enable", id(li.ID))
	if _, err := c.Login(ctx(t), li.ID, nodetest.Password, "test"); err != nil {
		t.Fatalf("login after enable: %v", err)
	}

	// Unknown users are errors, and change nothing.
	for _, cmd := range []string{"disable", "enable", "reset-password"} {
		if _, err := run(t, s.Dir, "", cmd, "999999"); err == nil || !strings.Contains(err.Error(), "no_such_user") {
			t.Errorf("%s of an unknown user: %v, want no_such_user", cmd, err)
		}
	}
}

func TestAdminDeletesAGroupAsItsOwnerWould(t *testing.T) {
	s := startServer(t, "", nil)
	owner := s.NewUser(t, "Li Hua")
	member := s.NewUser(t, "Tom")
	g := nodetest.Group(t, owner, "Study Group", member)
	if _, err := member.Conn.Send(ctx(t), g, "m1", "hello"); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, s.Dir, "delete-group", id(g))
	if out != "group "+id(g)+" (Study Group) deleted\n" {
		t.Fatalf("delete-group: %q", out)
	}
	for _, u := range []*nodetest.User{owner, member} {
		waitDeleted(t, u, g)
	}
	if _, err := member.Conn.History(ctx(t), proto.HistoryRequest{Conv: g}); proto.CodeOf(err) == "" {
		t.Fatal("the history of a deleted group still answers")
	}
	if _, err := run(t, s.Dir, "", "delete-group", id(g)); err == nil || !strings.Contains(err.Error(), "no_such_group") {
		t.Fatalf("deleting it again: %v, want no_such_group", err)
	}
}

func waitDeleted(t *testing.T, u *nodetest.User, g proto.ConvID) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case p := <-u.Pushes:
			if cp := p.Conversation; cp != nil && cp.Conversation.ID == g && cp.Deleted {
				return
			}
		case <-timeout:
			t.Fatalf("%s was not told that %d was deleted", u.Name, g)
		}
	}
}

func TestAdminSocketIsTheOwnersOnly(t *testing.T) {
	s := startServer(t, "", nil)
	st, err := os.Stat(filepath.Join(s.Dir, admin.SocketName))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != os.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket mode %v, want a socket with mode 0600", st.Mode())
	}
	// Nothing else is left in the data folder by making it.
	entries, _ := os.ReadDir(s.Dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".admin-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	s.Stop()
	if _, err := os.Stat(filepath.Join(s.Dir, admin.SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket after the server stopped: %v, want it removed", err)
	}
}

func TestAdminWithoutAServerRefuses(t *testing.T) {
	dir := t.TempDir()
	_, err := run(t, dir, "", "users")
	if !errors.Is(err, admin.ErrNotRunning) || !strings.Contains(err.Error(), "start it") {
		t.Fatalf("admin with no server: %v, want a not-running error that says what to do", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the admin command touched the data folder of no server: %d entries", len(entries))
	}
	// A socket left by a server that died is no server either, and a
	// new server replaces it.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, admin.SocketName), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := run(t, dir, "", "users"); !errors.Is(err, admin.ErrNotRunning) {
		t.Fatalf("admin with a stale socket: %v, want not running", err)
	}
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.DataDir, c.AdminSocket = dir, true }))
	if out := mustRun(t, dir, "users"); !strings.HasPrefix(out, "ID") {
		t.Fatalf("users once the server runs: %q", out)
	}
	// A second server on the same folder does not start.
	if _, err := node.New(context.Background(), node.Config{DataDir: dir, AdminSocket: true}); err == nil || !strings.Contains(err.Error(), "another server is running") {
		t.Fatalf("a second server on a running server's folder: %v", err)
	}
	s.Stop()
	if _, err := run(t, dir, "", "users"); !errors.Is(err, admin.ErrNotRunning) {
		t.Fatalf("admin after the server stopped: %v, want not running", err)
	}
}

func TestAdminCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"disable"}, {"disable", "li"}, {"users", "extra"},
		{"create-code", "-uses", "0"}, {"create-code", "-expires", "soon"}, {"delete-group", "-5"},
	} {
		_, err := run(t, dir, "", args...)
		var ue admin.UsageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "usage:") {
			t.Errorf("admin %v: %v, want a usage error", args, err)
		}
	}
	if out, err := run(t, dir, "", "-h"); err != nil || out != admin.Usage {
		t.Errorf("admin -h: %q, %v; want the usage on stdout", out, err)
	}
}
