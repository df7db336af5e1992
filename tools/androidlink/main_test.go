//go:build !js

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// link builds this command for android/arm64 without cgo, as the Android
// packaging links the app's Go code, with extra linker flags.
func link(t *testing.T, ldflags string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "androidlink"), "-ldflags="+ldflags, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=android", "GOARCH=arm64")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestPionLinksForAndroidWithCheckLinknameOff(t *testing.T) {
	if out, err := link(t, "-checklinkname=0"); err != nil {
		t.Fatalf("android/arm64 link with -checklinkname=0: %v\n%s", err, out)
	}
	out, err := link(t, "")
	if err == nil || !strings.Contains(out, "invalid reference to net.zoneCache") {
		t.Fatalf("the link without -checklinkname=0 did not fail on anet's net.zoneCache (so the flag may be dropped): %v\n%s", err, out)
	}
}

// The Android packaging gives gogio the flag.
func TestMobileScriptPassesCheckLinknameToAndroid(t *testing.T) {
	b, err := os.ReadFile("../mobile.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*flags\+=\(-ldflags -checklinkname=0\)`).Match(b) {
		t.Fatal("tools/mobile.sh's android build does not pass -ldflags -checklinkname=0 to gogio")
	}
}
