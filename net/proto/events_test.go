package proto

import (
	"strings"
	"testing"
)

func TestIsEmoji(t *testing.T) {
	for _, s := range []string{
		"👍", "👍🏽", "❤️", "❤", "😀", "🇨🇳", "🇺🇸", "1️⃣", "#⃣", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👩🏽‍💻",
		"🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F", "©️", "™", "☕", "🫠",
	} {
		if !IsEmoji(s) {
			t.Errorf("IsEmoji(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"", "a", "ok", "👍👍", "👍 ", " 👍", "1", "🇨", "🇨🇳🇨", "\u200d👍", "👍\u200d", "👍\u200d\u200d👍",
		"🏽", "👍🏽🏽", "字", "\ufe0f", "<b>", "👍\x00", "\xff", strings.Repeat("👍\u200d", 16) + "👍",
	} {
		if IsEmoji(s) {
			t.Errorf("IsEmoji(%q) = true, want false", s)
		}
	}
}
