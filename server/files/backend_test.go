package files_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"parley/server/files/blobstore"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// backend is where a test server keeps its files: the local disk (s3
// nil) or a bucket of a real S3 server (versitygw, servicetest.S3).
type backend struct {
	s3     *blobstore.Config
	client *minio.Client
}

// onBoth runs test with files on the local disk and with files on S3.
func onBoth(t *testing.T, test func(t *testing.T, b *backend)) {
	t.Run("disk", func(t *testing.T) { test(t, &backend{}) })
	t.Run("s3", func(t *testing.T) { test(t, newS3Backend(t, "")) })
}

// newS3Backend starts an S3 server with an empty bucket; keys go under
// prefix.
func newS3Backend(t *testing.T, prefix string) *backend {
	t.Helper()
	endpoint, access, secret, bucket := servicetest.S3(t)
	c := &blobstore.Config{Endpoint: endpoint, Bucket: bucket, Prefix: prefix, AccessKey: access, SecretKey: secret}
	client, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	return &backend{s3: c, client: client}
}

// start starts a server with its files on b.
func (b *backend) start(t *testing.T, opts ...nodetest.Option) *nodetest.Server {
	t.Helper()
	if b.s3 != nil {
		opts = append(opts, nodetest.WithConfig(func(c *node.Config) { c.S3 = b.s3 }))
	}
	return nodetest.Start(t, opts...)
}

// objects lists the keys in the bucket under the prefix, without it,
// that begin with under.
func (b *backend) objects(t *testing.T, under string) []string {
	t.Helper()
	var keys []string
	for o := range b.client.ListObjects(context.Background(), b.s3.Bucket, minio.ListObjectsOptions{Prefix: b.s3.Prefix + under, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, strings.TrimPrefix(o.Key, b.s3.Prefix))
	}
	return keys
}

// multiparts counts the multipart uploads in progress in the bucket.
func (b *backend) multiparts(t *testing.T) int {
	t.Helper()
	n := 0
	for u := range b.client.ListIncompleteUploads(context.Background(), b.s3.Bucket, b.s3.Prefix, true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		n++
	}
	return n
}

// blobs counts the blobs srv stores.
func (b *backend) blobs(t *testing.T, srv *nodetest.Server) int {
	t.Helper()
	if b.s3 == nil {
		return countFiles(t, filepath.Join(srv.Dir, "files", "blobs"))
	}
	return len(b.objects(t, "blobs/"))
}

// hasBlob reports whether srv stores blob sha.
func (b *backend) hasBlob(t *testing.T, srv *nodetest.Server, sha string) bool {
	t.Helper()
	if b.s3 == nil {
		_, err := os.Stat(filepath.Join(srv.Dir, "files", "blobs", sha[:2], sha))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	_, err := b.client.StatObject(context.Background(), b.s3.Bucket, b.s3.Prefix+"blobs/"+sha[:2]+"/"+sha, minio.StatObjectOptions{})
	if err != nil && minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		t.Fatal(err)
	}
	return err == nil
}

// leftovers counts what unfinished uploads left: files in srv's files
// folder (partial uploads on the disk; blobs too), and on S3 the chunk
// objects and multipart uploads in progress.
func (b *backend) leftovers(t *testing.T, srv *nodetest.Server) int {
	t.Helper()
	n := countFiles(t, filepath.Join(srv.Dir, "files"))
	if b.s3 != nil {
		n += len(b.objects(t, "uploads/")) + b.multiparts(t)
	}
	return n
}
