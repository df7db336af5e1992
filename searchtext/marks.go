package searchtext

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Marks returns the byte ranges of text that the query matches, as a
// search result shows them: each occurrence of a CJK part of the query
// (a substring), and the start of each word that a word of the query
// begins (a prefix, case-insensitively). The ranges are sorted and do not
// overlap; none if the query matches nothing in text.
func Marks(text, query string) [][2]int {
	type part struct {
		s   string
		cjk bool
	}
	var parts []part
	scanAt(query, func(_ int, run string, cjk bool) {
		if !cjk {
			run = strings.ToLower(run)
		}
		parts = append(parts, part{run, cjk})
	})
	var marks [][2]int
	scanAt(text, func(at int, run string, cjk bool) {
		for _, p := range parts {
			switch {
			case cjk && p.cjk:
				for i := 0; ; {
					j := strings.Index(run[i:], p.s)
					if j < 0 {
						break
					}
					marks = append(marks, [2]int{at + i + j, at + i + j + len(p.s)})
					i += j + len(p.s)
				}
			case !cjk && !p.cjk && strings.HasPrefix(strings.ToLower(run), p.s):
				// As many runes of the word as the query's word has.
				n, end := utf8.RuneCountInString(p.s), 0
				for i := range run {
					if n == 0 {
						break
					}
					end, n = i, n-1
					_, size := utf8.DecodeRuneInString(run[i:])
					end += size
				}
				marks = append(marks, [2]int{at, at + end})
			}
		}
	})
	slices.SortFunc(marks, func(a, b [2]int) int { return a[0] - b[0] })
	out := marks[:0]
	for _, m := range marks {
		if n := len(out); n > 0 && m[0] <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], m[1])
			continue
		}
		out = append(out, m)
	}
	return out
}

// scanAt is scan with the byte offset of each run.
func scanAt(text string, fn func(at int, run string, cjk bool)) {
	start, cjk := -1, false
	flush := func(end int) {
		if start >= 0 {
			fn(start, text[start:end], cjk)
			start = -1
		}
	}
	for i, r := range text {
		switch {
		case isCJK(r):
			if start >= 0 && !cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, true
			}
		case isWordRune(r):
			if start >= 0 && cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, false
			}
		default:
			flush(i)
		}
	}
	flush(len(text))
}
