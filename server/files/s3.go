package files

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"time"

	"parley/net/proto"
	"parley/server/files/blobstore"
	"parley/server/storage"
)

// Uploads on S3 (Config.S3: files in cluster mode; docs/architecture.md,
// "Files in cluster mode"). Every node serves every upload: what an
// upload holds is in the database and the bucket, never only on one
// node's disk.
//
//   - A PATCH body is first read whole into a spool file on this node's
//     disk (so its length and checksum are known before anything is
//     stored), with the file's SHA-256 resumed from the saved state.
//   - Then the request claims the upload in the database: a check-and-set
//     on the offset it started from, with a lapse time (ClaimUpload).
//     Another request on the upload, through any node, waits for the
//     claim and then finds the offset moved (409 offset_mismatch), as the
//     in-process lock makes it on one node.
//   - The acknowledged bytes not yet in a part (chunks) and the body
//     become the upload's next multipart part once they make S3's minimum
//     part (5 MiB) or end the file; a smaller body is stored as a chunk
//     object of its own in the bucket. Either way it is in the bucket
//     before the new offset, parts and chunks are saved (under the
//     claim), and only then acknowledged.
//   - The multipart upload is made on the blob's key (blobs/HH/SHA256):
//     once verified, completing it puts the file in place; if the bucket
//     has that content already it is aborted instead (placeS3).

// claimFor is how long a request's claim on an upload lasts when it sends
// n bytes to the store: a minute, and a second per MiB. A node that dies
// holding a claim blocks its upload that long.
func claimFor(n int64) time.Duration { return time.Minute + time.Duration(n>>20)*time.Second }

// claimLive reports whether a request holds u's claim (storage reports
// a lapsed claim as none).
func (s *Service) claimLive(u storage.Upload) bool { return u.Writer != "" }

// waitClaim waits until no request holds a live claim on upload id (one
// storing its bytes through another node), and returns the upload then.
func (s *Service) waitClaim(ctx context.Context, id string) (storage.Upload, error) {
	var b backoff
	for {
		u, err := s.db.Upload(ctx, id)
		if err != nil || !s.claimLive(u) {
			return u, err
		}
		if err := b.wait(ctx); err != nil {
			return storage.Upload{}, err
		}
	}
}

// backoff waits 10 ms, then twice as long each time, up to 250 ms.
type backoff struct{ d time.Duration }

func (b *backoff) wait(ctx context.Context) error {
	b.d = min(max(2*b.d, 10*time.Millisecond), 250*time.Millisecond)
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// spoolWriter writes a body into its spool file, and marks write errors.
type spoolWriter struct{ f *os.File }

func (w spoolWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, &fileWriteError{err}
	}
	return n, nil
}

// patchS3 is patch on S3, after the checks of the request: it stores the
// body as the next part or chunk of upload u, and completes the upload
// with the body that reaches the end. ctx outlives the request.
func (s *Service) patchS3(ctx context.Context, w http.ResponseWriter, r *http.Request, u storage.Upload, user proto.User, check checksum) error {
	// The spool is named as a partial upload without a record: one a
	// crash leaves is removed at start (recoverUploads).
	spool, err := os.OpenFile(s.partPath(newID()), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create body spool: %w", err)
	}
	defer func() {
		spool.Close()
		os.Remove(spool.Name())
	}()
	whole := sha256.New()
	if u.Received > 0 {
		if err := whole.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
			return fmt.Errorf("resume the hash of upload %s: %w", u.ID, err)
		}
	}
	n, err := s.readBody(w, r, spoolWriter{spool}, whole, u.Size-u.Received, check, "spool upload body")
	if err != nil {
		return err
	}
	received := u.Received + n
	if n == 0 && received < u.Size { // nothing to store
		s.setUploadHeaders(w, u)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}

	token := newID()
	if u, err = s.claim(r.Context(), w, u, token, chunkBytes(u)+n); err != nil {
		return err
	}
	held := true
	defer func() {
		if held {
			if err := s.db.ReleaseUploadClaim(ctx, u.ID, token); err != nil {
				s.log.Error("release upload claim", "upload", u.ID, "err", err)
			}
		}
	}()
	if partBytes(u)+chunkBytes(u) != u.Received {
		err := s.startOver(ctx, w, u, token)
		held = proto.CodeOf(err) != proto.CodeOffsetMismatch // saved, or lost to another request
		return err
	}
	final := received == u.Size
	if final {
		if got := hex.EncodeToString(whole.Sum(nil)); got != u.SHA256 {
			held = false
			if err := s.discardS3(ctx, u); err != nil {
				s.log.Error("discard upload with wrong hash", "upload", u.ID, "err", err)
			}
			return proto.Errorf(proto.CodeHashMismatch, "the file's SHA-256 is %s, not the declared %s: the upload is deleted", got, u.SHA256)
		}
	}
	p := storage.UploadParts{Received: received, State: storage.UploadOpen, Parts: u.Parts, Chunks: u.Chunks}
	var folded []storage.UploadChunk // chunks made into a part or one chunk
	if final {
		p.State = storage.UploadVerified
	} else if p.HashState, err = whole.(encoding.BinaryMarshaler).MarshalBinary(); err != nil {
		return fmt.Errorf("save hash state: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("rewind body spool: %w", err)
	}
	switch {
	case u.Size == 0: // nothing to store: placeS3 puts the empty blob
	case final || chunkBytes(u)+n >= partMin(u.Size):
		parts, err := s.storeParts(ctx, &u, token, spool, n)
		if err != nil {
			s.lostClaim(ctx, w, u.ID, err)
			return err
		}
		p.Parts, p.Chunks, folded = append(slices.Clone(u.Parts), parts...), nil, u.Chunks
	default:
		c := storage.UploadChunk{ID: newID(), Size: n}
		var data io.Reader = spool
		if len(u.Chunks) >= maxChunks {
			// Many small PATCHes: their chunks and this body become one
			// chunk, so that the list (rewritten at every PATCH) stays short.
			all := s.pending(ctx, u, spool, n)
			defer all.Close()
			data, c.Size, p.Chunks, folded = all, chunkBytes(u)+n, nil, u.Chunks
		}
		if err := s.s3.PutChunk(ctx, u.ID, c.ID, data, c.Size); err != nil {
			return err
		}
		p.Chunks = append(slices.Clone(p.Chunks), c)
	}
	if err := s.db.SaveUploadParts(ctx, u.ID, token, p); err != nil {
		s.lostClaim(ctx, w, u.ID, err)
		return err
	}
	held = false
	// The folded chunks' objects are not needed any more. Each by its ID:
	// another request may be storing the next chunk already.
	for _, c := range folded {
		if err := s.s3.RemoveChunk(ctx, u.ID, c.ID); err != nil {
			s.log.Warn("remove folded chunk", "upload", u.ID, "err", err)
		}
	}
	u.Received, u.State, u.Parts, u.Chunks = received, p.State, p.Parts, p.Chunks
	if final {
		return s.complete(ctx, w, u, user)
	}
	s.setUploadHeaders(w, u)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// claim claims upload u, which held u.Received bytes when the request
// began, for a request that sends n bytes to the store. If another
// request holds the claim it waits for it (while ctx, the request's, is
// live); if the offset moved meanwhile it answers offset_mismatch with
// the new offset. It returns the upload as it is under the claim.
func (s *Service) claim(ctx context.Context, w http.ResponseWriter, u storage.Upload, token string, n int64) (storage.Upload, error) {
	var b backoff
	for {
		ok, err := s.db.ClaimUpload(context.WithoutCancel(ctx), u.ID, u.Received, token, claimFor(n))
		if err != nil {
			return u, err
		}
		if ok {
			return s.db.Upload(context.WithoutCancel(ctx), u.ID)
		}
		cur, err := s.db.Upload(ctx, u.ID)
		if err == nil && cur.Received == u.Received && cur.State == storage.UploadOpen {
			err = b.wait(ctx) // another request's claim: wait for it
			if err == nil {
				continue
			}
		}
		if err != nil {
			if storage.IsNoSuchUpload(err) {
				err = proto.Errorf(proto.CodeNoSuchUpload, "no such upload: it finished long ago, expired or was cancelled")
			}
			return u, err
		}
		// The offset moved: another request stored its body.
		s.setUploadHeaders(w, cur)
		return u, proto.Errorf(proto.CodeOffsetMismatch, "the server holds %d bytes of this upload, not %d", cur.Received, u.Received)
	}
}

// lostClaim sets the headers of an offset_mismatch answer if err is one:
// the request's claim lapsed and another request took the upload.
func (s *Service) lostClaim(ctx context.Context, w http.ResponseWriter, id string, err error) {
	if proto.CodeOf(err) != proto.CodeOffsetMismatch {
		return
	}
	if cur, lerr := s.db.Upload(ctx, id); lerr == nil {
		s.setUploadHeaders(w, cur)
	}
}

// maxChunks is how many chunks an upload keeps before the next small
// PATCH folds them into one.
const maxChunks = 64

// partMin is the least size of a part (but the last) of an upload of
// size bytes: S3's minimum, or more if the upload would need more than
// S3's most parts with it.
func partMin(size int64) int64 {
	return max(blobstore.MinPart, (size+blobstore.MaxParts-2)/(blobstore.MaxParts-1))
}

// pending reads u's chunks, fetching each from the bucket when reading
// reaches it, then the n bytes of spool.
func (s *Service) pending(ctx context.Context, u storage.Upload, spool io.Reader, n int64) *pendingReader {
	return &pendingReader{ctx: ctx, s3: s.s3, upload: u.ID, chunks: u.Chunks, tail: io.LimitReader(spool, n)}
}

type pendingReader struct {
	ctx    context.Context
	s3     *blobstore.S3
	upload string
	chunks []storage.UploadChunk // not opened yet
	tail   io.Reader
	cur    io.ReadCloser // the chunk being read
	left   int64         // of cur
}

func (p *pendingReader) Read(b []byte) (int, error) {
	for {
		if p.cur == nil {
			if len(p.chunks) == 0 {
				return p.tail.Read(b)
			}
			rc, err := p.s3.GetChunk(p.ctx, p.upload, p.chunks[0].ID)
			if err != nil {
				return 0, err
			}
			p.cur, p.left, p.chunks = rc, p.chunks[0].Size, p.chunks[1:]
		}
		if p.left == 0 {
			p.cur.Close()
			p.cur = nil
			continue
		}
		k, err := p.cur.Read(b[:min(int64(len(b)), p.left)])
		p.left -= int64(k)
		switch {
		case err == io.EOF && p.left > 0:
			return k, fmt.Errorf("chunk of upload %s: %w", p.upload, io.ErrUnexpectedEOF)
		case err != nil && err != io.EOF:
			return k, err
		case k > 0:
			return k, nil
		}
	}
}

func (p *pendingReader) Close() error {
	if p.cur != nil {
		return p.cur.Close()
	}
	return nil
}

// partBytes is the size of u's parts.
func partBytes(u storage.Upload) int64 {
	var n int64
	for _, p := range u.Parts {
		n += p.Size
	}
	return n
}

// startOver empties an upload whose acknowledged bytes are not all in
// the bucket (it was begun while the server kept files on its disk) and
// tells the client to send it again from 0, as a server that lost a
// partial file does (resumeHash). token holds the upload's claim.
func (s *Service) startOver(ctx context.Context, w http.ResponseWriter, u storage.Upload, token string) error {
	s.log.Warn("upload's bytes are not in the bucket: starting it over", "upload", u.ID, "recorded", u.Received, "stored", partBytes(u)+chunkBytes(u))
	if u.Multipart != "" {
		if err := s.s3.Abort(ctx, u.SHA256, u.Multipart); err != nil {
			return err
		}
		if err := s.db.SetUploadMultipart(ctx, u.ID, token, ""); err != nil {
			return err
		}
	}
	for _, c := range u.Chunks {
		if err := s.s3.RemoveChunk(ctx, u.ID, c.ID); err != nil {
			return err
		}
	}
	if err := s.db.SaveUploadParts(ctx, u.ID, token, storage.UploadParts{State: storage.UploadOpen}); err != nil {
		return err
	}
	u.Received = 0
	s.setUploadHeaders(w, u)
	return proto.Errorf(proto.CodeOffsetMismatch, "the server lost this upload's bytes: send it again from 0")
}

// chunkBytes is the size of u's chunks, the bytes after its parts.
func chunkBytes(u storage.Upload) int64 {
	var n int64
	for _, c := range u.Chunks {
		n += c.Size
	}
	return n
}

// storeParts sends u's chunks and then the n bytes of spool as the next
// parts of u's multipart upload, starting that if need be (recorded under
// token's claim). It returns the new parts: one, or as many as it takes to
// keep each within S3's largest part.
func (s *Service) storeParts(ctx context.Context, u *storage.Upload, token string, spool io.Reader, n int64) ([]storage.UploadPart, error) {
	if u.Multipart == "" {
		id, err := s.s3.NewMultipart(ctx, u.SHA256)
		if err != nil {
			return nil, err
		}
		if err := s.db.SetUploadMultipart(ctx, u.ID, token, id); err != nil {
			if aerr := s.s3.Abort(ctx, u.SHA256, id); aerr != nil {
				s.log.Warn("abort unrecorded multipart upload", "upload", u.ID, "err", aerr)
			}
			return nil, err
		}
		u.Multipart = id
	}
	data := s.pending(ctx, *u, spool, n)
	defer data.Close()
	size := chunkBytes(*u) + n
	k := max(1, (size+blobstore.MaxPart-1)/blobstore.MaxPart)
	next := 1
	if len(u.Parts) > 0 {
		next = u.Parts[len(u.Parts)-1].N + 1
	}
	if next+int(k)-1 > blobstore.MaxParts {
		return nil, fmt.Errorf("upload %s needs more than %d parts", u.ID, blobstore.MaxParts)
	}
	parts := make([]storage.UploadPart, 0, k)
	for i := range k {
		sz := size / k
		if i == k-1 {
			sz = size - sz*(k-1)
		}
		p := storage.UploadPart{N: next + int(i), Size: sz}
		var err error
		if p.ETag, err = s.s3.UploadPart(ctx, u.SHA256, u.Multipart, p.N, io.LimitReader(data, sz), sz); err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// placeS3 puts a verified upload's file in place in the bucket: it
// completes its multipart upload, or aborts it if the bucket has that
// content already (the same file uploaded before: stored once). It can
// run again after a crash or through another node.
func (s *Service) placeS3(ctx context.Context, u storage.Upload) error {
	ok, err := s.s3.Exists(ctx, u.SHA256)
	switch {
	case err != nil:
		return err
	case ok && u.Multipart != "":
		return s.s3.Abort(ctx, u.SHA256, u.Multipart)
	case ok:
		return nil
	case u.Multipart == "":
		if u.Size != 0 {
			return fmt.Errorf("upload %s is verified without its bytes", u.ID)
		}
		return s.s3.Put(ctx, u.SHA256, nil)
	}
	parts := make([]blobstore.Part, len(u.Parts))
	for i, p := range u.Parts {
		parts[i] = blobstore.Part{N: p.N, ETag: p.ETag}
	}
	return s.s3.Complete(ctx, u.SHA256, u.Multipart, parts)
}

// discardS3 is discard on S3: the upload's multipart upload and chunks go
// with its record.
func (s *Service) discardS3(ctx context.Context, u storage.Upload) error {
	var errs []error
	if u.Multipart != "" && u.State != storage.UploadDone {
		errs = append(errs, s.s3.Abort(ctx, u.SHA256, u.Multipart))
	}
	errs = append(errs, s.s3.RemoveChunks(ctx, u.ID))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("discard upload %s: %w", u.ID, err)
	}
	return s.db.DeleteUpload(ctx, u.ID)
}
