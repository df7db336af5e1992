package thumbs

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"runtime"
	"testing"
)

// quadrants is a w×h picture whose quarters are red (top left), green
// (top right), blue (bottom left) and white (bottom right).
func quadrants(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 0, 0, 255}
			switch {
			case x >= w/2 && y < h/2:
				c = color.RGBA{0, 255, 0, 255}
			case x < w/2 && y >= h/2:
				c = color.RGBA{0, 0, 255, 255}
			case x >= w/2 && y >= h/2:
				c = color.RGBA{255, 255, 255, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

func jpegOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pngOf(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WithOrientation returns a JPEG with an EXIF APP1 segment saying
// orientation o, in byte order bo, right after its SOI.
func WithOrientation(jpg []byte, o int, bo interface {
	binary.ByteOrder
	binary.AppendByteOrder
}) []byte {
	seg := append([]byte("Exif\x00\x00"), tiffWith(o, bo)...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// tiffWith is EXIF data (a TIFF header and IFD0) saying orientation o.
func tiffWith(o int, bo interface {
	binary.ByteOrder
	binary.AppendByteOrder
}) []byte {
	tiff := []byte("II*\x00")
	if bo == binary.BigEndian {
		tiff = []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 2) // two entries: another tag first
	tiff = bo.AppendUint16(tiff, 0x010F)
	tiff = bo.AppendUint16(tiff, 2)
	tiff = bo.AppendUint32(tiff, 4)
	tiff = append(tiff, 'A', 'c', 'm', 0)
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, uint16(o))
	tiff = append(tiff, 0, 0)
	return bo.AppendUint32(tiff, 0) // no next IFD
}

func TestOrientationReadsEXIFInBothByteOrders(t *testing.T) {
	jpg := jpegOf(t, quadrants(16, 8))
	if got := Orientation(bytes.NewReader(jpg)); got != 1 {
		t.Errorf("a JPEG without EXIF: orientation %d, want 1", got)
	}
	for _, bo := range []interface {
		binary.ByteOrder
		binary.AppendByteOrder
	}{binary.LittleEndian, binary.BigEndian} {
		for o := 1; o <= 8; o++ {
			if got := Orientation(bytes.NewReader(WithOrientation(jpg, o, bo))); got != o {
				t.Errorf("%v orientation %d: read %d", bo, o, got)
			}
		}
		if got := Orientation(bytes.NewReader(WithOrientation(jpg, 9, bo))); got != 1 {
			t.Errorf("%v orientation 9 (out of range): read %d, want 1", bo, got)
		}
	}
	if got := Orientation(bytes.NewReader(pngOf(t, quadrants(4, 4)))); got != 1 {
		t.Errorf("a PNG: orientation %d, want 1", got)
	}
}

// pngChunk is a PNG chunk of typ with data.
func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(append(c, typ...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func TestPNGAndWebPOrientationsAreApplied(t *testing.T) {
	// A PNG stored 40×20 with an eXIf chunk saying 6 after its IHDR.
	p := pngOf(t, quadrants(40, 20))
	p = append(append(p[:33:33], pngChunk("eXIf", tiffWith(6, binary.BigEndian))...), p[33:]...)
	info, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(p), 320)
	if err != nil {
		t.Fatal(err)
	}
	if info.Orientation != 6 || ths[0].Width != 20 || ths[0].Height != 40 || !near(rgbaAt(t, ths[0], 2, 2), blue) {
		t.Errorf("PNG with eXIf 6: %+v, %d×%d", info, ths[0].Width, ths[0].Height)
	}
	// An extended WebP: VP8X (EXIF flag, canvas 1×1), the lossless 1×1
	// image, then EXIF saying 8 (with the "Exif" prefix some writers keep).
	lossless, _ := base64.StdEncoding.DecodeString(webps[0])
	chunk := func(typ string, data []byte) []byte {
		c := append([]byte(typ), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
		c = append(c, data...)
		if len(data)%2 == 1 {
			c = append(c, 0)
		}
		return c
	}
	body := []byte("WEBP")
	body = append(body, chunk("VP8X", []byte{0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0})...)
	body = append(body, lossless[12:]...) // its VP8L chunk
	body = append(body, chunk("EXIF", append([]byte("Exif\x00\x00"), tiffWith(8, binary.LittleEndian)...))...)
	w := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...)
	w = append(w, body...)
	if o := OrientationOf("webp", bytes.NewReader(w)); o != 8 {
		t.Errorf("WebP EXIF orientation %d, want 8", o)
	}
	info, _, err = New(Config{}).Thumbnails(context.Background(), bytes.NewReader(w), 320)
	if err != nil || info.Format != "webp" || info.Orientation != 8 {
		t.Errorf("extended WebP: %+v, %v", info, err)
	}
}

func FuzzOrientation(f *testing.F) {
	jpg := jpegOf(f, quadrants(8, 8))
	f.Add(WithOrientation(jpg, 6, binary.LittleEndian)[:200])
	f.Add(WithOrientation(jpg, 8, binary.BigEndian)[:200])
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xE1, 0, 8, 'E', 'x', 'i', 'f', 0, 0})
	f.Add(append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("eXIf", tiffWith(3, binary.LittleEndian))...))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPEXIF\x08\x00\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, format := range []string{"jpeg", "png", "webp"} {
			if o := OrientationOf(format, bytes.NewReader(b)); o < 1 || o > 8 {
				t.Fatalf("%s orientation %d out of 1..8", format, o)
			}
		}
	})
}

func rgbaAt(t *testing.T, th Thumb, x, y int) color.RGBA {
	t.Helper()
	m, _, err := image.Decode(bytes.NewReader(th.Data))
	if err != nil {
		t.Fatalf("thumbnail does not decode: %v", err)
	}
	if m.Bounds().Dx() != th.Width || m.Bounds().Dy() != th.Height {
		t.Fatalf("thumbnail is %v, says %d×%d", m.Bounds().Size(), th.Width, th.Height)
	}
	return color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
}

func near(a, b color.RGBA) bool {
	d := func(x, y uint8) int { return max(int(x)-int(y), int(y)-int(x)) }
	return d(a.R, b.R) < 40 && d(a.G, b.G) < 40 && d(a.B, b.B) < 40 && d(a.A, b.A) < 40
}

var (
	red   = color.RGBA{255, 0, 0, 255}
	green = color.RGBA{0, 255, 0, 255}
	blue  = color.RGBA{0, 0, 255, 255}
	white = color.RGBA{255, 255, 255, 255}
)

func TestThumbnailsAreUprightAtBothSizes(t *testing.T) {
	// Stored 2000×1000 turned left (orientation 6): shown 1000×2000, with
	// the stored bottom left (blue) at the top left.
	jpg := WithOrientation(jpegOf(t, quadrants(2000, 1000)), 6, binary.BigEndian)
	info, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(jpg), 1280, 320)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 1000 || info.Height != 2000 || info.Orientation != 6 || info.Format != "jpeg" {
		t.Errorf("info %+v, want jpeg 1000×2000 orientation 6", info)
	}
	for i, want := range []image.Point{{640, 1280}, {160, 320}} {
		th := ths[i]
		if th.Width != want.X || th.Height != want.Y || th.Type != "image/jpeg" {
			t.Fatalf("thumbnail %d: %d×%d %s, want %v image/jpeg", i, th.Width, th.Height, th.Type, want)
		}
		corners := []struct {
			x, y int
			want color.RGBA
		}{{2, 2, blue}, {th.Width - 3, 2, red}, {2, th.Height - 3, white}, {th.Width - 3, th.Height - 3, green}}
		for _, c := range corners {
			if got := rgbaAt(t, th, c.x, c.y); !near(got, c.want) {
				t.Errorf("thumbnail %d at (%d,%d): %v, want %v", i, c.x, c.y, got, c.want)
			}
		}
		if bytes.Contains(th.Data, []byte("Exif")) {
			t.Errorf("thumbnail %d kept the EXIF segment", i)
		}
	}
}

func TestEveryOrientationShowsTheSamePicture(t *testing.T) {
	// The picture as shown is quadrants(40, 20); stored as each
	// orientation would store it, every one must come out the same.
	shown := quadrants(40, 20)
	for o := 1; o <= 8; o++ {
		stored := unorient(shown, o)
		_, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(WithOrientation(pngToJPEG(t, stored), o, binary.LittleEndian)), 320)
		if err != nil {
			t.Fatal(err)
		}
		th := ths[0]
		if th.Width != 40 || th.Height != 20 {
			t.Fatalf("orientation %d: %d×%d, want 40×20", o, th.Width, th.Height)
		}
		for _, c := range []struct {
			x, y int
			want color.RGBA
		}{{3, 3, red}, {36, 3, green}, {3, 16, blue}, {36, 16, white}} {
			if got := rgbaAt(t, th, c.x, c.y); !near(got, c.want) {
				t.Errorf("orientation %d at (%d,%d): %v, want %v", o, c.x, c.y, got, c.want)
			}
		}
	}
}

func pngToJPEG(t *testing.T, m image.Image) []byte { return jpegOf(t, m) }

// unorient is how a camera stores the picture m under orientation o: the
// inverse of orient.
func unorient(m *image.RGBA, o int) *image.RGBA {
	w, h := m.Bounds().Dx(), m.Bounds().Dy()
	sw, sh := w, h
	if o >= 5 {
		sw, sh = h, w
	}
	stored := image.NewRGBA(image.Rect(0, 0, sw, sh))
	// orient maps stored (sx, sy) to shown (x, y); walk the shown pixels
	// and put each where orient takes it from.
	probe := image.NewRGBA(image.Rect(0, 0, sw, sh))
	for sy := range sh {
		for sx := range sw {
			i := probe.PixOffset(sx, sy)
			binary.BigEndian.PutUint32(probe.Pix[i:], uint32(sy*sw+sx))
		}
	}
	shownIdx := orient(probe, o)
	for y := range h {
		for x := range w {
			k := int(binary.BigEndian.Uint32(shownIdx.Pix[shownIdx.PixOffset(x, y):]))
			stored.SetRGBA(k%sw, k/sw, m.RGBAAt(x, y))
		}
	}
	return stored
}

func TestThumbnailsAreNeverScaledUp(t *testing.T) {
	_, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(pngOf(t, quadrants(100, 50))), 1280, 320)
	if err != nil {
		t.Fatal(err)
	}
	for i, th := range ths {
		if th.Width != 100 || th.Height != 50 {
			t.Errorf("thumbnail %d: %d×%d, want 100×50", i, th.Width, th.Height)
		}
	}
	_, ths, err = New(Config{}).Thumbnails(context.Background(), bytes.NewReader(pngOf(t, quadrants(300, 700))), 1280, 320)
	if err != nil {
		t.Fatal(err)
	}
	if th := ths[0]; th.Width != 300 || th.Height != 700 {
		t.Errorf("large thumbnail %d×%d, want 300×700", th.Width, th.Height)
	}
	if th := ths[1]; th.Width != 137 || th.Height != 320 {
		t.Errorf("small thumbnail %d×%d, want 137×320", th.Width, th.Height)
	}
}

func TestTransparentPicturesGetPNGThumbnails(t *testing.T) {
	m := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := range m.Pix {
		if i%4 == 3 && i < len(m.Pix)/2 {
			m.Pix[i] = 255 // the top half opaque black, the rest transparent
		}
	}
	_, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(pngOf(t, m)), 320)
	if err != nil {
		t.Fatal(err)
	}
	if ths[0].Type != "image/png" {
		t.Fatalf("type %s, want image/png", ths[0].Type)
	}
	if a := rgbaAt(t, ths[0], 10, 60).A; a != 0 {
		t.Errorf("alpha at the bottom %d, want 0", a)
	}
}

func TestGIFGivesItsFirstFrame(t *testing.T) {
	pal := color.Palette{red, green}
	g := &gif.GIF{}
	for _, c := range []uint8{0, 1} {
		f := image.NewPaletted(image.Rect(0, 0, 30, 20), pal)
		for i := range f.Pix {
			f.Pix[i] = c
		}
		g.Image, g.Delay = append(g.Image, f), append(g.Delay, 10)
	}
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, g); err != nil {
		t.Fatal(err)
	}
	info, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(buf.Bytes()), 320)
	if err != nil {
		t.Fatal(err)
	}
	if info.Format != "gif" || !near(rgbaAt(t, ths[0], 5, 5), red) {
		t.Errorf("format %s, colour %v: want the red first frame of a gif", info.Format, rgbaAt(t, ths[0], 5, 5))
	}
}

func TestAGIFWhoseFirstFrameCoversPartOfItsScreenIsThatFrame(t *testing.T) {
	f := image.NewPaletted(image.Rect(10, 10, 40, 30), color.Palette{green})
	var buf bytes.Buffer
	if err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{f}, Delay: []int{0}, Config: image.Config{Width: 100, Height: 80, ColorModel: f.Palette}}); err != nil {
		t.Fatal(err)
	}
	info, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(buf.Bytes()), 320)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 30 || info.Height != 20 || ths[0].Width != 30 || ths[0].Height != 20 || !near(rgbaAt(t, ths[0], 0, 0), green) {
		t.Errorf("info %+v, thumbnail %d×%d", info, ths[0].Width, ths[0].Height)
	}
}

// Tiny WebP pictures (1×1: lossless, lossy, lossy with alpha).
var webps = []string{
	"UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==",
	"UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA",
	"UklGRkoAAABXRUJQVlA4WAoAAAAQAAAAAAAAAAAAQUxQSAwAAAARBxAR/Q9ERP8DAABWUDggGAAAABQBAJ0BKgEAAQAAAP4AAA3AAP7mtQAAAA==",
}

func TestWebPDecodes(t *testing.T) {
	for i, s := range webps {
		b, _ := base64.StdEncoding.DecodeString(s)
		info, ths, err := New(Config{}).Thumbnails(context.Background(), bytes.NewReader(b), 320)
		if err != nil {
			t.Fatalf("webp %d: %v", i, err)
		}
		if info.Format != "webp" || ths[0].Width != 1 || ths[0].Height != 1 {
			t.Errorf("webp %d: %+v, %d×%d", i, info, ths[0].Width, ths[0].Height)
		}
	}
}

func TestSquareIsTheCentreUpright(t *testing.T) {
	jpg := WithOrientation(jpegOf(t, quadrants(600, 300)), 8, binary.LittleEndian)
	info, th, err := New(Config{}).Square(context.Background(), bytes.NewReader(jpg), 25e6, 256)
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 300 || info.Height != 600 || th.Width != 256 || th.Height != 256 {
		t.Fatalf("info %+v thumb %d×%d", info, th.Width, th.Height)
	}
	// Stored turned right (8): shown turned left, so the stored top right
	// (green) is at the shown top left; the centre square spans the middle
	// of both halves.
	if got := rgbaAt(t, th, 5, 5); !near(got, green) {
		t.Errorf("top left %v, want green", got)
	}
	if got := rgbaAt(t, th, 250, 250); !near(got, blue) {
		t.Errorf("bottom right %v, want blue", got)
	}
}

// allocated runs f and returns the bytes it allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bombPNG is a 1-bit grey PNG of w×h pixels, all black: a few KiB that
// would take w×h bytes to decode.
func bombPNG(t testing.TB, w, h int) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 1, 0, 0, 0, 0)) // depth 1, grey
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	row := make([]byte, 1+(w+7)/8)
	for range h {
		zw.Write(row)
	}
	zw.Close()
	chunk("IDAT", z.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

func TestDecompressionBombIsRefusedFromItsHeader(t *testing.T) {
	bomb := bombPNG(t, 20000, 20000) // 400 megapixels in about 60 KiB
	th := New(Config{})
	var err error
	n := allocated(func() { _, _, err = th.Thumbnails(context.Background(), bytes.NewReader(bomb), 1280, 320) })
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Width != 20000 || tl.Height != 20000 || tl.Max != DefaultMaxPixels {
		t.Fatalf("err %v, want too large 20000×20000", err)
	}
	if n > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes, want under 1 MiB", n)
	}
}

func TestBombUnderTheLimitDecodesWithinItsEstimate(t *testing.T) {
	// 6000×6000 (36 megapixels, under the default limit) from a few KiB:
	// it decodes, taking about its pixels in memory (1 byte each, grey).
	bomb := bombPNG(t, 6000, 6000)
	var err error
	var ths []Thumb
	n := allocated(func() { _, ths, err = New(Config{}).Thumbnails(context.Background(), bytes.NewReader(bomb), 1280, 320) })
	if err != nil {
		t.Fatal(err)
	}
	if ths[0].Width != 1280 || ths[1].Width != 320 {
		t.Errorf("thumbnails %d and %d wide", ths[0].Width, ths[1].Width)
	}
	if limit := uint64(estimate("png", image.Config{ColorModel: color.GrayModel, Width: 6000, Height: 6000})) + 32<<20; n > limit {
		t.Errorf("decoding allocated %d bytes, want under %d (the estimate + 32 MiB for thumbnails)", n, limit)
	}
}

func TestHugeDeclaredPNGIsRefusedWithoutAllocating(t *testing.T) {
	// A header saying 1000000 × 1000000 and one row of pixel data.
	b := bombPNG(t, 1, 1)
	binary.BigEndian.PutUint32(b[16:], 1e6)
	binary.BigEndian.PutUint32(b[20:], 1e6)
	crc := crc32.ChecksumIEEE(b[12:29])
	binary.BigEndian.PutUint32(b[29:], crc)
	var err error
	n := allocated(func() { _, _, err = New(Config{}).Thumbnails(context.Background(), bytes.NewReader(b), 320) })
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Width != 1e6 || tl.Height != 1e6 {
		t.Fatalf("err %v, want too large 1000000×1000000", err)
	}
	if n > 1<<20 {
		t.Errorf("allocated %d bytes, want under 1 MiB", n)
	}
}

func TestTruncatedJPEGIsNotAnImage(t *testing.T) {
	jpg := jpegOf(t, quadrants(640, 480))
	limit := uint64(estimate("jpeg", image.Config{Width: 640, Height: 480})) + 1<<20
	for _, cut := range []int{len(jpg) / 2, 600, 3} {
		var err error
		n := allocated(func() { _, _, err = New(Config{}).Thumbnails(context.Background(), bytes.NewReader(jpg[:cut]), 320) })
		if !errors.Is(err, ErrNotImage) {
			t.Errorf("cut at %d: err %v, want not an image", cut, err)
		}
		if n > limit {
			t.Errorf("cut at %d: allocated %d bytes, want at most %d (its estimate + 1 MiB)", cut, n, limit)
		}
	}
}

func TestPixelLimitIsConfigurable(t *testing.T) {
	b := pngOf(t, quadrants(200, 100))
	_, _, err := New(Config{MaxPixels: 19_999}).Thumbnails(context.Background(), bytes.NewReader(b), 320)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Max != 19_999 {
		t.Fatalf("err %v, want too large over 19999", err)
	}
	if _, _, err := New(Config{MaxPixels: 20_000}).Thumbnails(context.Background(), bytes.NewReader(b), 320); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestDecodeStopsReadingOnceItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (&ctxReader{ctx: ctx, r: bytes.NewReader([]byte("x"))}).Read(make([]byte, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("read after cancel: %v", err)
	}
	_, _, err := New(Config{}).Thumbnails(ctx, bytes.NewReader(pngOf(t, quadrants(8, 8))), 320)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("thumbnails with a cancelled context: %v", err)
	}
}

func TestBudgetWaitsForRoom(t *testing.T) {
	b := &budget{free: 10, size: 10}
	if err := b.acquire(context.Background(), 8); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.acquire(ctx, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire over the budget: %v, want to wait (and be cancelled)", err)
	}
	if err := b.acquire(ctx, 2); err != nil {
		t.Fatalf("acquire within the budget: %v", err)
	}
	got := make(chan error)
	go func() { got <- b.acquire(context.Background(), 10) }()
	b.release(8)
	b.release(2)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if b.free != 0 || len(b.waiting) != 0 {
		t.Errorf("free %d waiting %d", b.free, len(b.waiting))
	}
}

func FuzzThumbnail(f *testing.F) {
	jpg := jpegOf(f, quadrants(40, 30))
	f.Add(jpg)
	f.Add(jpg[:len(jpg)/2])
	f.Add(WithOrientation(jpg, 6, binary.BigEndian))
	f.Add(pngOf(f, quadrants(20, 10)))
	f.Add(bombPNG(f, 3000, 3000))
	for _, s := range webps {
		b, _ := base64.StdEncoding.DecodeString(s)
		f.Add(b)
	}
	var g bytes.Buffer
	gif.Encode(&g, quadrants(12, 12), nil)
	f.Add(g.Bytes())
	th := New(Config{MaxPixels: 4e6})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, ths, err := th.Thumbnails(context.Background(), bytes.NewReader(b), 1280, 320)
		if err != nil {
			var tl *TooLargeError
			if !errors.Is(err, ErrNotImage) && !errors.As(err, &tl) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		for i, th := range ths {
			long := []int{1280, 320}[i]
			if th.Width > long || th.Height > long || th.Width < 1 || th.Height < 1 || th.Width > info.Width || th.Height > info.Height {
				t.Fatalf("thumbnail %d is %d×%d of a %d×%d picture", i, th.Width, th.Height, info.Width, info.Height)
			}
			if _, _, err := image.Decode(bytes.NewReader(th.Data)); err != nil {
				t.Fatalf("thumbnail %d does not decode: %v", i, err)
			}
		}
	})
}

func TestDecodesWaitForRoomInTheMemoryBudget(t *testing.T) {
	th := New(Config{Memory: 1000})
	if err := th.mem.acquire(context.Background(), 1000); err != nil { // another decode holds it all
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := th.Thumbnails(context.Background(), bytes.NewReader(pngOf(t, quadrants(40, 40))), 320)
		done <- err
	}()
	for { // until the decode waits in line
		th.mem.mu.Lock()
		n := len(th.mem.waiting)
		th.mem.mu.Unlock()
		if n == 1 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the decode ran without room in the budget: %v", err)
		default:
			runtime.Gosched()
		}
	}
	th.mem.release(1000)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if th.mem.free != 1000 {
		t.Errorf("free %d after the decode, want all 1000 back", th.mem.free)
	}
}
