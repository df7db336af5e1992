package storage

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"SELECT ?1 UNION SELECT x FROM t WHERE y = ?1 AND z = ?2", "SELECT $1 UNION SELECT x FROM t WHERE y = $1 AND z = $2"},
		{"SELECT '?' , \"a?\" FROM t WHERE b = ? -- what?\nAND c = ?", "SELECT '?' , \"a?\" FROM t WHERE b = $1 -- what?\nAND c = $2"},
		{"SELECT 'it''s ?' WHERE a = ?", "SELECT 'it''s ?' WHERE a = $1"},
		{"SELECT 'open ?", "SELECT 'open ?"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
