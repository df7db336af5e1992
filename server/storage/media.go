package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"parley/net/proto"
)

// Pictures, voice messages and media (docs/protocol.md, "Pictures, voice
// messages and media"). The files service makes a picture's thumbnails
// once per content: thumbs maps the SHA-256 of a picture's blob to its
// size as shown and its two thumbnails, each a blob of its own with a
// file ID of its own. A thumbnail may be downloaded by whoever may
// download a file with that content; it goes when the picture's blob goes
// (the files service drops the row with DropThumbs, then releases the
// thumbnails' blobs). files.media is the kind of each file message, for
// the media request.

// Found is what the files service found in an upload's bytes: at most one
// of a picture's thumbnails and a voice message's metadata.
type Found struct {
	Image *proto.Image
	Voice *proto.Voice
}

// MediaKind is the media request's kind of a file: pictures, voice or
// files.
func MediaKind(f *proto.File) string {
	switch {
	case f.Image != nil:
		return proto.MediaPictures
	case f.Voice != nil:
		return proto.MediaVoice
	}
	return proto.MediaFiles
}

// Thumb is one thumbnail of a picture.
type Thumb struct {
	ID     string
	SHA256 string
	Size   int64
	Type   string
}

// Thumbs are the two thumbnails of the picture whose blob is Source, and
// its size as shown.
type Thumbs struct {
	Source        string
	Width, Height int
	Small, Large  Thumb
}

// Image is what a file message carries of these thumbnails.
func (t Thumbs) Image() *proto.Image {
	return &proto.Image{Width: t.Width, Height: t.Height, Small: t.Small.ID, Large: t.Large.ID}
}

const thumbsCols = "source, width, height, small_id, small_sha, small_size, small_type, large_id, large_sha, large_size, large_type"

func scanThumbs(sc interface{ Scan(...any) error }) (Thumbs, error) {
	var t Thumbs
	err := sc.Scan(&t.Source, &t.Width, &t.Height, &t.Small.ID, &t.Small.SHA256, &t.Small.Size, &t.Small.Type, &t.Large.ID, &t.Large.SHA256, &t.Large.Size, &t.Large.Type)
	return t, err
}

// ThumbsOf returns the thumbnails made of the picture with blob source, if
// there are any.
func (d *DB) ThumbsOf(ctx context.Context, source string) (Thumbs, bool, error) {
	t, err := scanThumbs(d.r.QueryRowContext(ctx, "SELECT "+thumbsCols+" FROM thumbs WHERE source = ?", source))
	if errors.Is(err, sql.ErrNoRows) {
		return Thumbs{}, false, nil
	}
	if err != nil {
		return Thumbs{}, false, fmt.Errorf("load thumbnails of %s: %w", source, err)
	}
	return t, true, nil
}

// AddThumbs records the thumbnails of t.Source (their blobs are in place)
// and returns the ones recorded: t, or those recorded before for the same
// picture.
func (d *DB) AddThumbs(ctx context.Context, t Thumbs) (Thumbs, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("INSERT INTO thumbs ("+thumbsCols+", created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source) DO NOTHING",
			t.Source, t.Width, t.Height, t.Small.ID, t.Small.SHA256, t.Small.Size, t.Small.Type, t.Large.ID, t.Large.SHA256, t.Large.Size, t.Large.Type, d.nowMs()); err != nil {
			return nil, fmt.Errorf("insert thumbnails of %s: %w", t.Source, err)
		}
		got, err := scanThumbs(tx.QueryRow("SELECT "+thumbsCols+" FROM thumbs WHERE source = ?", t.Source))
		if err != nil {
			return nil, fmt.Errorf("load thumbnails of %s: %w", t.Source, err)
		}
		return got, nil
	})
	if err != nil {
		return Thumbs{}, err
	}
	return v.(Thumbs), nil
}

// DropThumbs forgets the thumbnails of the picture with blob source if
// nothing references that blob any more, and returns their blobs' SHA-256
// (to release: other pictures may share them).
func (d *DB) DropThumbs(ctx context.Context, source string) ([]string, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		var refs int
		if err := tx.QueryRow(blobRefsQuery, source).Scan(&refs); err != nil {
			return nil, fmt.Errorf("count references of blob %s: %w", source, err)
		}
		if refs > 0 {
			return []string(nil), nil
		}
		var small, large string
		err := tx.QueryRow("DELETE FROM thumbs WHERE source = ? RETURNING small_sha, large_sha", source).Scan(&small, &large)
		if errors.Is(err, sql.ErrNoRows) {
			return []string(nil), nil
		}
		if err != nil {
			return nil, fmt.Errorf("drop thumbnails of %s: %w", source, err)
		}
		if small == large {
			return []string{small}, nil
		}
		return []string{small, large}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// ThumbFile returns the thumbnail with file ID id as a file (named
// small.jpg, large.png and so on), and the blob of its picture; or
// no_such_file.
func (d *DB) ThumbFile(ctx context.Context, id string) (StoredFile, string, error) {
	t, err := scanThumbs(d.r.QueryRowContext(ctx, "SELECT "+thumbsCols+" FROM thumbs WHERE small_id = ?1 OR large_id = ?1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return StoredFile{}, "", proto.Errorf(proto.CodeNoSuchFile, "no such file")
	}
	if err != nil {
		return StoredFile{}, "", fmt.Errorf("load thumbnail %s: %w", id, err)
	}
	var created int64
	if err := d.r.QueryRowContext(ctx, "SELECT created FROM thumbs WHERE source = ?", t.Source).Scan(&created); err != nil {
		return StoredFile{}, "", fmt.Errorf("load thumbnail %s: %w", id, err)
	}
	th, name := t.Large, "large"
	if t.Small.ID == id {
		th, name = t.Small, "small"
	}
	ext := ".jpg"
	if th.Type == "image/png" {
		ext = ".png"
	}
	f := StoredFile{File: proto.File{ID: th.ID, Name: name + ext, Size: th.Size, SHA256: th.SHA256, Type: th.Type}, Created: created}
	return f, t.Source, nil
}

// MayDownloadContent reports whether user is a member of a conversation
// that has a file with blob sha: who may download that picture may
// download its thumbnails.
func (d *DB) MayDownloadContent(ctx context.Context, user proto.UserID, sha string) (bool, error) {
	var ok bool
	err := d.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM files f JOIN members m ON m.conv_id = f.conv_id
		WHERE f.sha256 = ? AND f.purpose = '' AND m.user_id = ?)`, sha, user).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check access to %s: %w", sha, err)
	}
	return ok, nil
}

// Media pages through a conversation's file messages of one kind for a
// caller who must be a member, newest first: those before req.Before (0:
// the newest), at most req.Limit (checked by the caller), and whether
// older ones exist. Deleted messages have no file any more, and messages
// the caller hid are left out.
func (d *DB) Media(ctx context.Context, caller proto.UserID, req proto.MediaRequest) ([]proto.Message, bool, error) {
	if err := d.requireMember(ctx, req.Conv, caller); err != nil {
		return nil, false, err
	}
	before := req.Before
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := d.r.QueryContext(ctx, messageSelect+` JOIN files f ON f.conv_id = m.conv_id AND f.seq = m.seq
		WHERE f.conv_id = ?1 AND f.media = ?2 AND f.purpose = '' AND f.seq < ?3
		AND NOT EXISTS (SELECT 1 FROM hidden h WHERE h.user_id = ?4 AND h.conv_id = f.conv_id AND h.seq = f.seq)
		ORDER BY f.seq DESC LIMIT ?5`, req.Conv, req.Kind, before, caller, req.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("media of %d: %w", req.Conv, err)
	}
	ms, err := scanMessages(rows, req.Limit+1)
	if err != nil {
		return nil, false, err
	}
	more := len(ms) > req.Limit
	if more {
		ms = ms[:req.Limit]
	}
	size := 0 // the byte budget of a history page (reads.go)
	for i, m := range ms {
		size += len(m.Text) + len(m.SenderName) + 400
		if size > MaxPageBytes && i > 0 {
			ms, more = ms[:i], true
			break
		}
	}
	// decorate wants ascending seqs.
	slices.Reverse(ms)
	if err := d.decorate(ctx, caller, ms); err != nil {
		return nil, false, err
	}
	slices.Reverse(ms)
	return ms, more, nil
}
