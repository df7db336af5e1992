//go:build linux

package clustertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"

	"parley/net/proto"
)

const mib = 1 << 20

// A resumable upload outlives the node it started on: a member sends
// part of a file through node 0, which is killed (kill -9) with a PATCH
// body in flight; node 1 gives the offset the dead node acknowledged, the
// rest goes through node 1 and the file message is posted; a member on
// node 2 downloads the file there, byte for byte. The bytes are in the
// cluster's bucket, so any node can go on with an upload and serve the
// file.
func (c *cluster) testUploadAcrossKill(t *testing.T) {
	ctx := testContext(t)
	first, second, third := c.nodes[0], c.nodes[1], c.nodes[2]
	people := c.devices(t, "up", 3) // up<i> on node i
	g := group(t, "Files", people[0], people)
	a := newAcks()
	runSenders(ctx, t, people, 1, 3, a).wait()

	// 8 MiB: a PATCH of S3's minimum part size (5 MiB), which the node
	// sends as a part of a multipart upload, and one of 1 MiB, which
	// waits in the bucket as a chunk for the next; both acknowledged
	// before the kill.
	data := make([]byte, 8*mib)
	rand.NewChaCha8([32]byte{'u', 'p'}).Read(data)
	sum := sha256.Sum256(data)
	up := people[0]
	info, r := filesCall(ctx, t, first, up.token, http.MethodPost, proto.UploadsPath, jsonBody(t, proto.CreateRequest{
		Name: "across a kill.bin", Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Conv: g, ClientID: "up-file"}))
	if r.status != http.StatusCreated {
		t.Fatalf("create through node %d: %d %s", first.i, r.status, r.body)
	}
	acked := int64(0)
	for _, n := range []int64{5 * mib, 1 * mib} {
		_, r := filesCall(ctx, t, first, up.token, http.MethodPatch, proto.UploadsPath+"/"+info.ID, data[acked:acked+n], chunkHeaders(acked, data[acked:acked+n])...)
		if r.status != http.StatusNoContent || r.offset(t) != acked+n {
			t.Fatalf("PATCH %d bytes at %d through node %d: %d %s", n, acked, first.i, r.status, r.body)
		}
		acked += n
	}

	// A third PATCH is under way (its first MiB handed to the
	// connection, the rest never comes) when node 0 dies: none of it
	// may count.
	body, feed := io.Pipe()
	inFlight := make(chan error, 1)
	go func() {
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, first.httpURL()+proto.UploadsPath+"/"+info.ID, body)
		if err != nil {
			inFlight <- err
			return
		}
		req.ContentLength = int64(len(data)) - acked
		req.Header.Set("Authorization", "Bearer "+up.token)
		req.Header.Set(proto.HeaderOffset, strconv.FormatInt(acked, 10))
		req.Header.Set("Content-Type", proto.ContentTypeChunk)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %s", resp.Status)
		}
		inFlight <- err
	}()
	if _, err := feed.Write(data[acked : acked+mib]); err != nil {
		t.Fatalf("the PATCH in flight: %v", err)
	}
	first.kill(t)
	feed.Close()
	t.Logf("node %d killed with %d bytes acknowledged and a PATCH body in flight (%v)", first.i, acked, <-inFlight)

	_, r = filesCall(ctx, t, second, up.token, http.MethodHead, proto.UploadsPath+"/"+info.ID, nil)
	if r.status != http.StatusOK && r.status != http.StatusNoContent {
		t.Fatalf("HEAD through node %d: %d %s", second.i, r.status, r.body)
	}
	if off := r.offset(t); off != acked {
		t.Fatalf("node %d gives offset %d; node %d acknowledged %d", second.i, off, first.i, acked)
	}
	done, r := filesCall(ctx, t, second, up.token, http.MethodPatch, proto.UploadsPath+"/"+info.ID, data[acked:], chunkHeaders(acked, data[acked:])...)
	if r.status != http.StatusOK || done.Message == nil || done.Message.File == nil {
		t.Fatalf("the last PATCH through node %d: %d %s", second.i, r.status, r.body)
	}
	a.add(up.name, *done.Message)
	runSenders(ctx, t, people, 1, 3, a).wait()

	// The member on node 2 gets the file message and downloads the file
	// there.
	downloader := people[2]
	waitFor(ctx, t, downloader, done.Message.Seq)
	downloader.mu.Lock()
	m := downloader.msgs[done.Message.Seq]
	downloader.mu.Unlock()
	if m.Kind != proto.MsgFile || m.File == nil || m.File.SHA256 != hex.EncodeToString(sum[:]) || m.File.Size != int64(len(data)) {
		t.Fatalf("%s got %+v as the file message", downloader.name, m)
	}
	_, r = filesCall(ctx, t, third, downloader.token, http.MethodGet, proto.FilesPath+"/"+m.File.ID, nil)
	if r.status != http.StatusOK {
		t.Fatalf("download through node %d: %d %s", third.i, r.status, r.body)
	}
	if got := sha256.Sum256(r.body); got != sum || !bytes.Equal(r.body, data) {
		t.Fatalf("downloaded %d bytes through node %d, SHA-256 %x; uploaded %d, %x", len(r.body), third.i, got, len(data), sum)
	}
	t.Logf("%d bytes uploaded through node %d (%d before its kill) and node %d, downloaded through node %d: identical", len(data), first.i, acked, second.i, third.i)

	checkDelivered(ctx, t, g, a.byID, people[1], people)
	c.restart(first)
}

// reply is a file endpoint's answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// offset is the reply's Upload-Offset.
func (r reply) offset(t *testing.T) int64 {
	t.Helper()
	off, err := strconv.ParseInt(r.header.Get(proto.HeaderOffset), 10, 64)
	if err != nil {
		t.Fatalf("no %s in the reply %d %s", proto.HeaderOffset, r.status, r.body)
	}
	return off
}

// filesCall sends a request with token to nd's file endpoints, header
// holding names and values in turn, and decodes a successful JSON answer
// as an UploadInfo.
func filesCall(ctx context.Context, t *testing.T, nd *node, token, method, path string, body []byte, header ...string) (proto.UploadInfo, reply) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, nd.httpURL()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s through node %d: %v", method, path, nd.i, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s through node %d: %v", method, path, nd.i, err)
	}
	r := reply{resp.StatusCode, resp.Header, b}
	var info proto.UploadInfo
	if resp.StatusCode/100 == 2 && len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &info); err != nil {
			t.Fatalf("%s %s through node %d: %v in %s", method, path, nd.i, err, b)
		}
	}
	return info, r
}

// chunkHeaders are a PATCH's headers for chunk at offset, with its
// CRC-32C.
func chunkHeaders(offset int64, chunk []byte) []string {
	crc := crc32.Checksum(chunk, crc32.MakeTable(crc32.Castagnoli))
	return []string{proto.HeaderOffset, strconv.FormatInt(offset, 10), "Content-Type", proto.ContentTypeChunk,
		proto.HeaderChecksum, proto.ChecksumCRC32C + " " + base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc))}
}

func jsonBody(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
