package desktop

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDesktopPackage(t *testing.T) {
	out, prefix := t.TempDir(), t.TempDir()
	build := exec.Command("../desktop.sh", out)
	build.Env = append(os.Environ(), "PREFIX="+prefix)
	if log, err := build.CombinedOutput(); err != nil {
		t.Fatalf("tools/desktop.sh: %v\n%s", err, log)
	}

	entry := readEntry(t, filepath.Join(out, "parley.desktop"))

	t.Run("the app is a Linux executable", func(t *testing.T) {
		bin := filepath.Join(out, "parley")
		info, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode()&0o111 == 0 {
			t.Fatalf("%s is not executable (%v)", bin, info.Mode())
		}
		f, err := elf.Open(bin)
		if err != nil {
			t.Fatalf("%s is not an ELF binary: %v", bin, err)
		}
		f.Close()
	})

	t.Run("the entry starts it and names its icon", func(t *testing.T) {
		for _, key := range []string{"Type", "Name", "Exec", "Icon", "Categories"} {
			if entry[key] == "" {
				t.Errorf("no %s key", key)
			}
		}
		if entry["Type"] != "Application" {
			t.Errorf("Type=%s, want Application", entry["Type"])
		}
		if prog := strings.Fields(entry["Exec"]); len(prog) == 0 || prog[0] != "parley" {
			t.Errorf("Exec=%s does not start parley, the binary's name", entry["Exec"])
		}
		if entry["Icon"] != "parley" {
			t.Errorf("Icon=%s, want the icon files' name, parley", entry["Icon"])
		}
		if !strings.Contains(";"+entry["Categories"], ";Network;") {
			t.Errorf("Categories=%s lack the main category Network", entry["Categories"])
		}
		// Gio names the window after the program (app.ID): the desktop
		// matches windows to entries by it.
		if entry["StartupWMClass"] != "parley" {
			t.Errorf("StartupWMClass=%s, want parley", entry["StartupWMClass"])
		}
		// A clicked parley:// invite link opens the app with the link as
		// its argument (app/join_other.go).
		if !strings.Contains(";"+entry["MimeType"], ";x-scheme-handler/parley;") || !strings.Contains(entry["Exec"], "%u") {
			t.Errorf("MimeType=%s, Exec=%s: parley:// links do not open the app", entry["MimeType"], entry["Exec"])
		}
		if entry["Name[zh_CN]"] == "" && entry["GenericName[zh_CN]"] == "" {
			t.Error("nothing for Chinese desktops")
		}
	})

	t.Run("the icon the entry names is drawn at every size", func(t *testing.T) {
		for _, size := range []int{48, 64, 128, 256, 512} {
			checkIcon(t, filepath.Join(out, "icons/hicolor", fmt.Sprintf("%dx%d", size, size), "apps", entry["Icon"]+".png"), size)
		}
		checkIcon(t, filepath.Join(out, "parley.png"), 512)
	})

	t.Run("PREFIX installs where desktops look", func(t *testing.T) {
		for _, f := range []struct{ built, installed string }{
			{"parley", "bin/parley"},
			{"parley.desktop", "share/applications/parley.desktop"},
			{"icons/hicolor/256x256/apps/parley.png", "share/icons/hicolor/256x256/apps/parley.png"},
		} {
			want, err := os.ReadFile(filepath.Join(out, f.built))
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(filepath.Join(prefix, f.installed))
			if err != nil {
				t.Errorf("not installed: %v", err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s", f.installed, f.built)
			}
		}
		if info, err := os.Stat(filepath.Join(prefix, "bin/parley")); err == nil && info.Mode()&0o111 == 0 {
			t.Errorf("installed binary is not executable (%v)", info.Mode())
		}
	})

	t.Run("the packaged app opens the window its entry names", func(t *testing.T) {
		display := startXvfb(t)
		app := exec.Command(filepath.Join(out, "parley"), "-audio", "null", "-data", t.TempDir(), "-server", "http://127.0.0.1:1")
		app.Env = displayEnv(display)
		stderr, err := app.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			app.Process.Kill()
			app.Wait()
		})
		if log, err := waitFor(stderr, `msg="first frame"`, time.Minute); err != nil {
			t.Fatalf("the app drew no frame: %v\n%s", err, log)
		}
		find := exec.Command("xdotool", "search", "--class", "^"+entry["StartupWMClass"]+"$")
		find.Env = displayEnv(display)
		ids, err := find.Output()
		if err != nil || len(bytes.TrimSpace(ids)) == 0 {
			t.Fatalf("no window of class %q (StartupWMClass) on the display: %v %s", entry["StartupWMClass"], err, ids)
		}
	})
}

// readEntry returns the keys of the [Desktop Entry] group, which must
// come first.
func readEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[string]string{}
	group := ""
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			if group == "" && line != "[Desktop Entry]" {
				t.Fatalf("first group %s, want [Desktop Entry]", line)
			}
			group = line
		case group == "[Desktop Entry]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("line %q is not key=value", line)
			}
			k = strings.TrimSpace(k)
			if _, dup := entry[k]; dup {
				t.Fatalf("key %s twice", k)
			}
			entry[k] = strings.TrimSpace(v)
		}
	}
	if group == "" {
		t.Fatal("no [Desktop Entry] group")
	}
	return entry
}

func checkIcon(t *testing.T, path string, size int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Errorf("%s: %v", path, err)
		return
	}
	if cfg.Width != size || cfg.Height != size {
		t.Errorf("%s is %dx%d, want %dx%d", path, cfg.Width, cfg.Height, size, size)
	}
}

// startXvfb starts an X server and returns its display once it accepts
// connections (Xvfb writes the number on a pipe then).
func startXvfb(t *testing.T) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1100x720x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	if err := x.Start(); err != nil {
		t.Fatalf("start Xvfb (apt-get install xvfb): %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Kill()
		x.Wait()
	})
	line, err := waitFor(r, "", 30*time.Second)
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	return ":" + strings.TrimSpace(line)
}

// displayEnv is the environment for programs on display: X11 only.
func displayEnv(display string) []string {
	env := []string{"DISPLAY=" + display}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k != "DISPLAY" && k != "WAYLAND_DISPLAY" && k != "EGL_PLATFORM" {
			env = append(env, kv)
		}
	}
	return env
}

// waitFor reads r until a line contains want and returns that line, or
// what was read when r ends or the time is up.
func waitFor(r io.Reader, want string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var seen strings.Builder
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return seen.String(), io.ErrUnexpectedEOF
			}
			seen.WriteString(line + "\n")
			if strings.Contains(line, want) {
				return line, nil
			}
		case <-ctx.Done():
			return seen.String(), fmt.Errorf("nothing matching %q after %v", want, timeout)
		}
	}
}
