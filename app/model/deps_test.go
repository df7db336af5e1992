package model

import (
	"os/exec"
	"strings"
	"testing"
)

// The model never draws: it must build without Gio (and without the ui
// package), on the desktop and in the browser alike, so that it can be
// imported and tested without a window.
func TestTheModelDoesNotImportGio(t *testing.T) {
	for _, goos := range []string{"", "js"} {
		cmd := exec.Command("go", "list", "-deps", ".")
		if goos != "" {
			cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH=wasm")
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go list (GOOS=%q): %v\n%s", goos, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "gioui.org") || dep == "parley/ui" || strings.HasPrefix(dep, "parley/ui/") {
				t.Errorf("GOOS=%q: app/model depends on %s", goos, dep)
			}
		}
	}
}
