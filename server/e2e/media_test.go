package e2e

import (
	"bytes"
	"compress/zlib"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"testing"

	"github.com/thesyncim/gopus/container/ogg"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

func sha256hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// quadrantsJPEG is a w×h JPEG whose quarters are red (top left), green
// (top right), blue (bottom left) and white (bottom right), with an EXIF
// orientation o (0: no EXIF).
func quadrantsJPEG(t testing.TB, w, h, o int) []byte {
	t.Helper()
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
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if o == 0 {
		return buf.Bytes()
	}
	// An APP1 Exif segment (big-endian TIFF, one IFD0 entry: orientation)
	// right after the SOI.
	tiff := []byte("MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01")
	tiff = append(tiff, 0, byte(o), 0, 0, 0, 0, 0, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out = append(out, seg...)
	return append(out, buf.Bytes()[2:]...)
}

// fetchImage downloads file id as d and decodes it.
func fetchImage(t testing.TB, s *server, d *device, id string) (image.Image, []byte) {
	t.Helper()
	st, b := httpDo(t, s, d.token, "GET", proto.FilesPath+"/"+id, nil, nil)
	if st != http.StatusOK {
		t.Fatalf("%d downloads %s: %d %s", d.ID, id, st, b)
	}
	m, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s does not decode: %v", id, err)
	}
	return m, b
}

func near(c color.Color, want color.RGBA) bool {
	r, g, b, _ := c.RGBA()
	d := func(x uint32, y uint8) bool { return max(int(x>>8)-int(y), int(y)-int(x>>8)) < 40 }
	return d(r, want.R) && d(g, want.G) && d(b, want.B)
}

func TestAnEXIFRotatedPhotoGetsUprightThumbnailsForTheMembers(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom"))
	g := group(t, "Trip", li, wang)

	// Stored 2000×1000, orientation 6 (turn right to show): shown
	// 1000×2000 with the stored bottom left (blue) at the top left.
	photo := quadrantsJPEG(t, 2000, 1000, 6)
	info := upload(t, s, li, proto.CreateRequest{Name: "IMG_0001.jpg", Type: "image/jpeg", Conv: g.ID, Text: "the view from the top 🏔"}, photo)
	m := info.Message
	if m == nil || m.File == nil || m.File.Image == nil {
		t.Fatalf("the photo's message: %+v", m)
	}
	img := *m.File.Image
	if img.Width != 1000 || img.Height != 2000 || img.Small == "" || img.Large == "" || img.Small == img.Large || img.Small == m.File.ID {
		t.Fatalf("image %+v, want 1000×2000 with two thumbnails", img)
	}
	if m.Text != "the view from the top 🏔" {
		t.Errorf("the caption became %q", m.Text)
	}
	pushed := fileMessage(t, wang, g.ID)
	if pushed.File == nil || pushed.File.Image == nil || *pushed.File.Image != img || pushed.Text != m.Text {
		t.Fatalf("Wang got %+v", pushed)
	}

	for _, c := range []struct {
		id   string
		w, h int
	}{{img.Large, 640, 1280}, {img.Small, 160, 320}} {
		th, b := fetchImage(t, s, wang, c.id)
		if th.Bounds().Dx() != c.w || th.Bounds().Dy() != c.h {
			t.Fatalf("thumbnail %s is %v, want %d×%d", c.id, th.Bounds().Size(), c.w, c.h)
		}
		for _, p := range []struct {
			x, y int
			want color.RGBA
		}{{3, 3, color.RGBA{0, 0, 255, 255}}, {c.w - 4, 3, color.RGBA{255, 0, 0, 255}}, {3, c.h - 4, color.RGBA{255, 255, 255, 255}}, {c.w - 4, c.h - 4, color.RGBA{0, 255, 0, 255}}} {
			if !near(th.At(p.x, p.y), p.want) {
				t.Errorf("thumbnail %d×%d at (%d,%d) is %v, want %v: not upright", c.w, c.h, p.x, p.y, th.At(p.x, p.y), p.want)
			}
		}
		if bytes.Contains(b, []byte("Exif")) {
			t.Errorf("thumbnail %d×%d kept the EXIF segment", c.w, c.h)
		}
		if st, _ := httpDo(t, s, tom.token, "GET", proto.FilesPath+"/"+c.id, nil, nil); st != http.StatusForbidden {
			t.Errorf("Tom (no member) downloads a thumbnail: %d, want 403", st)
		}
	}

	// The same photo again, to Wang directly: the same thumbnails, and
	// Wang may download them through either conversation.
	again := upload(t, s, li, proto.CreateRequest{Name: "copy.jpg", User: wang.ID}, photo)
	if again.Message.File.Image == nil || *again.Message.File.Image != img {
		t.Fatalf("the same photo again: %+v, want the thumbnails %+v", again.Message.File.Image, img)
	}
	if again.Message.Text != "" {
		t.Errorf("no caption became %q", again.Message.Text)
	}
	// Deleting one message keeps the thumbnails of the other; deleting
	// both releases them.
	var del proto.SendReply
	if err := li.Call(testCtx(t), proto.TypeDelete, proto.TargetRequest{Conv: g.ID, Seq: m.Seq, ClientID: client.NewClientID()}, &del); err != nil {
		t.Fatal(err)
	}
	fetchImage(t, s, li, img.Small)
	if err := li.Call(testCtx(t), proto.TypeDelete, proto.TargetRequest{Conv: again.Message.Conv, Seq: again.Message.Seq, ClientID: client.NewClientID()}, &del); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{img.Small, img.Large} {
		if st, b := httpDo(t, s, li.token, "GET", proto.FilesPath+"/"+id, nil, nil); st != http.StatusNotFound {
			t.Errorf("a thumbnail of a deleted photo: %d %s, want 404", st, b)
		}
	}
}

// bombPNG is a 1-bit grey PNG of w×h black pixels: a few KiB that would
// take w×h bytes to decode.
func bombPNG(w, h int) []byte {
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&out, binary.BigEndian, uint32(len(data)))
		out.WriteString(typ)
		out.Write(data)
		binary.Write(&out, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	chunk("IHDR", append(ihdr, 1, 0, 0, 0, 0))
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

func TestMalformedPicturesStayPlainFilesAndTheServerStaysUp(t *testing.T) {
	s := start(t, nodetest.WithConfig(func(c *node.Config) { c.MaxImagePixels = 20e6 }))
	li := login(t, s.URL, register(t, s.URL, "Li"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	g := group(t, "Pictures", li, wang)
	jpg := quadrantsJPEG(t, 800, 600, 0)
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"bomb.png", bombPNG(20000, 20000)},    // 400 megapixels in about 60 KiB
		{"huge.png", hugePNG(t, 1e6, 1e6)},     // a header of 10^12 pixels
		{"cut.jpg", jpg[:len(jpg)/2]},          // a truncated JPEG
		{"over.png", bombPNG(5000, 5000)},      // 25 megapixels: over this server's 20
		{"notes.jpg", []byte("not a JPEG :)")}, // a name is not a format
	} {
		info := upload(t, s, li, proto.CreateRequest{Name: c.name, Type: "image/png", Conv: g.ID}, c.data)
		if info.Message == nil || info.Message.File == nil || info.Message.File.Image != nil {
			t.Fatalf("%s: %+v, want a plain file message", c.name, info.Message)
		}
		if st, b := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+info.Message.File.ID, nil, nil); st != http.StatusOK || !bytes.Equal(b, c.data) {
			t.Fatalf("%s downloads as %d, %d bytes", c.name, st, len(b))
		}
	}
	// Under the limit, a bomb decodes, bounded by its pixels.
	info := upload(t, s, li, proto.CreateRequest{Name: "flat.png", Conv: g.ID}, bombPNG(4000, 4000))
	if im := info.Message.File.Image; im == nil || im.Width != 4000 || im.Height != 4000 {
		t.Fatalf("a 16-megapixel flat PNG: %+v", im)
	}
	if m := wang.send(t, g.ID, "still here?"); m.Seq == 0 {
		t.Fatal("the server stopped answering")
	}
}

func TestACaptionIsCheckedLikeAMessage(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "Li"))
	g := group(t, "Captions", li)
	data := quadrantsJPEG(t, 40, 30, 0)
	for _, c := range []struct {
		text string
		code proto.Code
	}{
		{" \n\t", proto.CodeBadText},
		{string(bytes.Repeat([]byte("x"), proto.MaxTextBytes+1)), proto.CodeTooLarge},
	} {
		create, _ := json.Marshal(proto.CreateRequest{Name: "a.jpg", Conv: g.ID, Size: int64(len(data)), SHA256: sha256hex(data), Text: c.text})
		st, b := httpDo(t, s, li.token, "POST", proto.UploadsPath, http.Header{"Content-Type": {"application/json"}}, create)
		var e proto.Error
		json.Unmarshal(b, &e)
		if st/100 != 4 || e.Code != c.code {
			t.Errorf("caption of %d bytes: %d %s, want %s", len(c.text), st, b, c.code)
		}
	}
	long := string(bytes.Repeat([]byte("字"), proto.MaxTextBytes/3))
	if m := upload(t, s, li, proto.CreateRequest{Name: "a.jpg", Conv: g.ID, Text: long}, data).Message; m.Text != long {
		t.Errorf("a caption at the limit came back with %d bytes", len(m.Text))
	}
}

// oggOpus is an Ogg Opus stream of ms milliseconds as its pages say (the
// packets are not real Opus: the server reads only the pages).
func oggOpus(ms int64) []byte {
	const serial, preSkip = 0x5eed, 312
	var out []byte
	seq := uint32(0)
	page := func(flags byte, granule uint64, packet []byte) {
		p := (&ogg.Page{HeaderType: flags, GranulePos: granule, SerialNumber: serial, PageSequence: seq,
			Segments: ogg.BuildSegmentTable(len(packet)), Payload: packet}).Encode()
		out = append(out, p...)
		seq++
	}
	head := append([]byte("OpusHead\x01\x01"), byte(preSkip&0xff), byte(preSkip>>8), 0x80, 0xbb, 0, 0, 0, 0, 0)
	page(0x02, 0, head)
	page(0, 0, []byte("OpusTags\x05\x00\x00\x00parle\x00\x00\x00\x00"))
	frames := ms / 20
	for i := int64(1); i <= frames; i++ {
		flags := byte(0)
		if i == frames {
			flags = 0x04
		}
		page(flags, uint64(preSkip+i*960), bytes.Repeat([]byte{0xfc, byte(i)}, 30))
	}
	return out
}

func TestAVoiceMessageCarriesItsMetadataWhenItsOggSaysSo(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "Li"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	g := group(t, "Voice", li, wang)
	wave := []byte{0, 10, 200, 255, 128}
	voice := &proto.Voice{DurationMS: 3000, Waveform: wave}
	m := upload(t, s, li, proto.CreateRequest{Name: "voice.ogg", Type: "audio/ogg", Conv: g.ID, Voice: voice}, oggOpus(3000)).Message
	if m.File.Voice == nil || m.File.Voice.DurationMS != 3000 || !bytes.Equal(m.File.Voice.Waveform, wave) || m.File.Image != nil {
		t.Fatalf("voice message: %+v", m.File)
	}
	if p := fileMessage(t, wang, g.ID); p.File == nil || p.File.Voice == nil || p.File.Voice.DurationMS != 3000 {
		t.Fatalf("Wang got %+v", p.File)
	}
	// Declared 10 s but 3 s long, or not Ogg: a plain file.
	for _, data := range [][]byte{oggOpus(3000)[:200], []byte("OggS but no")} {
		m := upload(t, s, li, proto.CreateRequest{Name: "v.ogg", Type: "audio/ogg", Conv: g.ID, Voice: voice}, data).Message
		if m.File.Voice != nil {
			t.Errorf("%d bytes that are not Ogg Opus: %+v", len(data), m.File.Voice)
		}
	}
	m = upload(t, s, li, proto.CreateRequest{Name: "v.ogg", Type: "audio/ogg", Conv: g.ID, Voice: &proto.Voice{DurationMS: 10_000}}, oggOpus(3020)).Message
	if m.File.Voice != nil {
		t.Errorf("declared 10 s, 3 s long: %+v, want a plain file", m.File.Voice)
	}
	// Metadata out of bounds is refused at create.
	data := oggOpus(1000)
	for _, req := range []proto.CreateRequest{
		{Type: "audio/ogg", Voice: &proto.Voice{DurationMS: 0}},
		{Type: "audio/ogg", Voice: &proto.Voice{DurationMS: proto.MaxVoiceMS + 1}},
		{Type: "audio/ogg", Voice: &proto.Voice{DurationMS: 1000, Waveform: make([]byte, proto.MaxWaveform+1)}},
		{Type: "audio/mpeg", Voice: &proto.Voice{DurationMS: 1000}},
	} {
		req.Name, req.Conv, req.Size, req.SHA256 = "v.ogg", g.ID, int64(len(data)), sha256hex(data)
		create, _ := json.Marshal(req)
		st, b := httpDo(t, s, li.token, "POST", proto.UploadsPath, http.Header{"Content-Type": {"application/json"}}, create)
		if st != http.StatusBadRequest {
			t.Errorf("voice %+v type %s: %d %s, want 400", req.Voice, req.Type, st, b)
		}
	}
}

func TestMediaPagesAConversationsFilesByKindNewestFirst(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "Li"))
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom"))
	g := group(t, "Media", li, wang)
	var pics, files []proto.Message
	for i := range 4 {
		pics = append(pics, *upload(t, s, li, proto.CreateRequest{Name: "p.jpg", Conv: g.ID}, quadrantsJPEG(t, 30+i, 20, 0)).Message)
		files = append(files, *upload(t, s, wang, proto.CreateRequest{Name: "f.txt", Conv: g.ID}, []byte{byte(i)}).Message)
		li.send(t, g.ID, "text between")
	}
	voice := *upload(t, s, li, proto.CreateRequest{Name: "v.ogg", Type: "audio/ogg", Conv: g.ID, Voice: &proto.Voice{DurationMS: 1000}}, oggOpus(1000)).Message
	seqs := func(ms []proto.Message) (s []int64) {
		for _, m := range ms {
			s = append(s, m.Seq)
		}
		return s
	}
	page := func(d *device, kind string, before int64, limit int) proto.MediaReply {
		t.Helper()
		r, err := d.Media(testCtx(t), proto.MediaRequest{Conv: g.ID, Kind: kind, Before: before, Limit: limit})
		if err != nil {
			t.Fatalf("media %s before %d: %v", kind, before, err)
		}
		return r
	}
	r := page(wang, proto.MediaPictures, 0, 3)
	if got, want := seqs(r.Messages), []int64{pics[3].Seq, pics[2].Seq, pics[1].Seq}; !r.More || !equal(got, want) {
		t.Fatalf("first page of pictures: %v more %v, want %v and more", got, r.More, want)
	}
	if r.Messages[0].File.Image == nil || r.Messages[0].SenderName != "Li" {
		t.Errorf("a picture in media: %+v", r.Messages[0])
	}
	r = page(wang, proto.MediaPictures, r.Messages[2].Seq, 3)
	if got := seqs(r.Messages); r.More || !equal(got, []int64{pics[0].Seq}) {
		t.Fatalf("second page of pictures: %v more %v", got, r.More)
	}
	if r := page(wang, proto.MediaFiles, 0, 0); !equal(seqs(r.Messages), []int64{files[3].Seq, files[2].Seq, files[1].Seq, files[0].Seq}) || r.More {
		t.Fatalf("files: %v more %v", seqs(r.Messages), r.More)
	}
	if r := page(wang, proto.MediaVoice, 0, 0); !equal(seqs(r.Messages), []int64{voice.Seq}) {
		t.Fatalf("voice: %v", seqs(r.Messages))
	}

	// Deleted for everyone: gone for all; hidden: gone for who hid it.
	var del proto.SendReply
	if err := li.Call(testCtx(t), proto.TypeDelete, proto.TargetRequest{Conv: g.ID, Seq: pics[3].Seq, ClientID: client.NewClientID()}, &del); err != nil {
		t.Fatal(err)
	}
	var hid proto.HideReply
	if err := wang.Call(testCtx(t), proto.TypeHide, proto.TargetRequest{Conv: g.ID, Seq: pics[2].Seq, ClientID: client.NewClientID()}, &hid); err != nil {
		t.Fatal(err)
	}
	if got := seqs(page(wang, proto.MediaPictures, 0, 0).Messages); !equal(got, []int64{pics[1].Seq, pics[0].Seq}) {
		t.Errorf("Wang's pictures after a delete and a hide: %v", got)
	}
	if got := seqs(page(li, proto.MediaPictures, 0, 0).Messages); !equal(got, []int64{pics[2].Seq, pics[1].Seq, pics[0].Seq}) {
		t.Errorf("Li's pictures after a delete: %v", got)
	}

	// A forwarded picture is a picture of the conversation it goes to.
	direct, err := li.Direct(testCtx(t), tom.ID)
	if err != nil {
		t.Fatal(err)
	}
	var fwd proto.SendReply
	if err := li.Call(testCtx(t), proto.TypeSend, proto.SendRequest{Conv: direct.ID, ClientID: client.NewClientID(), ForwardOf: &proto.MessageRef{Conv: g.ID, Seq: pics[0].Seq}}, &fwd); err != nil {
		t.Fatal(err)
	}
	r, err = tom.Media(testCtx(t), proto.MediaRequest{Conv: direct.ID, Kind: proto.MediaPictures})
	if err != nil || len(r.Messages) != 1 || r.Messages[0].File.Image == nil {
		t.Fatalf("Tom's pictures after a forward: %+v %v", r, err)
	}
	fetchImage(t, s, tom, r.Messages[0].File.Image.Small)

	// Only members; only the three kinds.
	if _, err := tom.Media(testCtx(t), proto.MediaRequest{Conv: g.ID, Kind: proto.MediaPictures}); proto.CodeOf(err) != proto.CodeNotMember {
		t.Errorf("Tom (no member) asks for media: %v, want not_member", err)
	}
	for _, req := range []proto.MediaRequest{{Conv: g.ID, Kind: "videos"}, {Conv: g.ID, Kind: proto.MediaFiles, Before: -1}, {Conv: g.ID, Kind: proto.MediaFiles, Limit: -1}} {
		if _, err := li.Media(testCtx(t), req); proto.CodeOf(err) != proto.CodeBadRequest {
			t.Errorf("media %+v: %v, want bad_request", req, err)
		}
	}
}

// fileMessage is the next file message pushed to d in conv.
func fileMessage(t testing.TB, d *device, conv proto.ConvID) proto.Message {
	t.Helper()
	return *d.inbox.take(t, "a file message", func(p client.Push) bool {
		return p.Message != nil && p.Message.Conv == conv && p.Message.Kind == proto.MsgFile
	}).Message
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
