package files_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"parley/net/proto"
	"parley/server/files/blobstore"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// BenchmarkUpload64MiB uploads a 64 MiB file in PATCHes of 16 MiB (the
// default chunk size) over HTTP to a node on 127.0.0.1, with its files on
// the local disk or in versitygw on the same machine; each iteration's
// file has other content (no dedup). MB/s is the upload's throughput,
// create to completion, SHA-256 and publication included.
//
//	go test -run '^$' -bench Upload64MiB -benchtime 5x ./server/files/
func BenchmarkUpload64MiB(b *testing.B) {
	b.Run("disk", func(b *testing.B) { benchUpload(b, nil) })
	b.Run("s3", func(b *testing.B) {
		endpoint, access, secret, bucket := servicetest.S3(b)
		benchUpload(b, &blobstore.Config{Endpoint: endpoint, Bucket: bucket, AccessKey: access, SecretKey: secret})
	})
}

func benchUpload(b *testing.B, s3 *blobstore.Config) {
	const size, chunk = 64 << 20, 16 << 20
	srv := nodetest.Start(b, nodetest.WithConfig(func(c *node.Config) { c.S3 = s3; c.Synchronous = "FULL" }))
	li := srv.NewUser(b, "Li")
	conv := nodetest.Group(b, li, "bench")
	data := randomBytes(size, 64)
	do := func(method, path string, body []byte, header ...string) *http.Response {
		req, err := http.NewRequest(method, srv.HTTPURL+path, bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+li.Token)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		return resp
	}
	b.SetBytes(size)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		binary.BigEndian.PutUint64(data, uint64(i)) // other content each time
		sum := sha256.Sum256(data)
		cr, _ := json.Marshal(proto.CreateRequest{Name: "big.bin", Size: size, SHA256: hex.EncodeToString(sum[:]), Conv: conv})
		b.StartTimer()
		resp := do(http.MethodPost, proto.UploadsPath, cr)
		var info proto.UploadInfo
		json.NewDecoder(resp.Body).Decode(&info)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			b.Fatalf("create: %d", resp.StatusCode)
		}
		for off := 0; off < size; off += chunk {
			resp := do(http.MethodPatch, proto.UploadsPath+"/"+info.ID, data[off:off+chunk],
				proto.HeaderOffset, fmt.Sprint(off), "Content-Type", proto.ContentTypeChunk, proto.HeaderChecksum, crcOf(data[off:off+chunk]))
			resp.Body.Close()
			if want := map[bool]int{true: http.StatusOK, false: http.StatusNoContent}[off+chunk == size]; resp.StatusCode != want {
				b.Fatalf("patch at %d: %d", off, resp.StatusCode)
			}
		}
	}
}
