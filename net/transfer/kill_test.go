package transfer_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/transfer"
	"parley/server/node/nodetest"
)

// serverProcess is the real server binary running on a data folder.
type serverProcess struct {
	cmd  *exec.Cmd
	addr string // 127.0.0.1:port
	done chan struct{}
}

// serverBin is the server binary, built once for the tests that run it.
var serverBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBin.dir != "" {
		os.RemoveAll(serverBin.dir)
	}
	os.Exit(code)
}

func buildServer(t *testing.T) string {
	t.Helper()
	serverBin.once.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		if serverBin.dir, serverBin.err = os.MkdirTemp("", "parley-server-"); serverBin.err != nil {
			return
		}
		serverBin.path = filepath.Join(serverBin.dir, "parley-server")
		out, err := exec.Command(goTool, "build", "-o", serverBin.path, "parley/server").CombinedOutput()
		if err != nil {
			serverBin.err = fmt.Errorf("build the server: %v\n%s", err, out)
		}
	})
	if serverBin.err != nil {
		t.Fatal(serverBin.err)
	}
	return serverBin.path
}

// startServer runs the binary and waits for its "listening" log line.
func startServer(t *testing.T, bin, data string) *serverProcess {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-data", data, "-argon2", "m=64,t=1,p=1", "-register-limit", "off")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(p.kill)
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatal("the server exited before listening")
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not start listening")
	}
	return p
}

// kill sends SIGKILL: no shutdown, no flush, like a power cut to the
// process.
func (p *serverProcess) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

func TestUploadResumesAfterTheServerIsKilled(t *testing.T) {
	bin := buildServer(t)
	data := t.TempDir()
	srv := startServer(t, bin, data)
	li, wang := nodetest.NewUser(t, "ws://"+srv.addr+"/v1/ws", "Li"), nodetest.NewUser(t, "ws://"+srv.addr+"/v1/ws", "Wang")
	conv := nodetest.Group(t, li, "files", wang)
	const size, chunk = 48 << 20, 4 << 20
	path, sum := writeRandomFile(t, t.TempDir(), "backup.tar", size, 12)
	opts := transfer.Options{ChunkSize: chunk, ProgressEvery: time.Nanosecond}

	up := &transfer.Upload{Path: path, Conv: conv}
	var killed atomic.Bool
	_, err := newClient(t, "http://"+srv.addr, li.Token, opts).Upload(context.Background(), up, transfer.Hooks{
		Progress: func(p transfer.Progress) {
			// Mid-chunk, well into the file: bytes are in flight.
			if p.Phase == transfer.Sending && p.Done >= size/2+chunk/2 && !killed.Load() {
				killed.Store(true)
				srv.kill()
			}
		},
	})
	if err == nil || !transfer.Temporary(err) {
		t.Fatalf("upload across the kill: %v, want a temporary error", err)
	}
	acked := up.Offset
	if acked < size/2-chunk || acked%chunk != 0 {
		t.Fatalf("acknowledged offset %d before the kill", acked)
	}

	srv = startServer(t, bin, data)
	rec := &recorder{}
	c := newClient(t, "http://"+srv.addr, li.Token, rec.client(opts))
	stored, err := c.Offset(context.Background(), up.ID)
	if err != nil || stored < acked {
		t.Fatalf("after the restart the server holds %d bytes (%v); %d were acknowledged", stored, err, acked)
	}
	msg, err := c.Upload(context.Background(), up, transfer.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if resent := rec.sent.Load(); resent >= size || resent > size-stored {
		t.Fatalf("the resumed upload sent %d bytes of %d; the server held %d", resent, int64(size), stored)
	}
	t.Logf("killed after %d acknowledged bytes; resumed from %d, sent %d more of %d", acked, stored, rec.sent.Load(), size)

	d := &transfer.Download{FileID: msg.File.ID, Name: msg.File.Name, Size: msg.File.Size, SHA256: msg.File.SHA256, Dir: t.TempDir()}
	if err := newClient(t, "http://"+srv.addr, wang.Token, transfer.Options{}).Download(context.Background(), d, transfer.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if fileSHA(t, d.Path) != sum || !sameBytes(t, path, d.Path) {
		t.Fatal("the file differs from what was sent")
	}
}
