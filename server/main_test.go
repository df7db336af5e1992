package main

import "testing"

func TestSizesAreReadWithTheirUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"4GiB": 4 << 30, "500MB": 500e6, "1.5 GiB": 3 << 29, "1024": 1024, "10kB": 10_000, "2TiB": 2 << 40, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "4 parsecs", "-1GiB", "4GB GB"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestFileLimitsComeFromFlagsOrEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_MAX_FILE": "1GiB", "PARLEY_QUOTA": "20GiB"}
	o, err := parseFlags([]string{"-max-file", "2GiB"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.maxFile != "2GiB" || o.quota != "20GiB" {
		t.Fatalf("max-file %q, quota %q: the flag wins over the environment, which wins over the default", o.maxFile, o.quota)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.maxFile != "4GiB" || o.quota != "off" {
		t.Fatalf("defaults: max-file %q, quota %q", o.maxFile, o.quota)
	}
}
