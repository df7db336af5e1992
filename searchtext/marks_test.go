package searchtext

import (
	"fmt"
	"testing"
)

func TestMarksShowWhatTheQueryMatches(t *testing.T) {
	for _, c := range []struct{ text, query, want string }{
		{"大家你好啊, say Hello world", "你好 hel", "[你好 Hel]"},
		{"你好你好", "你好", "[你好你好]"},
		{"Hello, yellow hello", "ello", "[]"},
		{"Ünicode ünicorn", "üni", "[Üni üni]"},
		{"需要资料", "资", "[资]"},
		{"nothing here", "", "[]"},
	} {
		var got []string
		for _, m := range Marks(c.text, c.query) {
			got = append(got, c.text[m[0]:m[1]])
		}
		if s := fmt.Sprint(got); s != c.want && !(len(got) == 0 && c.want == "[]") {
			t.Errorf("Marks(%q, %q) = %s, want %s", c.text, c.query, s, c.want)
		}
	}
}
