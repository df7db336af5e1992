// Package thumbs decodes pictures that clients uploaded, which are
// untrusted bytes, and makes their thumbnails (docs/protocol.md,
// "Pictures, voice messages and media"). It reads PNG, JPEG, GIF (the
// first frame) and WebP with the standard library and golang.org/x/image.
//
// Decoding is bounded before it starts: the pixel count comes from the
// header and a picture over the limit is refused without decoding; the
// decoded pictures in memory at once are bounded by an estimate of their
// bytes (a weighted semaphore shared by every caller); a decode that reads
// for longer than the time limit fails at its next read; a decoder that
// panics is a picture that does not decode. Thumbnails are re-encoded from
// pixels, so they carry no metadata of the original; the EXIF orientation
// (of a JPEG, PNG or WebP) is applied to them.
//
// It must not touch storage or the network: callers hand it a reader and
// get encoded bytes back.
package thumbs

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/gif" // registers GIF
	"image/jpeg"
	"image/png"
	"io"
	"sync"
	"time"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // registers WebP
)

// Defaults of Config.
const (
	DefaultMaxPixels = 50_000_000
	DefaultTimeout   = 30 * time.Second
	// JPEGQuality is the quality of JPEG thumbnails.
	JPEGQuality = 82
)

// Config bounds a Thumbnailer.
type Config struct {
	// MaxPixels refuses pictures with more pixels (width × height, from
	// the header) without decoding them (0: DefaultMaxPixels).
	MaxPixels int64
	// Memory bounds the estimated bytes of the pictures being decoded at
	// once (0: 4 × MaxPixels, one picture at the limit decoded as 32-bit
	// RGBA). A picture estimated over Memory still decodes, alone.
	Memory int64
	// Timeout ends a decode that reads for longer (0: DefaultTimeout).
	Timeout time.Duration
}

// Thumbnailer decodes pictures within its Config. It is safe for
// concurrent use; decodes wait for room in its memory budget.
type Thumbnailer struct {
	cfg Config
	mem *budget
}

// New returns a Thumbnailer with cfg's bounds.
func New(cfg Config) *Thumbnailer {
	if cfg.MaxPixels <= 0 {
		cfg.MaxPixels = DefaultMaxPixels
	}
	if cfg.Memory <= 0 {
		cfg.Memory = 4 * cfg.MaxPixels
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Thumbnailer{cfg: cfg, mem: &budget{free: cfg.Memory, size: cfg.Memory}}
}

// MaxPixels is the pixel limit in force.
func (t *Thumbnailer) MaxPixels() int64 { return t.cfg.MaxPixels }

// ErrNotImage is the error of bytes that are not a picture this package
// reads (or that fail to decode, or take too long).
var ErrNotImage = errors.New("not a picture this server reads (PNG, JPEG, GIF or WebP)")

// TooLargeError refuses a picture with more pixels than the limit.
type TooLargeError struct {
	Width, Height int
	Max           int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the picture has %d×%d pixels; at most %d are read", e.Width, e.Height, e.Max)
}

// Info describes a decoded picture.
type Info struct {
	Format        string // "jpeg", "png", "gif" or "webp"
	Width, Height int    // as shown: after the orientation
	Orientation   int    // EXIF orientation, 1 to 8 (1: as stored)
}

// Thumb is an encoded thumbnail.
type Thumb struct {
	Data          []byte
	Type          string // "image/jpeg", or "image/png" when it has transparency
	Width, Height int    // as shown
}

var formats = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// Thumbnails decodes the picture in r and returns, for each long side in
// longSides, a thumbnail whose long side is at most that (never scaled
// up), upright and without metadata.
func (t *Thumbnailer) Thumbnails(ctx context.Context, r io.ReadSeeker, longSides ...int) (Info, []Thumb, error) {
	var thumbs []Thumb
	info, err := t.decode(ctx, r, t.cfg.MaxPixels, func(img image.Image, info Info) error {
		b := img.Bounds()
		var prev *image.RGBA // a larger thumbnail, made first, is the source of the next
		for _, long := range longSides {
			w, h := fit(b.Dx(), b.Dy(), long)
			var dst *image.RGBA
			if prev != nil && prev.Bounds().Dx() >= w && prev.Bounds().Dy() >= h {
				dst = resize(prev, prev.Bounds(), w, h)
			} else {
				dst = resize(img, b, w, h)
			}
			prev = dst
			th, err := encode(orient(dst, info.Orientation))
			if err != nil {
				return err
			}
			thumbs = append(thumbs, th)
		}
		return nil
	})
	return info, thumbs, err
}

// Square decodes the picture in r, refusing more than maxPixels (at most
// the Thumbnailer's limit), and returns a thumbnail of its centre square,
// side pixels at most (never scaled up), upright: a profile picture.
func (t *Thumbnailer) Square(ctx context.Context, r io.ReadSeeker, maxPixels int64, side int) (Info, Thumb, error) {
	var th Thumb
	info, err := t.decode(ctx, r, maxPixels, func(img image.Image, info Info) error {
		b := img.Bounds()
		s := min(b.Dx(), b.Dy())
		at := image.Pt(b.Min.X+(b.Dx()-s)/2, b.Min.Y+(b.Dy()-s)/2)
		src := image.Rectangle{Min: at, Max: at.Add(image.Pt(s, s))}
		out := min(s, side)
		var err error
		th, err = encode(orient(resize(img, src, out, out), info.Orientation))
		return err
	})
	return info, th, err
}

// decode reads r's header, refuses it if it is not a picture or has more
// than maxPixels, waits for room in the memory budget, decodes it within
// the time limit and hands it to use while holding that room.
func (t *Thumbnailer) decode(ctx context.Context, r io.ReadSeeker, maxPixels int64, use func(image.Image, Info) error) (info Info, err error) {
	if maxPixels <= 0 || maxPixels > t.cfg.MaxPixels {
		maxPixels = t.cfg.MaxPixels
	}
	cfg, format, err := image.DecodeConfig(bufio.NewReader(r))
	if err != nil || !formats[format] || cfg.Width <= 0 || cfg.Height <= 0 {
		return Info{}, ErrNotImage
	}
	if int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return Info{}, &TooLargeError{Width: cfg.Width, Height: cfg.Height, Max: maxPixels}
	}
	info = Info{Format: format, Width: cfg.Width, Height: cfg.Height}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("rewind picture: %w", err)
	}
	info.Orientation = OrientationOf(format, r)
	if info.Orientation >= 5 {
		info.Width, info.Height = info.Height, info.Width
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("rewind picture: %w", err)
	}
	cost := min(estimate(format, cfg), t.mem.size)
	if err := t.mem.acquire(ctx, cost); err != nil {
		return Info{}, err
	}
	defer t.mem.release(cost)
	dctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	img, err := decodeImage(&ctxReader{ctx: dctx, r: r})
	switch {
	case ctx.Err() != nil:
		return Info{}, ctx.Err()
	case err != nil:
		return Info{}, fmt.Errorf("%w: %v", ErrNotImage, err)
	case format == "gif" && !img.Bounds().Empty() && img.Bounds().In(image.Rect(0, 0, cfg.Width, cfg.Height)):
		// A GIF's first frame may cover part of its screen (the decoder
		// checks that it lies within): the picture is that frame.
		info.Width, info.Height = img.Bounds().Dx(), img.Bounds().Dy()
	case img.Bounds().Dx() != cfg.Width || img.Bounds().Dy() != cfg.Height:
		return Info{}, fmt.Errorf("%w: it decodes to %v, not the %d×%d of its header", ErrNotImage, img.Bounds().Size(), cfg.Width, cfg.Height)
	}
	return info, use(img, info)
}

// decodeImage is image.Decode, with a decoder's panic turned into an error.
func decodeImage(r io.Reader) (img image.Image, err error) {
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("decoder panicked: %v", p)
		}
	}()
	img, _, err = image.Decode(bufio.NewReader(r))
	return img, err
}

// estimate is the bytes a picture takes while it is decoded: its pixels in
// the decoder's colour model, and for JPEG the coefficients a progressive
// picture keeps (2 bytes per sample, up to 3 samples a pixel). Each
// decoder allocates by the header's size, which is checked first: GIF
// decodes only the first frame, which must lie within the screen (one
// byte a pixel); PNG rows are read one at a time into the image (an
// interlaced one also keeps its passes, up to twice its pixels); WebP
// decodes into YCbCr (and alpha) or NRGBA of the header's size, checked
// against the decoded picture below.
func estimate(format string, cfg image.Config) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	switch format {
	case "jpeg":
		return px * 10 // at most 4 bytes a pixel (CMYK) + 6 of coefficients
	case "gif":
		return px
	}
	switch cfg.ColorModel {
	case color.GrayModel, color.AlphaModel:
		return px
	case color.Gray16Model, color.Alpha16Model:
		return px * 2
	case color.RGBA64Model, color.NRGBA64Model:
		return px * 8
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		return px
	}
	return px * 4
}

// ctxReader fails once its context is done, so that a decode that reads
// on and on stops at its next read.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, fmt.Errorf("read picture: %w", err)
	}
	return c.r.Read(p)
}

// fit scales w×h so that its long side is at most long, never up, keeping
// the aspect ratio (each side at least 1).
func fit(w, h, long int) (int, int) {
	if w <= long && h <= long {
		return w, h
	}
	if w >= h {
		return long, max(1, int((int64(h)*int64(long)+int64(w)/2)/int64(w)))
	}
	return max(1, int((int64(w)*int64(long)+int64(h)/2)/int64(h))), long
}

// resize scales src's rectangle r to w×h: an area average by a whole
// factor first (memory: one row of sums), then bilinear for the rest
// (less than a factor of 2, where bilinear does not alias).
func resize(src image.Image, r image.Rectangle, w, h int) *image.RGBA {
	k := max(1, min(r.Dx()/w, r.Dy()/h))
	mid := boxReduce(src, r, k)
	if mid.Bounds().Dx() == w && mid.Bounds().Dy() == h {
		return mid
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), mid, mid.Bounds(), draw.Src, nil)
	return dst
}

// boxReduce averages each k×k block of src's rectangle r (premultiplied
// RGBA), dropping the partial blocks at the right and bottom edges.
func boxReduce(src image.Image, r image.Rectangle, k int) *image.RGBA {
	w, h := r.Dx()/k, r.Dy()/k
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]uint8, 4*w*k)
	sums := make([]uint32, 4*w)
	n := uint32(k * k)
	for y := range h {
		clear(sums)
		for dy := range k {
			readRow(src, r.Min.X, r.Min.Y+y*k+dy, w*k, row)
			for x := range w * k {
				s, p := sums[4*(x/k):4*(x/k)+4], row[4*x:4*x+4]
				s[0] += uint32(p[0])
				s[1] += uint32(p[1])
				s[2] += uint32(p[2])
				s[3] += uint32(p[3])
			}
		}
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i, s := range sums {
			out[i] = uint8((s + n/2) / n)
		}
	}
	return dst
}

// readRow puts n premultiplied RGBA pixels of src's row y from x0 in row,
// with fast paths for the decoders' usual image types.
func readRow(src image.Image, x0, y, n int, row []uint8) {
	switch m := src.(type) {
	case *image.RGBA:
		i := m.PixOffset(x0, y)
		copy(row, m.Pix[i:i+4*n])
		return
	case *image.YCbCr:
		for x := range n {
			yi, ci := m.YOffset(x0+x, y), m.COffset(x0+x, y)
			r, g, b := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, b, 0xff
		}
		return
	case *image.Gray:
		i := m.PixOffset(x0, y)
		for x, v := range m.Pix[i : i+n] {
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = v, v, v, 0xff
		}
		return
	case *image.Paletted:
		var pal [256][4]uint8
		for i, c := range m.Palette[:min(len(m.Palette), 256)] {
			r, g, b, a := c.RGBA()
			pal[i] = [4]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), uint8(a >> 8)}
		}
		i := m.PixOffset(x0, y)
		for x, v := range m.Pix[i : i+n] {
			copy(row[4*x:4*x+4], pal[v][:]) // an index past the palette is transparent black
		}
		return
	case *image.NRGBA:
		i := m.PixOffset(x0, y)
		for x := range n {
			p := m.Pix[i+4*x : i+4*x+4]
			a := uint32(p[3])
			row[4*x] = uint8((uint32(p[0])*a + 127) / 255)
			row[4*x+1] = uint8((uint32(p[1])*a + 127) / 255)
			row[4*x+2] = uint8((uint32(p[2])*a + 127) / 255)
			row[4*x+3] = p[3]
		}
		return
	}
	for x := range n {
		r, g, b, a := src.At(x0+x, y).RGBA()
		row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = uint8(r>>8), uint8(g>>8), uint8(b>>8), uint8(a>>8)
	}
}

// orient returns m as shown under EXIF orientation o.
func orient(m *image.RGBA, o int) *image.RGBA {
	if o <= 1 || o > 8 {
		return m
	}
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		for x := range ow {
			var sx, sy int
			switch o {
			case 2: // mirrored
				sx, sy = w-1-x, y
			case 3: // upside down
				sx, sy = w-1-x, h-1-y
			case 4: // mirrored upside down
				sx, sy = x, h-1-y
			case 5: // transposed
				sx, sy = y, x
			case 6: // stored turned left: turn right
				sx, sy = y, h-1-x
			case 7: // transversed
				sx, sy = w-1-y, h-1-x
			case 8: // stored turned right: turn left
				sx, sy = w-1-y, x
			}
			copy(out.Pix[out.PixOffset(x, y):][:4], m.Pix[m.PixOffset(sx, sy):][:4])
		}
	}
	return out
}

// encode writes m as JPEG, or as PNG if it has any transparency.
func encode(m *image.RGBA) (Thumb, error) {
	var buf bytes.Buffer
	th := Thumb{Width: m.Bounds().Dx(), Height: m.Bounds().Dy()}
	if m.Opaque() {
		if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: JPEGQuality}); err != nil {
			return Thumb{}, fmt.Errorf("encode thumbnail: %w", err)
		}
		th.Type = "image/jpeg"
	} else {
		if err := png.Encode(&buf, m); err != nil {
			return Thumb{}, fmt.Errorf("encode thumbnail: %w", err)
		}
		th.Type = "image/png"
	}
	th.Data = buf.Bytes()
	return th, nil
}

// budget is a weighted semaphore of bytes, first come first served.
type budget struct {
	mu      sync.Mutex
	free    int64
	size    int64
	waiting []*waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

func (b *budget) acquire(ctx context.Context, n int64) error {
	b.mu.Lock()
	if len(b.waiting) == 0 && b.free >= n {
		b.free -= n
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		select {
		case <-w.ready: // granted meanwhile: give it back
			b.mu.Unlock()
			b.release(n)
		default:
			for i, o := range b.waiting {
				if o == w {
					b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
					break
				}
			}
			b.grant() // the head may have changed
			b.mu.Unlock()
		}
		return ctx.Err()
	}
}

func (b *budget) release(n int64) {
	b.mu.Lock()
	b.free += n
	b.grant()
	b.mu.Unlock()
}

// grant wakes the waiters at the head that now fit; b.mu is held.
func (b *budget) grant() {
	for len(b.waiting) > 0 && b.free >= b.waiting[0].n {
		w := b.waiting[0]
		b.waiting = b.waiting[1:]
		b.free -= w.n
		close(w.ready)
	}
}
