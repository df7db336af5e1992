package main

import (
	"slices"
	"sync"

	"gioui.org/text"

	"parley/ui"
)

// shapers builds the window's text shaper again when fonts arrive after
// the first frame: the system's font index (slow the first time), and in
// the browser the fonts the server serves. Builds run one at a time, each
// with everything added so far, so a slow one never replaces a newer
// one; the UI goroutine takes the newest from out at its next frame, and
// wake asks for that frame.
type shapers struct {
	mu     sync.Mutex
	faces  []ui.FontFace
	system bool
	out    chan *text.Shaper // capacity 1
	wake   func()
}

// add adds faces to the collection.
func (s *shapers) add(faces ...ui.FontFace) { s.update(false, faces) }

// addSystem adds the platform's installed fonts, for the characters no
// face of the collection has.
func (s *shapers) addSystem() { s.update(true, nil) }

func (s *shapers) update(system bool, faces []ui.FontFace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faces = append(s.faces, faces...)
	s.system = s.system || system
	sh := ui.NewShaper(slices.Clone(s.faces), s.system)
	select {
	case <-s.out: // an older one the UI has not taken
	default:
	}
	s.out <- sh
	s.wake()
}
