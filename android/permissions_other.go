//go:build !android

package android

import "gioui.org/io/event"

// NewPermissions returns Permissions for this platform, which has no
// runtime prompts: every request succeeds at once.
func NewPermissions() *Permissions { return newPermissions(nil) }

// ListenEvents does nothing: there are no dialogs to show.
func (p *Permissions) ListenEvents(event.Event) {}
