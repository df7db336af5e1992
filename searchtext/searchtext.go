// Package searchtext turns message text into the search tokens that both
// the client's local index (package store) and the server's index
// (server/storage) store, and queries into the terms that match them, so
// that a search finds the same messages on either side.
package searchtext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search tokens.
//
// Both implementations index and match the same tokens, produced here:
//
//   - A run of CJK characters (Han, kana, Hangul) becomes its overlapping
//     bigrams followed by its last character alone: "大家你好" →
//     大家 家你 你好 好. Any substring of two or more characters is then a
//     phrase of consecutive bigrams, and a single character is a prefix of
//     some token (the bigram it starts, or the trailing character).
//   - Any other run of letters, digits and marks is one word, lower-cased.
//   - Everything else separates tokens.
//
// A query is tokenized the same way into terms, all of which must match:
// a CJK run of two or more characters is a phrase of its bigrams; a single
// CJK character and every other word match as a token prefix.
//
// SQLite stores the tokens, space-separated (IndexText), in a contentless
// FTS5 table whose tokenizer splits only where we put spaces (see
// FTSTokenizer), with a token for the conversation (ConvToken), under a
// row ID that sorts newest last, and matches them with FTSQuery; the
// client's in-memory store matches the same tokens in Go (Matches).

// isCJK reports whether r is written without spaces between words and so is
// indexed as bigrams.
func isCJK(r rune) bool {
	switch {
	case r < 0x2E80:
		return false
	case 0x4E00 <= r && r <= 0x9FFF: // CJK Unified Ideographs: most Chinese text
		return true
	case r == 0x30FC: // ー, katakana prolonged sound mark (script Common)
		return true
	}
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

// isWordRune reports whether r belongs to a word: letters, digits, marks
// and private-use characters.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.In(r, unicode.L, unicode.N, unicode.M, unicode.Co)
}

// FTSTokenizer is the FTS5 tokenizer for documents made of ConvToken and
// IndexText. Its tokens are runs of ASCII letters, digits and '_' and of any
// non-ASCII characters, and it folds only ASCII case. Tokens from Tokens()
// are lower-cased and contain no ASCII separator, so it splits exactly at
// the spaces IndexText writes, and a query phrase splits exactly like the
// Go tokens. (It is also faster than unicode61.)
const FTSTokenizer = `ascii tokenchars '_'`

// ConvToken is the token that tags a document with its conversation, for
// searches within one conversation. No text yields it: '_' separates words.
func ConvToken(conv int64) string { return "_c" + strconv.FormatInt(conv, 10) }

// scan splits text into CJK runs and words and calls fn for each, in order.
func scan(text string, fn func(run string, cjk bool)) {
	start, cjk := -1, false
	for i, r := range text {
		switch {
		case isCJK(r):
			if start >= 0 && !cjk {
				fn(text[start:i], false)
				start = -1
			}
			if start < 0 {
				start, cjk = i, true
			}
		case isWordRune(r):
			if start >= 0 && cjk {
				fn(text[start:i], true)
				start = -1
			}
			if start < 0 {
				start, cjk = i, false
			}
		default:
			if start >= 0 {
				fn(text[start:i], cjk)
				start = -1
			}
		}
	}
	if start >= 0 {
		fn(text[start:], cjk)
	}
}

// bigrams appends the overlapping two-character substrings of run.
func bigrams(dst []string, run string) []string {
	for i, r := range run {
		n := utf8.RuneLen(r)
		if i+n >= len(run) {
			break
		}
		_, m := utf8.DecodeRuneInString(run[i+n:])
		dst = append(dst, run[i:i+n+m])
	}
	return dst
}

// Tokens calls emit with each token under which text is indexed, in order.
func Tokens(text string, emit func(tok string)) {
	scan(text, func(run string, cjk bool) {
		if !cjk {
			emit(strings.ToLower(run))
			return
		}
		for i, r := range run {
			n := utf8.RuneLen(r)
			if i+n >= len(run) {
				emit(run[i:]) // the last character alone
				break
			}
			_, m := utf8.DecodeRuneInString(run[i+n:])
			emit(run[i : i+n+m])
		}
	})
}

// IndexTokens returns the tokens under which text is indexed, in order.
func IndexTokens(text string) []string {
	var toks []string
	Tokens(text, func(tok string) { toks = append(toks, tok) })
	return toks
}

// IndexText is the document given to the FTS5 table: the tokens,
// space-separated.
func IndexText(text string) string {
	var b strings.Builder
	b.Grow(len(text) * 2)
	Tokens(text, func(tok string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tok)
	})
	return b.String()
}

// Term is one part of a query: a phrase of consecutive tokens, or a single
// token prefix.
type Term struct {
	Tokens []string
	Prefix bool // one token, matched as a prefix
}

// ParseQuery splits a query into terms. No terms means nothing can match.
func ParseQuery(q string) []Term {
	var ts []Term
	scan(q, func(run string, cjk bool) {
		switch {
		case !cjk:
			ts = append(ts, Term{Tokens: []string{strings.ToLower(run)}, Prefix: true})
		case utf8.RuneCountInString(run) == 1:
			ts = append(ts, Term{Tokens: []string{run}, Prefix: true})
		default:
			ts = append(ts, Term{Tokens: bigrams(nil, run)})
		}
	})
	return ts
}

// FTSQuery renders terms as an FTS5 MATCH expression: space-separated
// (implicit AND) quoted phrases, prefix terms starred. Tokens hold only
// word characters, so they need no escaping; quotes are doubled anyway.
func FTSQuery(ts []Term) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteByte('"')
		b.WriteString(strings.ReplaceAll(strings.Join(t.Tokens, " "), `"`, `""`))
		b.WriteByte('"')
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}

// Matches reports whether a document's tokens satisfy every term.
func Matches(doc []string, ts []Term) bool {
	for _, t := range ts {
		if !t.matches(doc) {
			return false
		}
	}
	return len(ts) > 0
}

func (t Term) matches(doc []string) bool {
	if t.Prefix {
		for _, d := range doc {
			if strings.HasPrefix(d, t.Tokens[0]) {
				return true
			}
		}
		return false
	}
	for i := 0; i+len(t.Tokens) <= len(doc); i++ {
		ok := true
		for j, tok := range t.Tokens {
			if doc[i+j] != tok {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}
