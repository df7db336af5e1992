// Package markup splits a message's text into styled spans: the small
// Markdown subset Parley shows (*italic*, **bold**, `code` and ```fenced
// code blocks```), links (http://, https:// and bare www.) and mentions
// ("@Name" of the members a message mentions).
//
// Nothing the user typed is ever dropped: a marker is removed only when it
// pairs with a closing one, and an unpaired marker stays as typed. The
// rules, kept simple on purpose:
//
//   - A code block is ``` … ```, anywhere; one newline right after the
//     opening fence and one right before the closing fence belong to the
//     fences. Its text is shown as typed (no further markup, no links).
//   - Inline code is `…` on one line, not empty; shown as typed.
//   - **bold** and *italic* open at a marker followed by a non-space and
//     close at the next marker on the same line preceded by a non-space;
//     they nest (**bold *and italic***). Inside a run of three or more
//     stars, bold takes the first two at an opening and the last two at a
//     closing.
//   - A link runs from http://, https:// or www. (at the start of a word)
//     to the next space, the next non-ASCII character, or one of <>"`;
//     trailing punctuation (.,:;!?'*) and an unbalanced ")" stay outside.
//     Stars inside a link are part of it, never markup. A www. link opens
//     as https://.
//   - A mention is the exact text "@" + a mentioned member's name, outside
//     code and links.
//   - The search for closing markers is bounded (a few dozen steps per
//     byte of text): in a text of thousands of markers that never close,
//     the ones past the bound stay as typed.
//
// The package is pure Go (no Gio) so that it can be tested on its own.
package markup

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Style is a set of styles of a span.
type Style uint8

const (
	Bold      Style = 1 << iota
	Italic          // emphasis
	Code            // inline code: monospace
	Block           // a fenced code block: monospace, on lines of its own
	Link            // Span.URL says where it goes
	Mention         // "@Name" of a mentioned member
	MentionMe       // a mention of me (set with Mention)
)

// Span is a run of text in one style. The texts of a message's spans,
// joined, are the text it shows (its markers left out).
type Span struct {
	Text  string
	Style Style
	URL   string // with Link: the address to open
}

// Name is a member a message mentions.
type Name struct {
	Name string // shown as "@" + Name
	Me   bool   // the mention is of me
}

// Parse splits s into spans, marking the mentions of names.
func Parse(s string, names ...Name) []Span {
	p := parser{budget: budgetPerByte*len(s) + 1024}
	for s != "" {
		i := strings.Index(s, "```")
		if i < 0 {
			p.inline(s, 0)
			break
		}
		j := strings.Index(s[i+3:], "```")
		if j < 0 {
			p.inline(s, 0) // unclosed: literal
			break
		}
		p.inline(s[:i], 0)
		body := s[i+3 : i+3+j]
		body = strings.TrimPrefix(body, "\n")
		body = strings.TrimSuffix(body, "\n")
		if body == "" {
			p.inline(s[i:i+3+j+3], 0) // an empty block is shown as typed
		} else {
			p.add(body, Block, "")
		}
		s = s[i+3+j+3:]
	}
	spans := merge(p.spans)
	if len(names) > 0 {
		spans = mentions(spans, names)
	}
	return spans
}

// Plain is the text spans show, joined.
func Plain(spans []Span) string {
	var b strings.Builder
	for _, sp := range spans {
		b.WriteString(sp.Text)
	}
	return b.String()
}

// Shown is s as a message shows it, without the markers that format it:
// for one-line previews (a conversation's last message, a reply's quote,
// the pin bar), which draw plain text.
func Shown(s string) string { return Plain(Parse(s)) }

type parser struct {
	spans  []Span
	budget int // steps the search for closing markers may still take
}

// budgetPerByte bounds the work of finding closing markers: a text of
// many markers that never close would otherwise take time quadratic (or,
// nested, worse) in its length.
const budgetPerByte = 32

// add appends a span (merge joins neighbours of one style later).
func (p *parser) add(s string, st Style, url string) {
	if s != "" {
		p.spans = append(p.spans, Span{Text: s, Style: st, URL: url})
	}
}

// merge joins neighbouring spans of the same style, but links and code
// blocks, each in one pass.
func merge(spans []Span) []Span {
	out := spans[:0]
	for i := 0; i < len(spans); {
		j := i + 1
		if spans[i].Style&(Link|Block) == 0 {
			for j < len(spans) && spans[j].Style == spans[i].Style {
				j++
			}
		}
		sp := spans[i]
		if j > i+1 {
			var b strings.Builder
			for _, x := range spans[i:j] {
				b.WriteString(x.Text)
			}
			sp.Text = b.String()
		}
		out = append(out, sp)
		i = j
	}
	return out
}

// inline parses text outside code blocks in style st.
func (p *parser) inline(s string, st Style) {
	lit := 0 // start of the literal text not yet added
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '`':
			if j := codeEnd(s, i); j > 0 {
				p.add(s[lit:i], st, "")
				p.add(s[i+1:j-1], st|Code, "")
				i, lit = j, j
				continue
			}
		case c == '*':
			n := run(s, i)
			if n >= 2 {
				if j := p.closer(s, i+2, 2, 0); j > 0 {
					p.add(s[lit:i], st, "")
					p.inline(s[i+2:j], st|Bold)
					i, lit = j+2, j+2
					continue
				}
			}
			// A single star: the last of the run may open italic.
			k := i + n - 1
			if j := p.closer(s, k+1, 1, 0); j > 0 {
				p.add(s[lit:k], st, "")
				p.inline(s[k+1:j], st|Italic)
				i, lit = j+1, j+1
				continue
			}
			i += n
			continue
		case mayLink(c):
			if j := linkEnd(s, i); j > 0 {
				p.add(s[lit:i], st, "")
				p.add(s[i:j], st|Link, href(s[i:j]))
				i, lit = j, j
				continue
			}
		}
		i++
	}
	p.add(s[lit:], st, "")
}

// run is the number of stars at s[i:].
func run(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '*' {
		n++
	}
	return n
}

// closer finds where the marker of n stars opened just before from closes:
// the index of the closing marker, or -1. The text between must start
// with a non-space, end with a non-space, and stay on one line; code
// spans, links and inner pairs of the other marker in it are skipped
// whole. In a longer run of stars a closer takes the last n; inside a
// marker of outer stars (0: none) it takes the first n, and only from a
// run of exactly n or long enough to close the outer one too.
func (p *parser) closer(s string, from, n, outer int) int {
	if from >= len(s) || startsSpace(s[from:]) {
		return -1
	}
	for j := from; j < len(s); {
		if p.budget--; p.budget < 0 {
			return -1 // too much work: the rest stays as typed
		}
		c := s[j]
		switch {
		case c == '\n':
			return -1
		case c == '`':
			if k := codeEnd(s, j); k > 0 {
				j = k
				continue
			}
		case c == '*':
			r := run(s, j)
			if j > from && (r == n || r >= n+outer) && !endsSpace(s[:j]) {
				if outer > 0 {
					return j
				}
				return j + r - n
			}
			// An inner pair of the other marker is skipped whole.
			if n == 1 && r >= 2 {
				if k := p.closer(s, j+2, 2, 1); k > 0 {
					j = k + 2
					continue
				}
			}
			if n == 2 && r == 1 {
				if k := p.closer(s, j+1, 1, 2); k > 0 {
					j = k + 1
					continue
				}
			}
			j += r
			continue
		case mayLink(c):
			if k := linkEnd(s, j); k > 0 {
				j = k
				continue
			}
		}
		j++
	}
	return -1
}

// mayLink reports whether a link may start with c.
func mayLink(c byte) bool { return c == 'h' || c == 'H' || c == 'w' || c == 'W' }

// codeEnd is the index just past the inline code span opening at s[i]
// ('`'), or -1: the closing backtick on the same line, with text between.
func codeEnd(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '`')
	if j <= 0 || strings.IndexByte(s[i+1:i+1+j], '\n') >= 0 {
		return -1
	}
	return i + 1 + j + 1
}

func startsSpace(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func endsSpace(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return unicode.IsSpace(r)
}

// linkEnd is the index just past the link starting at s[i], or -1.
func linkEnd(s string, i int) int {
	rest := s[i:]
	var body int // where the host starts
	switch {
	case hasPrefixFold(rest, "https://"):
		body = len("https://")
	case hasPrefixFold(rest, "http://"):
		body = len("http://")
	case hasPrefixFold(rest, "www."):
		body = len("www.")
	default:
		return -1
	}
	if i > 0 {
		// A link starts a word: not "xhttp://" nor "awww.b".
		if r, _ := utf8.DecodeLastRuneInString(s[:i]); r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '.' || r == '/' || r == '@') {
			return -1
		}
	}
	end := body
	for end < len(rest) && urlByte(rest[end]) {
		end++
	}
	// Trailing punctuation ends the sentence, not the link; so does a ")"
	// that closes nothing in the link.
	for end > body {
		c := rest[end-1]
		if strings.IndexByte(".,:;!?'*", c) >= 0 {
			end--
			continue
		}
		if c == ')' && strings.Count(rest[:end], "(") < strings.Count(rest[:end], ")") {
			end--
			continue
		}
		break
	}
	if end == body || !isAlnum(rest[body]) {
		return -1 // no host
	}
	return i + end
}

// urlByte reports whether c may be part of a link: printable ASCII but
// spaces and <>"`.
func urlByte(c byte) bool {
	return c > ' ' && c < utf8.RuneSelf && c != 0x7f && strings.IndexByte("<>\"`", c) < 0
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// href is where a link's text goes: a bare www. address opens as https.
func href(text string) string {
	if hasPrefixFold(text, "www.") {
		return "https://" + text
	}
	return text
}

// mentions splits the spans outside code and links at "@Name" of names,
// longest names first.
func mentions(spans []Span, names []Name) []Span {
	out := make([]Span, 0, len(spans))
	for _, sp := range spans {
		if sp.Style&(Code|Block|Link|Mention) != 0 {
			out = append(out, sp)
			continue
		}
		s := sp.Text
		for s != "" {
			at, best := -1, Name{}
			for _, n := range names {
				if n.Name == "" {
					continue
				}
				i := strings.Index(s, "@"+n.Name)
				if i >= 0 && (at < 0 || i < at || i == at && len(n.Name) > len(best.Name)) {
					at, best = i, n
				}
			}
			if at < 0 {
				out = append(out, Span{Text: s, Style: sp.Style})
				break
			}
			if at > 0 {
				out = append(out, Span{Text: s[:at], Style: sp.Style})
			}
			st := sp.Style | Mention
			if best.Me {
				st |= MentionMe
			}
			end := at + 1 + len(best.Name)
			out = append(out, Span{Text: s[at:end], Style: st})
			s = s[end:]
		}
	}
	return out
}
