package blobstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3's limits on the parts of a multipart upload: every part but the last
// has at least MinPart bytes, none more than MaxPart, and an upload has at
// most MaxParts.
const (
	MinPart  = 5 << 20
	MaxPart  = 5 << 30
	MaxParts = 10000
)

// Config is where an S3 store keeps its objects.
type Config struct {
	Endpoint  string // host or host:port
	Secure    bool   // https
	Bucket    string
	Prefix    string // before every key: "" or ending in "/"
	Region    string // "": the server's default
	AccessKey string
	SecretKey string
}

// ParseURL reads an S3 address: http(s)://HOST[:PORT]/BUCKET[/PREFIX],
// with ?region=REGION optionally. The keys are not part of it (they come
// from the environment, not the command line that every user of the
// machine can read).
func ParseURL(s string) (Config, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Config{}, fmt.Errorf("s3 address: %w", err)
	}
	var c Config
	switch u.Scheme {
	case "https":
		c.Secure = true
	case "http":
	default:
		return Config{}, fmt.Errorf("s3 address %q: want http:// or https://", s)
	}
	if u.User != nil {
		return Config{}, errors.New("s3 address: give the keys in PARLEY_S3_ACCESS_KEY and PARLEY_S3_SECRET_KEY, not in the address")
	}
	c.Endpoint = u.Host
	path := strings.Trim(u.Path, "/")
	c.Bucket, c.Prefix, _ = strings.Cut(path, "/")
	if c.Prefix != "" {
		c.Prefix += "/"
	}
	c.Region = u.Query().Get("region")
	if c.Endpoint == "" || c.Bucket == "" {
		return Config{}, fmt.Errorf("s3 address %q: want http(s)://HOST[:PORT]/BUCKET[/PREFIX]", s)
	}
	return c, nil
}

// S3 is a Store in a bucket of an S3-compatible server, and the place of
// unfinished uploads there. Keys, under the configured prefix:
//
//	blobs/HH/SHA256       a finished file (HH: the hash's first two digits)
//	uploads/ID/CHUNK      bytes of upload ID not yet in a part
//
// An upload's multipart upload is made on its blob's key, so that
// completing it puts the file in place.
type S3 struct {
	core   *minio.Core
	bucket string
	prefix string
}

// OpenS3 connects to the store of c and checks that its bucket exists.
func OpenS3(ctx context.Context, c Config) (*S3, error) {
	core, err := minio.NewCore(c.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: c.Secure,
		Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("s3 %s: %w", c.Endpoint, err)
	}
	ok, err := core.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3 %s: bucket %s: %w", c.Endpoint, c.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3 %s: no bucket %s: create it first", c.Endpoint, c.Bucket)
	}
	return &S3{core: core, bucket: c.Bucket, prefix: c.Prefix}, nil
}

func (s *S3) blobKey(sha string) string { return s.prefix + "blobs/" + sha[:2] + "/" + sha }

func (s *S3) chunkKey(upload, chunk string) string {
	return s.prefix + "uploads/" + upload + "/" + chunk
}

func notFound(err error) bool {
	switch minio.ToErrorResponse(err).Code {
	case minio.NoSuchKey, "NotFound":
		return true
	}
	return false
}

func (s *S3) Open(ctx context.Context, sha string) (Blob, error) {
	o, err := s.core.Client.GetObject(ctx, s.bucket, s.blobKey(sha), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get blob %s: %w", sha, err)
	}
	// The first request: an absent blob is known now, not at the first read.
	if _, err := o.Stat(); err != nil {
		o.Close()
		if notFound(err) {
			return nil, fmt.Errorf("get blob %s: %w", sha, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("get blob %s: %w", sha, err)
	}
	return o, nil
}

func (s *S3) Exists(ctx context.Context, sha string) (bool, error) {
	_, err := s.core.StatObject(ctx, s.bucket, s.blobKey(sha), minio.StatObjectOptions{})
	switch {
	case err == nil:
		return true, nil
	case notFound(err):
		return false, nil
	}
	return false, fmt.Errorf("stat blob %s: %w", sha, err)
}

func (s *S3) Put(ctx context.Context, sha string, data []byte) error {
	if _, err := s.core.PutObject(ctx, s.bucket, s.blobKey(sha), bytes.NewReader(data), int64(len(data)), "", "", minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("put blob %s: %w", sha, err)
	}
	return nil
}

func (s *S3) Remove(ctx context.Context, sha string) error {
	if err := s.core.RemoveObject(ctx, s.bucket, s.blobKey(sha), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("remove blob %s: %w", sha, err)
	}
	return nil
}

// PutChunk stores size bytes of r as chunk of upload.
func (s *S3) PutChunk(ctx context.Context, upload, chunk string, r io.Reader, size int64) error {
	if _, err := s.core.PutObject(ctx, s.bucket, s.chunkKey(upload, chunk), r, size, "", "", minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("put chunk of upload %s: %w", upload, err)
	}
	return nil
}

// GetChunk reads chunk of upload.
func (s *S3) GetChunk(ctx context.Context, upload, chunk string) (io.ReadCloser, error) {
	o, _, _, err := s.core.GetObject(ctx, s.bucket, s.chunkKey(upload, chunk), minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("get chunk of upload %s: %w", upload, err)
	}
	return o, nil
}

// RemoveChunk deletes chunk of upload.
func (s *S3) RemoveChunk(ctx context.Context, upload, chunk string) error {
	if err := s.core.RemoveObject(ctx, s.bucket, s.chunkKey(upload, chunk), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return fmt.Errorf("remove chunk of upload %s: %w", upload, err)
	}
	return nil
}

// RemoveChunks deletes every chunk object of upload.
func (s *S3) RemoveChunks(ctx context.Context, upload string) error {
	prefix := s.chunkKey(upload, "")
	var errs []error
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return fmt.Errorf("list chunks of upload %s: %w", upload, o.Err)
		}
		if err := s.core.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
			errs = append(errs, fmt.Errorf("remove chunk of upload %s: %w", upload, err))
		}
	}
	return errors.Join(errs...)
}

// ChunkUploads lists the uploads that have chunk objects.
func (s *S3) ChunkUploads(ctx context.Context) ([]string, error) {
	prefix := s.prefix + "uploads/"
	var ids []string
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list uploads' chunks: %w", o.Err)
		}
		if id, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, prefix), "/"); ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// NewMultipart starts a multipart upload of blob sha and returns its ID.
func (s *S3) NewMultipart(ctx context.Context, sha string) (string, error) {
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, s.blobKey(sha), minio.PutObjectOptions{})
	if err != nil {
		return "", fmt.Errorf("start multipart upload of %s: %w", sha, err)
	}
	return id, nil
}

// UploadPart stores size bytes of r as part n of multipart upload id of
// blob sha and returns the part's ETag.
func (s *S3) UploadPart(ctx context.Context, sha, id string, n int, r io.Reader, size int64) (string, error) {
	p, err := s.core.PutObjectPart(ctx, s.bucket, s.blobKey(sha), id, n, r, size, minio.PutObjectPartOptions{})
	if err != nil {
		return "", fmt.Errorf("upload part %d of %s: %w", n, sha, err)
	}
	return p.ETag, nil
}

// Part is a stored part of a multipart upload.
type Part struct {
	N    int
	ETag string
}

// Complete joins the parts of multipart upload id into blob sha. If the
// upload is gone, but the blob is there (a completion that ran before),
// that is success.
func (s *S3) Complete(ctx context.Context, sha, id string, parts []Part) error {
	cp := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		cp[i] = minio.CompletePart{PartNumber: p.N, ETag: p.ETag}
	}
	_, err := s.core.CompleteMultipartUpload(ctx, s.bucket, s.blobKey(sha), id, cp, minio.PutObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code == minio.NoSuchUpload {
		if ok, serr := s.Exists(ctx, sha); serr == nil && ok {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("complete multipart upload of %s: %w", sha, err)
	}
	return nil
}

// Abort drops multipart upload id of blob sha and its parts; one that is
// gone already is not an error.
func (s *S3) Abort(ctx context.Context, sha, id string) error {
	err := s.core.AbortMultipartUpload(ctx, s.bucket, s.blobKey(sha), id)
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchUpload {
		return fmt.Errorf("abort multipart upload of %s: %w", sha, err)
	}
	return nil
}
