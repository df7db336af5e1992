package runscript

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeRunBuilt runs `make run-built` (make run after its builds) with the
// server built in bin and a stub app that records its arguments in
// ran.txt, and returns the stub's record ("" if it never ran), make's
// stderr and its error.
func makeRunBuilt(t *testing.T, bin, addr string) (ran, stderr string, err error) {
	t.Helper()
	dir := t.TempDir()
	record := filepath.Join(dir, "ran.txt")
	stub := filepath.Join(dir, "app")
	if err := os.WriteFile(stub, []byte("#!/bin/sh\necho \"$@\" > "+record+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("make", "-s", "-C", "../..", "run-built",
		"BIN="+bin, "ADDR="+addr, "DATA="+filepath.Join(dir, "data"), "RUN_APP="+stub)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err = cmd.Run()
	b, rerr := os.ReadFile(record)
	if rerr != nil && !os.IsNotExist(rerr) {
		t.Fatal(rerr)
	}
	return strings.TrimSpace(string(b)), errOut.String(), err
}

func TestMakeRunStartsTheAppOnlyOnceItsOwnServerListens(t *testing.T) {
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "parley-server"), "parley/server")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the server: %v\n%s", err, out)
	}

	// Another program has the port: make run stops and says so.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := taken.Addr().String()
	ran, stderr, err := makeRunBuilt(t, bin, addr)
	if err == nil {
		t.Error("make run succeeded with its port taken")
	}
	if ran != "" {
		t.Errorf("the app was started (%q) though the server could not listen", ran)
	}
	for _, want := range []string{"address already in use", "the server did not start on " + addr, "Another program is using " + addr} {
		if !strings.Contains(stderr, want) {
			t.Errorf("make run's message lacks %q:\n%s", want, stderr)
		}
	}

	// Once the port is free, the app starts against this server.
	taken.Close()
	ran, stderr, err = makeRunBuilt(t, bin, addr)
	if err != nil {
		t.Fatalf("make run: %v\n%s", err, stderr)
	}
	if want := "-server http://" + addr; ran != want {
		t.Errorf("the app ran with %q, want %q", ran, want)
	}
	if !strings.Contains(stderr, `"msg":"listening"`) {
		t.Errorf("the server's log is not on the terminal:\n%s", stderr)
	}
}
