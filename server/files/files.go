// Package files serves file transfer over HTTP on the Parley server:
// resumable uploads after tus 1.0 (create, HEAD offset, PATCH at offset,
// DELETE), downloads with Range, and the per-user limits. Requests are
// authorised with the WebSocket's session token ("Authorization: Bearer
// TOKEN"). docs/protocol.md ("Files") describes the endpoints; the wire
// types are in net/proto (files.go); it must not import net/transfer, the
// client's side.
//
// Storage (on the local disk, the default): the bytes of an upload grow
// in uploads/ID.part under the files folder, each PATCH fsynced before its new offset is recorded (and only
// then acknowledged), so a crash loses nothing acknowledged. The SHA-256
// is computed as the bytes arrive (its state is saved with the offset); on
// completion the file moves to blobs/HH/SHA256, named by its content, so
// the same content is stored once. Then a file message is appended to the
// conversation through storage, which delivers it like any message.
//
// On S3 (Config.S3, files in cluster mode) finished files are objects
// named by their SHA-256 and an upload is a multipart upload whose state
// is in the database, so any node continues it: s3.go. Finished files are
// read and written through blobstore.Store on both.
//
// files must not let anything a client sends reach a file system path:
// upload and file IDs are generated here and checked against their exact
// form before use, blob names are hashes computed here, and display names
// are sanitised (proto.SafeName) and never used as paths. It must not
// hold a file in memory: bodies stream through fixed buffers.
package files

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"parley/net/proto"
	"parley/server/files/blobstore"
	"parley/server/storage"
	"parley/server/thumbs"
)

// Defaults of Config.
const (
	DefaultMaxFileSize = 4 << 30
	DefaultChunkSize   = 16 << 20
	DefaultExpireAfter = 24 * time.Hour
	DefaultIdleTimeout = time.Minute
)

// Store is what the files service needs of storage: its own state, and
// who a user is and whether they are in a conversation.
type Store interface {
	storage.Files
	User(ctx context.Context, id proto.UserID) (proto.User, error)
	IsMember(ctx context.Context, conv proto.ConvID, user proto.UserID) (bool, error)
}

// Config configures a Service. DB, Authenticate and Dir are required.
type Config struct {
	DB Store
	// Authenticate returns the user of a session token (hub.Authenticate).
	Authenticate func(ctx context.Context, token string) (proto.User, error)
	// Direct opens the direct conversation of a file sent to a user and
	// tells both people if it is new (hub.Direct).
	Direct func(ctx context.Context, me proto.User, peer proto.UserID) (proto.Conversation, error)
	// Dir is the files folder (blobs and partial uploads), inside the data
	// folder.
	Dir string
	// S3, if set, holds the blobs and unfinished uploads instead of Dir
	// (files in cluster mode: every node of the cluster uses the same
	// bucket and database). Dir then holds only the bodies of PATCH
	// requests being received.
	S3 *blobstore.S3
	// MaxFileSize refuses bigger files when an upload is created (0:
	// DefaultMaxFileSize).
	MaxFileSize int64
	// Quota bounds the bytes each user has shared or is uploading (0: no
	// quota).
	Quota int64
	// ChunkSize is the PATCH size suggested to clients (0: DefaultChunkSize).
	ChunkSize int64
	// ExpireAfter deletes an unfinished upload that received nothing for
	// that long (0: DefaultExpireAfter). SweepEvery is how often (0: an
	// hour or ExpireAfter/4, whichever is less; < 0: never, tests call
	// Expire).
	ExpireAfter, SweepEvery time.Duration
	// IdleTimeout ends a PATCH whose body stalls that long (0:
	// DefaultIdleTimeout), so a dead client does not hold its upload.
	IdleTimeout time.Duration
	// MaxImagePixels is the most pixels (width × height, read from the
	// header) of a picture the server decodes to make thumbnails (0:
	// thumbs.DefaultMaxPixels); a bigger one stays a plain file.
	MaxImagePixels int64
	Now            func() time.Time
	Logger         *slog.Logger
}

// Service is the file endpoints. It is an http.Handler for /v1/files and
// everything below it. All methods are safe for concurrent use.
type Service struct {
	cfg   Config
	db    Store
	log   *slog.Logger
	now   func() time.Time
	mux   *http.ServeMux
	locks locks

	uploadsDir, blobsDir string
	disk                 blobstore.Disk  // the blobs on the local disk
	blobs                blobstore.Store // where blobs are: disk or s3
	s3                   *blobstore.S3   // nil: on the local disk

	stop chan struct{}
	wg   sync.WaitGroup

	thumbs *thumbs.Thumbnailer // every picture decoded (images.go, picture.go)
}

// New prepares the files folder, finishes uploads that a crash left
// verified but unpublished, removes partial files without a record, and
// starts the expiry sweep.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.DB == nil || cfg.Authenticate == nil || cfg.Direct == nil || cfg.Dir == "" {
		return nil, errors.New("files: DB, Authenticate, Direct and Dir are required")
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = DefaultMaxFileSize
	}
	if cfg.ChunkSize <= 0 {
		cfg.ChunkSize = DefaultChunkSize
	}
	if cfg.ExpireAfter <= 0 {
		cfg.ExpireAfter = DefaultExpireAfter
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = min(time.Hour, cfg.ExpireAfter/4)
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{
		cfg: cfg, db: cfg.DB, log: cfg.Logger, now: cfg.Now,
		uploadsDir: filepath.Join(cfg.Dir, "uploads"),
		blobsDir:   filepath.Join(cfg.Dir, "blobs"),
		stop:       make(chan struct{}),
		thumbs:     thumbs.New(thumbs.Config{MaxPixels: cfg.MaxImagePixels}),
		s3:         cfg.S3,
	}
	s.disk = blobstore.Disk{Dir: s.blobsDir, Temp: s.uploadsDir}
	s.blobs = s.disk
	if s.s3 != nil {
		s.blobs = s.s3
	}
	for _, dir := range []string{s.uploadsDir, s.blobsDir} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("files: create %s: %w", dir, err)
		}
	}
	if err := s.recoverUploads(ctx); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET "+proto.FilesPath, s.authed(s.limits))
	s.mux.HandleFunc("POST "+proto.UploadsPath, s.authed(s.create))
	s.mux.HandleFunc("HEAD "+proto.UploadsPath+"/{id}", s.authed(s.head))
	s.mux.HandleFunc("PATCH "+proto.UploadsPath+"/{id}", s.authed(s.patch))
	s.mux.HandleFunc("DELETE "+proto.UploadsPath+"/{id}", s.authed(s.abort))
	s.mux.HandleFunc("GET "+proto.FilesPath+"/{id}", s.authed(s.download))
	if cfg.SweepEvery > 0 {
		s.wg.Add(1)
		go s.sweep(cfg.SweepEvery)
	}
	return s, nil
}

// Close stops the expiry sweep.
func (s *Service) Close() error {
	close(s.stop)
	s.wg.Wait()
	return nil
}

func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

type handler func(w http.ResponseWriter, r *http.Request, user proto.User) error

// authed authenticates a request and turns a handler's error into a
// response: a *proto.Error with its status, anything else as internal.
func (s *Service) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		user, err := s.authenticate(r)
		if err == nil {
			err = h(w, r, user)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	}
}

func (s *Service) authenticate(r *http.Request) (proto.User, error) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return proto.User{}, proto.Errorf(proto.CodeUnauthenticated, "send the session token: Authorization: Bearer TOKEN")
	}
	return s.cfg.Authenticate(r.Context(), strings.TrimSpace(token))
}

// statusOf maps an error code to its HTTP status.
func statusOf(code proto.Code) int {
	switch code {
	case proto.CodeUnauthenticated, proto.CodeBadToken:
		return http.StatusUnauthorized
	case proto.CodeNotMember, proto.CodeNotAdmin, proto.CodeAccountDeleted, proto.CodeNotAccepted:
		return http.StatusForbidden
	case proto.CodeNoSuchUpload, proto.CodeNoSuchFile, proto.CodeNoSuchConv, proto.CodeNoSuchUser:
		return http.StatusNotFound
	case proto.CodeTooLarge, proto.CodeImageTooLarge:
		return http.StatusRequestEntityTooLarge
	case proto.CodeQuotaExceeded, proto.CodeNoSpace:
		return http.StatusInsufficientStorage
	case proto.CodeOffsetMismatch:
		return http.StatusConflict
	case proto.CodeChecksumMismatch:
		return proto.StatusChecksumMismatch
	case proto.CodeHashMismatch, proto.CodeNotAnImage:
		return http.StatusUnprocessableEntity
	case proto.CodeUnavailable:
		return http.StatusServiceUnavailable
	case proto.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *proto.Error
	switch {
	case errors.As(err, &e):
	case errors.Is(err, syscall.ENOSPC):
		e = proto.Errorf(proto.CodeNoSpace, "the server's disk is full")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e = proto.Errorf(proto.CodeUnavailable, "the request was cancelled")
	default:
		s.log.Error("files request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		e = proto.Errorf(proto.CodeInternal, "internal error")
	}
	writeJSON(w, statusOf(e.Code), e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// setResult puts what a completed upload published in its answer: the
// file message, or for a picture upload (no conversation) the file.
func setResult(info *proto.UploadInfo, m proto.Message) {
	if m.Conv == 0 {
		info.File = m.File
		return
	}
	info.Message = &m
}

func (s *Service) limits(w http.ResponseWriter, r *http.Request, user proto.User) error {
	used, err := s.db.UsedBytes(r.Context(), user.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, proto.Limits{MaxSize: s.cfg.MaxFileSize, Quota: s.cfg.Quota, Used: used, ChunkSize: s.cfg.ChunkSize})
	return nil
}

// newID returns a fresh upload or file ID: 128 random bits in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validID reports whether id has exactly the form newID makes. Nothing
// else is ever joined to a path.
func validID(id string) bool {
	return len(id) == 32 && isLowerHex(id)
}

func validSHA256(h string) bool { return len(h) == 64 && isLowerHex(h) }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func (s *Service) partPath(id string) string { return filepath.Join(s.uploadsDir, id+".part") }

// locks serialises the requests on one upload. A lock can be waited for
// with a context.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	ch   chan struct{}
	refs int
}

func (l *locks) entry(id string) *lockEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*lockEntry{}
	}
	e := l.m[id]
	if e == nil {
		e = &lockEntry{ch: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.refs++
	return e
}

func (l *locks) release(id string, e *lockEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, id)
	}
}

// lock waits for the lock of id; the returned function unlocks it.
func (l *locks) lock(ctx context.Context, id string) (func(), error) {
	e := l.entry(id)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; l.release(id, e) }, nil
	case <-ctx.Done():
		l.release(id, e)
		return nil, ctx.Err()
	}
}

// tryLock takes the lock of id if it is free.
func (l *locks) tryLock(id string) (func(), bool) {
	e := l.entry(id)
	select {
	case e.ch <- struct{}{}:
		return func() { <-e.ch; l.release(id, e) }, true
	default:
		l.release(id, e)
		return nil, false
	}
}
