package model

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// mediaConv is the conversation the panel's tests page through.
const mediaConv proto.ConvID = 77

// mediaMsg is file message seq of mediaConv of kind: a picture (with a
// small thumbnail "thumb<seq>"), a voice message or a file.
func mediaMsg(seq int64, kind string) proto.Message {
	f := &proto.File{ID: fmt.Sprint("f", seq), Name: fmt.Sprint("file", seq), Size: 1000 + seq, SHA256: "00"}
	switch kind {
	case proto.MediaPictures:
		f.Name += ".jpg"
		f.Image = &proto.Image{Width: 400, Height: 300, Small: fmt.Sprint("thumb", seq), Large: fmt.Sprint("large", seq)}
	case proto.MediaVoice:
		f.Name, f.Type = fmt.Sprint("voice", seq, ".ogg"), "audio/ogg"
		f.Voice = &proto.Voice{DurationMS: 1000 * seq, Waveform: []byte{1, 2, 3}}
	}
	return proto.Message{Conv: mediaConv, Seq: seq, Kind: proto.MsgFile, Sender: 5, SenderName: "Wang", Time: 1000 * seq, File: f}
}

// mediaHistory is a history of n messages: every third a picture, every
// fifth a voice message, every seventh a file, the rest texts.
func mediaHistory(n int) []proto.Message {
	var ms []proto.Message
	for seq := int64(1); seq <= int64(n); seq++ {
		switch {
		case seq%3 == 0:
			ms = append(ms, mediaMsg(seq, proto.MediaPictures))
		case seq%5 == 0:
			ms = append(ms, mediaMsg(seq, proto.MediaVoice))
		case seq%7 == 0:
			ms = append(ms, mediaMsg(seq, proto.MediaFiles))
		default:
			ms = append(ms, proto.Message{Conv: mediaConv, Seq: seq, Kind: proto.MsgText, Sender: 5, Text: fmt.Sprint("m", seq), Time: 1000 * seq})
		}
	}
	return ms
}

// fakeMedia answers the media request as docs/protocol.md says, from a
// history, and records the requests.
type fakeMedia struct {
	history []proto.Message
	refuse  error

	mu   sync.Mutex
	reqs []proto.MediaRequest
}

func (f *fakeMedia) ask(_ context.Context, req proto.MediaRequest) (proto.MediaReply, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	if f.refuse != nil {
		return proto.MediaReply{}, f.refuse
	}
	limit := req.Limit
	if limit <= 0 {
		limit = 50
	}
	var r proto.MediaReply
	for i := len(f.history) - 1; i >= 0; i-- {
		m := f.history[i]
		if req.Before > 0 && m.Seq >= req.Before || mediaKind(m) != req.Kind {
			continue
		}
		if len(r.Messages) == limit {
			r.More = true
			break
		}
		r.Messages = append(r.Messages, m)
	}
	return r, nil
}

func (f *fakeMedia) requests() []proto.MediaRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.reqs)
}

// seqsOf are the seqs of items, in order.
func seqsOf(items []state.Message) []int64 {
	var s []int64
	for _, m := range items {
		s = append(s, m.Seq)
	}
	return s
}

// wantSeqs is every seq of kind in history, newest first.
func wantSeqs(history []proto.Message, kind string) []int64 {
	var s []int64
	for i := len(history) - 1; i >= 0; i-- {
		if mediaKind(history[i]) == kind {
			s = append(s, history[i].Seq)
		}
	}
	return s
}

func TestTheMediaPanelPagesEachKindFromTheServerNewestFirst(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	history := mediaHistory(400) // 133 pictures: three pages
	fake := &fakeMedia{history: history}
	m.account().media.ask = fake.ask

	if err := m.OpenMedia(ctx, mediaConv, ""); err != nil {
		t.Fatal(err)
	}
	p := m.State().Media
	pictures := wantSeqs(history, proto.MediaPictures)
	if p == nil || p.Conv != mediaConv || p.Kind != proto.MediaPictures || p.Loading || p.Local {
		t.Fatalf("panel = %+v, want the pictures of %d, loaded from the server", p, mediaConv)
	}
	if got := seqsOf(p.Items); !slices.Equal(got, pictures[:mediaPageSize]) || !p.More {
		t.Fatalf("first page = %v (more %v), want %v and more", got, p.More, pictures[:mediaPageSize])
	}
	for range 3 { // the third asks for nothing: no more
		if err := m.MoreMedia(ctx); err != nil {
			t.Fatal(err)
		}
	}
	p = m.State().Media
	if got := seqsOf(p.Items); !slices.Equal(got, pictures) || p.More {
		t.Fatalf("after paging: %v (more %v), want all %d pictures newest first and no more", got, p.More, len(pictures))
	}
	reqs := fake.requests()
	want := []proto.MediaRequest{
		{Conv: mediaConv, Kind: proto.MediaPictures, Limit: mediaPageSize},
		{Conv: mediaConv, Kind: proto.MediaPictures, Before: pictures[mediaPageSize-1], Limit: mediaPageSize},
		{Conv: mediaConv, Kind: proto.MediaPictures, Before: pictures[2*mediaPageSize-1], Limit: mediaPageSize},
	}
	if !slices.Equal(reqs, want) {
		t.Fatalf("requests = %+v, want %+v", reqs, want)
	}

	// The other tabs: each kind of its own.
	for _, kind := range []string{proto.MediaFiles, proto.MediaVoice} {
		if err := m.OpenMedia(ctx, mediaConv, kind); err != nil {
			t.Fatal(err)
		}
		p = m.State().Media
		if got := seqsOf(p.Items); p.Kind != kind || !slices.Equal(got, wantSeqs(history, kind)[:min(mediaPageSize, len(wantSeqs(history, kind)))]) {
			t.Fatalf("%s: %v, want %v", kind, got, wantSeqs(history, kind))
		}
		for _, it := range p.Items {
			if mediaKind(it.Message) != kind {
				t.Fatalf("%s lists seq %d of kind %q", kind, it.Seq, mediaKind(it.Message))
			}
		}
	}
	m.CloseMedia()
	if m.State().Media != nil {
		t.Fatal("the panel is still open after CloseMedia")
	}
	if err := m.MoreMedia(ctx); err != nil || m.State().Media != nil {
		t.Fatalf("MoreMedia with the panel closed: %v, %+v", err, m.State().Media)
	}
}

// putCached puts ms in the model's cache, as a page of history.
func putCached(t *testing.T, m *testModel, ms []proto.Message) {
	t.Helper()
	if _, err := m.account().db.PutMessages(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
}

func TestOfflineTheMediaPanelListsTheCachedFilesAndSaysItIsOnlyThisDevices(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "traveller")
	history := mediaHistory(1200) // more than one scan step of the cache
	cached := slices.Concat(history[:300], history[700:])
	cached = append(cached, proto.Message{Conv: mediaConv, Seq: 1201, Kind: proto.MsgFile, Deleted: true, Time: 1201000}) // deleted: no file
	putCached(t, m, cached)
	fake := &fakeMedia{history: history}
	m.account().media.ask = fake.ask
	srv.Stop()
	m.waitFor("offline", func(st state.State) bool { return st.Conn != state.Online })

	if err := m.OpenMedia(ctx, mediaConv, proto.MediaFiles); err != nil {
		t.Fatal(err)
	}
	files := wantSeqs(cached, proto.MediaFiles)
	p := m.State().Media
	if !p.Local || p.Loading {
		t.Fatalf("panel = %+v, want the cache's, marked local", p)
	}
	if got := seqsOf(p.Items); !slices.Equal(got, files[:mediaPageSize]) || !p.More {
		t.Fatalf("first cached page = %v (more %v), want %v and more", got, p.More, files[:mediaPageSize])
	}
	for p.More {
		if err := m.MoreMedia(ctx); err != nil {
			t.Fatal(err)
		}
		p = m.State().Media
	}
	if got := seqsOf(p.Items); !slices.Equal(got, files) || !p.Local {
		t.Fatalf("all cached files = %v (local %v), want %v", got, p.Local, files)
	}
	if n := len(fake.requests()); n != 0 {
		t.Fatalf("the server was asked %d times while offline", n)
	}

	if err := m.OpenMedia(ctx, mediaConv, proto.MediaVoice); err != nil {
		t.Fatal(err)
	}
	if got, want := seqsOf(m.State().Media.Items), wantSeqs(cached, proto.MediaVoice)[:mediaPageSize]; !slices.Equal(got, want) {
		t.Fatalf("cached voice messages = %v, want %v", got, want)
	}
}

func TestAServerThatRefusesTheMediaRequestLeavesTheCachedFiles(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	history := mediaHistory(60)
	putCached(t, m, history[30:])
	fake := &fakeMedia{history: history, refuse: &proto.Error{Code: proto.CodeBadRequest, Message: "unknown request type"}}
	m.account().media.ask = fake.ask

	if err := m.OpenMedia(ctx, mediaConv, proto.MediaPictures); err != nil {
		t.Fatal(err)
	}
	p := m.State().Media
	if got, want := seqsOf(p.Items), wantSeqs(history[30:], proto.MediaPictures); !p.Local || p.More || !slices.Equal(got, want) {
		t.Fatalf("panel = %v (local %v, more %v), want the cached %v, local", got, p.Local, p.More, want)
	}
	if len(fake.requests()) != 1 {
		t.Fatalf("requests = %+v, want one", fake.requests())
	}
}

// thumbPNG is a w×h PNG of one colour.
func thumbPNG(t *testing.T, w, h int, c color.NRGBA) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestThePicturesThumbnailsComeThroughThePictureCacheWhenAsked(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	dir := t.TempDir()
	m := newTestModel(t, srv, dir)
	m.registerAndLogin(srv, "reader")
	history := mediaHistory(9) // pictures 3, 6, 9
	fake := &fakeMedia{history: history}
	m.account().media.ask = fake.ask
	// The thumbnails of 9 and 3 were seen before: the picture cache has
	// them. That of 6 is neither there nor on the server.
	if err := os.MkdirAll(filepath.Join(dir, "pictures"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int{9, 3} {
		if err := os.WriteFile(filepath.Join(dir, "pictures", fmt.Sprint("thumb", seq)), thumbPNG(t, 32, 24, color.NRGBA{R: uint8(seq), A: 255}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.OpenMedia(ctx, mediaConv, proto.MediaPictures); err != nil {
		t.Fatal(err)
	}
	if th := m.State().Media.Thumbs; len(th) != 0 {
		t.Fatalf("thumbnails %v before the UI asked for any", th)
	}
	m.WantMediaThumbs(mediaConv, []string{"thumb9", "thumb6", "thumb3"})
	st := m.waitFor("the cached thumbnails", func(st state.State) bool {
		return st.Media != nil && st.Media.Thumbs["thumb9"] != nil && st.Media.Thumbs["thumb3"] != nil
	})
	if b := st.Media.Thumbs["thumb9"].Bounds(); b.Dx() != 32 || b.Dy() != 24 {
		t.Fatalf("thumb9 is %v, want 32×24", b)
	}
	// Switching tabs keeps them; closing drops them.
	if err := m.OpenMedia(ctx, mediaConv, proto.MediaFiles); err != nil {
		t.Fatal(err)
	}
	if m.State().Media.Thumbs["thumb9"] == nil {
		t.Fatal("switching tabs dropped the thumbnails")
	}
	m.CloseMedia()
	if m.State().Media != nil {
		t.Fatal("the panel is still open")
	}
}

func TestOpeningTheMediaPanelWantsAConversation(t *testing.T) {
	srv := nodetest.Start(t)
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	if err := m.OpenMedia(context.Background(), 0, ""); err == nil || m.State().Media != nil {
		t.Fatalf("OpenMedia(0) = %v, panel %+v; want an error and no panel", err, m.State().Media)
	}
	if err := m.OpenMedia(context.Background(), mediaConv, "music"); err == nil || m.State().Media != nil {
		t.Fatalf("OpenMedia(music) = %v, panel %+v; want an error and no panel", err, m.State().Media)
	}
}

// The panel holds at most maxPanelThumbs thumbnails: those that came
// first go (the UI asks again for any it shows without one).
func TestThePanelKeepsTheThumbnailsThatCameLast(t *testing.T) {
	var ms mediaState
	thumbs := map[string]image.Image{}
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	for i := range maxPanelThumbs + 5 {
		id := fmt.Sprint("t", i)
		thumbs[id] = img
		ms.keep(thumbs, id)
	}
	if len(thumbs) != maxPanelThumbs {
		t.Fatalf("%d thumbnails kept, want %d", len(thumbs), maxPanelThumbs)
	}
	for i := range 5 {
		if thumbs[fmt.Sprint("t", i)] != nil {
			t.Fatalf("t%d, among the first to come, is kept", i)
		}
	}
	// One that comes again counts from then.
	thumbs["t5"] = img
	ms.keep(thumbs, "t5")
	thumbs["new"] = img
	ms.keep(thumbs, "new")
	if thumbs["t5"] == nil || thumbs["t6"] != nil || thumbs["new"] == nil {
		t.Fatalf("after t5 came again: t5 %v, t6 %v, new %v; want t6 dropped", thumbs["t5"] != nil, thumbs["t6"] != nil, thumbs["new"] != nil)
	}
}

func TestTheOpenPanelFollowsFilesThatArriveAndGo(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	wang := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li Hua")
	wang.registerAndLogin(srv, "Wang")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	if err := wang.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	li.account().media.ask = (&fakeMedia{}).ask // the server's list: none yet
	if err := li.OpenMedia(ctx, conv, proto.MediaFiles); err != nil {
		t.Fatal(err)
	}
	if p := li.State().Media; len(p.Items) != 0 || p.More {
		t.Fatalf("panel = %+v, want it empty", p)
	}

	path, _ := modeltest.WriteFile(t, t.TempDir(), "report.pdf", 40_000, 1)
	if err := wang.SendFile(ctx, path, ""); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("the file in the open panel", func(st state.State) bool {
		return st.Media != nil && len(st.Media.Items) == 1
	})
	got := st.Media.Items[0]
	if got.File == nil || got.File.Name != "report.pdf" || got.SenderName != "Wang" || got.Mine {
		t.Fatalf("the panel lists %+v, want Wang's report.pdf", got.Message)
	}
	if err := li.Send(ctx, "thanks"); err != nil { // a text does not join the files
		t.Fatal(err)
	}
	li.waitFor("the text", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "thanks" && ms[len(ms)-1].Seq > 0
	})
	if n := len(li.State().Media.Items); n != 1 {
		t.Fatalf("the panel lists %d after a text, want 1", n)
	}

	if err := wang.Delete(ctx, conv, got.Seq); err != nil {
		t.Fatal(err)
	}
	li.waitFor("the deleted file gone from the panel", func(st state.State) bool {
		return st.Media != nil && len(st.Media.Items) == 0
	})
}

// blockingMedia is fakeMedia whose first answer waits for release.
type blockingMedia struct {
	fakeMedia
	asked, release chan struct{}
	once           sync.Once
}

func (b *blockingMedia) ask(ctx context.Context, req proto.MediaRequest) (proto.MediaReply, error) {
	b.once.Do(func() {
		close(b.asked)
		<-b.release
	})
	return b.fakeMedia.ask(ctx, req)
}

func TestAskingForMoreWhileAPageLoadsLosesNothing(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	m := newTestModel(t, srv, t.TempDir())
	m.registerAndLogin(srv, "reader")
	b := &blockingMedia{fakeMedia: fakeMedia{history: mediaHistory(400)}, asked: make(chan struct{}), release: make(chan struct{})}
	m.account().media.ask = b.ask
	opened := make(chan error, 1)
	go func() { opened <- m.OpenMedia(ctx, mediaConv, proto.MediaPictures) }()
	<-b.asked
	if err := m.MoreMedia(ctx); err != nil { // the first page is still on its way
		t.Fatal(err)
	}
	close(b.release)
	if err := <-opened; err != nil {
		t.Fatal(err)
	}
	if p := m.State().Media; p.Loading || len(p.Items) != mediaPageSize {
		t.Fatalf("panel loading %v with %d items, want the first page loaded", p.Loading, len(p.Items))
	}
}

// TestThePanelPagesTheRealServersMediaByKind opens the panel against a
// real server, whose media request sorts a picture (which it thumbnails),
// a file and the rest by kind, newest first.
func TestThePanelPagesTheRealServersMediaByKind(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newFilesModel(t, srv, t.TempDir(), FilesConfig{})
	li.registerAndLogin(srv, "Li Hua")
	if err := li.CreateGroup(ctx, "Study Group"); err != nil {
		t.Fatal(err)
	}
	conv := li.State().Open.ID
	dir := t.TempDir()
	pic := pngFile(t, dir, 600, 400, color.NRGBA{R: 200, A: 255})
	doc, _ := modeltest.WriteFile(t, dir, "report.pdf", 40_000, 1)
	for _, p := range []string{pic, doc} {
		if err := li.SendFile(ctx, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	li.waitFor("both files sent", func(st state.State) bool {
		n := 0
		for _, m := range st.Open.Messages {
			if m.File != nil && m.Seq > 0 {
				n++
			}
		}
		return n == 2
	})

	if err := li.OpenMedia(ctx, conv, proto.MediaPictures); err != nil {
		t.Fatal(err)
	}
	st := li.waitFor("the picture in the panel", func(st state.State) bool {
		return st.Media != nil && st.Media.Kind == proto.MediaPictures && len(st.Media.Items) == 1 && !st.Media.Local
	})
	img := st.Media.Items[0].File.Image
	if img == nil || img.Width != 600 || img.Height != 400 || img.Small == "" || img.Large == "" {
		t.Fatalf("the panel's picture has image %+v, want 600×400 with thumbnails", img)
	}
	if err := li.OpenMedia(ctx, conv, proto.MediaFiles); err != nil {
		t.Fatal(err)
	}
	st = li.waitFor("the file in the panel", func(st state.State) bool {
		return st.Media != nil && st.Media.Kind == proto.MediaFiles && len(st.Media.Items) == 1
	})
	if f := st.Media.Items[0].File; f.Name != "report.pdf" || f.Image != nil {
		t.Fatalf("the files tab lists %+v, want report.pdf alone", f)
	}
}
