package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"parley/net/proto"
	"parley/server/storage"
	"parley/server/thumbs"
)

// Pictures in conversations (docs/protocol.md, "Pictures, voice messages
// and media"). Once an upload's bytes are verified, before its message is
// published, the server tries to decode them as a picture, whatever the
// declared type: if they decode, the message's file carries the picture's
// size as shown and two thumbnails. Thumbnails are blobs like files, made
// once per picture content (storage keeps them by the picture's SHA-256),
// and are released with the picture's blob (ReleaseBlob). Anything that
// goes wrong leaves a plain file: the upload itself never fails for it.

// look returns what the server finds in a verified upload's bytes: a
// voice message's metadata if they are the Ogg Opus it declared, or a
// picture's thumbnails. A picture upload (no conversation) gets nothing:
// set_profile makes its own thumbnail (picture.go).
func (s *Service) look(ctx context.Context, u storage.Upload) storage.Found {
	switch {
	case u.Conv == 0:
		return storage.Found{}
	case u.Voice != nil:
		return storage.Found{Voice: s.voiceOf(ctx, u)}
	}
	return storage.Found{Image: s.image(ctx, u)}
}

// image returns the thumbnails of u's picture, made now unless the same
// picture has them already, or nil if u is not a picture this server
// reads. The caller holds u's blob lock.
func (s *Service) image(ctx context.Context, u storage.Upload) *proto.Image {
	if t, ok, err := s.db.ThumbsOf(ctx, u.SHA256); err != nil {
		s.log.Error("look up thumbnails", "upload", u.ID, "err", err)
		return nil
	} else if ok {
		return t.Image()
	}
	blob, err := s.blobs.Open(ctx, u.SHA256)
	if err != nil {
		s.log.Error("open blob for thumbnails", "upload", u.ID, "err", err)
		return nil
	}
	defer blob.Close()
	info, ths, err := s.thumbs.Thumbnails(ctx, blob, proto.ThumbLarge, proto.ThumbSmall)
	var tl *thumbs.TooLargeError
	switch {
	case errors.Is(err, thumbs.ErrNotImage):
		return nil // most files
	case errors.As(err, &tl):
		s.log.Info("picture too large for thumbnails", "upload", u.ID, "width", tl.Width, "height", tl.Height, "max_pixels", tl.Max)
		return nil
	case err != nil:
		s.log.Warn("make thumbnails", "upload", u.ID, "err", err)
		return nil
	}
	t := storage.Thumbs{Source: u.SHA256, Width: info.Width, Height: info.Height}
	large, small := s.thumbBlob(ths[0]), s.thumbBlob(ths[1])
	t.Large, t.Small = large.Thumb, small.Thumb
	// Each thumbnail's blob stays locked until the row that references
	// it is in (ReleaseBlob removes an unreferenced blob under its lock).
	// The wait is bounded: an upload whose own blob is this thumbnail
	// could in theory want this picture's blob as its thumbnail.
	lctx, cancel := context.WithTimeout(ctx, thumbLockWait)
	defer cancel()
	unlock, err := s.lockBlobs(lctx, u.SHA256, large.SHA256, small.SHA256)
	if err != nil {
		s.log.Warn("lock thumbnails", "upload", u.ID, "err", err)
		return nil
	}
	defer unlock()
	for _, b := range []thumbBlob{large, small} {
		if err := s.placeData(ctx, b.SHA256, b.data); err != nil {
			s.log.Error("store thumbnail", "upload", u.ID, "err", err)
			return nil
		}
	}
	t, err = s.db.AddThumbs(ctx, t)
	if err != nil {
		s.log.Error("record thumbnails", "upload", u.ID, "err", err)
		return nil
	}
	return t.Image()
}

// thumbLockWait bounds the wait for a thumbnail's blob lock (image).
const thumbLockWait = 10 * time.Second

type thumbBlob struct {
	storage.Thumb
	data []byte
}

func (s *Service) thumbBlob(th thumbs.Thumb) thumbBlob {
	sum := sha256.Sum256(th.Data)
	return thumbBlob{storage.Thumb{ID: newID(), SHA256: hex.EncodeToString(sum[:]), Size: int64(len(th.Data)), Type: th.Type}, th.Data}
}

// placeData stores data as blob sha unless it is there already.
func (s *Service) placeData(ctx context.Context, sha string, data []byte) error {
	if ok, err := s.blobs.Exists(ctx, sha); err == nil && ok {
		return nil
	}
	return s.blobs.Put(ctx, sha, data)
}

// lockBlobs takes the locks of the blobs shas other than held (which the
// caller holds), each once, in order.
func (s *Service) lockBlobs(ctx context.Context, held string, shas ...string) (func(), error) {
	shas = slices.Compact(slices.Sorted(slices.Values(shas)))
	var unlocks []func()
	unlock := func() {
		for _, u := range slices.Backward(unlocks) {
			u()
		}
	}
	for _, sha := range shas {
		if sha == held {
			continue
		}
		u, err := s.lockBlob(ctx, sha)
		if err != nil {
			unlock()
			return nil, err
		}
		unlocks = append(unlocks, u)
	}
	return unlock, nil
}

// checkCaption checks an upload's caption as a sent message's text is
// checked (server/hub); empty is no caption.
func checkCaption(t string) error {
	switch {
	case t == "":
		return nil
	case len(t) > proto.MaxTextBytes:
		return proto.Errorf(proto.CodeTooLarge, "a caption can hold at most %d bytes of text", proto.MaxTextBytes)
	case !utf8.ValidString(t):
		return proto.Errorf(proto.CodeBadText, "the caption is not valid UTF-8")
	case strings.TrimSpace(t) == "":
		return proto.Errorf(proto.CodeBadText, "the caption is only spaces: send none")
	}
	return nil
}

// thumbFile returns the thumbnail id as a file, if user may download a
// file of its picture (a member of a conversation that has one).
func (s *Service) thumbFile(ctx context.Context, id string, user proto.User) (storage.StoredFile, error) {
	f, source, err := s.db.ThumbFile(ctx, id)
	if err != nil {
		return f, err
	}
	ok, err := s.db.MayDownloadContent(ctx, user.ID, source)
	if err != nil {
		return f, err
	}
	if !ok {
		return f, proto.Errorf(proto.CodeNotMember, "only members of a conversation with this picture can download its thumbnails")
	}
	return f, nil
}
