//go:build js

package main

import "syscall/js"

// Pasting in the browser without the clipboard prompt. Gio's editor
// answers Ctrl+V (⌘V) with a clipboard.ReadCmd, which Gio's js backend
// serves with navigator.clipboard.readText(): the browser then asks for
// permission (Chromium with Block focused) before every paste. The same
// key press makes the browser fire a paste event at Gio's hidden
// textarea, carrying the text in its clipboardData with no prompt, and
// Gio cancels that event unread. So the page's navigator.clipboard gets
// a readText of its own, which answers with the text of the last paste
// event (or of the next one, when the editor asks first). The text then
// reaches the focused editor by Gio's own path (a transfer.DataEvent),
// replacing the selection as a paste does. Without navigator.clipboard
// (a page not served over https or from localhost) Gio lets the textarea
// paste natively and there is nothing to do.
//
// Both callbacks run on the browser's one thread, one at a time.
func init() { installPaste(js.Global()) }

func installPaste(g js.Value) {
	clip := g.Get("navigator").Get("clipboard")
	if clip.IsUndefined() || clip.IsNull() {
		return
	}
	pasted := js.Undefined() // the last paste's text, not yet asked for
	var waiting []js.Value   // readText promises' resolve functions
	onPaste := js.FuncOf(func(_ js.Value, args []js.Value) any {
		data := args[0].Get("clipboardData")
		if data.IsUndefined() || data.IsNull() {
			return nil
		}
		text := data.Call("getData", "text/plain")
		if len(waiting) == 0 {
			pasted = text
			return nil
		}
		for _, resolve := range waiting {
			resolve.Invoke(text)
		}
		waiting = nil
		return nil
	})
	// Capture, so the document sees it before Gio's own handler.
	g.Get("document").Call("addEventListener", "paste", onPaste, true)
	readText := js.FuncOf(func(js.Value, []js.Value) any {
		executor := js.FuncOf(func(_ js.Value, args []js.Value) any {
			resolve := args[0]
			if pasted.IsUndefined() {
				waiting = append(waiting, resolve)
				return nil
			}
			resolve.Invoke(pasted)
			pasted = js.Undefined()
			return nil
		})
		defer executor.Release() // a Promise runs its executor at once
		return g.Get("Promise").New(executor)
	})
	clip.Set("readText", readText)
}
