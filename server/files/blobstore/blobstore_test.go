package blobstore_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"testing"

	"parley/server/files/blobstore"
	"parley/server/internal/servicetest"
)

// Both stores keep a blob under its hash, read it from anywhere, say
// when it is absent (fs.ErrNotExist), and remove it (twice is no error).
func TestStoresKeepReadAndRemoveBlobs(t *testing.T) {
	stores := map[string]func(t *testing.T) blobstore.Store{
		"disk": func(t *testing.T) blobstore.Store { return blobstore.Disk{Dir: t.TempDir(), Temp: t.TempDir()} },
		"s3": func(t *testing.T) blobstore.Store {
			endpoint, access, secret, bucket := servicetest.S3(t)
			s, err := blobstore.OpenS3(context.Background(), blobstore.Config{Endpoint: endpoint, Bucket: bucket, Prefix: "x/", AccessKey: access, SecretKey: secret})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			data := []byte("0123456789 a blob of some bytes")
			sum := sha256.Sum256(data)
			sha := hex.EncodeToString(sum[:])
			if ok, err := st.Exists(ctx, sha); err != nil || ok {
				t.Fatalf("Exists before Put: %v %v", ok, err)
			}
			if _, err := st.Open(ctx, sha); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("Open of an absent blob: %v", err)
			}
			if err := st.Put(ctx, sha, data); err != nil {
				t.Fatal(err)
			}
			if ok, err := st.Exists(ctx, sha); err != nil || !ok {
				t.Fatalf("Exists after Put: %v %v", ok, err)
			}
			b, err := st.Open(ctx, sha)
			if err != nil {
				t.Fatal(err)
			}
			p := make([]byte, 4)
			if _, err := b.ReadAt(p, 10); err != nil || string(p) != " a b" {
				t.Fatalf("ReadAt: %q %v", p, err)
			}
			if _, err := b.Seek(26, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			if rest, err := io.ReadAll(b); err != nil || string(rest) != "bytes" {
				t.Fatalf("read after Seek: %q %v", rest, err)
			}
			b.Close()
			for range 2 {
				if err := st.Remove(ctx, sha); err != nil {
					t.Fatal(err)
				}
			}
			if ok, err := st.Exists(ctx, sha); err != nil || ok {
				t.Fatalf("Exists after Remove: %v %v", ok, err)
			}
		})
	}
}

func TestOpenS3RefusesAMissingBucket(t *testing.T) {
	endpoint, access, secret, _ := servicetest.S3(t)
	if _, err := blobstore.OpenS3(context.Background(), blobstore.Config{Endpoint: endpoint, Bucket: "no-such-bucket", AccessKey: access, SecretKey: secret}); err == nil {
		t.Fatal("no error for a bucket that does not exist")
	}
}
