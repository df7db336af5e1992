package model

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"path/filepath"
	"strings"

	"golang.org/x/image/draw"

	"parley/app/state"
)

// Sending pictures: files picked together (the picker's several files, a
// pasted or dropped picture) wait in a preview when one of them is a
// picture (Stage, State.Picked), for an optional caption, which goes
// with the first file as its message's text (CreateRequest.Text); Send
// queues them all, in order, as SendFile and SendStream do; Cancel drops
// them. Files without a picture among them are sent at once, as before.
//
// A caption is kept in its upload's transfer record (store.Transfer
// Caption), so an app restart before the server's upload is created still
// sends it.

// Pick is a file picked to send: a local path, or a stream (phones, the
// browser).
type Pick struct {
	Path   string
	Stream *Stream
}

// Name is the pick's file name.
func (p Pick) Name() string {
	if p.Stream != nil {
		return p.Stream.Name
	}
	return filepath.Base(p.Path)
}

// maxStagedStream bounds a picked picture stream read into memory for its
// preview; a larger one is sent without a preview.
const maxStagedStream = 64 << 20

// previewSide is the long side of a preview, in pixels.
const previewSide = 320

// IsPictureName says whether a file's name says it is a picture the
// server makes thumbnails of (JPEG, PNG, GIF, WebP).
func IsPictureName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".jpg", ".jpeg", ".png", ".gif", ".webp":
		return true
	}
	return false
}

// staged holds the picks of the preview shown (none once sent or
// cancelled).
type staged struct {
	id     uint64
	target string
	picks  []Pick
}

// Stage shows picks in the preview before they are sent to target (as
// SendFile's), if one of them is a picture; else it sends them at once.
// It takes the picks' streams. A preview already shown is replaced (its
// streams closed).
func (m *Model) Stage(ctx context.Context, target string, picks []Pick) error {
	pictures := false
	for _, p := range picks {
		pictures = pictures || IsPictureName(p.Name())
	}
	if !pictures {
		var first error
		for _, p := range picks {
			if err := m.sendPick(ctx, p, target, ""); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	a := m.account()
	if a == nil {
		closePicks(picks)
		return m.fail(errLoggedOut)
	}
	view := &state.Picked{Target: target}
	if target == "" {
		if st := m.State(); st.Open != nil {
			view.Conv = int64(st.Open.ID)
		}
	}
	for i, p := range picks {
		f := state.PickedFile{Name: p.Name()}
		var data []byte
		switch {
		case p.Stream != nil && IsPictureName(f.Name) && p.Stream.Size <= maxStagedStream:
			// Read in, so that it can be decoded and still be sent.
			b, err := io.ReadAll(io.LimitReader(p.Stream, maxStagedStream+1))
			p.Stream.Close()
			if err != nil || len(b) > maxStagedStream {
				closePicks(picks[i+1:])
				return m.fail(fmt.Errorf("read the picked %s: %w", f.Name, err))
			}
			data = b
			picks[i].Stream = &Stream{ReadCloser: io.NopCloser(bytes.NewReader(b)), Name: p.Stream.Name, Size: int64(len(b))}
			f.Size = int64(len(b))
		case p.Stream != nil:
			f.Size = max(p.Stream.Size, 0)
		default:
			if _, info, err := statPath(p.Path); err == nil {
				f.Size = info.Size()
			}
		}
		if IsPictureName(f.Name) {
			var img image.Image
			var err error
			if data != nil {
				img, err = decodeBytes(data, maxViewPixels)
			} else if p.Path != "" {
				img, err = decodeFile(p.Path, maxViewPixels)
			}
			if err == nil && img != nil {
				f.Width, f.Height = img.Bounds().Dx(), img.Bounds().Dy()
				f.Preview = shrink(img, previewSide)
			}
		}
		view.Files = append(view.Files, f)
	}
	a.mu.Lock()
	old := a.staged
	id := uint64(1)
	if old != nil {
		id = old.id + 1
	}
	a.staged = &staged{id: id, target: target, picks: picks}
	a.mu.Unlock()
	if old != nil {
		closePicks(old.picks)
	}
	view.ID = id
	m.update(func(st *state.State) { st.Picked = view })
	return nil
}

// SendPicked sends the files of the preview, caption as the first one's
// text, and closes the preview.
func (m *Model) SendPicked(ctx context.Context, caption string) error {
	s := m.takeStaged()
	if s == nil {
		return nil
	}
	caption = strings.TrimSpace(caption)
	var first error
	for i, p := range s.picks {
		c := ""
		if i == 0 {
			c = caption
		}
		if err := m.sendPick(ctx, p, s.target, c); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// CancelPicked closes the preview; its files are not sent.
func (m *Model) CancelPicked() {
	if s := m.takeStaged(); s != nil {
		closePicks(s.picks)
	}
}

func (m *Model) takeStaged() *staged {
	a := m.account()
	if a == nil {
		return nil
	}
	a.mu.Lock()
	s := a.staged
	if s != nil {
		a.staged = &staged{id: s.id} // the count goes on
	}
	a.mu.Unlock()
	m.update(func(st *state.State) { st.Picked = nil })
	return s
}

func (m *Model) sendPick(ctx context.Context, p Pick, target, caption string) error {
	if p.Stream != nil {
		return m.sendStream(ctx, *p.Stream, target, caption)
	}
	return m.sendFile(ctx, p.Path, target, caption)
}

func closePicks(picks []Pick) {
	for _, p := range picks {
		if p.Stream != nil {
			p.Stream.Close()
		}
	}
}

// decodeBytes decodes a picture held in memory if it has at most
// maxPixels.
func decodeBytes(data []byte, maxPixels int) (image.Image, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("read the picture's size: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("picture of %d × %d pixels: %w", cfg.Width, cfg.Height, errTooManyPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decode the picture: %w", err)
	}
	return img, nil
}

// shrink scales img down to at most side pixels on its long side.
func shrink(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) <= side {
		return img
	}
	if w >= h {
		w, h = side, max(1, h*side/w)
	} else {
		w, h = max(1, w*side/h), side
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}
