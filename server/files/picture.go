package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"parley/net/proto"
	"parley/server/storage"
	"parley/server/thumbs"
)

// Profile and group pictures (docs/protocol.md, "Profile and devices",
// "Groups"). A picture is uploaded like any file (a picture upload goes
// to no conversation), then set_profile or set_group names it:
// MakePicture checks that it decodes as PNG,
// JPEG, GIF or WebP within the limits of bytes and pixels, and stores a
// square thumbnail of it as a file of its own, which every logged-in user
// may download (the picture on lists, headers and messages). It decodes
// with the service's thumbnailer (server/thumbs), as pictures sent in
// conversations are: the same limits, memory budget and orientation.

// MakePicture makes a picture from file fileID, which must be user's: a
// picture upload, or a file user sent. The thumbnail is a file of user's:
// their profile picture (group 0), or group's picture (it goes with the
// group). It returns the thumbnail's file ID. Errors: no_such_file,
// image_too_large, not_an_image.
func (s *Service) MakePicture(ctx context.Context, user proto.UserID, group proto.ConvID, fileID string) (string, error) {
	notFound := proto.Errorf(proto.CodeNoSuchFile, "no file %q of yours to make a picture of", fileID)
	if !validID(fileID) {
		return "", notFound
	}
	f, err := s.db.File(ctx, fileID)
	if proto.CodeOf(err) == proto.CodeNoSuchFile || err == nil && (f.Sender != user || f.Purpose == storage.PurposeThumb) {
		return "", notFound
	}
	if err != nil {
		return "", err
	}
	if f.Size > proto.MaxPictureBytes {
		return "", proto.Errorf(proto.CodeImageTooLarge, "the picture has %s; pictures may have up to %s", proto.FormatSize(f.Size), proto.FormatSize(proto.MaxPictureBytes))
	}
	data, typ, err := s.thumbnail(ctx, f)
	if err != nil {
		return "", err
	}
	return s.storeThumb(ctx, user, group, data, typ)
}

// thumbnail decodes a file's blob with the service's thumbnailer (the
// one decoder of uploaded pictures, server/thumbs, within its memory
// budget) and returns its square thumbnail, upright, encoded, and the
// thumbnail's media type.
func (s *Service) thumbnail(ctx context.Context, f storage.StoredFile) ([]byte, string, error) {
	blob, err := s.blobs.Open(ctx, f.SHA256)
	if err != nil {
		return nil, "", fmt.Errorf("open blob: %w", err)
	}
	defer blob.Close()
	_, th, err := s.thumbs.Square(ctx, blob, proto.MaxPicturePixels, proto.PictureThumbPixels)
	var tl *thumbs.TooLargeError
	switch {
	case errors.As(err, &tl):
		return nil, "", proto.Errorf(proto.CodeImageTooLarge, "the picture has %d×%d pixels; pictures may have up to %d", tl.Width, tl.Height, tl.Max)
	case errors.Is(err, thumbs.ErrNotImage):
		return nil, "", proto.Errorf(proto.CodeNotAnImage, "%s is not a picture this server reads (PNG, JPEG, GIF or WebP)", f.Name)
	case err != nil:
		return nil, "", err
	}
	return th.Data, th.Type, nil
}

// storeThumb stores a thumbnail's bytes as a blob (once per content) and
// records it as a file of user's (of group's, if not 0), under the blob's
// lock (ReleaseBlob removes a blob no file references under it).
func (s *Service) storeThumb(ctx context.Context, user proto.UserID, group proto.ConvID, data []byte, typ string) (string, error) {
	sum := sha256.Sum256(data)
	sha := hex.EncodeToString(sum[:])
	unlock, err := s.lockBlob(ctx, sha)
	if err != nil {
		return "", err
	}
	defer unlock()
	ok, err := s.blobs.Exists(ctx, sha)
	if err != nil {
		return "", err
	}
	if !ok {
		if err := s.blobs.Put(ctx, sha, data); err != nil {
			return "", err
		}
	}
	name := "picture.jpg"
	if typ == "image/png" {
		name = "picture.png"
	}
	id := newID()
	if err := s.db.AddThumb(context.WithoutCancel(ctx), user, group, proto.File{ID: id, Name: name, Size: int64(len(data)), SHA256: sha, Type: typ}); err != nil {
		return "", err
	}
	return id, nil
}
