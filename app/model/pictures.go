package model

import (
	"container/list"
	"errors"
	"fmt"
	"image"
	"maps"
	"math"
	"os"
	"sync"

	_ "golang.org/x/image/webp" // a picture sent as WebP opens full size in the viewer

	"parley/app/state"
)

// Pictures in conversations: a file message whose file carries
// proto.Image shows its small thumbnail inline and opens in the viewer
// with its large thumbnail, then the full file once downloaded.
//
// Thumbnails are files (GET /v1/files/{id}) whose IDs are content
// addresses, so a cached one never goes stale: they share the profile
// pictures' cache (account.picture, package filecache: <data>/pictures/<file
// ID>, the page's Cache Storage in the browser). Decoded images are kept
// in memory up to thumbMemory bytes of pixels, the least recently asked
// for dropped first, and published in State.Thumbs.

// thumbMemory bounds the decoded pixels kept: about 200 small thumbnails,
// or 40 large ones, or a few full pictures.
const thumbMemory = 64 << 20

// maxThumbFetch bounds a thumbnail fetched: a 1280 px JPEG or PNG is far
// less.
const maxThumbFetch = 8 << 20

// maxViewPixels bounds a full picture decoded for the viewer, as the
// server bounds what it thumbnails (50 megapixels); a larger one shows its
// large thumbnail.
const maxViewPixels = 50_000_000

// thumbs is an account's decoded pictures and the fetches in flight.
type thumbs struct {
	mu       sync.Mutex
	mem      lru
	inFlight map[string]bool
	failed   map[string]bool
	max      int64 // the memory bound; 0: thumbMemory (tests set less)
}

// WantThumb fetches thumbnail id (a proto.Image's Small or Large) from
// the cache or the server, in the background, and publishes it in
// State.Thumbs; State.ThumbsFailed if it cannot. It returns at once; a
// thumbnail held, being fetched or failed is not fetched again.
func (m *Model) WantThumb(id string) {
	a := m.account()
	if a == nil {
		return
	}
	a.want(id, func() (image.Image, error) { return a.picture(id) })
}

// ViewFull decodes the full picture of file fileID, saved or sent by
// transfer transferID, for the viewer, and publishes it in State.Thumbs
// under fileID (State.ThumbsFailed if it cannot: too large, or not a
// picture after all). It returns at once.
func (m *Model) ViewFull(fileID, transferID string) {
	a := m.account()
	if a == nil || a.files == nil {
		return
	}
	a.want(fileID, func() (image.Image, error) {
		path, err := a.files.localFile(a.ctx, transferID)
		if err != nil {
			return nil, err
		}
		img, err := decodeFile(path, maxViewPixels)
		if err != nil {
			return nil, err
		}
		// Half the memory bound at most, so that it is kept (and the
		// thumbnails with it): a 24-megapixel photo is shown at about
		// 8 megapixels, more than a screen has.
		return fitPixels(img, a.thumbs.limit()/2/4), nil
	})
}

// limit is the memory bound of decoded pictures.
func (t *thumbs) limit() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.max == 0 {
		return thumbMemory
	}
	return t.max
}

// fitPixels scales img down to at most maxPixels pixels.
func fitPixels(img image.Image, maxPixels int64) image.Image {
	b := img.Bounds()
	w, h := int64(b.Dx()), int64(b.Dy())
	if w*h <= maxPixels || w <= 0 || h <= 0 {
		return img
	}
	k := math.Sqrt(float64(maxPixels) / float64(w*h))
	return shrink(img, max(1, int(float64(max(w, h))*k)))
}

// want runs load for id unless id is held, in flight or failed.
func (a *account) want(id string, load func() (image.Image, error)) {
	t := &a.thumbs
	t.mu.Lock()
	if _, ok := t.mem.get(id); ok || t.inFlight[id] || t.failed[id] || id == "" {
		t.mu.Unlock()
		return
	}
	if t.inFlight == nil {
		t.inFlight, t.failed = map[string]bool{}, map[string]bool{}
	}
	t.inFlight[id] = true
	t.mu.Unlock()
	started := a.spawn(func() {
		img, err := load()
		t.mu.Lock()
		delete(t.inFlight, id)
		var dropped []string
		if err != nil {
			t.failed[id] = true
		} else {
			limit := t.max
			if limit == 0 {
				limit = thumbMemory
			}
			dropped = t.mem.put(id, img, pixelBytes(img), limit)
			if _, kept := t.mem.peek(id); !kept {
				t.failed[id] = true // larger than the bound: say so rather than wait
				err = errTooManyPixels
			}
		}
		t.mu.Unlock()
		if err != nil && a.ctx.Err() == nil {
			a.m.log.Info("picture", "file", id, "err", err)
		}
		if !a.current() {
			return
		}
		a.m.update(func(st *state.State) {
			if err != nil {
				fs := maps.Clone(st.ThumbsFailed)
				if fs == nil {
					fs = state.ThumbsFailed{}
				}
				fs[id] = true
				st.ThumbsFailed = fs
			}
			if err != nil && len(dropped) == 0 {
				return
			}
			ts := maps.Clone(st.Thumbs)
			if ts == nil {
				ts = state.Thumbs{}
			}
			for _, d := range dropped {
				delete(ts, d)
			}
			if _, kept := t.peek(id); kept {
				ts[id] = img
			}
			st.Thumbs = ts
		})
	})
	if !started {
		t.mu.Lock()
		delete(t.inFlight, id)
		t.mu.Unlock()
	}
}

func (t *thumbs) peek(id string) (image.Image, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mem.peek(id)
}

// retryFailed forgets the failures, on a (re)connect: what failed offline
// may load now.
func (a *account) retryFailed() {
	t := &a.thumbs
	t.mu.Lock()
	n := len(t.failed)
	clear(t.failed)
	t.mu.Unlock()
	if n > 0 && a.current() {
		a.m.update(func(st *state.State) { st.ThumbsFailed = nil })
	}
}

// decodeFile decodes the picture at path if it has at most maxPixels.
func decodeFile(path string, maxPixels int) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open the picture: %w", err)
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("read the picture's size: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxPixels/cfg.Height {
		return nil, fmt.Errorf("picture of %d × %d pixels: %w", cfg.Width, cfg.Height, errTooManyPixels)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, fmt.Errorf("read the picture: %w", err)
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decode the picture: %w", err)
	}
	return img, nil
}

var errTooManyPixels = errors.New("too many pixels to show")

// pixelBytes is what an image holds in memory, about: 4 bytes a pixel
// (YCbCr JPEGs hold less; the bound errs on the safe side).
func pixelBytes(img image.Image) int64 {
	b := img.Bounds()
	return int64(b.Dx()) * int64(b.Dy()) * 4
}

// lru holds images by ID up to a total size, the least recently used
// dropped first. The zero value is empty.
type lru struct {
	order *list.List // of *lruEntry, most recent first
	at    map[string]*list.Element
	size  int64
}

type lruEntry struct {
	id   string
	img  image.Image
	size int64
}

// get returns id's image and makes it the most recent.
func (c *lru) get(id string) (image.Image, bool) {
	e, ok := c.at[id]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry).img, true
}

// peek returns id's image without changing the order.
func (c *lru) peek(id string) (image.Image, bool) {
	e, ok := c.at[id]
	if !ok {
		return nil, false
	}
	return e.Value.(*lruEntry).img, true
}

// put adds img as the most recent and drops the least recent ones while
// the total is over max; it returns the IDs dropped (id itself if img
// alone is over max).
func (c *lru) put(id string, img image.Image, size, max int64) (dropped []string) {
	if c.at == nil {
		c.order, c.at = list.New(), map[string]*list.Element{}
	}
	if e, ok := c.at[id]; ok {
		c.size -= e.Value.(*lruEntry).size
		c.order.Remove(e)
		delete(c.at, id)
	}
	c.at[id] = c.order.PushFront(&lruEntry{id: id, img: img, size: size})
	c.size += size
	for c.size > max && c.order.Len() > 0 {
		e := c.order.Back()
		le := e.Value.(*lruEntry)
		c.order.Remove(e)
		delete(c.at, le.id)
		c.size -= le.size
		dropped = append(dropped, le.id)
	}
	return dropped
}
