package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"parley/net/proto"
)

// Upload states. An upload is open while bytes arrive; verified once every
// byte is stored and the SHA-256 matched (its blob is being put in place);
// done once its file message is in the conversation. A done upload is kept
// for a while so that a client that missed the completion can ask again.
const (
	UploadOpen     = "open"
	UploadVerified = "verified"
	UploadDone     = "done"
)

// Upload is the server's record of one resumable upload.
type Upload struct {
	ID        string
	User      proto.UserID
	ClientID  string // the uploader's idempotency key, "" if none
	Conv      proto.ConvID
	Name      string // sanitised
	Type      string
	Size      int64
	SHA256    string // declared, lower-case hex
	Received  int64  // bytes stored durably
	HashState []byte // the SHA-256 state after Received bytes
	State     string
	FileID    string       // once done
	Seq       int64        // the file message, once done
	Created   int64        // Unix ms
	Updated   int64        // Unix ms: the last byte or state change
	Text      string       // the caption: the file message's text
	Voice     *proto.Voice // a voice message's metadata, as declared
	// On S3 (server/files, s3.go): the multipart upload ("" not started),
	// its parts, in order, and the acknowledged bytes after them that do
	// not make a part yet, as chunk objects, in order. Their sizes add up
	// to Received.
	Multipart string
	Parts     []UploadPart
	Chunks    []UploadChunk
	// The claim of the request storing bytes now ("" none, or it lapsed),
	// and when it lapses (Unix ms, the database's clock): ClaimUpload.
	Writer      string
	WriterUntil int64
}

// UploadPart is a part of an upload's multipart upload on S3.
type UploadPart struct {
	N    int    `json:"n"`
	ETag string `json:"etag"`
	Size int64  `json:"size"`
}

// UploadChunk is acknowledged bytes of an upload on S3 kept as an object
// of their own until they are folded into a part.
type UploadChunk struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
}

// UploadParts is what a request stored of an upload on S3 (SaveUploadParts).
type UploadParts struct {
	Received  int64
	HashState []byte // nil once verified
	State     string // UploadOpen or UploadVerified
	Parts     []UploadPart
	Chunks    []UploadChunk
}

// StoredFile is a shared file: its metadata and where its message is.
type StoredFile struct {
	proto.File
	Conv    proto.ConvID
	Seq     int64
	Sender  proto.UserID
	Created int64  // Unix ms
	Purpose string // PurposeMessage, PurposePicture or PurposeThumb (people.go)
}

var errNoSuchUpload = proto.Errorf(proto.CodeNoSuchUpload, "no such upload: it finished, expired or was cancelled")

const uploadCols = `id, user_id, COALESCE(client_id, ''), conv_id, name, type, size, sha256, received, hash_state, state, COALESCE(file_id, ''), seq, created, updated, text, voice, multipart, parts, chunks, writer, writer_until`

func scanUpload(sc interface{ Scan(...any) error }) (Upload, error) {
	var u Upload
	var voice sql.NullString
	var parts, chunks string
	err := sc.Scan(&u.ID, &u.User, &u.ClientID, &u.Conv, &u.Name, &u.Type, &u.Size, &u.SHA256, &u.Received, &u.HashState, &u.State, &u.FileID, &u.Seq, &u.Created, &u.Updated, &u.Text, &voice,
		&u.Multipart, &parts, &chunks, &u.Writer, &u.WriterUntil)
	if err == nil && voice.Valid {
		u.Voice = new(proto.Voice)
		if jerr := json.Unmarshal([]byte(voice.String), u.Voice); jerr != nil {
			return u, fmt.Errorf("decode voice of upload %s: %w", u.ID, jerr)
		}
	}
	for _, c := range []struct {
		col string
		v   any
	}{{parts, &u.Parts}, {chunks, &u.Chunks}} {
		if err == nil && c.col != "" {
			if jerr := json.Unmarshal([]byte(c.col), c.v); jerr != nil {
				return u, fmt.Errorf("decode parts of upload %s: %w", u.ID, jerr)
			}
		}
	}
	return u, err
}

// ClaimUpload makes token the writer of open upload id for lease, if
// the upload holds exactly offset bytes and no other request's claim is
// live: the nodes of a cluster take turns storing an upload's bytes. It
// reports false if the offset moved or another claim holds (the caller
// loads the upload to see which).
func (d *DB) ClaimUpload(ctx context.Context, id string, offset int64, token string, lease time.Duration) (bool, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		now := d.nowMs()
		r, err := tx.Exec("UPDATE uploads SET writer = ?, writer_until = ?, updated = ? WHERE id = ? AND state = 'open' AND received = ? AND (writer = '' OR writer_until < ?)",
			token, now+lease.Milliseconds(), now, id, offset, now)
		if err != nil {
			return nil, fmt.Errorf("claim upload: %w", err)
		}
		n, _ := r.RowsAffected()
		return n == 1, nil
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// errLostClaim: a request's claim on an upload lapsed and another took
// it; what it stored is not the upload's.
var errLostClaim = proto.Errorf(proto.CodeOffsetMismatch, "another request stored this upload's bytes meanwhile")

// claimed runs an update of upload id that holds only while token has
// its claim.
func (d *DB) claimed(ctx context.Context, id, token, what, q string, args ...any) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		r, err := tx.Exec(q, append(args, id, token)...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, errLostClaim
		}
		return nil, nil
	})
	return err
}

// SetUploadMultipart records the multipart upload that token's request
// started for upload id. Errors: offset_mismatch if the claim is lost.
func (d *DB) SetUploadMultipart(ctx context.Context, id, token, multipart string) error {
	return d.claimed(ctx, id, token, "record multipart upload",
		"UPDATE uploads SET multipart = ? WHERE id = ? AND writer = ? AND state = 'open'", multipart)
}

// SaveUploadParts records what token's request stored of upload id and
// ends its claim. Errors: offset_mismatch if the claim is lost (another
// request took it after it lapsed).
func (d *DB) SaveUploadParts(ctx context.Context, id, token string, p UploadParts) error {
	parts, chunks, err := encodeParts(p)
	if err != nil {
		return err
	}
	return d.claimed(ctx, id, token, "save upload parts",
		"UPDATE uploads SET received = ?, hash_state = ?, state = ?, parts = ?, chunks = ?, writer = '', writer_until = 0, updated = ? WHERE id = ? AND writer = ? AND state = 'open'",
		p.Received, p.HashState, p.State, parts, chunks, d.nowMs())
}

func encodeParts(p UploadParts) (parts, chunks string, err error) {
	enc := func(v any, n int) string {
		if n == 0 || err != nil {
			return ""
		}
		var b []byte
		b, err = json.Marshal(v)
		return string(b)
	}
	parts, chunks = enc(p.Parts, len(p.Parts)), enc(p.Chunks, len(p.Chunks))
	if err != nil {
		return "", "", fmt.Errorf("encode upload parts: %w", err)
	}
	return parts, chunks, nil
}

// ReleaseUploadClaim ends token's claim on upload id, if it still has it,
// leaving the upload as it was.
func (d *DB) ReleaseUploadClaim(ctx context.Context, id, token string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("UPDATE uploads SET writer = '', writer_until = 0 WHERE id = ? AND writer = ?", id, token); err != nil {
			return nil, fmt.Errorf("release upload claim: %w", err)
		}
		return nil, nil
	})
	return err
}

// CreateUpload records a new upload by u.User into u.Conv, who must be a
// member. quota bounds the bytes the user has uploaded or is uploading (0:
// none). If the user already created an upload with the same ClientID, that
// one is returned with existed set (a retried create), provided it is for
// the same file.
func (d *DB) CreateUpload(ctx context.Context, u Upload, quota int64) (up Upload, existed bool, err error) {
	type created struct {
		u       Upload
		existed bool
	}
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if u.ClientID != "" {
			old, err := scanUpload(tx.QueryRow("SELECT "+uploadCols+" FROM uploads WHERE user_id = ? AND client_id = ?", u.User, u.ClientID))
			switch {
			case err == nil:
				if old.Size != u.Size || old.SHA256 != u.SHA256 {
					return nil, proto.Errorf(proto.CodeBadRequest, "client_id %q was used for another file", u.ClientID)
				}
				return created{old, true}, nil
			case err != sql.ErrNoRows:
				return nil, fmt.Errorf("look up upload by client id: %w", err)
			}
		}
		if u.Conv != 0 { // 0: a picture upload (people.go)
			c, err := s.conv(tx, u.Conv)
			if err != nil {
				return nil, err
			}
			if c == nil {
				return nil, proto.Errorf(proto.CodeNoSuchConv, "no conversation with ID %d", u.Conv)
			}
			if !c.isMember(u.User) {
				return nil, proto.Errorf(proto.CodeNotMember, "you are not a member of %d", u.Conv)
			}
			if err := c.maySend(u.User); err != nil {
				return nil, err
			}
		}
		if quota > 0 {
			used, err := usedBytes(tx, u.User)
			if err != nil {
				return nil, err
			}
			if used+u.Size > quota {
				return nil, proto.Errorf(proto.CodeQuotaExceeded, "this file needs %d bytes but only %d of your %d bytes are left", u.Size, max(0, quota-used), quota)
			}
		}
		now := d.nowMs()
		u.State, u.Received, u.HashState, u.Created, u.Updated = UploadOpen, 0, nil, now, now
		var clientID, voice any
		if u.ClientID != "" {
			clientID = u.ClientID
		}
		if u.Voice != nil {
			b, err := json.Marshal(u.Voice)
			if err != nil {
				return nil, fmt.Errorf("encode voice: %w", err)
			}
			voice = string(b)
		}
		if _, err := tx.Exec("INSERT INTO uploads (id, user_id, client_id, conv_id, name, type, size, sha256, state, created, updated, text, voice) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, u.User, clientID, u.Conv, u.Name, u.Type, u.Size, u.SHA256, u.State, now, now, u.Text, voice); err != nil {
			return nil, fmt.Errorf("insert upload: %w", err)
		}
		return created{u, false}, nil
	})
	if err != nil {
		return Upload{}, false, err
	}
	r := v.(created)
	return r.u, r.existed, nil
}

// usedQuery sums what counts against a user's quota: the files they
// shared and the uploads they have not finished.
const usedQuery = `SELECT COALESCE((SELECT SUM(size) FROM files WHERE sender = ?1), 0)
	+ COALESCE((SELECT SUM(size) FROM uploads WHERE user_id = ?1 AND state != 'done'), 0)`

func usedBytes(tx *sql.Tx, user proto.UserID) (int64, error) {
	var used int64
	if err := tx.QueryRow(usedQuery, user).Scan(&used); err != nil {
		return 0, fmt.Errorf("sum quota of %d: %w", user, err)
	}
	return used, nil
}

// UsedBytes reports the bytes counted against user's quota.
func (d *DB) UsedBytes(ctx context.Context, user proto.UserID) (int64, error) {
	var used int64
	if err := d.r.QueryRowContext(ctx, usedQuery, user).Scan(&used); err != nil {
		return 0, fmt.Errorf("sum quota of %d: %w", user, err)
	}
	return used, nil
}

// Upload returns an upload by ID, or no_such_upload.
func (d *DB) Upload(ctx context.Context, id string) (Upload, error) {
	u, err := scanUpload(d.r.QueryRowContext(ctx, "SELECT "+uploadCols+" FROM uploads WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, errNoSuchUpload
	}
	if err != nil {
		return Upload{}, fmt.Errorf("load upload %s: %w", id, err)
	}
	if u.WriterUntil < d.nowMs() { // a lapsed claim is none
		u.Writer = ""
	}
	return u, nil
}

// UploadsUpdatedBefore lists uploads last changed before t (Unix ms), and
// every verified upload when verified is set (for recovery after a crash).
func (d *DB) UploadsUpdatedBefore(ctx context.Context, t int64, verified bool) ([]Upload, error) {
	rows, err := d.r.QueryContext(ctx, "SELECT "+uploadCols+" FROM uploads WHERE updated < ? OR (? = 1 AND state = 'verified')", t, verified)
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	defer rows.Close()
	var us []Upload
	for rows.Next() {
		u, err := scanUpload(rows)
		if err != nil {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		us = append(us, u)
	}
	return us, rows.Err()
}

// UploadIDs lists the IDs of every upload (to find partial files that lost
// their record).
func (d *DB) UploadIDs(ctx context.Context) (map[string]bool, error) {
	rows, err := d.r.QueryContext(ctx, "SELECT id FROM uploads")
	if err != nil {
		return nil, fmt.Errorf("list uploads: %w", err)
	}
	defer rows.Close()
	ids := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list uploads: %w", err)
		}
		ids[id] = true
	}
	return ids, rows.Err()
}

// SaveUploadProgress records that an open upload now holds received bytes
// durably, with the hash state after them; state moves it on (open or
// verified).
func (d *DB) SaveUploadProgress(ctx context.Context, id string, received int64, hashState []byte, state string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		r, err := tx.Exec("UPDATE uploads SET received = ?, hash_state = ?, state = ?, updated = ? WHERE id = ? AND state != 'done'",
			received, hashState, state, d.nowMs(), id)
		if err != nil {
			return nil, fmt.Errorf("save upload progress: %w", err)
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return nil, errNoSuchUpload
		}
		return nil, nil
	})
	return err
}

// DeleteUpload forgets an upload. Deleting an unknown one is not an error.
func (d *DB) DeleteUpload(ctx context.Context, id string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("DELETE FROM uploads WHERE id = ?", id); err != nil {
			return nil, fmt.Errorf("delete upload: %w", err)
		}
		return nil, nil
	})
	return err
}

// PublishUpload turns a verified upload into a file (with the new ID
// fileID) and a file message from sender in its conversation, in one
// transaction: the message reaches the members like any message. For an
// upload already done it returns the message it published (a retried
// completion). The sender must still be a member. x is what the server
// found in the file (media.go): it goes into the message's file, and the
// upload's caption becomes the message's text.
func (d *DB) PublishUpload(ctx context.Context, id, fileID string, sender proto.User, x Found) (proto.Message, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		u, err := scanUpload(tx.QueryRow("SELECT "+uploadCols+" FROM uploads WHERE id = ?", id))
		if errors.Is(err, sql.ErrNoRows) {
			return nil, errNoSuchUpload
		}
		if err != nil {
			return nil, fmt.Errorf("load upload %s: %w", id, err)
		}
		switch u.State {
		case UploadDone:
			if u.Conv == 0 {
				return pictureMessage(tx, u.FileID, sender)
			}
			return messageTx(tx, u.Conv, u.Seq)
		case UploadVerified:
		default:
			return nil, fmt.Errorf("publish upload %s: it is %s, not verified", id, u.State)
		}
		if u.Conv == 0 { // a picture upload: a file of the user's, in no conversation
			if _, err := tx.Exec("INSERT INTO files (id, sha256, name, size, type, conv_id, seq, sender, created, purpose) VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)",
				fileID, u.SHA256, u.Name, u.Size, u.Type, sender.ID, d.nowMs(), PurposePicture); err != nil {
				return nil, fmt.Errorf("insert picture file: %w", err)
			}
			if _, err := tx.Exec("UPDATE uploads SET state = 'done', file_id = ?, received = size, hash_state = NULL, updated = ? WHERE id = ?",
				fileID, d.nowMs(), id); err != nil {
				return nil, fmt.Errorf("finish upload: %w", err)
			}
			return pictureMessage(tx, fileID, sender)
		}
		c, err := s.conv(tx, u.Conv)
		if err != nil {
			return nil, err
		}
		if c == nil || !c.isMember(sender.ID) {
			return nil, proto.Errorf(proto.CodeNotMember, "you are no longer a member of %d", u.Conv)
		}
		f := proto.File{ID: fileID, Name: u.Name, Size: u.Size, SHA256: u.SHA256, Type: u.Type, Image: x.Image, Voice: x.Voice}
		m, err := s.append(tx, c, proto.Message{ClientID: u.ClientID, Sender: sender.ID, SenderName: sender.Name, Kind: proto.MsgFile, Text: u.Text, File: &f})
		if err != nil {
			return nil, err
		}
		fileJSON, err := json.Marshal(f)
		if err != nil {
			return nil, fmt.Errorf("encode file: %w", err)
		}
		if _, err := tx.Exec("UPDATE messages SET event = ? WHERE conv_id = ? AND seq = ?", string(fileJSON), m.Conv, m.Seq); err != nil {
			return nil, fmt.Errorf("store file of message: %w", err)
		}
		if _, err := tx.Exec("INSERT INTO files (id, sha256, name, size, type, conv_id, seq, sender, created, media) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			fileID, u.SHA256, u.Name, u.Size, u.Type, m.Conv, m.Seq, sender.ID, m.Time, MediaKind(&f)); err != nil {
			return nil, fmt.Errorf("insert file: %w", err)
		}
		if _, err := tx.Exec("UPDATE uploads SET state = 'done', file_id = ?, seq = ?, received = size, hash_state = NULL, updated = ? WHERE id = ?",
			fileID, m.Seq, d.nowMs(), id); err != nil {
			return nil, fmt.Errorf("finish upload: %w", err)
		}
		return m, nil
	})
	if err != nil {
		return proto.Message{}, err
	}
	return v.(proto.Message), nil
}

// pictureMessage is what PublishUpload returns for a picture upload: no
// message, only its file (Conv 0).
func pictureMessage(tx *sql.Tx, fileID string, sender proto.User) (proto.Message, error) {
	f := proto.File{ID: fileID}
	err := tx.QueryRow("SELECT name, size, sha256, type FROM files WHERE id = ?", fileID).Scan(&f.Name, &f.Size, &f.SHA256, &f.Type)
	if errors.Is(err, sql.ErrNoRows) { // used by set_profile since
		return proto.Message{}, errNoSuchUpload
	}
	if err != nil {
		return proto.Message{}, fmt.Errorf("load picture file %s: %w", fileID, err)
	}
	return proto.Message{Sender: sender.ID, SenderName: sender.Name, Kind: proto.MsgFile, File: &f}, nil
}

// File returns a shared file by ID, or no_such_file.
func (d *DB) File(ctx context.Context, id string) (StoredFile, error) {
	var f StoredFile
	err := d.r.QueryRowContext(ctx, "SELECT id, sha256, name, size, type, conv_id, seq, sender, created, purpose FROM files WHERE id = ?", id).
		Scan(&f.ID, &f.SHA256, &f.Name, &f.Size, &f.Type, &f.Conv, &f.Seq, &f.Sender, &f.Created, &f.Purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return f, proto.Errorf(proto.CodeNoSuchFile, "no such file")
	}
	if err != nil {
		return f, fmt.Errorf("load file %s: %w", id, err)
	}
	return f, nil
}

// LockBlob takes the lock of blob sha for token for lease, unless another
// holder's lock is live, and reports whether it did: the nodes of a
// cluster that share files on S3 take turns placing, thumbnailing and
// releasing one blob (server/files, release.go).
func (d *DB) LockBlob(ctx context.Context, sha, token string, lease time.Duration) (bool, error) {
	v, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		now := d.nowMs()
		r, err := tx.Exec(`INSERT INTO blob_locks (sha256, holder, until) VALUES (?, ?, ?)
			ON CONFLICT (sha256) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE blob_locks.until < ?`,
			sha, token, now+lease.Milliseconds(), now)
		if err != nil {
			return nil, fmt.Errorf("lock blob: %w", err)
		}
		n, _ := r.RowsAffected()
		return n == 1, nil
	})
	if err != nil {
		return false, err
	}
	return v.(bool), nil
}

// UnlockBlob ends token's lock of blob sha, if it still holds it.
func (d *DB) UnlockBlob(ctx context.Context, sha, token string) error {
	_, err := d.exec(ctx, func(tx *sql.Tx, s *sequencer) (any, error) {
		if _, err := tx.Exec("DELETE FROM blob_locks WHERE sha256 = ? AND holder = ?", sha, token); err != nil {
			return nil, fmt.Errorf("unlock blob: %w", err)
		}
		return nil, nil
	})
	return err
}

// IsNoSuchUpload reports whether err says that an upload does not exist.
func IsNoSuchUpload(err error) bool {
	var e *proto.Error
	return errors.As(err, &e) && e.Code == errNoSuchUpload.Code
}
