package ui

import "slices"

// Flashing is the message the list tinted in the last frame (a jump's
// fading tint), 0 if none.
func Flashing(u *UI) int64 { return u.conv.msgs.nav.tinted }

// Marked lists the texts that the last frame marked as a search's
// matches.
func Marked(u *UI) []string { return slices.Clone(u.conv.msgs.nav.marked) }
