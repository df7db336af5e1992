package files

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"time"

	"parley/net/proto"
	"parley/server/storage"
)

// mayDownload: a conversation's file is its members'; a profile
// picture (thumbnail) every logged-in user's; a picture upload its
// uploader's only. (A picture's thumbnails: thumbFile.)
func (s *Service) mayDownload(ctx context.Context, f storage.StoredFile, user proto.User) error {
	switch f.Purpose {
	case storage.PurposeThumb:
		return nil
	case storage.PurposePicture:
		if f.Sender != user.ID {
			return proto.Errorf(proto.CodeNoSuchFile, "no such file")
		}
		return nil
	}
	member, err := s.db.IsMember(ctx, f.Conv, user.ID)
	if err != nil {
		return err
	}
	if !member {
		return proto.Errorf(proto.CodeNotMember, "only members of %d can download its files", f.Conv)
	}
	return nil
}

// download serves a file to who may have it (mayDownload), with Range and
// If-Range (the ETag is the quoted SHA-256). It is always sent as
// application/octet-stream, as an attachment: a file is never rendered by
// a browser on the server's origin.
func (s *Service) download(w http.ResponseWriter, r *http.Request, user proto.User) error {
	id := r.PathValue("id")
	if !validID(id) {
		return proto.Errorf(proto.CodeNoSuchFile, "no such file")
	}
	f, err := s.db.File(r.Context(), id)
	if proto.CodeOf(err) == proto.CodeNoSuchFile {
		f, err = s.thumbFile(r.Context(), id, user) // images.go
	} else if err == nil {
		err = s.mayDownload(r.Context(), f, user)
	}
	if err != nil {
		return err
	}
	blob, err := s.blobs.Open(r.Context(), f.SHA256)
	if errors.Is(err, fs.ErrNotExist) {
		s.log.Error("file without its blob", "file", id, "sha256", f.SHA256)
	}
	if err != nil {
		return fmt.Errorf("open blob: %w", err)
	}
	defer blob.Close()
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("ETag", `"`+f.SHA256+`"`)
	h.Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", time.UnixMilli(f.Created), blob)
	return nil
}
