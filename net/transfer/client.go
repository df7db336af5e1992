// Package transfer is Parley's file transfer over HTTP: the wire contract
// of the /v1/files endpoints (shared with the server) and a client that
// uploads and downloads files of any size, resumably and verified.
//
// Uploads follow tus 1.0: create (name, size, SHA-256, target), ask the
// offset with HEAD, PATCH the rest from there in chunks, each with a
// checksum; the server fsyncs every chunk before it acknowledges it, so a
// dropped connection, a server crash or an app restart costs at most the
// chunk in flight. Downloads use Range into a temporary file next to the
// destination, verified with SHA-256 before the final rename; where there
// is no file system (the browser), Receive streams a file, verified, into
// a writer the caller holds.
//
// Pause is cancelling the context of Upload or Download; resume is calling
// it again with the same *Upload or *Download (kept by the caller, for
// instance in the local store, through Hooks.Save); cancel is Abort for an
// upload and Discard for a download.
//
// An upload reads a file at a path, or a Source the caller holds (bytes
// in memory, where there is no file system: the browser). A path can be
// sent again after a restart; a Source only while the caller keeps it.
//
// transfer must not hold a file in memory (it streams through a few fixed
// buffers; a Source's bytes are the caller's), keep state of its own between calls, or know about the
// application: the caller decides what to persist and when to retry.
package transfer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"parley/net/proto"
)

// Defaults of Options.
const (
	DefaultChunkSize     = 16 << 20
	DefaultProgressEvery = 250 * time.Millisecond
)

// Options tune a Client. The zero value is ready to use.
type Options struct {
	// HTTP sends the requests (default: a client tuned for large bodies,
	// without an overall timeout: a transfer takes as long as it takes;
	// in the browser, the fetch API).
	HTTP *http.Client
	// ChunkSize is the bytes per PATCH (default DefaultChunkSize): at most
	// this much is sent again after an interruption.
	ChunkSize int64
	// ProgressEvery throttles Hooks.Progress (default
	// DefaultProgressEvery); the last report of a phase always comes.
	ProgressEvery time.Duration
	// Now is the clock for speed and time left.
	Now func() time.Time
	// BufferChunks reads each PATCH chunk into memory first and sends
	// its checksum as a header rather than as a trailer (always on in the
	// browser, whose fetch sends no trailers and reads a request body
	// whole before sending it anyway). Progress then moves a chunk at a
	// time, as the server acknowledges it.
	BufferChunks bool
}

// Hooks let the caller follow a transfer.
type Hooks struct {
	// Progress reports bytes done, speed and time left.
	Progress func(Progress)
	// Save is called whenever the *Upload or *Download changed in a way
	// worth keeping (an ID, a hash, a new acknowledged offset), so that it
	// can be persisted and the transfer resumed after a restart.
	Save func()
}

func (h Hooks) save() {
	if h.Save != nil {
		h.Save()
	}
}

// Client talks to the file endpoints of one server. Its methods may be
// called concurrently.
type Client struct {
	base  string // scheme://host[:port]
	token func() string
	hc    *http.Client
	opts  Options
}

// New returns a client for server (an address as a person types it:
// "http://host:port", "https://host" or "host:port"). token returns the
// session token for each request.
func New(server string, token func() string, opts Options) (*Client, error) {
	base, err := BaseURL(server)
	if err != nil {
		return nil, err
	}
	if opts.HTTP == nil {
		opts.HTTP = defaultHTTP()
	}
	if runtime.GOOS == "js" {
		opts.BufferChunks = true
	}
	if opts.ChunkSize <= 0 {
		opts.ChunkSize = DefaultChunkSize
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = DefaultProgressEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Client{base: base, token: token, hc: opts.HTTP, opts: opts}, nil
}

// BaseURL turns a server address as a person types it into the base URL
// of its HTTP endpoints, "http(s)://host[:port]".
func BaseURL(server string) (string, error) {
	s := strings.TrimSpace(server)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%q is not a server address", server)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "http"
	case "https", "wss":
		u.Scheme = "https"
	default:
		return "", fmt.Errorf("%q is not a server address", server)
	}
	return u.Scheme + "://" + u.Host, nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token())
	return req, nil
}

// do sends req and returns the response if its status is one of ok;
// otherwise the server's error (a *proto.Error) after closing the body.
func (c *Client) do(req *http.Request, ok ...int) (*http.Response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, &NetError{Op: req.Method + " " + req.URL.Path, Err: err}
	}
	for _, s := range ok {
		if resp.StatusCode == s {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	return nil, responseError(req, resp)
}

// responseError decodes the server's error body, or makes one from the
// status.
func responseError(req *http.Request, resp *http.Response) error {
	e := &proto.Error{}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(body, e) != nil || e.Code == "" {
		e = &proto.Error{Code: codeOfStatus(resp.StatusCode), Message: fmt.Sprintf("%s %s: %s", req.Method, req.URL.Path, resp.Status)}
	}
	return e
}

func codeOfStatus(status int) proto.Code {
	switch status {
	case http.StatusUnauthorized:
		return proto.CodeBadToken
	case http.StatusForbidden:
		return proto.CodeNotMember
	case http.StatusNotFound:
		return CodeNoSuchFile
	case http.StatusRequestEntityTooLarge:
		return proto.CodeTooLarge
	case http.StatusInsufficientStorage:
		return CodeNoSpace
	case StatusChecksumMismatch:
		return CodeChecksumMismatch
	case http.StatusConflict:
		return CodeOffsetMismatch
	case http.StatusBadRequest:
		return proto.CodeBadRequest
	}
	if status >= 500 {
		return proto.CodeUnavailable
	}
	return proto.CodeInternal
}

func decodeJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return &NetError{Op: "read reply", Err: err}
	}
	return nil
}

// Limits asks what the caller may upload.
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	req, err := c.newRequest(ctx, http.MethodGet, FilesPath, nil)
	if err != nil {
		return Limits{}, err
	}
	resp, err := c.do(req, http.StatusOK)
	if err != nil {
		return Limits{}, err
	}
	var l Limits
	return l, decodeJSON(resp, &l)
}

// Create creates an upload. A create retried with the same ClientID
// returns the same upload.
func (c *Client) Create(ctx context.Context, cr CreateRequest) (UploadInfo, error) {
	body, err := json.Marshal(cr)
	if err != nil {
		return UploadInfo{}, fmt.Errorf("encode create: %w", err)
	}
	req, err := c.newRequest(ctx, http.MethodPost, UploadsPath, bytes.NewReader(body))
	if err != nil {
		return UploadInfo{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.do(req, http.StatusCreated, http.StatusOK)
	if err != nil {
		return UploadInfo{}, err
	}
	var info UploadInfo
	return info, decodeJSON(resp, &info)
}

// Offset asks how many bytes of an upload the server holds safely.
func (c *Client) Offset(ctx context.Context, uploadID string) (int64, error) {
	req, err := c.newRequest(ctx, http.MethodHead, UploadsPath+"/"+url.PathEscape(uploadID), nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, &NetError{Op: "HEAD upload", Err: err}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		code := codeOfStatus(resp.StatusCode)
		if resp.StatusCode == http.StatusNotFound {
			code = CodeNoSuchUpload
		}
		return 0, &proto.Error{Code: code, Message: "HEAD upload: " + resp.Status}
	}
	return headerOffset(resp)
}

func headerOffset(resp *http.Response) (int64, error) {
	off, err := strconv.ParseInt(resp.Header.Get(HeaderOffset), 10, 64)
	if err != nil {
		return 0, &NetError{Op: "read " + HeaderOffset, Err: err}
	}
	return off, nil
}

// Abort cancels an upload on the server and deletes what it holds of it.
// An upload the server no longer has is not an error.
func (c *Client) Abort(ctx context.Context, uploadID string) error {
	req, err := c.newRequest(ctx, http.MethodDelete, UploadsPath+"/"+url.PathEscape(uploadID), nil)
	if err != nil {
		return err
	}
	resp, err := c.do(req, http.StatusNoContent)
	if proto.CodeOf(err) == CodeNoSuchUpload {
		return nil
	}
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// NetError is a failure to talk to the server at all (no connection, a
// connection cut, an unreadable reply): worth retrying later.
type NetError struct {
	Op  string
	Err error
}

func (e *NetError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *NetError) Unwrap() error { return e.Err }

// Errors about local files. They are wrapped with the path and the cause;
// match them with errors.Is.
var (
	ErrFileChanged = errors.New("the file changed while it was being sent")
	ErrFileMissing = errors.New("the file is not there any more")
	ErrPermission  = errors.New("no permission")
	ErrDiskFull    = errors.New("the disk is full")
	ErrCorrupt     = errors.New("the received file does not match its SHA-256")
)

// Temporary reports whether err is worth retrying as it is: the network,
// or a server that is unavailable or failed. Everything else needs the
// user (a changed file, a full disk, not a member, too large...).
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	var ne *NetError
	if errors.As(err, &ne) {
		return true
	}
	var pe *proto.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case proto.CodeUnavailable, proto.CodeInternal, proto.CodeRateLimited, CodeChecksumMismatch, CodeOffsetMismatch:
			return true
		}
	}
	return false
}
