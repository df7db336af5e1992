package transfer

import (
	"strings"
	"testing"
)

func TestNumberedNamesGoBeforeTheExtension(t *testing.T) {
	for _, c := range []struct {
		name string
		n    int
		want string
	}{
		{"report.pdf", 1, "report (1).pdf"},
		{"archive.tar.gz", 2, "archive.tar (2).gz"},
		{"README", 3, "README (3)"},
		{strings.Repeat("x", 255), 12, strings.Repeat("x", 250) + " (12)"},
	} {
		if got := numbered(c.name, c.n); got != c.want {
			t.Errorf("numbered(%q, %d) = %q, want %q", c.name, c.n, got, c.want)
		}
	}
}
