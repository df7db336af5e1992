package files

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"parley/net/hashcopy"
	"parley/net/proto"
	"parley/server/files/blobstore"
	"parley/server/storage"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// spaceReserve is kept free on the server's disk: an upload that would
// leave less is refused at creation.
const spaceReserve = 64 << 20

func (s *Service) create(w http.ResponseWriter, r *http.Request, user proto.User) error {
	ctx := r.Context()
	// 128 KiB: a caption of MaxTextBytes, escaped, fits.
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 128<<10))
	if err != nil {
		return proto.Errorf(proto.CodeBadRequest, "read the body: %v", err)
	}
	var req proto.CreateRequest
	// As on the WebSocket: a string that is not UTF-8 is refused, not
	// repaired; an empty body is {} (and fails the checks below).
	if err := proto.DecodeBody(body, &req); err != nil {
		return err
	}
	req.SHA256 = strings.ToLower(req.SHA256)
	switch {
	case req.Size < 0:
		return proto.Errorf(proto.CodeBadRequest, "size must not be negative")
	case req.Size > s.cfg.MaxFileSize:
		return proto.Errorf(proto.CodeTooLarge, "the file has %s; this server accepts files up to %s", proto.FormatSize(req.Size), proto.FormatSize(s.cfg.MaxFileSize))
	case !validSHA256(req.SHA256):
		return proto.Errorf(proto.CodeBadRequest, "sha256 must be 64 hex digits")
	case req.Picture && (req.Conv != 0 || req.User != 0):
		return proto.Errorf(proto.CodeBadRequest, "a picture goes to no conversation: set neither conv nor user")
	case req.Picture && req.Size > proto.MaxPictureBytes:
		return proto.Errorf(proto.CodeImageTooLarge, "the picture has %s; pictures may have up to %s", proto.FormatSize(req.Size), proto.FormatSize(proto.MaxPictureBytes))
	case !req.Picture && (req.Conv == 0) == (req.User == 0):
		return proto.Errorf(proto.CodeBadRequest, "set either conv or user")
	case len(req.ClientID) > proto.MaxClientIDLen:
		return proto.Errorf(proto.CodeBadRequest, "client_id is longer than %d bytes", proto.MaxClientIDLen)
	case req.Picture && (req.Text != "" || req.Voice != nil):
		return proto.Errorf(proto.CodeBadRequest, "a picture upload has no text and is no voice message")
	}
	if err := checkCaption(req.Text); err != nil {
		return err
	}
	if err := checkVoice(req.Voice, mediaType(req.Type)); err != nil {
		return err
	}
	conv := req.Conv
	if req.User != 0 {
		c, err := s.cfg.Direct(ctx, user, req.User)
		if err != nil {
			return err
		}
		conv = c.ID
	}
	// On S3 the bucket's room is not known here: a full store fails the
	// PATCH that finds it full.
	if free, ok := freeSpace(s.cfg.Dir); s.s3 == nil && ok && free < req.Size+spaceReserve {
		return proto.Errorf(proto.CodeNoSpace, "the server does not have room for %s", proto.FormatSize(req.Size))
	}
	u, existed, err := s.db.CreateUpload(ctx, storage.Upload{
		ID: newID(), User: user.ID, ClientID: req.ClientID, Conv: conv,
		Name: proto.SafeName(req.Name), Type: mediaType(req.Type), Size: req.Size, SHA256: req.SHA256,
		Text: req.Text, Voice: req.Voice,
	}, s.cfg.Quota)
	if err != nil {
		return err
	}
	info := s.info(u)
	if u.State == storage.UploadDone {
		m, err := s.db.PublishUpload(ctx, u.ID, "", user, storage.Found{}) // returns what was published
		if err != nil {
			return err
		}
		setResult(&info, m)
	}
	s.setUploadHeaders(w, u)
	w.Header().Set("Location", proto.UploadsPath+"/"+u.ID)
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, info)
	return nil
}

// mediaType keeps a declared media type if it is well-formed, without
// parameters. It is metadata only: downloads are always served as
// application/octet-stream.
func mediaType(t string) string {
	mt, _, err := mime.ParseMediaType(t)
	if err != nil || len(mt) > 127 {
		return ""
	}
	return mt
}

func (s *Service) info(u storage.Upload) proto.UploadInfo {
	return proto.UploadInfo{ID: u.ID, Conv: u.Conv, Name: u.Name, Size: u.Size, Offset: u.Received, Expires: s.expires(u).UnixMilli()}
}

func (s *Service) expires(u storage.Upload) time.Time {
	return time.UnixMilli(u.Updated).Add(s.cfg.ExpireAfter)
}

func (s *Service) setUploadHeaders(w http.ResponseWriter, u storage.Upload) {
	h := w.Header()
	h.Set(proto.HeaderOffset, strconv.FormatInt(u.Received, 10))
	h.Set(proto.HeaderLength, strconv.FormatInt(u.Size, 10))
	if u.State == storage.UploadOpen {
		h.Set(proto.HeaderExpires, s.expires(u).UTC().Format(http.TimeFormat))
	}
}

// lockUpload takes the lock of the caller's upload id and loads it. An
// upload of someone else is reported as not existing.
func (s *Service) lockUpload(ctx context.Context, id string, user proto.User) (storage.Upload, func(), error) {
	notFound := proto.Errorf(proto.CodeNoSuchUpload, "no such upload: it finished long ago, expired or was cancelled")
	if !validID(id) {
		return storage.Upload{}, nil, notFound
	}
	unlock, err := s.locks.lock(ctx, id)
	if err != nil {
		return storage.Upload{}, nil, err
	}
	u, err := s.db.Upload(ctx, id)
	if err == nil && u.User != user.ID {
		err = notFound
	}
	if err == nil && s.s3 != nil && s.claimLive(u) {
		u, err = s.waitClaim(ctx, id) // another node stores its bytes now
	}
	if err == nil && u.State == storage.UploadOpen && s.now().After(s.expires(u)) {
		err = s.expireLocked(context.WithoutCancel(ctx), u)
		if err == nil {
			err = notFound
		}
	}
	if err != nil {
		unlock()
		if storage.IsNoSuchUpload(err) {
			err = notFound
		}
		return storage.Upload{}, nil, err
	}
	return u, unlock, nil
}

func (s *Service) head(w http.ResponseWriter, r *http.Request, user proto.User) error {
	u, unlock, err := s.lockUpload(r.Context(), r.PathValue("id"), user)
	if err != nil {
		return err
	}
	defer unlock()
	s.setUploadHeaders(w, u)
	w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Service) abort(w http.ResponseWriter, r *http.Request, user proto.User) error {
	u, unlock, err := s.lockUpload(r.Context(), r.PathValue("id"), user)
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.discard(context.WithoutCancel(r.Context()), u); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// discard deletes an upload and its partial file. A done upload's file
// stays: only the record goes.
func (s *Service) discard(ctx context.Context, u storage.Upload) error {
	if s.s3 != nil {
		return s.discardS3(ctx, u)
	}
	if err := os.Remove(s.partPath(u.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove partial upload: %w", err)
	}
	return s.db.DeleteUpload(ctx, u.ID)
}

// patch appends one body at the offset the server holds. The body is
// stored, fsynced and checked against its checksum before the new offset
// is recorded and acknowledged; a body that fails any of that is cut off
// again, so the upload continues from the last acknowledged byte. The
// body that reaches the end completes the upload.
func (s *Service) patch(w http.ResponseWriter, r *http.Request, user proto.User) error {
	ctx := r.Context()
	u, unlock, err := s.lockUpload(ctx, r.PathValue("id"), user)
	if err != nil {
		return err
	}
	defer unlock()
	// Bookkeeping after the bytes are safe must finish even if the client
	// goes away: it will ask for the offset.
	durable := context.WithoutCancel(ctx)
	off, err := strconv.ParseInt(r.Header.Get(proto.HeaderOffset), 10, 64)
	if err != nil {
		return proto.Errorf(proto.CodeBadRequest, "send %s: the offset this body starts at", proto.HeaderOffset)
	}
	if off != u.Received {
		s.setUploadHeaders(w, u)
		return proto.Errorf(proto.CodeOffsetMismatch, "the server holds %d bytes of this upload, not %d", u.Received, off)
	}
	switch u.State {
	case storage.UploadDone, storage.UploadVerified:
		return s.complete(durable, w, u, user) // every byte is here: a retried completion
	}
	if r.ContentLength > u.Size-u.Received {
		return proto.Errorf(proto.CodeTooLarge, "the body has %d bytes but only %d remain", r.ContentLength, u.Size-u.Received)
	}
	check, err := parseChecksum(r.Header.Get(proto.HeaderChecksum), true)
	if err != nil {
		return err
	}
	if s.s3 != nil {
		return s.patchS3(durable, w, r, u, user, check)
	}
	n, whole, err := s.receive(durable, w, r, &u, check)
	if err != nil {
		if proto.CodeOf(err) == proto.CodeOffsetMismatch {
			s.setUploadHeaders(w, u)
		}
		return err
	}
	received := u.Received + n
	if received < u.Size {
		state, err := whole.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return fmt.Errorf("save hash state: %w", err)
		}
		// If this fails, the next request cuts the file back to the
		// recorded offset.
		if err := s.db.SaveUploadProgress(durable, u.ID, received, state, storage.UploadOpen); err != nil {
			return err
		}
		u.Received = received
		s.setUploadHeaders(w, u)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if got := hex.EncodeToString(whole.Sum(nil)); got != u.SHA256 {
		if err := s.discard(durable, u); err != nil {
			s.log.Error("discard upload with wrong hash", "upload", u.ID, "err", err)
		}
		return proto.Errorf(proto.CodeHashMismatch, "the file's SHA-256 is %s, not the declared %s: the upload is deleted", got, u.SHA256)
	}
	if err := s.db.SaveUploadProgress(durable, u.ID, received, nil, storage.UploadVerified); err != nil {
		return err
	}
	u.Received, u.State = received, storage.UploadVerified
	return s.complete(durable, w, u, user)
}

// receive writes a PATCH body after the acknowledged bytes of u and makes
// it durable. It returns the body's length and the file hash after it. A
// body that is cut off, too long, or does not match its checksum is
// removed again.
func (s *Service) receive(ctx context.Context, w http.ResponseWriter, r *http.Request, u *storage.Upload, check checksum) (int64, hash.Hash, error) {
	f, err := os.OpenFile(s.partPath(u.ID), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return 0, nil, fmt.Errorf("open partial upload: %w", err)
	}
	defer f.Close()
	whole, err := s.resumeHash(ctx, f, u)
	if err != nil {
		return 0, nil, err
	}
	if _, err := f.Seek(u.Received, io.SeekStart); err != nil {
		return 0, nil, fmt.Errorf("seek partial upload: %w", err)
	}
	n, err := s.readBody(w, r, &fileWriter{f: f, off: u.Received, flushed: u.Received}, whole, u.Size-u.Received, check, "write partial upload")
	if err == nil {
		if err = f.Sync(); err != nil {
			err = fmt.Errorf("sync partial upload: %w", err)
		}
	}
	if err != nil {
		if terr := f.Truncate(u.Received); terr != nil {
			s.log.Error("cut back partial upload", "upload", u.ID, "err", terr)
		}
		return 0, nil, err
	}
	return n, whole, nil
}

// readBody copies a PATCH body to dst (whose write errors are
// *fileWriteError, reported as what) and feeds it to whole, the file's
// hash. It checks that the body came whole, is no longer than remaining,
// and matches its checksum (header or trailer). It returns the body's
// length.
func (s *Service) readBody(w http.ResponseWriter, r *http.Request, dst io.Writer, whole hash.Hash, remaining int64, check checksum, what string) (int64, error) {
	crc := crc32.New(castagnoli)
	sums := io.MultiWriter(whole, crc)
	var chunkSHA hash.Hash
	if check.algo == proto.ChecksumSHA256 {
		chunkSHA = sha256.New()
		sums = io.MultiWriter(whole, crc, chunkSHA)
	}
	body := &idleReader{r: io.LimitReader(r.Body, remaining+1), rc: http.NewResponseController(w), idle: s.cfg.IdleTimeout}
	n, err := hashcopy.Copy(dst, body, sums)
	var fwErr *fileWriteError
	switch {
	case errors.As(err, &fwErr):
		err = fmt.Errorf("%s: %w", what, fwErr.err)
	case err != nil:
		err = proto.Errorf(proto.CodeBadRequest, "the body was cut short after %d bytes: %v", n, err)
	case n > remaining:
		err = proto.Errorf(proto.CodeTooLarge, "the body has more than the %d bytes that remain", remaining)
	case check.algo == "": // not in the header: perhaps in the trailer
		check, err = parseChecksum(r.Trailer.Get(proto.HeaderChecksum), false)
	}
	if err == nil && !check.matches(crc, chunkSHA) {
		err = proto.Errorf(proto.CodeChecksumMismatch, "the body does not match its %s checksum: send it again", check.algo)
	}
	return n, err
}

// resumeHash makes the partial file hold exactly the acknowledged bytes
// and returns the file hash as it was after them. If the file lost bytes
// (a crash between placing a blob and recording it), the upload starts
// over and the client is told so with offset_mismatch.
func (s *Service) resumeHash(ctx context.Context, f *os.File, u *storage.Upload) (hash.Hash, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat partial upload: %w", err)
	}
	h := sha256.New()
	if st.Size() >= u.Received && (u.Received == 0 || h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState) == nil) {
		if st.Size() > u.Received { // bytes of a body that was never acknowledged
			if err := f.Truncate(u.Received); err != nil {
				return nil, fmt.Errorf("cut back partial upload: %w", err)
			}
		}
		return h, nil
	}
	s.log.Warn("partial upload lost bytes: starting it over", "upload", u.ID, "have", st.Size(), "recorded", u.Received)
	if err := f.Truncate(0); err != nil {
		return nil, fmt.Errorf("reset partial upload: %w", err)
	}
	if err := s.db.SaveUploadProgress(ctx, u.ID, 0, nil, storage.UploadOpen); err != nil {
		return nil, err
	}
	u.Received = 0
	return nil, proto.Errorf(proto.CodeOffsetMismatch, "the server lost this upload's bytes: send it again from 0")
}

// complete publishes a verified upload (again, for a retried completion)
// and answers with its message.
func (s *Service) complete(ctx context.Context, w http.ResponseWriter, u storage.Upload, sender proto.User) error {
	m, err := s.finish(ctx, u, sender)
	if err != nil {
		return err
	}
	u.Received = u.Size
	info := s.info(u)
	info.Offset, info.Expires = u.Size, 0
	setResult(&info, m)
	s.setUploadHeaders(w, u)
	writeJSON(w, http.StatusOK, info)
	return nil
}

// finish puts a verified upload's bytes in the blob store (or drops them
// if the store has that content already), makes a picture's thumbnails or
// checks a voice message (look), and publishes its file message. Every
// step can run again after a crash.
func (s *Service) finish(ctx context.Context, u storage.Upload, sender proto.User) (proto.Message, error) {
	// A blob a delete released is removed under this lock (ReleaseBlob):
	// never between placing it here and publishing the file.
	unlock, err := s.lockBlob(ctx, u.SHA256)
	if err != nil {
		return proto.Message{}, err
	}
	defer unlock()
	var found storage.Found
	if u.State != storage.UploadDone {
		if err := s.placeBlob(ctx, u); err != nil {
			return proto.Message{}, err
		}
		found = s.look(ctx, u)
	}
	m, err := s.db.PublishUpload(ctx, u.ID, newID(), sender, found)
	if proto.CodeOf(err) == proto.CodeNotMember {
		if derr := s.db.DeleteUpload(ctx, u.ID); derr != nil {
			s.log.Error("delete upload of a former member", "upload", u.ID, "err", derr)
		}
	}
	return m, err
}

func (s *Service) placeBlob(ctx context.Context, u storage.Upload) error {
	if s.s3 != nil {
		return s.placeS3(ctx, u)
	}
	blob, part := s.disk.Path(u.SHA256), s.partPath(u.ID)
	if _, err := os.Stat(blob); err == nil {
		if err := os.Remove(part); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove duplicate upload: %w", err)
		}
		return nil
	}
	dir := filepath.Dir(blob)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create blob folder: %w", err)
	}
	if err := os.Rename(part, blob); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return errors.Join(blobstore.SyncDir(dir), blobstore.SyncDir(s.blobsDir), blobstore.SyncDir(s.uploadsDir))
}

// checksum is an expected Upload-Checksum.
type checksum struct {
	algo string // "" when none was sent
	sum  []byte
}

// parseChecksum reads "ALGO BASE64". A SHA-256 must come as a header
// (before the body), because the server decides while reading whether to
// compute it; CRC-32C is always computed and may come as a trailer.
func parseChecksum(v string, header bool) (checksum, error) {
	if v == "" {
		return checksum{}, nil
	}
	algo, b64, _ := strings.Cut(strings.TrimSpace(v), " ")
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	switch {
	case err != nil:
		return checksum{}, proto.Errorf(proto.CodeBadRequest, "%s: the checksum is not base64", proto.HeaderChecksum)
	case algo == proto.ChecksumCRC32C && len(sum) == 4:
	case algo == proto.ChecksumSHA256 && len(sum) == sha256.Size && header:
	case algo == proto.ChecksumSHA256 && len(sum) == sha256.Size:
		return checksum{}, proto.Errorf(proto.CodeBadRequest, "%s: send a sha256 checksum as a header, or crc32c as a trailer", proto.HeaderChecksum)
	default:
		return checksum{}, proto.Errorf(proto.CodeBadRequest, "%s: want crc32c or sha256 with a base64 sum", proto.HeaderChecksum)
	}
	return checksum{algo, sum}, nil
}

func (c checksum) matches(crc hash.Hash32, chunkSHA hash.Hash) bool {
	switch c.algo {
	case proto.ChecksumCRC32C:
		return binary.BigEndian.Uint32(c.sum) == crc.Sum32()
	case proto.ChecksumSHA256:
		return chunkSHA != nil && string(chunkSHA.Sum(nil)) == string(c.sum)
	}
	return true // none sent: the whole file's SHA-256 still guards it
}

// idleReader extends the connection's read deadline before every read, so
// a body that stalls for idle ends with an error instead of holding the
// upload's lock.
type idleReader struct {
	r    io.Reader
	rc   *http.ResponseController
	idle time.Duration
}

func (b *idleReader) Read(p []byte) (int, error) {
	b.rc.SetReadDeadline(time.Now().Add(b.idle))
	return b.r.Read(p)
}

// fileWriter writes a body into the partial file at off, starts the
// disk's writeback as it goes, and marks write errors, to tell them from a
// failing body.
type fileWriter struct {
	f       *os.File
	off     int64 // where the next write goes
	flushed int64 // writeback started up to here
}

type fileWriteError struct{ err error }

func (e *fileWriteError) Error() string { return e.err.Error() }
func (e *fileWriteError) Unwrap() error { return e.err }

func (w *fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	w.off += int64(n)
	if err != nil {
		return n, &fileWriteError{err}
	}
	if writebackEvery > 0 && w.off-w.flushed >= writebackEvery {
		startWriteback(w.f, w.flushed, w.off-w.flushed)
		w.flushed = w.off
	}
	return n, nil
}
