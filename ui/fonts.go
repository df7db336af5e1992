package ui

import (
	"bytes"
	"fmt"
	_ "image/png" // colour emoji are PNG images (CBDT, sbix) that Gio decodes with image.Decode
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"gioui.org/font"
	"gioui.org/font/gofont"
	"gioui.org/font/opentype"
	"gioui.org/text"
	gotext "github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

// Chinese text needs a CJK font, and Gio ships none. Parley uses the
// platform's own: a short list of well-known files per OS, loaded
// directly (one face out of a collection, in about 25 ms) rather than by
// scanning every installed font, which takes seconds on the first run.
// The Simplified Chinese face is picked by family name so that Han
// characters get their mainland shapes, not the Japanese ones that come
// first in a pan-CJK collection. Nothing third-party is bundled.

// cjkFamilies are the Simplified Chinese families we look for, best first.
var cjkFamilies = []string{
	"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
	"PingFang SC", "Microsoft YaHei", "Microsoft YaHei UI", "Hiragino Sans GB",
	"WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "Droid Sans Fallback", "SimHei", "SimSun",
}

// CJKFontFiles lists the font files that may hold Simplified Chinese on
// this platform, regular weight first, each with its bold sibling ("" if
// none).
func CJKFontFiles() [][2]string {
	switch runtime.GOOS {
	case "windows":
		dir := filepath.Join(os.Getenv("WINDIR"), "Fonts")
		if os.Getenv("WINDIR") == "" {
			dir = `C:\Windows\Fonts`
		}
		return [][2]string{
			{filepath.Join(dir, "msyh.ttc"), filepath.Join(dir, "msyhbd.ttc")},
			{filepath.Join(dir, "simhei.ttf"), ""},
			{filepath.Join(dir, "simsun.ttc"), ""},
		}
	case "darwin", "ios":
		return [][2]string{
			{"/System/Library/Fonts/PingFang.ttc", ""},
			{"/System/Library/Fonts/Core/PingFang.ttc", ""},
			{"/System/Library/Fonts/Hiragino Sans GB.ttc", ""},
			{"/System/Library/Fonts/STHeiti Light.ttc", "/System/Library/Fonts/STHeiti Medium.ttc"},
		}
	case "android":
		return [][2]string{
			{"/system/fonts/NotoSansCJK-Regular.ttc", ""},
			{"/system/fonts/NotoSansSC-Regular.otf", ""},
			{"/system/fonts/DroidSansFallbackFull.ttf", ""},
			{"/system/fonts/DroidSansFallback.ttf", ""},
		}
	}
	// Linux and the BSDs: where the common distributions put Noto CJK,
	// then the older fallbacks.
	return [][2]string{
		{"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"}, // Debian, Ubuntu
		{"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"},           // Arch
		{"/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"},
		{"/usr/share/fonts/google-noto-sans-cjk-vf-fonts/NotoSansCJK-VF.ttc", ""}, // Fedora
		{"/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf", "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Bold.otf"},
		{"/usr/local/share/fonts/noto/NotoSansCJK-Regular.ttc", "/usr/local/share/fonts/noto/NotoSansCJK-Bold.ttc"}, // FreeBSD
		{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", ""},
		{"/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc", ""},
		{"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", ""},
		{"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", ""},
	}
}

// FindCJKFont returns the first of CJKFontFiles that exists.
func FindCJKFont() (regular, bold string, ok bool) {
	for _, f := range CJKFontFiles() {
		if _, err := os.Stat(f[0]); err == nil {
			if _, err := os.Stat(f[1]); f[1] == "" || err != nil {
				f[1] = ""
			}
			return f[0], f[1], true
		}
	}
	return "", "", false
}

// LoadCJKFont loads the best Simplified Chinese face of a font file (a
// single font or a collection). The file stays open: faces read their
// tables from it.
func LoadCJKFont(path string) (font.FontFace, error) {
	f, err := os.Open(path)
	if err != nil {
		return font.FontFace{}, fmt.Errorf("open font: %w", err)
	}
	face, err := loadCJK(f, path)
	if err != nil {
		f.Close()
		return font.FontFace{}, err
	}
	return face, nil
}

// LoadCJKFontBytes is LoadCJKFont for a font already in memory, such as
// one the browser app fetched from its server. name says where the bytes
// came from, for errors.
func LoadCJKFontBytes(data []byte, name string) (font.FontFace, error) {
	return loadCJK(bytes.NewReader(data), name)
}

// loadCJK picks the best Simplified Chinese face of the font or
// collection in r.
func loadCJK(r ot.Resource, name string) (font.FontFace, error) {
	lds, err := ot.NewLoaders(r)
	if err != nil {
		return font.FontFace{}, fmt.Errorf("read font %s: %w", name, err)
	}
	best, bestRank := -1, len(cjkFamilies)+1
	var buf []byte
	for i, ld := range lds {
		var d gotext.Description
		d, buf = gotext.Describe(ld, buf)
		rank := slices.Index(cjkFamilies, d.Family)
		if rank < 0 {
			rank = len(cjkFamilies) // unknown family: better than nothing
		}
		if rank < bestRank {
			best, bestRank = i, rank
		}
	}
	if best < 0 {
		return font.FontFace{}, fmt.Errorf("read font %s: no faces", name)
	}
	return newFace(lds[best], name)
}

// Emoji need an emoji font, and Gio ships none either. Gio draws a
// font's PNG bitmap glyphs in colour (CBDT, as in Noto Color Emoji, and
// sbix, as in Apple Color Emoji), in labels and editors alike; it cannot
// draw COLR layers (Segoe UI Emoji), whose plain outlines it draws in the
// text's colour instead.

// EmojiFontFiles lists the font files that may hold emoji on this
// platform, colour first.
func EmojiFontFiles() []string {
	switch runtime.GOOS {
	case "windows":
		dir := filepath.Join(os.Getenv("WINDIR"), "Fonts")
		if os.Getenv("WINDIR") == "" {
			dir = `C:\Windows\Fonts`
		}
		return []string{filepath.Join(dir, "seguiemj.ttf"), filepath.Join(dir, "seguisym.ttf")}
	case "darwin", "ios":
		return []string{"/System/Library/Fonts/Apple Color Emoji.ttc", "/System/Library/Fonts/Core/Apple Color Emoji.ttc"}
	case "android":
		// Android 13 and later: NotoColorEmoji.ttf is COLRv1, which Gio
		// cannot draw; the CBDT one is kept as NotoColorEmojiLegacy.ttf.
		return []string{"/system/fonts/NotoColorEmojiLegacy.ttf", "/system/fonts/NotoColorEmoji.ttf"}
	}
	return []string{
		"/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",                 // Debian, Ubuntu: fonts-noto-color-emoji
		"/usr/share/fonts/noto/NotoColorEmoji.ttf",                          // Arch
		"/usr/share/fonts/google-noto-color-emoji-fonts/NotoColorEmoji.ttf", // Fedora
		"/usr/share/fonts/noto-emoji/NotoColorEmoji.ttf",
		"/usr/local/share/fonts/noto/NotoColorEmoji.ttf",             // FreeBSD
		"/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", // Debian: fonts-symbola (monochrome)
	}
}

// FindEmojiFont returns the first of EmojiFontFiles that exists.
func FindEmojiFont() (string, bool) {
	for _, f := range EmojiFontFiles() {
		if _, err := os.Stat(f); err == nil {
			return f, true
		}
	}
	return "", false
}

// LoadEmojiFont loads the first face of an emoji font file; the file
// stays open, as LoadCJKFont's.
func LoadEmojiFont(path string) (font.FontFace, error) {
	f, err := os.Open(path)
	if err != nil {
		return font.FontFace{}, fmt.Errorf("open emoji font: %w", err)
	}
	face, err := loadFirst(f, path)
	if err != nil {
		f.Close()
		return font.FontFace{}, err
	}
	return face, nil
}

// LoadEmojiFontBytes is LoadEmojiFont for a font already in memory.
func LoadEmojiFontBytes(data []byte, name string) (font.FontFace, error) {
	return loadFirst(bytes.NewReader(data), name)
}

// loadFirst loads the first face of the font or collection in r.
func loadFirst(r ot.Resource, name string) (font.FontFace, error) {
	lds, err := ot.NewLoaders(r)
	if err != nil {
		return font.FontFace{}, fmt.Errorf("read font %s: %w", name, err)
	}
	if len(lds) == 0 {
		return font.FontFace{}, fmt.Errorf("read font %s: no faces", name)
	}
	return newFace(lds[0], name)
}

func newFace(ld *ot.Loader, name string) (font.FontFace, error) {
	ft, err := gotext.NewFont(ld)
	if err != nil {
		return font.FontFace{}, fmt.Errorf("parse font %s: %w", name, err)
	}
	return font.FontFace{Font: opentype.DescriptionToFont(ft.Describe()), Face: sharedFace{ft}}, nil
}

// sharedFace hands each shaper its own view of one parsed font.
type sharedFace struct{ f *gotext.Font }

func (s sharedFace) Face() *gotext.Face { return gotext.NewFace(s.f) }

// Collection is the font collection of the screens: the Go fonts first
// (Latin text), then the given faces (CJK, emoji), in the order a
// character is looked for.
func Collection(more ...font.FontFace) []font.FontFace {
	return append(gofont.Collection(), more...)
}

// NewShaper returns a text shaper over faces. With systemFonts the
// platform's installed fonts are indexed too (slow the first time, cached
// afterwards) and serve the runes no face in the collection has, such as
// emoji or other scripts.
func NewShaper(faces []font.FontFace, systemFonts bool) *text.Shaper {
	opts := []text.ShaperOption{text.WithCollection(faces)}
	if !systemFonts {
		opts = append(opts, text.NoSystemFonts())
	}
	return text.NewShaper(opts...)
}

// FontFace is a loaded font face (gioui.org/font.FontFace).
type FontFace = font.FontFace
