package files_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/files"
	"parley/server/files/blobstore"
	"parley/server/internal/servicetest"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/storage"

	"github.com/minio/minio-go/v7"
)

const mib = 1 << 20

// secondNode starts another files service on srv's database and b's
// bucket, with a files folder of its own: a second node of a cluster
// (srv's *storage.DB stands for the shared database). It returns the
// service, its address and its files folder.
func secondNode(t *testing.T, srv *nodetest.Server, b *backend) (svc *files.Service, url, dir string) {
	t.Helper()
	ctx := context.Background()
	s3, err := blobstore.OpenS3(ctx, *b.s3)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Node.Hub()
	dir = filepath.Join(t.TempDir(), "files")
	svc, err = files.New(ctx, files.Config{DB: srv.Node.DB(), Authenticate: h.Authenticate, Direct: h.Direct, Dir: dir, S3: s3, SweepEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(svc)
	t.Cleanup(func() {
		hs.Close()
		svc.Close()
	})
	return svc, hs.URL, dir
}

// via is p talking to the files service at url.
func (p *person) via(url string) *person {
	return &person{User: p.User, srv: &nodetest.Server{HTTPURL: url}}
}

func (p *person) download(t *testing.T, id string) []byte {
	t.Helper()
	r := p.request(t, http.MethodGet, proto.FilesPath+"/"+id, nil)
	if r.status != http.StatusOK {
		t.Fatalf("download %s through %s: %d %s", id, p.srv.HTTPURL, r.status, r.body)
	}
	return r.body
}

func completion(t *testing.T, r reply) proto.UploadInfo {
	t.Helper()
	var done proto.UploadInfo
	if r.status != http.StatusOK || json.Unmarshal(r.body, &done) != nil || done.Message == nil {
		t.Fatalf("completion: %d %s", r.status, r.body)
	}
	return done
}

// PATCHes under S3's minimum part wait in the bucket as chunk objects
// until, with the next, they make a part; a PATCH of at least the
// minimum is a part; the last completes the multipart upload into the
// blob's key, under the configured prefix, and nothing else stays.
func TestS3UploadInPatchesOfMixedSizes(t *testing.T) {
	b := newS3Backend(t, "parley/")
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(14*mib+12345, 21)
	info, _ := li.create(t, proto.CreateRequest{Name: "big.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	steps := []struct {
		size   int
		parts  []int64 // sizes of the parts after it
		chunks int
	}{
		{1 * mib, nil, 1},                       // under the minimum: a chunk object
		{5 * mib, []int64{6 * mib}, 0},          // with the chunk: the first part
		{7 * mib, []int64{6 * mib, 7 * mib}, 0}, // a part of its own
	}
	off := 0
	for _, st := range steps {
		if r := li.patch(t, info.ID, int64(off), data[off:off+st.size]); r.status != http.StatusNoContent || r.offset(t) != int64(off+st.size) {
			t.Fatalf("patch of %d at %d: %d %s", st.size, off, r.status, r.body)
		}
		off += st.size
		u, err := srv.Node.DB().Upload(context.Background(), info.ID)
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int64
		for _, p := range u.Parts {
			sizes = append(sizes, p.Size)
		}
		if !slices.Equal(sizes, st.parts) || len(u.Chunks) != st.chunks || len(b.objects(t, "uploads/")) != st.chunks || u.Multipart == "" != (len(st.parts) == 0) {
			t.Fatalf("after %d bytes: parts %v, %d chunks, %d chunk objects, multipart %q; want parts %v, %d chunks",
				off, sizes, len(u.Chunks), len(b.objects(t, "uploads/")), u.Multipart, st.parts, st.chunks)
		}
	}
	done := completion(t, li.patch(t, info.ID, int64(off), data[off:]))
	if got := li.download(t, done.Message.File.ID); !bytes.Equal(got, data) {
		t.Fatalf("the download differs: %d bytes", len(got))
	}
	s := sha(data)
	if keys := b.objects(t, ""); !slices.Equal(keys, []string{"blobs/" + s[:2] + "/" + s}) {
		t.Fatalf("objects in the bucket under the prefix: %v", keys)
	}
	if n := b.multiparts(t); n != 0 {
		t.Fatalf("%d multipart uploads left", n)
	}
	if n := countFiles(t, filepath.Join(srv.Dir, "files")); n != 0 {
		t.Fatalf("%d files in the node's files folder", n)
	}
}

// An upload begun through one node continues through another: its
// parts, chunks and hash state are in the database and the bucket.
func TestS3UploadContinuesThroughAnotherNode(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	_, other, otherDir := secondNode(t, srv, b)
	data := randomBytes(9*mib+777, 22)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:6*mib])          // a part
	li.patch(t, info.ID, 6*mib, data[6*mib:7*mib]) // a chunk

	liB := li.via(other)
	if off := liB.head(t, info.ID).offset(t); off != 7*mib {
		t.Fatalf("offset through the other node = %d, want %d", off, 7*mib)
	}
	if r := liB.patch(t, info.ID, 0, data[:mib]); r.status != http.StatusConflict || r.offset(t) != 7*mib {
		t.Fatalf("a stale offset through the other node: %d %s", r.status, r.body)
	}
	done := completion(t, liB.patch(t, info.ID, 7*mib, data[7*mib:]))
	if got := wang.nextFile(t); got.Seq != done.Message.Seq {
		t.Fatalf("Wang got %+v, want %+v", got, done.Message)
	}
	for _, p := range []*person{wang, wang.via(other)} {
		if got := p.download(t, done.Message.File.ID); !bytes.Equal(got, data) {
			t.Fatalf("the download through %s differs", p.srv.HTTPURL)
		}
	}
	if n := countFiles(t, otherDir); n != 0 {
		t.Fatalf("%d files left in the other node's folder", n)
	}
}

// Two nodes take PATCHes of one upload at one offset at once: one is
// stored, the others are told the new offset, and the file is right.
func TestS3NodesRacingOnOneUpload(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	_, other, _ := secondNode(t, srv, b)
	data := randomBytes(8*mib, 23)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	// Through each node, a body that makes a part and one that is a chunk.
	type try struct {
		p    *person
		size int
	}
	tries := []try{{li, 6 * mib}, {li, mib}, {li.via(other), 6 * mib}, {li.via(other), mib}}
	replies := make([]reply, len(tries))
	var wg sync.WaitGroup
	for i, tr := range tries {
		wg.Go(func() { replies[i] = tr.p.patch(t, info.ID, 0, data[:tr.size]) })
	}
	wg.Wait()
	won := -1
	for i, r := range replies {
		if r.status == http.StatusNoContent {
			if won >= 0 {
				t.Fatalf("two PATCHes at offset 0 were stored: %d and %d", won, i)
			}
			won = i
		}
	}
	if won < 0 {
		t.Fatalf("no PATCH was stored: %+v", replies)
	}
	end := int64(tries[won].size)
	for i, r := range replies {
		if i != won && (r.status != http.StatusConflict || r.code() != proto.CodeOffsetMismatch || r.offset(t) != end) {
			t.Fatalf("PATCH %d lost the race: %d %s, offset %q; want 409 at %d", i, r.status, r.body, r.header.Get(proto.HeaderOffset), end)
		}
	}
	done := completion(t, tries[(won+2)%4].p.patch(t, info.ID, end, data[end:]))
	if got := li.download(t, done.Message.File.ID); !bytes.Equal(got, data) {
		t.Fatal("the file differs after the race")
	}
	if n := b.multiparts(t); n != 0 {
		t.Fatalf("%d multipart uploads left", n)
	}
}

// The same content uploaded again is stored once: its multipart upload is
// aborted, its chunks removed.
func TestS3SameContentTwiceIsOneObject(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	data := randomBytes(6*mib+1, 24)
	first := li.upload(t, conv, "a.bin", data, mib)
	second := wang.upload(t, conv, "b.bin", data, 3*mib)
	if n, left := b.blobs(t, srv), len(b.objects(t, "uploads/"))+b.multiparts(t); n != 1 || left != 0 {
		t.Fatalf("%d blobs, %d chunk objects and multipart uploads; want 1 and 0", n, left)
	}
	for _, id := range []string{first.Message.File.ID, second.Message.File.ID} {
		if !bytes.Equal(li.download(t, id), data) {
			t.Fatalf("download %s differs", id)
		}
	}
}

// Two whole nodes on one PostgreSQL database and one bucket: an upload
// begun through one is finished through the other, and each serves the
// file.
func TestS3UploadAcrossNodesOnPostgreSQL(t *testing.T) {
	dsn := servicetest.PostgreSQL(t)
	b := newS3Backend(t, "")
	onPG := nodetest.WithConfig(func(c *node.Config) { c.DB = dsn })
	a := b.start(t, onPG)
	c := b.start(t, onPG)
	li := login(t, a, "Li")
	conv := group(t, li)
	data := randomBytes(5*mib+3*mib/2, 25)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	if r := li.patch(t, info.ID, 0, data[:mib]); r.status != http.StatusNoContent {
		t.Fatalf("first PATCH: %d %s", r.status, r.body)
	}
	liC := li.via(c.HTTPURL)
	done := completion(t, liC.patch(t, info.ID, mib, data[mib:]))
	for _, p := range []*person{li, liC} {
		if !bytes.Equal(p.download(t, done.Message.File.ID), data) {
			t.Fatalf("the download through %s differs", p.srv.HTTPURL)
		}
	}
	if u, err := c.Node.DB().Upload(context.Background(), info.ID); err != nil || u.State != storage.UploadDone {
		t.Fatalf("the upload in the database: %+v %v", u, err)
	}
}

// A node that dies holding an upload's claim blocks it until the claim
// lapses: meanwhile a PATCH through another node waits and is not
// acknowledged; after, the upload continues.
func TestS3AClaimOfADeadNodeLapses(t *testing.T) {
	clock := nodetest.NewClock(time.Now())
	b := newS3Backend(t, "")
	srv := b.start(t, nodetest.WithConfig(func(c *node.Config) { c.Now = clock.Now }))
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(2*mib, 26)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	if ok, err := srv.Node.DB().ClaimUpload(context.Background(), info.ID, 0, "a node that died", time.Minute); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}

	// A client that gives up waiting: its PATCH was not acknowledged.
	req, err := http.NewRequest(http.MethodPatch, srv.HTTPURL+proto.UploadsPath+"/"+info.ID, bytes.NewReader(data[:mib]))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+li.Token)
	req.Header.Set(proto.HeaderOffset, "0")
	impatient := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a PATCH under another node's claim was answered %d", resp.StatusCode)
	}
	// Once the claim lapses the upload goes on (the PATCH the client gave
	// up on may have been stored then: the offset says).
	clock.Advance(2 * time.Minute)
	off := li.head(t, info.ID).offset(t)
	if off != 0 && off != mib {
		t.Fatalf("offset after the claim lapsed = %d", off)
	}
	if off == 0 {
		li.patch(t, info.ID, 0, data[:mib])
	}
	done := completion(t, li.patch(t, info.ID, mib, data[mib:]))
	if !bytes.Equal(li.download(t, done.Message.File.ID), data) {
		t.Fatal("the file differs")
	}
}

// A blob's lock is the cluster's: while another node holds it (placing
// or publishing the same content), a release through this node waits
// and removes nothing; then the release goes through.
func TestS3ReleaseWaitsForAnotherNodesBlobLock(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	svc, _, _ := secondNode(t, srv, b)
	ctx := context.Background()
	data := []byte("an unreferenced blob")
	s := sha(data)
	if _, err := b.client.PutObject(ctx, b.s3.Bucket, "blobs/"+s[:2]+"/"+s, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	db := srv.Node.DB()
	if ok, err := db.LockBlob(ctx, s, "another node", time.Minute); err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	waiting, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	svc.ReleaseBlob(waiting, s)
	if !b.hasBlob(t, srv, s) {
		t.Fatal("the blob was removed under another node's lock")
	}
	if err := db.UnlockBlob(ctx, s, "another node"); err != nil {
		t.Fatal(err)
	}
	svc.ReleaseBlob(ctx, s)
	if b.hasBlob(t, srv, s) {
		t.Fatal("the unreferenced blob stayed after its release")
	}
}

// Chunk objects of an upload that has no record (cancelled while a PATCH
// was storing one) are removed when a node starts; a live upload's stay.
func TestS3OrphanedChunksGoAtStart(t *testing.T) {
	b := newS3Backend(t, "p/")
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(2*mib, 27)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:mib]) // a chunk
	orphan := "uploads/" + strings.Repeat("0", 32) + "/" + strings.Repeat("1", 32)
	if _, err := b.client.PutObject(context.Background(), b.s3.Bucket, b.s3.Prefix+orphan, bytes.NewReader([]byte("x")), 1, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(b.objects(t, "uploads/")); n != 2 {
		t.Fatalf("%d chunk objects before the restart, want 2", n)
	}

	srv.Restart(t)

	if keys := b.objects(t, "uploads/"); len(keys) != 1 || strings.HasPrefix(keys[0], orphan[:40]) {
		t.Fatalf("chunk objects after the restart: %v", keys)
	}
	done := completion(t, li.patch(t, info.ID, mib, data[mib:]))
	if !bytes.Equal(li.download(t, done.Message.File.ID), data) {
		t.Fatal("the file differs")
	}
}

// Many small PATCHes do not make a long list of chunks: past 64, the
// next folds them all into one chunk object.
func TestS3ManySmallPatchesKeepAShortChunkList(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	const small, count = 4096, 70
	data := randomBytes(small*count+1000, 28)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	for i := range count {
		if r := li.patch(t, info.ID, int64(i*small), data[i*small:(i+1)*small]); r.status != http.StatusNoContent {
			t.Fatalf("patch %d: %d %s", i, r.status, r.body)
		}
	}
	u, err := srv.Node.DB().Upload(context.Background(), info.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 64 chunks, then the 65th folds them into one: 1 + 5 after 70.
	if len(u.Chunks) != 6 || u.Chunks[0].Size != 65*small || len(b.objects(t, "uploads/")) != 6 || u.Multipart != "" {
		t.Fatalf("after %d small PATCHes: chunks %+v, %d chunk objects", count, u.Chunks, len(b.objects(t, "uploads/")))
	}
	done := completion(t, li.patch(t, info.ID, small*count, data[small*count:]))
	if !bytes.Equal(li.download(t, done.Message.File.ID), data) {
		t.Fatal("the file differs")
	}
	if n := len(b.objects(t, "uploads/")) + b.multiparts(t); n != 0 {
		t.Fatalf("%d chunk objects and multipart uploads left", n)
	}
}

// A PATCH that folds the chunks into a part removes those chunks only:
// by then another node may have stored the upload's next chunk.
func TestS3FoldingRemovesOnlyTheFoldedChunks(t *testing.T) {
	b := newS3Backend(t, "")
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(8*mib, 29)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:mib]) // a chunk
	// What another node's next PATCH would have stored meanwhile.
	next := "uploads/" + info.ID + "/" + strings.Repeat("e", 32)
	if _, err := b.client.PutObject(context.Background(), b.s3.Bucket, next, bytes.NewReader([]byte("next")), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	li.patch(t, info.ID, mib, data[mib:6*mib]) // the chunk and this: a part
	if keys := b.objects(t, "uploads/"); !slices.Equal(keys, []string{next}) {
		t.Fatalf("chunk objects after the fold: %v, want only %s", keys, next)
	}
}

// A server that moves its files to S3 with an upload half sent on its
// disk tells the client to send that upload again from 0 (its bytes are
// not in the bucket), and the upload then completes right.
func TestS3AnUploadBegunOnTheDiskStartsOver(t *testing.T) {
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(3*mib, 30)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:mib])
	srv.Stop()

	b := newS3Backend(t, "")
	again := b.start(t, nodetest.WithConfig(func(c *node.Config) { c.DataDir = srv.Dir }))
	li = li.via(again.HTTPURL)
	if r := li.patch(t, info.ID, mib, data[mib:2*mib]); r.status != http.StatusConflict || r.offset(t) != 0 {
		t.Fatalf("PATCH after the move to S3: %d %s, offset %q; want 409 at 0", r.status, r.body, r.header.Get(proto.HeaderOffset))
	}
	if off := li.head(t, info.ID).offset(t); off != 0 {
		t.Fatalf("offset = %d, want 0", off)
	}
	li.patch(t, info.ID, 0, data[:2*mib])
	done := completion(t, li.patch(t, info.ID, 2*mib, data[2*mib:]))
	if !bytes.Equal(li.download(t, done.Message.File.ID), data) {
		t.Fatal("the file differs")
	}
}
