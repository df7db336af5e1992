package ui

// ReportClipped makes u call f with the text of every label and field
// hint of its own words that does not fit where it is drawn.
func ReportClipped(u *UI, f func(text string)) { u.th.clipped = f }

// HoverAreas counts the icon buttons whose hover state u keeps.
func HoverAreas(u *UI) int { return len(u.th.hovers) }

// EmojiTable lists the emoji picker's emoji.
func EmojiTable() []string {
	out := make([]string, 0, len(emojiTable))
	for _, e := range emojiTable {
		out = append(out, e.emoji)
	}
	return out
}
