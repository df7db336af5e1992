package files_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/thesyncim/gopus/container/ogg"

	"parley/net/proto"
	"parley/server/files"
	"parley/server/node/nodetest"
	"parley/server/storage"
)

func pngBytes(t *testing.T, w, h int, c color.Color) []byte {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		r, g, b, a := c.RGBA()
		m.Pix[i], m.Pix[i+1], m.Pix[i+2], m.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(b>>8), uint8(a>>8)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestThumbnailBlobsGoWithTheirPicture(t *testing.T) {
	onBoth(t, testThumbnailBlobsGoWithTheirPicture)
}

func testThumbnailBlobsGoWithTheirPicture(t *testing.T, b *backend) {
	srv := b.start(t)
	li, wang := login(t, srv, "李华"), login(t, srv, "Wang")
	g := group(t, li, wang)
	other := group(t, li, wang)
	ctx := context.Background()

	pic := pngBytes(t, 2000, 500, color.RGBA{10, 120, 200, 255})
	m := *li.upload(t, g, "wide.png", pic, 1<<20).Message
	im := m.File.Image
	if im == nil || im.Width != 2000 || im.Height != 500 {
		t.Fatalf("image %+v", im)
	}
	var blobs []string
	for _, id := range []string{im.Small, im.Large} {
		r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+id, nil)
		if r.status != http.StatusOK {
			t.Fatalf("thumbnail %s: %d %s", id, r.status, r.body)
		}
		s := sha(r.body)
		if r.header.Get("ETag") != `"`+s+`"` {
			t.Errorf("thumbnail ETag %s, want its SHA-256", r.header.Get("ETag"))
		}
		blobs = append(blobs, s)
	}
	exist := func() (n int) {
		for _, s := range blobs {
			if b.hasBlob(t, srv, s) {
				n++
			}
		}
		return n
	}
	if exist() != 2 {
		t.Fatal("the thumbnails are not blobs")
	}

	// A second copy, in another group; its delete keeps the thumbnails of
	// the first.
	c := *li.upload(t, other, "again.png", pic, 1<<20).Message
	if *c.File.Image != *im {
		t.Fatalf("the same picture got other thumbnails: %+v, %+v", c.File.Image, im)
	}
	var del proto.SendReply
	if err := li.Conn.Call(ctx, proto.TypeDelete, proto.TargetRequest{Conv: other, Seq: c.Seq, ClientID: "d1"}, &del); err != nil {
		t.Fatal(err)
	}
	if exist() != 2 {
		t.Fatal("a thumbnail went while its picture is still in a conversation")
	}
	// The last copy goes with its group: the thumbnails go too.
	if err := li.Conn.Call(ctx, proto.TypeDeleteGroup, proto.GroupRequest{Group: g}, nil); err != nil {
		t.Fatal(err)
	}
	if n := exist(); n != 0 {
		t.Fatalf("%d thumbnail blobs stayed after their picture went", n)
	}
	// Uploaded again, the picture gets new thumbnails.
	third := group(t, li)
	n := *li.upload(t, third, "back.png", pic, 1<<20).Message
	if n.File.Image == nil || n.File.Image.Small == im.Small || exist() != 2 {
		t.Fatalf("the picture again after its thumbnails went: %+v", n.File.Image)
	}
}

func TestARetriedCompletionAnswersTheSamePicture(t *testing.T) {
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	g := group(t, li)
	pic := pngBytes(t, 64, 48, color.White)
	info, r := li.create(t, proto.CreateRequest{Name: "p.png", Size: int64(len(pic)), SHA256: sha(pic), Conv: g, ClientID: "pic-1", Text: "hello"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	first := li.patch(t, info.ID, 0, pic)
	again := li.patch(t, info.ID, int64(len(pic)), nil)
	_, created := li.create(t, proto.CreateRequest{Name: "p.png", Size: int64(len(pic)), SHA256: sha(pic), Conv: g, ClientID: "pic-1", Text: "hello"})
	for _, r := range []reply{first, again, created} {
		var done proto.UploadInfo
		if err := json.Unmarshal(r.body, &done); err != nil || done.Message == nil || done.Message.File.Image == nil || done.Message.Text != "hello" {
			t.Fatalf("completion %d %s", r.status, r.body)
		}
	}
	if len(fileMessages(li.history(t, g))) != 1 {
		t.Fatal("a retried completion posted the picture twice")
	}
}

// oggStream builds an Ogg Opus stream whose pages say it lasts ms milliseconds
// after a pre-skip of 312 samples (the packets are not real Opus).
func oggStream(ms int64, crcOK bool) []byte {
	var out []byte
	seq := uint32(0)
	page := func(flags byte, granule uint64, packet []byte) {
		p := (&ogg.Page{HeaderType: flags, GranulePos: granule, SerialNumber: 7, PageSequence: seq,
			Segments: ogg.BuildSegmentTable(len(packet)), Payload: packet}).Encode()
		if !crcOK {
			p[22]++
		}
		out = append(out, p...)
		seq++
	}
	page(0x02, 0, append([]byte("OpusHead\x01\x01"), 312&0xff, 312>>8, 0x80, 0xbb, 0, 0, 0, 0, 0))
	page(0, 0, []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00"))
	for i := int64(1); i <= ms/20; i++ {
		page(0, uint64(312+i*960), []byte{0xfc, 1, 2, 3})
	}
	return out
}

func TestOggOpusDurationReadsTheLastGranule(t *testing.T) {
	for _, ms := range []int64{20, 1000, 61_240} {
		b := oggStream(ms, true)
		got, err := files.OggOpusDuration(bytes.NewReader(b), int64(len(b)))
		if err != nil || got != ms {
			t.Errorf("%d ms of Ogg Opus: %d, %v", ms, got, err)
		}
	}
	good := oggStream(1000, true)
	notOpus := bytes.Replace(bytes.Clone(good), []byte("OpusHead"), []byte("OpusHeaD"), 1)
	for name, b := range map[string][]byte{
		"bad CRCs":      oggStream(1000, false),
		"no OpusHead":   notOpus,
		"cut mid-page":  good[:len(good)-2],
		"empty":         nil,
		"not Ogg":       []byte("RIFF....WAVEfmt "),
		"only the head": good[:47],
	} {
		if ms, err := files.OggOpusDuration(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%s: %d ms, want an error", name, ms)
		}
	}
}

// eofReaderAt answers a read that reaches the end with io.EOF even when
// it filled the buffer, as an S3 object (minio.Object) does.
type eofReaderAt struct{ *bytes.Reader }

func (r eofReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.Reader.ReadAt(p, off)
	if err == nil && off+int64(n) == r.Size() {
		err = io.EOF
	}
	return n, err
}

// A voice message in a bucket: its reads that end at the end of the
// object say io.EOF with every byte, which is a full read.
func TestOggOpusDurationTakesAFullReadThatSaysEOF(t *testing.T) {
	for _, ms := range []int64{1000, 61_240} { // one read of the whole file; two, the second to the end
		b := oggStream(ms, true)
		if got, err := files.OggOpusDuration(eofReaderAt{bytes.NewReader(b)}, int64(len(b))); err != nil || got != ms {
			t.Errorf("%d ms of Ogg Opus read as from S3: %d, %v", ms, got, err)
		}
	}
	cut := oggStream(1000, true)
	if _, err := files.OggOpusDuration(eofReaderAt{bytes.NewReader(cut[:40])}, int64(len(cut))); err == nil {
		t.Error("a short read (the object is smaller than said) passed")
	}
}

func FuzzOggOpusDuration(f *testing.F) {
	f.Add(oggStream(100, true))
	f.Add(oggStream(40, false))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := files.OggOpusDuration(bytes.NewReader(b), int64(len(b)))
		if err == nil && ms < 0 {
			t.Fatalf("negative duration %d", ms)
		}
	})
}

// A PNG that Go wrote from RGBA pixels that are either opaque or fully
// transparent comes back byte for byte as its own thumbnail: the picture's
// blob is its thumbnails' blob. It gets its image at once (its blob's lock
// is not taken twice) and its blob goes when it does (its own thumbnails
// do not keep it).
func TestAPictureThatIsItsOwnThumbnail(t *testing.T) {
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	g := group(t, li)
	m := image.NewRGBA(image.Rect(0, 0, 64, 32))
	for i := 0; i < len(m.Pix)/2; i += 4 {
		m.Pix[i], m.Pix[i+3] = 255, 255 // the top half red, the bottom transparent
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	pic := buf.Bytes()
	msg := *li.upload(t, g, "self.png", pic, 1<<20).Message
	im := msg.File.Image
	if im == nil || im.Width != 64 || im.Height != 32 {
		t.Fatalf("image %+v", im)
	}
	r := li.request(t, http.MethodGet, proto.FilesPath+"/"+im.Small, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, pic) {
		t.Fatalf("the thumbnail is not the picture itself (%d, %d bytes): the test's premise is wrong", r.status, len(r.body))
	}
	blob := filepath.Join(srv.Dir, "files", "blobs", sha(pic)[:2], sha(pic))
	var del proto.SendReply
	if err := li.Conn.Call(context.Background(), proto.TypeDelete, proto.TargetRequest{Conv: g, Seq: msg.Seq, ClientID: "d"}, &del); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(blob); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the picture's blob stayed after its message was deleted: %v", err)
	}
}

// A crash after an upload's bytes were verified but before its message:
// at start the server publishes it, with its thumbnails and caption.
func TestAVerifiedUploadPublishedAtStartGetsItsThumbnails(t *testing.T) {
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	g := group(t, li)
	pic := pngBytes(t, 600, 400, color.RGBA{200, 0, 0, 255})
	create := proto.CreateRequest{Name: "p.png", Size: int64(len(pic)), SHA256: sha(pic), Conv: g, ClientID: "crash-1", Text: "made it"}
	info, _ := li.create(t, create)
	if r := li.patch(t, info.ID, 0, pic[:len(pic)-1]); r.status != http.StatusNoContent {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	srv.Stop()
	// As if the last byte had arrived and been verified just before the
	// crash.
	part, err := os.OpenFile(filepath.Join(srv.Dir, "files", "uploads", info.ID+".part"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(pic[len(pic)-1:])
	part.Close()
	ctx := context.Background()
	db, err := storage.Open(ctx, srv.Dir, storage.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SaveUploadProgress(ctx, info.ID, int64(len(pic)), nil, storage.UploadVerified); err != nil {
		t.Fatal(err)
	}
	db.Close()

	srv.Restart(t)
	_, r := li.create(t, create) // the retried create answers with the message
	var done proto.UploadInfo
	if err := json.Unmarshal(r.body, &done); err != nil || done.Message == nil {
		t.Fatalf("create after the restart: %d %s", r.status, r.body)
	}
	if im := done.Message.File.Image; im == nil || im.Width != 600 || im.Height != 400 || done.Message.Text != "made it" {
		t.Fatalf("the recovered message: %+v, image %+v", done.Message, im)
	}
	if r := li.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.Image.Large, nil); r.status != http.StatusOK {
		t.Fatalf("its large thumbnail: %d %s", r.status, r.body)
	}
}
