package model

import (
	"context"
	"slices"
	"testing"
)

func TestOpenLinkOpensOnlyWebAddresses(t *testing.T) {
	var opened []string
	m, err := NewModel(Config{DataDir: t.TempDir(), OpenURL: func(u string) error {
		opened = append(opened, u)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	good := []string{"https://example.com/a?b=1#c", "http://例子.cn/", "HTTPS://X.IO"}
	for _, u := range good {
		if err := m.OpenLink(context.Background(), u); err != nil {
			t.Errorf("OpenLink(%q): %v", u, err)
		}
	}
	for _, u := range []string{"file:///etc/passwd", "javascript:alert(1)", "https://", "www.example.com", "-x https://a.b", ""} {
		if err := m.OpenLink(context.Background(), u); err == nil {
			t.Errorf("OpenLink(%q) opened it", u)
		}
	}
	if !slices.Equal(opened, good) {
		t.Fatalf("opened %q, want %q", opened, good)
	}
}
