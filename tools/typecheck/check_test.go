package main

import (
	"strings"
	"testing"
)

// testdata/rot has an error in a file only Android builds, and one in a
// cgo file only Windows builds; its macOS cgo file is fine. Its
// dependency testdata/rotdep has an error in a body only iOS builds, and
// Android-only cgo types that FakeImportC cannot type (not an error).
func TestErrorsBehindBuildTagsAreFoundOnTheirPlatformOnly(t *testing.T) {
	for _, tc := range []struct {
		target Target
		want   string // "" for no error
	}{
		{Target{GOOS: "android", GOARCH: "arm64"}, "rot_android.go:3:31: cannot use \"not a number\""},
		{Target{GOOS: "windows", GOARCH: "amd64"}, "cgo_windows.go:8:46: undefined: missing"},
		{Target{GOOS: "darwin", GOARCH: "arm64"}, ""},
		{Target{GOOS: "ios", GOARCH: "arm64"}, "dep_ios.go:3:39: e.View undefined"},
		{Target{GOOS: "js", GOARCH: "wasm"}, ""},
	} {
		t.Run(tc.target.String(), func(t *testing.T) {
			problems, err := Check("testdata/rot", tc.target, "./...")
			if err != nil {
				t.Fatal(err)
			}
			if tc.want == "" {
				if len(problems) > 0 {
					t.Fatalf("want no errors, got %q", problems)
				}
				return
			}
			if len(problems) != 1 || !strings.Contains(problems[0], tc.want) {
				t.Fatalf("want one error containing %q, got %q", tc.want, problems)
			}
		})
	}
}

func TestSkippedPackagesAreNotChecked(t *testing.T) {
	android := Target{GOOS: "android", GOARCH: "arm64", Skip: []string{"rot"}}
	problems, err := Check("testdata/rot", android, "./...")
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) > 0 {
		t.Fatalf("a skipped package was checked: %q", problems)
	}
}

func TestPickNamesTargets(t *testing.T) {
	got, err := pick("js/wasm, windows/amd64")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].String() != "js/wasm" || len(got[0].Skip) == 0 || got[1].String() != "windows/amd64" {
		t.Fatalf("pick = %v", got)
	}
	if _, err := pick("wasm"); err == nil {
		t.Fatal("a target without a slash was accepted")
	}
}
