package transfer

import (
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds a sanitised file name (the limit of common file
// systems).
const MaxNameBytes = 255

// SafeName turns a file name from anyone (a client, a message) into one
// that is safe to show and to save as a single file in a folder: only the
// last path element survives ("../../etc/passwd" is "passwd",
// `C:\x\report.pdf` is "report.pdf"); control characters and bidirectional
// overrides are dropped; characters Windows refuses become "_"; leading and
// trailing dots and spaces go; device names such as "CON" get a "_" in
// front; the result has at most MaxNameBytes bytes and keeps its
// extension. It is never empty, ".", or "..": those become "file".
func SafeName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), isBidiControl(r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, " .\u00a0")
	if name == "" {
		return "file"
	}
	if isDeviceName(name) {
		name = "_" + name
	}
	return truncateName(name, MaxNameBytes)
}

func isBidiControl(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c'
}

// isDeviceName reports names Windows reserves, with or without an
// extension ("nul", "COM1.txt").
func isDeviceName(name string) bool {
	stem, _, _ := strings.Cut(name, ".")
	stem = strings.ToUpper(strings.TrimRight(stem, " "))
	switch stem {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) {
		return stem[3] >= '0' && stem[3] <= '9'
	}
	return false
}

// truncateName shortens name to at most n bytes on a rune boundary,
// keeping a short extension.
func truncateName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 32 || len(ext) == len(name) {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	limit := n - len(ext)
	for limit > 0 && !utf8.RuneStart(stem[limit]) {
		limit--
	}
	return strings.TrimRight(stem[:limit], " .") + ext
}

// numbered returns name with " (n)" before its extension: "report (2).pdf".
func numbered(name string, n int) string {
	ext := path.Ext(name)
	if ext == name {
		ext = ""
	}
	suffix := " (" + strconv.Itoa(n) + ")"
	stem := truncateName(name[:len(name)-len(ext)], MaxNameBytes-len(ext)-len(suffix))
	return stem + suffix + ext
}
