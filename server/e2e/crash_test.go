package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/internal/servicetest"
)

// buildServer builds the real server binary into a temporary folder.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the server: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "parley-server")
	out, err := exec.Command(goTool, "build", "-o", bin, "parley/server").CombinedOutput()
	if err != nil {
		t.Fatalf("go build parley/server: %v\n%s", err, out)
	}
	return bin
}

// process is the server binary running on a data folder.
type process struct {
	cmd  *exec.Cmd
	URL  string
	addr string // host:port
	mu   sync.Mutex
	logs bytes.Buffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

// run starts bin on dir, listening on a free port, and waits for it to
// log its address; args are added to its command line.
func run(t *testing.T, bin, dir string, args ...string) *process {
	t.Helper()
	p := &process{
		cmd:  exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-data", dir, "-argon2", "m=64,t=1,p=1", "-register-limit", "off"}, args...)...),
		done: make(chan struct{}),
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start the server: %v", err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs.Write(sc.Bytes())
			p.logs.WriteByte('\n')
			p.mu.Unlock()
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			p.mu.Lock()
			t.Logf("server log:\n%s", p.logs.String())
			p.mu.Unlock()
		}
	})
	select {
	case a := <-addr:
		p.addr, p.URL = a, "ws://"+a+proto.WSPath
	case <-p.done:
		t.Fatalf("the server exited before listening: %v", p.err)
	case <-time.After(waitFor):
		t.Fatal("the server did not log its address")
	}
	return p
}

// kill stops the process with SIGKILL: no shutdown, no flush.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill the server: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(waitFor):
		t.Fatal("the killed server did not exit")
	}
}

// processes is the server binary running: one process, or in a cluster
// run three on one PostgreSQL database and one NATS server (-udp off:
// they share the machine) behind a forwarder.
type processes struct {
	URL   string
	bin   string
	dirs  []string // each process's data folder
	args  []string
	procs []*process
}

// runProcesses starts the server binary bin: one process, or a cluster's
// three.
func runProcesses(t *testing.T, bin string) *processes {
	t.Helper()
	ps := &processes{bin: bin, dirs: []string{t.TempDir()}}
	if clusterRun {
		ps.args = []string{"-db", clusterDatabase(t), "-nats", servicetest.NATS(t), "-udp", "off"}
		for len(ps.dirs) < clusterNodes {
			ps.dirs = append(ps.dirs, t.TempDir())
		}
	}
	ps.start(t)
	return ps
}

// start starts a process on each data folder.
func (ps *processes) start(t *testing.T) {
	t.Helper()
	ps.procs = nil
	var addrs []string
	for _, dir := range ps.dirs {
		p := run(t, ps.bin, dir, ps.args...)
		ps.procs = append(ps.procs, p)
		addrs = append(addrs, p.addr)
	}
	ps.URL = ps.procs[0].URL
	if len(addrs) > 1 {
		ps.URL = "ws://" + forward(t, addrs...).addr() + proto.WSPath
	}
}

// kill kills every process (SIGKILL).
func (ps *processes) kill(t *testing.T) {
	t.Helper()
	for _, p := range ps.procs {
		p.kill(t)
	}
}

// A server killed with SIGKILL under sends loses none it acknowledged,
// and stores each once, with gapless seqs. In a cluster run all three
// nodes are killed, and started again on the same database.
func TestAcknowledgedMessagesSurviveKill9(t *testing.T) {
	bin := buildServer(t)
	srv := runProcesses(t, bin)
	ann := register(t, srv.URL, "Ann")
	first := login(t, srv.URL, ann)
	g := group(t, "g", first)

	// 4 connections × 4 senders send until the server dies under them.
	const conns, perConn, killAfter, maxSends = 4, 4, 400, 5000
	var (
		mu    sync.Mutex
		acked = map[string]int64{} // client ID → seq
		kill  = make(chan struct{})
		wg    sync.WaitGroup
	)
	for range conns {
		d := login(t, srv.URL, ann)
		for range perConn {
			wg.Go(func() {
				for range maxSends {
					id := client.NewClientID()
					r, err := d.Send(testCtx(t), g.ID, id, "text "+id)
					if err != nil {
						return // the server is gone
					}
					mu.Lock()
					acked[id] = r.Message.Seq
					if len(acked) == killAfter {
						close(kill)
					}
					mu.Unlock()
				}
			})
		}
	}
	select {
	case <-kill:
	case <-time.After(waitFor):
		t.Fatal("the senders did not get enough acknowledgements")
	}
	srv.kill(t)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d messages acknowledged before the kill", len(acked))

	srv.start(t)
	d := login(t, srv.URL, ann)
	_, msgs, err := d.SyncAll(testCtx(t), map[proto.ConvID]int64{g.ID: 0})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int64{}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: seqs must start at 1 with no gaps", i, m.Seq)
		}
		if m.ClientID == "" {
			continue // the group's creation
		}
		if _, dup := stored[m.ClientID]; dup {
			t.Fatalf("client ID %s stored twice", m.ClientID)
		}
		if m.Text != "text "+m.ClientID {
			t.Fatalf("seq %d holds %q, want %q", m.Seq, m.Text, "text "+m.ClientID)
		}
		stored[m.ClientID] = m.Seq
	}
	for id, seq := range acked {
		got, ok := stored[id]
		if !ok {
			t.Fatalf("acknowledged message %s (seq %d) is lost", id, seq)
		}
		if got != seq {
			t.Fatalf("acknowledged message %s had seq %d, now %d", id, seq, got)
		}
	}
	t.Logf("%d messages stored, %d of them acknowledged", len(stored), len(acked))
}
