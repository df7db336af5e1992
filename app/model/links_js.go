//go:build js

package model

import "syscall/js"

// platformOpenURL is Config.OpenURL's default in the browser: a new tab,
// without a handle back to this page. (With noopener, window.open
// returns null whether or not the tab opened, so there is nothing to
// check; the click that asked for it is recent enough for pop-up
// blockers, which allow a few seconds after a user's gesture.)
func platformOpenURL(link string) error {
	js.Global().Call("open", link, "_blank", "noopener,noreferrer")
	return nil
}
