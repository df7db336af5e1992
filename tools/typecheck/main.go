package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Usage: go run ./tools/typecheck [-targets android/arm64,js/wasm] [packages]
// Without packages it checks ./... ; without -targets, every Target.
func main() {
	targets := flag.String("targets", "", "comma-separated GOOS/GOARCH list (default: "+targetList(Targets)+")")
	flag.Parse()
	patterns := flag.Args()
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	chosen, err := pick(*targets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "typecheck:", err)
		os.Exit(2)
	}
	failed := false
	for _, t := range chosen {
		problems, err := Check(".", t, patterns...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "typecheck:", err)
			os.Exit(2)
		}
		for _, p := range problems {
			fmt.Printf("%s: %s\n", t, p)
		}
		if len(problems) > 0 {
			failed = true
			continue
		}
		fmt.Printf("%s: ok\n", t)
	}
	if failed {
		os.Exit(1)
	}
}

// pick returns the targets named in list, or all of them.
func pick(list string) ([]Target, error) {
	if list == "" {
		return Targets, nil
	}
	var out []Target
	for _, name := range strings.Split(list, ",") {
		goos, goarch, ok := strings.Cut(strings.TrimSpace(name), "/")
		if !ok {
			return nil, fmt.Errorf("target %q: want GOOS/GOARCH", name)
		}
		t := Target{GOOS: goos, GOARCH: goarch}
		for _, known := range Targets {
			if known.GOOS == goos && known.GOARCH == goarch {
				t = known
			}
		}
		out = append(out, t)
	}
	return out, nil
}

func targetList(ts []Target) string {
	var names []string
	for _, t := range ts {
		names = append(names, t.String())
	}
	return strings.Join(names, ",")
}
