//go:build linux

package servicetest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// readyTimeout bounds how long a started service may take to answer.
const readyTimeout = 60 * time.Second

// stopTimeout is how long a service has to exit after it is asked to,
// before it is killed.
const stopTimeout = 10 * time.Second

// services is what tools/services.sh build reports.
type services struct {
	postgresBin  string // the directory holding initdb and postgres
	postgresUser string // the user PostgreSQL runs as; empty: this process's user
	natsServer   string // the nats-server binary
	versitygw    string // the versitygw binary
}

var (
	buildOnce sync.Once
	built     services
	buildErr  error
)

// ensureBuilt runs tools/services.sh build once per test process.
func ensureBuilt(t testing.TB) services {
	t.Helper()
	buildOnce.Do(func() {
		start := time.Now()
		built, buildErr = build()
		t.Logf("servicetest: tools/services.sh build took %v", time.Since(start).Round(time.Millisecond))
	})
	if buildErr != nil {
		t.Fatalf("servicetest: %v", buildErr)
	}
	return built
}

func build() (services, error) {
	script, err := findScript()
	if err != nil {
		return services{}, err
	}
	// The script is silent on stderr unless it installs or builds
	// something: then its progress shows (go test -v) as it happens.
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("bash", script, "build")
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	if err := cmd.Run(); err != nil {
		return services{}, fmt.Errorf("%s build: %v\n%s", script, err, stderr.String())
	}
	s, err := parseBuild(stdout.String())
	if err != nil {
		return services{}, fmt.Errorf("%s build: %w; its output:\n%s%s", script, err, stdout.String(), stderr.String())
	}
	return s, nil
}

// parseBuild reads tools/services.sh build's NAME=VALUE lines.
func parseBuild(out string) (services, error) {
	var s services
	fields := map[string]*string{
		"postgres-bin":  &s.postgresBin,
		"postgres-user": &s.postgresUser,
		"nats-server":   &s.natsServer,
		"versitygw":     &s.versitygw,
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		key, value, ok := strings.Cut(line, "=")
		if field := fields[key]; ok && field != nil {
			*field = value
			seen[key] = true
		}
	}
	for _, key := range []string{"postgres-bin", "postgres-user", "nats-server", "versitygw"} {
		if !seen[key] {
			return services{}, fmt.Errorf("no %s= line", key)
		}
	}
	return s, nil
}

// findScript finds tools/services.sh in the repository the test runs in
// (go test runs a test in its package's directory).
func findScript() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find tools/services.sh: %w", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "tools", "services.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("no tools/services.sh in %s or above it: run the test from the Parley repository", wd)
		}
	}
}

var (
	portsMu sync.Mutex
	ports   = map[int]bool{} // every port freePort has handed out
)

// freePort returns a 127.0.0.1 port nothing listened on a moment ago, and
// never the same one twice in a test process. Another process may take it
// before the service binds it: startOnFreePort retries with another port
// when the service says its address is in use, and the ready checks make
// sure they reached their own service.
func freePort() (int, error) {
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("find a free port: %w", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !ports[port] {
			ports[port] = true
			return port, nil
		}
	}
	return 0, errors.New("find a free port: the system keeps offering ports already used")
}

// process is one running service.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once it has exited
	waitErr error         // how it exited; read after exited is closed
}

// startProcess starts argv in the directory of logPath, with its output
// in logPath, as cred when not nil.
// The service dies with the test process (Pdeathsig) so a test killed by
// its timeout leaves nothing running.
func startProcess(name, logPath string, cred *syscall.Credential, env []string, argv ...string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer logFile.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = filepath.Dir(logPath)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, argv[0], err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// stop asks the service to exit with sig, and kills it if it has not
// within timeout.
func (p *process) stop(sig os.Signal, timeout time.Duration) error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(timeout):
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	return fmt.Errorf("%s did not exit within %v of %v and was killed; its log:\n%s", p.name, timeout, sig, p.logTail())
}

// logTail is the end of the service's output, for error messages.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	const max = 4000
	if len(b) > max {
		b = append([]byte("…"), b[len(b)-max:]...)
	}
	return string(b)
}

// errExited is returned by waitReady when the service exited before it
// answered.
var errExited = errors.New("exited before it answered")

// waitReady calls try until it succeeds, the service exits, or
// readyTimeout passes. try gets a fresh attempt each time; it must bound
// its own wait (a connection attempt with a timeout).
func (p *process) waitReady(try func() error) error {
	deadline := time.Now().Add(readyTimeout)
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s %w (%v); its log:\n%s", p.name, errExited, p.waitErr, p.logTail())
		default:
		}
		if time.Now().After(deadline) {
			_ = p.stop(syscall.SIGKILL, stopTimeout)
			return fmt.Errorf("%s did not answer within %v (last attempt: %v); its log:\n%s", p.name, readyTimeout, err, p.logTail())
		}
		select {
		case <-p.exited:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// startOnFreePort starts a service with launch on a free port and waits
// until ready answers, trying another port (up to three) when the one it
// was given was taken meanwhile. It registers the service's stop at
// t.Cleanup with stopSig.
func startOnFreePort(t testing.TB, stopSig os.Signal, launch func(port int) (*process, error), ready func(port int) error) int {
	port, _ := startProcessOnFreePort(t, stopSig, launch, ready)
	return port
}

// startProcessOnFreePort is startOnFreePort that also returns the process.
func startProcessOnFreePort(t testing.TB, stopSig os.Signal, launch func(port int) (*process, error), ready func(port int) error) (int, *process) {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			t.Fatalf("servicetest: %v", err)
		}
		start := time.Now()
		p, err := launch(port)
		if err != nil {
			t.Fatalf("servicetest: %v", err)
		}
		err = p.waitReady(func() error { return ready(port) })
		if err == nil {
			t.Logf("servicetest: %s answered on 127.0.0.1:%d %v after it started", p.name, port, time.Since(start).Round(time.Millisecond))
			t.Cleanup(func() {
				if err := p.stop(stopSig, stopTimeout); err != nil {
					t.Errorf("servicetest: %v", err)
				}
			})
			return port, p
		}
		lastErr = err
		if !errors.Is(err, errExited) || !strings.Contains(strings.ToLower(p.logTail()), "in use") {
			break
		}
	}
	t.Fatalf("servicetest: %v", lastErr)
	return 0, nil
}

// Service is a test's service that the test may stop (an outage: it is
// killed, as a crash would) and start again on the same address.
type Service struct {
	URL    string // how clients reach it: a DSN or URL
	t      testing.TB
	port   int
	p      *process
	launch func(port int) (*process, error)
	ready  func(port int) error
	crash  os.Signal // what Stop sends: SIGKILL, or the service's own crash-like stop
}

// Stop stops the service as a crash would: killed (PostgreSQL: its
// immediate shutdown, which leaves recovery to the next start).
func (s *Service) Stop() {
	s.t.Helper()
	sig := s.crash
	if sig == nil {
		sig = syscall.SIGKILL
	}
	if err := s.p.stop(sig, stopTimeout); err != nil {
		s.t.Fatalf("servicetest: %v", err)
	}
}

// Start starts the stopped service again on its address, with its data.
func (s *Service) Start() {
	s.t.Helper()
	p, err := s.launch(s.port)
	if err != nil {
		s.t.Fatalf("servicetest: %v", err)
	}
	if err := p.waitReady(func() error { return s.ready(s.port) }); err != nil {
		s.t.Fatalf("servicetest: %s again on port %d: %v", p.name, s.port, err)
	}
	s.p = p
	s.t.Cleanup(func() { p.stop(os.Interrupt, stopTimeout) })
}
