package markup

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func sp(text string, st Style) Span { return Span{Text: text, Style: st} }

func link(text string, st Style, url string) Span {
	return Span{Text: text, Style: st | Link, URL: url}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []Span
	}{
		{"", nil},
		{"plain text", []Span{sp("plain text", 0)}},
		{"*italic*", []Span{sp("italic", Italic)}},
		{"**bold**", []Span{sp("bold", Bold)}},
		{"a `code` b", []Span{sp("a ", 0), sp("code", Code), sp(" b", 0)}},
		{"say *hi* and **bye**!", []Span{sp("say ", 0), sp("hi", Italic), sp(" and ", 0), sp("bye", Bold), sp("!", 0)}},
		// Nested.
		{"**bold *both* bold**", []Span{sp("bold ", Bold), sp("both", Bold|Italic), sp(" bold", Bold)}},
		{"*it **both** it*", []Span{sp("it ", Italic), sp("both", Bold|Italic), sp(" it", Italic)}},
		{"***both***", []Span{sp("both", Bold|Italic)}},
		{"**bold *it***", []Span{sp("bold ", Bold), sp("it", Bold|Italic)}},
		{"*it **bold***", []Span{sp("it ", Italic), sp("bold", Bold|Italic)}},
		{"**a*b**", []Span{sp("a*b", Bold)}},
		{"**`x` y**", []Span{sp("x", Bold|Code), sp(" y", Bold)}},
		// Code is shown as typed.
		{"`*not* **this**`", []Span{sp("*not* **this**", Code)}},
		{"*a `*` b*", []Span{sp("a ", Italic), sp("*", Italic|Code), sp(" b", Italic)}},
		// Unbalanced or unopenable markers stay literal.
		{"*open", []Span{sp("*open", 0)}},
		{"close*", []Span{sp("close*", 0)}},
		{"**open", []Span{sp("**open", 0)}},
		{"**a*", []Span{sp("*", 0), sp("a", Italic)}},
		{"2 * 3 * 4", []Span{sp("2 * 3 * 4", 0)}},
		{"* list item", []Span{sp("* list item", 0)}},
		{"*a *", []Span{sp("*a *", 0)}},
		{"**", []Span{sp("**", 0)}},
		{"****", []Span{sp("****", 0)}},
		{"``", []Span{sp("``", 0)}},
		{"`open", []Span{sp("`open", 0)}},
		{"*one\nline*", []Span{sp("*one\nline*", 0)}},
		{"`one\nline`", []Span{sp("`one\nline`", 0)}},
		{"```open\nblock", []Span{sp("```open\nblock", 0)}},
		{"``````", []Span{sp("``````", 0)}},
		// Fenced code blocks.
		{"```\nfmt.Println(*x*)\n```", []Span{sp("fmt.Println(*x*)", Block)}},
		{"see\n```\na\n  b\n```\ndone", []Span{sp("see\n", 0), sp("a\n  b", Block), sp("\ndone", 0)}},
		{"```go\nx := 1\n```", []Span{sp("go\nx := 1", Block)}},
		{"a ```b``` c", []Span{sp("a ", 0), sp("b", Block), sp(" c", 0)}},
		{"```a``` ```b```", []Span{sp("a", Block), sp(" ", 0), sp("b", Block)}},
		// CJK and emoji.
		{"你好 **世界** 😀", []Span{sp("你好 ", 0), sp("世界", Bold), sp(" 😀", 0)}},
		{"*斜体*和`代码`", []Span{sp("斜体", Italic), sp("和", 0), sp("代码", Code)}},
		{"**👍🏽**", []Span{sp("👍🏽", Bold)}},
		{"*半个", []Span{sp("*半个", 0)}},
		// Links.
		{"https://example.com", []Span{link("https://example.com", 0, "https://example.com")}},
		{"see http://a.b/c?d=1&e=2#f.", []Span{sp("see ", 0), link("http://a.b/c?d=1&e=2#f", 0, "http://a.b/c?d=1&e=2#f"), sp(".", 0)}},
		{"go to www.example.org, now", []Span{sp("go to ", 0), link("www.example.org", 0, "https://www.example.org"), sp(", now", 0)}},
		{"(https://en.wikipedia.org/wiki/Go_(language))", []Span{sp("(", 0), link("https://en.wikipedia.org/wiki/Go_(language)", 0, "https://en.wikipedia.org/wiki/Go_(language)"), sp(")", 0)}},
		{"看https://例子.cn", []Span{sp("看https://例子.cn", 0)}},
		{"链接：https://example.com/a，谢谢", []Span{sp("链接：", 0), link("https://example.com/a", 0, "https://example.com/a"), sp("，谢谢", 0)}},
		{"https://x.io/a*b*c", []Span{link("https://x.io/a*b*c", 0, "https://x.io/a*b*c")}},
		{"*https://x.io*", []Span{link("https://x.io", Italic, "https://x.io")}},
		{"**see www.x.io**", []Span{sp("see ", Bold), link("www.x.io", Bold, "https://www.x.io")}},
		{"`https://x.io`", []Span{sp("https://x.io", Code)}},
		{"https:// nothing", []Span{sp("https:// nothing", 0)}},
		{"awww.x.io and xhttp://y.io", []Span{sp("awww.x.io and xhttp://y.io", 0)}},
		{"HTTPS://X.IO", []Span{link("HTTPS://X.IO", 0, "HTTPS://X.IO")}},
		{"<https://x.io>", []Span{sp("<", 0), link("https://x.io", 0, "https://x.io"), sp(">", 0)}},
	} {
		got := Parse(c.in)
		if !slices.Equal(got, c.want) {
			t.Errorf("Parse(%q)\n got %v\nwant %v", c.in, got, c.want)
		}
	}
}

func TestMentions(t *testing.T) {
	names := []Name{{Name: "Wang"}, {Name: "Wang Fang"}, {Name: "李华", Me: true}}
	for _, c := range []struct {
		in   string
		want []Span
	}{
		{"hi @Wang", []Span{sp("hi ", 0), sp("@Wang", Mention)}},
		{"hi @Wang Fang!", []Span{sp("hi ", 0), sp("@Wang Fang", Mention), sp("!", 0)}},
		{"@李华你好", []Span{sp("@李华", Mention|MentionMe), sp("你好", 0)}},
		{"**@李华** and @Tom", []Span{sp("@李华", Bold|Mention|MentionMe), sp(" and @Tom", 0)}},
		{"`@Wang`", []Span{sp("@Wang", Code)}},
		{"@Wang @Wang", []Span{sp("@Wang", Mention), sp(" ", 0), sp("@Wang", Mention)}},
		{"Wang", []Span{sp("Wang", 0)}},
	} {
		got := Parse(c.in, names...)
		if !slices.Equal(got, c.want) {
			t.Errorf("Parse(%q)\n got %v\nwant %v", c.in, got, c.want)
		}
	}
}

// Whatever is typed, the spans show every character but the markers of
// the pairs they format.
func TestNothingTypedIsDropped(t *testing.T) {
	parts := []string{"*", "**", "`", "```", "\n", " ", "a", "你", "😀", "https://x.io", "www.", "@Wang", ")"}
	// Every string of up to four parts.
	var walk func(s string, depth int)
	walk = func(s string, depth int) {
		spans := Parse(s, Name{Name: "Wang"})
		shown := Plain(spans)
		stripped := strings.NewReplacer("*", "", "`", "", "\n", "").Replace(s)
		if got := strings.NewReplacer("*", "", "`", "", "\n", "").Replace(shown); got != stripped {
			t.Fatalf("Parse(%q) shows %q: lost text", s, shown)
		}
		for _, sp := range spans {
			if sp.Text == "" {
				t.Fatalf("Parse(%q) has an empty span: %v", s, spans)
			}
			if sp.Style&Link != 0 && !strings.HasPrefix(strings.ToLower(sp.URL), "http") {
				t.Fatalf("Parse(%q): link %q goes to %q", s, sp.Text, sp.URL)
			}
		}
		if depth == 4 {
			return
		}
		for _, p := range parts {
			walk(s+p, depth+1)
		}
	}
	walk("", 0)
}

// Thousands of markers that never close are no reason to hang: the search
// for closers is bounded, and the text still shows whole.
func TestManyUnclosedMarkersStayAsTyped(t *testing.T) {
	for _, s := range []string{
		strings.Repeat("*a **b ", 2300),
		strings.Repeat("**a *b ", 2300),
		strings.Repeat(" *a **b ***c", 1300),
		strings.Repeat("`", 16000),
	} {
		if got := Plain(Parse(s)); strings.ReplaceAll(got, "*", "") != strings.ReplaceAll(s, "*", "") {
			t.Fatalf("Parse of %d bytes of markers lost text", len(s))
		}
	}
}

func (s Span) String() string {
	if s.URL != "" {
		return fmt.Sprintf("{%q %b %s}", s.Text, s.Style, s.URL)
	}
	return fmt.Sprintf("{%q %b}", s.Text, s.Style)
}
