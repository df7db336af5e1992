// Package desktop tests tools/desktop.sh, the Linux desktop packaging:
// that it builds the app, a valid freedesktop entry and the icons, that
// it installs them under PREFIX, and that the packaged binary opens a
// window the entry is matched to. It has no code of its own.
package desktop
