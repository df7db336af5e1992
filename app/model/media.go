package model

import (
	"context"
	"fmt"
	"image"
	"maps"
	"math"
	"sync"
	"sync/atomic"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// The "Files and media" panel of a conversation (State.Media): its
// pictures, its other files or its voice messages, one kind at a time,
// newest first, paged from the server's media request (docs/protocol.md,
// "Pictures, voice messages and media"), which also knows the history this
// device never downloaded. Offline, or if the server does not answer the
// request, a page is read from the cache instead (the file messages of
// the cached history) and the panel says that it is only this device's
// (MediaPanel.Local), as the search does. The pictures' small thumbnails
// come through the picture cache (settings.go, account.picture), so the
// ones seen once show offline too, as the UI asks for those it shows
// (WantMediaThumbs); the panel holds a bounded number of them.

// Media panel sizes: the file messages a page holds, and the cached
// messages read at a time while a page is looked for in the cache.
const (
	mediaPageSize = 50
	mediaScanStep = 500
)

// mediaState is an account's part of the panel.
type mediaState struct {
	// gen counts the panel's loads: the answer of one that another
	// followed (a tab switched, the panel closed) is dropped.
	gen atomic.Uint64
	// ask asks the server for a page; nil is the session's Media. Tests
	// put a fake server's answers here.
	ask func(ctx context.Context, req proto.MediaRequest) (proto.MediaReply, error)

	mu      sync.Mutex
	loading map[string]bool   // thumbnails being fetched, by file ID
	came    map[string]uint64 // when each thumbnail came (a count), for keep
	n       uint64
}

// OpenMedia opens the panel of conv on kind (proto.MediaPictures,
// MediaFiles or MediaVoice; "" is pictures) and loads its newest page;
// opening another kind of the same conversation is switching the tab.
func (m *Model) OpenMedia(ctx context.Context, conv proto.ConvID, kind string) error {
	return m.withAccount(func(a *account) error {
		if conv <= 0 {
			return badInput(state.InputNoConversation, "open a conversation first")
		}
		switch kind {
		case "":
			kind = proto.MediaPictures
		case proto.MediaPictures, proto.MediaFiles, proto.MediaVoice:
		default:
			return fmt.Errorf("open the media panel: unknown kind %q", kind)
		}
		gen := a.media.gen.Add(1)
		m.update(func(st *state.State) {
			var thumbs map[string]image.Image
			if st.Media != nil && st.Media.Conv == conv {
				thumbs = st.Media.Thumbs // switching tabs keeps them
			}
			st.Media = &state.MediaPanel{Conv: conv, Kind: kind, Loading: true, Thumbs: thumbs}
		})
		return a.loadMedia(ctx, gen, conv, kind, 0)
	})
}

// MoreMedia loads the panel's next (older) page, if it has one and is
// not loading already.
func (m *Model) MoreMedia(ctx context.Context) error {
	return m.withAccount(func(a *account) error {
		var p state.MediaPanel
		var gen uint64
		ok := false
		m.update(func(st *state.State) {
			if st.Media == nil || !st.Media.More || st.Media.Loading || len(st.Media.Items) == 0 {
				return // nothing to load, or a load under way that must not be dropped
			}
			gen = a.media.gen.Add(1)
			p = *st.Media
			p.Loading = true
			st.Media = &p
			ok = true
		})
		if !ok {
			return nil
		}
		return a.loadMedia(ctx, gen, p.Conv, p.Kind, p.Items[len(p.Items)-1].Seq)
	})
}

// CloseMedia closes the panel.
func (m *Model) CloseMedia() {
	if a := m.account(); a != nil {
		a.media.gen.Add(1)
	}
	m.update(func(st *state.State) { st.Media = nil })
}

// loadMedia loads the page of conv's kind below seq before (0: the
// newest) and publishes it after the items shown, if the panel still
// waits for it (load gen).
func (a *account) loadMedia(ctx context.Context, gen uint64, conv proto.ConvID, kind string, before int64) error {
	ms, more, local, err := a.mediaPage(ctx, conv, kind, before)
	current := func(st *state.State) bool {
		return a.media.gen.Load() == gen && st.Media != nil && st.Media.Conv == conv && st.Media.Kind == kind
	}
	if err != nil {
		a.m.update(func(st *state.State) {
			if current(st) {
				p := *st.Media
				p.Loading = false
				st.Media = &p
			}
		})
		return err
	}
	items := make([]state.Message, len(ms))
	for i, msg := range ms {
		items[i] = state.Message{Message: msg, Mine: msg.Sender == a.user.ID}
	}
	a.m.update(func(st *state.State) {
		if !current(st) || a.m.acct != a { // under m.mu: not a.current()
			return
		}
		p := *st.Media
		if before == 0 {
			p.Items = items
		} else {
			p.Items = append(p.Items[:len(p.Items):len(p.Items)], items...)
		}
		p.More, p.Loading, p.Local = more, false, p.Local || local
		st.Media = &p
	})
	return nil
}

// mediaPage is one page of conv's file messages of kind below seq before
// (0: the newest), newest first: from the server while online, else (or
// if the server does not answer) from the cache, local set. more says
// that older ones exist.
func (a *account) mediaPage(ctx context.Context, conv proto.ConvID, kind string, before int64) (ms []proto.Message, more, local bool, err error) {
	if a.sess.State() == client.Online {
		ask := a.media.ask
		if ask == nil {
			ask = a.sess.Media
		}
		r, err := ask(ctx, proto.MediaRequest{Conv: conv, Kind: kind, Before: before, Limit: mediaPageSize})
		if err == nil {
			for _, msg := range r.Messages {
				if mediaKind(msg) == kind {
					ms = append(ms, msg)
				}
			}
			return ms, r.More, false, nil
		}
		if ctx.Err() != nil {
			return nil, false, false, err
		}
		a.m.log.Info("media page: the server did not answer; reading the cache", "conv", conv, "kind", kind, "err", err)
	}
	ms, more, err = a.cachedMedia(ctx, conv, kind, before, mediaPageSize)
	return ms, more, true, err
}

// cachedMedia is up to limit of the cached file messages of conv of kind
// below seq before (0: the newest), newest first; more says that the
// cache holds older ones.
func (a *account) cachedMedia(ctx context.Context, conv proto.ConvID, kind string, before int64, limit int) ([]proto.Message, bool, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	var out []proto.Message
	for {
		page, err := a.db.Before(ctx, conv, before, mediaScanStep) // ascending
		if err != nil {
			return nil, false, fmt.Errorf("cached media of %d: %w", conv, err)
		}
		for i := len(page) - 1; i >= 0; i-- {
			if mediaKind(page[i]) != kind {
				continue
			}
			if len(out) == limit {
				return out, true, nil
			}
			out = append(out, page[i])
		}
		if len(page) < mediaScanStep {
			return out, false, nil
		}
		before = page[0].Seq
	}
}

// mediaKind is the panel's tab a message belongs to, "" if none: a file
// message (not deleted, not hidden) is a picture if the server decoded
// it, a voice message if it is one, else a file.
func mediaKind(m proto.Message) string {
	switch {
	case m.Kind != proto.MsgFile || m.File == nil || m.Deleted || m.Hidden:
		return ""
	case m.File.Image != nil:
		return proto.MediaPictures
	case m.File.Voice != nil:
		return proto.MediaVoice
	}
	return proto.MediaFiles
}

// maxPanelThumbs bounds the decoded thumbnails the panel holds (a
// screenful is far fewer): past it, those fetched first go, and the UI
// asks again for any it shows without one.
const maxPanelThumbs = 240

// WantMediaThumbs fetches, in the background, the small thumbnails ids
// (proto.Image.Small) of the pictures the panel of conv shows without
// one, through the picture cache, and publishes each in
// MediaPanel.Thumbs as it comes. Those it has or is fetching are not
// fetched again.
func (m *Model) WantMediaThumbs(conv proto.ConvID, ids []string) {
	if a := m.account(); a != nil {
		a.wantThumbs(conv, ids)
	}
}

// wantThumbs fetches the thumbnails ids one at a time, stopping when the
// panel closes or shows another conversation.
func (a *account) wantThumbs(conv proto.ConvID, want []string) {
	have := a.panelThumbs(conv) // before media.mu: m.mu is taken first
	var ids []string
	a.media.mu.Lock()
	if a.media.loading == nil {
		a.media.loading = map[string]bool{}
	}
	for _, id := range want {
		if _, ok := have[id]; ok || id == "" || a.media.loading[id] {
			continue
		}
		a.media.loading[id] = true
		ids = append(ids, id)
	}
	a.media.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	done := func(id string) {
		a.media.mu.Lock()
		delete(a.media.loading, id)
		a.media.mu.Unlock()
	}
	started := a.spawn(func() {
		for i, id := range ids {
			if a.ctx.Err() != nil || !a.panelOpen(conv) {
				for _, id := range ids[i:] {
					done(id)
				}
				return
			}
			img, err := a.picture(id)
			done(id)
			if err != nil {
				if a.ctx.Err() == nil {
					a.m.log.Info("media thumbnail", "conv", conv, "file", id, "err", err)
				}
				continue
			}
			a.m.update(func(st *state.State) {
				if st.Media == nil || st.Media.Conv != conv || a.m.acct != a {
					return
				}
				p := *st.Media
				p.Thumbs = maps.Clone(p.Thumbs)
				if p.Thumbs == nil {
					p.Thumbs = map[string]image.Image{}
				}
				p.Thumbs[id] = img
				a.media.keep(p.Thumbs, id)
				st.Media = &p
			})
		}
	})
	if !started {
		for _, id := range ids {
			done(id)
		}
	}
}

// keep records that thumbs just got id and drops the thumbnails that
// came first while thumbs holds more than maxPanelThumbs. It runs under
// the model's lock, with the panel's new map.
func (ms *mediaState) keep(thumbs map[string]image.Image, id string) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if ms.came == nil {
		ms.came = map[string]uint64{}
	}
	ms.n++
	ms.came[id] = ms.n
	for len(thumbs) > maxPanelThumbs {
		first, at := "", uint64(math.MaxUint64)
		for t := range thumbs {
			if ms.came[t] < at {
				first, at = t, ms.came[t]
			}
		}
		delete(thumbs, first)
		delete(ms.came, first)
	}
	if len(ms.came) > 4*maxPanelThumbs { // those of panels closed since
		maps.DeleteFunc(ms.came, func(t string, _ uint64) bool { _, ok := thumbs[t]; return !ok })
	}
}

// panelThumbs are the thumbnails the panel of conv holds (nil if it is
// not open on conv).
func (a *account) panelThumbs(conv proto.ConvID) map[string]image.Image {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	if p := a.m.st.Media; p != nil && p.Conv == conv {
		return p.Thumbs
	}
	return nil
}

// panelOpen reports whether the panel shows conv.
func (a *account) panelOpen(conv proto.ConvID) bool {
	a.m.mu.Lock()
	defer a.m.mu.Unlock()
	return a.m.st.Media != nil && a.m.st.Media.Conv == conv
}

// followMedia brings the panel of conv up to date with the open
// window (the folded messages as the store has them now), each time the
// window is published: a file message of its kind newer than those it
// lists joins at the top (a picture just received), one it lists that was
// deleted or hidden since leaves, and one that changed is replaced. It
// runs under the model's lock, with the state about to be published.
func (a *account) followMedia(st *state.State, conv proto.ConvID, window []proto.Message) {
	p := st.Media
	if p == nil || p.Conv != conv || p.Loading || len(window) == 0 {
		return
	}
	var newest int64
	if len(p.Items) > 0 {
		newest = p.Items[0].Seq
	}
	var items []state.Message
	changed := false
	byseq := make(map[int64]proto.Message, len(window))
	for _, msg := range window {
		byseq[msg.Seq] = msg
	}
	for _, it := range p.Items {
		msg, ok := byseq[it.Seq]
		switch {
		case !ok:
			items = append(items, it)
		case mediaKind(msg) != p.Kind:
			changed = true // deleted for everyone, or hidden
		default:
			if !sameMessage(msg, it.Message) {
				changed = true
				it.Message = msg
			}
			items = append(items, it)
		}
	}
	var added []state.Message
	for i := len(window) - 1; i >= 0 && window[i].Seq > newest; i-- {
		if msg := window[i]; mediaKind(msg) == p.Kind {
			added = append(added, state.Message{Message: msg, Mine: msg.Sender == a.user.ID})
		}
	}
	if !changed && len(added) == 0 {
		return
	}
	np := *p
	np.Items = append(added, items...)
	st.Media = &np
}

// sameMessage reports whether a and b show alike in the panel: the same
// file, text and sender name.
func sameMessage(a, b proto.Message) bool {
	return a.Seq == b.Seq && a.Text == b.Text && a.SenderName == b.SenderName && a.Edited == b.Edited &&
		(a.File == nil) == (b.File == nil) && (a.File == nil || a.File.ID == b.File.ID && a.File.Name == b.File.Name)
}
