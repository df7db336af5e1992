//go:build linux

package servicetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// The S3 server's fixed test credentials and bucket.
const (
	s3AccessKey = "parley-test"
	s3SecretKey = "parley-test-secret"
	s3Bucket    = "parley-test"
)

// S3 starts a private S3-compatible server for t (versitygw over its posix
// backend, objects and their metadata in t's temporary directory) with one
// empty bucket, and returns how to reach it. endpoint is host:port, spoken
// over plain HTTP (minio.New's endpoint with Secure false); the region is
// us-east-1.
func S3(t testing.TB) (endpoint, accessKey, secretKey, bucket string) {
	t.Helper()
	s := ensureBuilt(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	// Object metadata goes in a sidecar directory rather than extended
	// attributes, which not every temporary file system has (tmpfs before
	// Linux 6.6, some overlays).
	meta := filepath.Join(dir, "meta")
	for _, d := range []string{root, meta} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatalf("servicetest: S3: %v", err)
		}
	}
	endpointFor := func(port int) string { return fmt.Sprintf("127.0.0.1:%d", port) }
	launch := func(port int) (*process, error) {
		return startProcess("versitygw", filepath.Join(dir, "versitygw.log"), nil, nil,
			s.versitygw, "--access", s3AccessKey, "--secret", s3SecretKey,
			"--port", endpointFor(port), "--quiet",
			"posix", "--sidecar", meta, root)
	}
	ready := func(port int) error {
		client, err := s3Client(endpointFor(port))
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err = client.ListBuckets(ctx)
		return err
	}
	port := startOnFreePort(t, os.Interrupt, launch, ready)

	client, err := s3Client(endpointFor(port))
	if err != nil {
		t.Fatalf("servicetest: S3: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := client.MakeBucket(ctx, s3Bucket, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("servicetest: S3: create bucket %s: %v", s3Bucket, err)
	}
	return endpointFor(port), s3AccessKey, s3SecretKey, s3Bucket
}

// s3Client is a client of the test server at endpoint.
func s3Client(endpoint string) (*minio.Client, error) {
	return minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(s3AccessKey, s3SecretKey, "")})
}
