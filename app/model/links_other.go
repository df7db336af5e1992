//go:build !js

package model

// platformOpenURL is Config.OpenURL's default: the desktop's own command
// for opening files (xdg-open, open, url.dll), which hands a URL to the
// default browser.
func platformOpenURL(link string) error { return desktopOpener{}.Open(link) }
