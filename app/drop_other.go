//go:build !js

package main

// watchDrops does nothing outside the browser: Gio v0.10 delivers no
// files dropped on the window and no picture from the clipboard on any
// desktop or phone (drop_js.go says what the browser does instead).
func (win *window) watchDrops() {}
