package files_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/files"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/storage"
)

func TestUploadedFileReachesEveryMemberAndDownloadsWithRange(t *testing.T) {
	onBoth(t, testUploadedFileReachesEveryMemberAndDownloadsWithRange)
}

func testUploadedFileReachesEveryMemberAndDownloadsWithRange(t *testing.T, b *backend) {
	srv := b.start(t)
	li, wang, zhao := login(t, srv, "李华"), login(t, srv, "Wang"), login(t, srv, "Zhao")
	conv := group(t, li, wang, zhao)
	data := randomBytes(3<<20+12345, 1)

	done := li.upload(t, conv, "report.pdf", data, 1<<20)

	f := done.Message.File
	if f == nil || f.Name != "report.pdf" || f.Size != int64(len(data)) || f.SHA256 != sha(data) || done.Message.Sender != li.ID {
		t.Fatalf("completion message = %+v, file %+v", done.Message, f)
	}
	for _, p := range []*person{wang, zhao, li} {
		if got := p.nextFile(t); got.Seq != done.Message.Seq || got.File == nil || *got.File != *f {
			t.Errorf("%s got push %+v, want the file message %+v", p.Name, got, done.Message)
		}
	}
	// Members who were offline get it from history like any message.
	if ms := fileMessages(wang.history(t, conv)); len(ms) != 1 || ms[0].File == nil || *ms[0].File != *f || ms[0].SenderName != "李华" {
		t.Fatalf("history file messages = %+v", ms)
	}

	whole := wang.request(t, http.MethodGet, proto.FilesPath+"/"+f.ID, nil)
	if whole.status != http.StatusOK || !bytes.Equal(whole.body, data) {
		t.Fatalf("download: %d, %d bytes, equal=%v", whole.status, len(whole.body), bytes.Equal(whole.body, data))
	}
	if cd := whole.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "report.pdf") {
		t.Errorf("Content-Disposition = %q", cd)
	}
	if ct := whole.header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type = %q, want application/octet-stream", ct)
	}
	part := zhao.request(t, http.MethodGet, proto.FilesPath+"/"+f.ID, nil, "Range", "bytes=1000000-1000099", "If-Range", `"`+f.SHA256+`"`)
	if part.status != http.StatusPartialContent || !bytes.Equal(part.body, data[1000000:1000100]) {
		t.Fatalf("range download: %d, %q", part.status, part.header.Get("Content-Range"))
	}
}

func TestNonMemberCannotDownload(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang, outsider := login(t, srv, "Li"), login(t, srv, "Wang"), login(t, srv, "Outsider")
	conv := group(t, li, wang)
	done := li.upload(t, conv, "secret.txt", []byte("only for the group"), 1<<20)

	r := outsider.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil)
	if r.status != http.StatusForbidden || r.code() != proto.CodeNotMember || bytes.Contains(r.body, []byte("only for the group")) {
		t.Fatalf("outsider download: %d %s", r.status, r.body)
	}
	anonymous := &person{srv: srv}
	if r := anonymous.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("download without a token: %d %s", r.status, r.body)
	}
	forged := &person{srv: srv, User: nodetest.User{Token: "not-a-session"}}
	if r := forged.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil); r.status != http.StatusUnauthorized || r.code() != proto.CodeBadToken {
		t.Fatalf("download with a forged token: %d %s", r.status, r.body)
	}
	// Outsiders cannot post into the conversation either.
	_, c := outsider.create(t, proto.CreateRequest{Name: "x", Size: 1, SHA256: sha([]byte("x")), Conv: conv})
	if c.status != http.StatusForbidden || c.code() != proto.CodeNotMember {
		t.Fatalf("outsider create: %d %s", c.status, c.body)
	}
	// A member who leaves loses access.
	if err := wang.Conn.Leave(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	if r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil); r.status != http.StatusForbidden {
		t.Fatalf("download after leaving: %d %s", r.status, r.body)
	}
}

func TestCorruptChunkIsRejectedAndNotKept(t *testing.T) {
	onBoth(t, testCorruptChunkIsRejectedAndNotKept)
}

func testCorruptChunkIsRejectedAndNotKept(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(2<<20, 2)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	if r := li.patch(t, info.ID, 0, data[:1<<20]); r.status != http.StatusNoContent {
		t.Fatalf("first chunk: %d %s", r.status, r.body)
	}

	corrupt := bytes.Clone(data[1<<20:])
	corrupt[12345] ^= 0x40
	r := li.patch(t, info.ID, 1<<20, corrupt, proto.HeaderChecksum, crcOf(data[1<<20:]))
	if r.status != proto.StatusChecksumMismatch || r.code() != proto.CodeChecksumMismatch {
		t.Fatalf("corrupt chunk: %d %s", r.status, r.body)
	}
	if off := li.head(t, info.ID).offset(t); off != 1<<20 {
		t.Fatalf("offset after a corrupt chunk = %d, want %d: nothing of it kept", off, 1<<20)
	}
	// A SHA-256 chunk checksum is checked too.
	shaSum := sha(data[1<<20:])
	r = li.patch(t, info.ID, 1<<20, corrupt, proto.HeaderChecksum, proto.ChecksumSHA256+" "+b64hex(shaSum))
	if r.status != proto.StatusChecksumMismatch {
		t.Fatalf("corrupt chunk with sha256 checksum: %d %s", r.status, r.body)
	}
	if ms := fileMessages(li.history(t, conv)); len(ms) != 0 {
		t.Fatalf("a file message appeared: %+v", ms)
	}
	if r := li.patch(t, info.ID, 1<<20, data[1<<20:]); r.status != http.StatusOK {
		t.Fatalf("good chunk: %d %s", r.status, r.body)
	}
	if ms := fileMessages(li.history(t, conv)); len(ms) != 1 || ms[0].File.SHA256 != sha(data) {
		t.Fatalf("file messages = %+v", ms)
	}
}

func TestLyingFinalHashIsRejectedAndNothingReachesTheConversation(t *testing.T) {
	onBoth(t, testLyingFinalHashIsRejectedAndNothingReachesTheConversation)
}

func testLyingFinalHashIsRejectedAndNothingReachesTheConversation(t *testing.T, b *backend) {
	srv := b.start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	data := randomBytes(1<<20, 3)
	claimed := sha([]byte("something else"))
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: claimed, Conv: conv})
	before := li.history(t, conv)

	r := li.patch(t, info.ID, 0, data)
	if r.status != http.StatusUnprocessableEntity || r.code() != proto.CodeHashMismatch {
		t.Fatalf("lying upload: %d %s", r.status, r.body)
	}
	if after := li.history(t, conv); len(after) != len(before) {
		t.Fatalf("history grew from %d to %d messages", len(before), len(after))
	}
	if h := li.head(t, info.ID); h.status != http.StatusNotFound {
		t.Fatalf("the rejected upload is still there: %d", h.status)
	}
	if n := b.leftovers(t, srv); n != 0 {
		t.Fatalf("%d files left in the files folder", n)
	}
	for len(wang.Pushes) > 0 {
		if m := (<-wang.Pushes).Message; m != nil && m.Kind == proto.MsgFile {
			t.Fatalf("a member was sent %+v", m)
		}
	}
}

func b64hex(h string) string {
	b, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(b)
}

func TestOverLimitFileIsRefusedAtCreation(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.MaxFileSize = 1 << 20; c.FileQuota = 3 << 19 }))
	li := login(t, srv, "Li")
	conv := group(t, li)

	_, r := li.create(t, proto.CreateRequest{Name: "big.iso", Size: 1<<20 + 1, SHA256: sha(nil), Conv: conv})
	if r.status != http.StatusRequestEntityTooLarge || r.code() != proto.CodeTooLarge {
		t.Fatalf("over-limit create: %d %s", r.status, r.body)
	}
	var lim proto.Limits
	if err := json.Unmarshal(li.request(t, http.MethodGet, proto.FilesPath, nil).body, &lim); err != nil || lim.MaxSize != 1<<20 || lim.Quota != 3<<19 || lim.Used != 0 {
		t.Fatalf("limits = %+v, %v", lim, err)
	}

	// The quota counts shared files and unfinished uploads.
	li.upload(t, conv, "one.bin", randomBytes(1<<20, 4), 1<<20)
	_, r = li.create(t, proto.CreateRequest{Name: "two.bin", Size: 1 << 20, SHA256: sha(nil), Conv: conv})
	if r.status != http.StatusInsufficientStorage || r.code() != proto.CodeQuotaExceeded {
		t.Fatalf("over-quota create: %d %s", r.status, r.body)
	}
	if _, r := li.create(t, proto.CreateRequest{Name: "half.bin", Size: 1 << 19, SHA256: sha(nil), Conv: conv}); r.status != http.StatusCreated {
		t.Fatalf("create within the quota: %d %s", r.status, r.body)
	}
}

func TestClientNamesNeverReachTheFileSystem(t *testing.T) {
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	names := map[string]string{
		"../../../../etc/passwd":          "passwd",
		`..\..\Windows\System32\evil.dll`: "evil.dll",
		"/absolute/path.txt":              "path.txt",
		"..":                              "file",
		"CON.txt":                         "_CON.txt",
		"report\u202Efdp.exe":             "reportfdp.exe",
		"a\x01b\nc.txt":                   "abc.txt",
	}
	// U+0000 is refused in every string of the protocol (PostgreSQL
	// cannot store it), not sanitised.
	if _, r := li.create(t, proto.CreateRequest{Name: "a\x00b.txt", Size: 1, SHA256: sha([]byte("x")), Conv: conv}); r.status != http.StatusBadRequest {
		t.Errorf("a name with U+0000: %d %s", r.status, r.body)
	}
	for name, want := range names {
		done := li.upload(t, conv, name, []byte(name), 1<<20)
		if got := done.Message.File.Name; got != want {
			t.Errorf("name %q became %q, want %q", name, got, want)
		}
	}
	// Only blobs named by their hash exist; nothing escaped the data folder.
	filepath.WalkDir(srv.Dir, func(path string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(srv.Dir, path)
		if !d.IsDir() && !hasPrefix(rel, "parley.db", storage.SearchFileName, filepath.Join("files", "blobs")+string(filepath.Separator)) {
			t.Errorf("unexpected file %s", rel)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(filepath.Dir(srv.Dir), "passwd")); err == nil {
		t.Error("a file was written outside the data folder")
	}
	// IDs in paths are checked too.
	for _, id := range []string{"..%2F..%2Fparley.db", "%2e%2e", strings.Repeat("a", 31) + "/"} {
		if r := li.request(t, http.MethodGet, proto.FilesPath+"/"+id, nil); r.status != http.StatusNotFound {
			t.Errorf("GET file %q: %d", id, r.status)
		}
		if r := li.head(t, id); r.status != http.StatusNotFound {
			t.Errorf("HEAD upload %q: %d", id, r.status)
		}
	}
}

func TestSameContentIsStoredOnce(t *testing.T) { onBoth(t, testSameContentIsStoredOnce) }

func testSameContentIsStoredOnce(t *testing.T, be *backend) {
	srv := be.start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	data := randomBytes(300_000, 5)
	a := li.upload(t, conv, "a.bin", data, 1<<20)
	b := wang.upload(t, conv, "b.bin", data, 100_000)
	if a.Message.File.ID == b.Message.File.ID || b.Message.File.Name != "b.bin" {
		t.Fatalf("two shares should be two files: %+v %+v", a.Message.File, b.Message.File)
	}
	if n := be.blobs(t, srv); n != 1 {
		t.Fatalf("%d blobs stored, want 1", n)
	}
	for _, id := range []string{a.Message.File.ID, b.Message.File.ID} {
		if r := li.request(t, http.MethodGet, proto.FilesPath+"/"+id, nil); !bytes.Equal(r.body, data) {
			t.Fatalf("download %s differs", id)
		}
	}
}

// A file to someone who blocked you opens no conversation: 403
// not_accepted, as direct refuses (docs/protocol.md, "Blocking").
func TestUploadToAUserWhoBlockedYouIsRefused(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	if err := wang.Conn.Block(context.Background(), li.ID); err != nil {
		t.Fatal(err)
	}
	data := []byte("for you")
	if _, r := li.create(t, proto.CreateRequest{Name: "note.txt", Size: int64(len(data)), SHA256: sha(data), User: wang.ID}); r.status != http.StatusForbidden || r.code() != proto.CodeNotAccepted {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if cs, err := li.Conn.Conversations(context.Background()); err != nil || len(cs) != 0 {
		t.Fatalf("a refused upload opened a conversation: %+v %v", cs, err)
	}
}

func TestUploadToAUserOpensTheDirectConversation(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	data := []byte("for you")
	info, r := li.create(t, proto.CreateRequest{Name: "note.txt", Size: int64(len(data)), SHA256: sha(data), User: wang.ID})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r := li.patch(t, info.ID, 0, data); r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	// Both learn of the new conversation before the file arrives, each
	// with the other's name.
	for _, c := range []struct {
		who  *person
		peer proto.User
	}{{wang, li.User.User}, {li, wang.User.User}} {
		var told *proto.ConversationPush
		for told == nil {
			select {
			case p := <-c.who.Pushes:
				if m := p.Message; m != nil && m.Kind == proto.MsgFile {
					t.Fatalf("%s was not told of the new direct conversation before its file", c.who.Name)
				}
				if cp := p.Conversation; cp != nil && cp.Conversation.ID == info.Conv {
					told = cp
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s was not told of the new direct conversation", c.who.Name)
			}
		}
		if !told.Member || told.Conversation.Peer == nil || *told.Conversation.Peer != c.peer || told.Conversation.Name != c.peer.Name {
			t.Fatalf("%s was told %+v, want the direct conversation %d with %+v", c.who.Name, told, info.Conv, c.peer)
		}
	}
	got := wang.nextFile(t)
	direct, err := wang.Conn.Direct(context.Background(), li.ID)
	if err != nil || got.Conv != info.Conv || direct.ID != info.Conv {
		t.Fatalf("file went to %d, the direct conversation is %d (%v)", got.Conv, direct.ID, err)
	}
}

func TestRetriedCreateAndCompletionPublishOnce(t *testing.T) {
	onBoth(t, testRetriedCreateAndCompletionPublishOnce)
}

func testRetriedCreateAndCompletionPublishOnce(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(100_000, 6)
	cr := proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv, ClientID: "k1"}
	first, r1 := li.create(t, cr)
	again, r2 := li.create(t, cr)
	if r1.status != http.StatusCreated || r2.status != http.StatusOK || first.ID != again.ID {
		t.Fatalf("retried create: %d %d, ids %s %s", r1.status, r2.status, first.ID, again.ID)
	}
	other := cr
	other.SHA256 = sha(nil)
	if _, r := li.create(t, other); r.status != http.StatusBadRequest {
		t.Fatalf("client id reused for another file: %d", r.status)
	}
	r := li.patch(t, first.ID, 0, data)
	var done proto.UploadInfo
	json.Unmarshal(r.body, &done)
	// The client missed the reply: it asks for the offset and completes again.
	if off := li.head(t, first.ID).offset(t); off != int64(len(data)) {
		t.Fatalf("offset after completion = %d", off)
	}
	var redo proto.UploadInfo
	r = li.patch(t, first.ID, int64(len(data)), nil)
	json.Unmarshal(r.body, &redo)
	if r.status != http.StatusOK || redo.Message == nil || redo.Message.Seq != done.Message.Seq {
		t.Fatalf("retried completion: %d %s", r.status, r.body)
	}
	if _, r := li.create(t, cr); !strings.Contains(string(r.body), fmt.Sprintf(`"seq":%d`, done.Message.Seq)) {
		t.Fatalf("retried create after completion: %s", r.body)
	}
	if ms := fileMessages(li.history(t, conv)); len(ms) != 1 {
		t.Fatalf("%d file messages, want 1", len(ms))
	}
}

func TestUploadContinuesAfterServerRestart(t *testing.T) {
	onBoth(t, testUploadContinuesAfterServerRestart)
}

func testUploadContinuesAfterServerRestart(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(3<<20, 7)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:1<<20])
	li.patch(t, info.ID, 1<<20, data[1<<20:2<<20])

	srv.Restart(t)

	if off := li.head(t, info.ID).offset(t); off != 2<<20 {
		t.Fatalf("offset after restart = %d, want %d", off, 2<<20)
	}
	if r := li.patch(t, info.ID, 0, data[:1<<20]); r.status != http.StatusConflict || r.offset(t) != 2<<20 {
		t.Fatalf("patch at a stale offset: %d %s", r.status, r.body)
	}
	r := li.patch(t, info.ID, 2<<20, data[2<<20:])
	if r.status != http.StatusOK {
		t.Fatalf("last chunk: %d %s", r.status, r.body)
	}
	var done proto.UploadInfo
	json.Unmarshal(r.body, &done)
	if got := li.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil); !bytes.Equal(got.body, data) {
		t.Fatal("the file differs after a restart")
	}
}

func TestCutOffBodyKeepsOnlyAcknowledgedBytes(t *testing.T) {
	onBoth(t, testCutOffBodyKeepsOnlyAcknowledgedBytes)
}

func testCutOffBodyKeepsOnlyAcknowledgedBytes(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(2<<20, 8)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:1<<20])

	// A body that stops half way: the client went away.
	pr, pw := io.Pipe()
	req, _ := http.NewRequest(http.MethodPatch, srv.HTTPURL+proto.UploadsPath+"/"+info.ID, pr)
	req.Header.Set("Authorization", "Bearer "+li.Token)
	req.Header.Set(proto.HeaderOffset, fmt.Sprint(1<<20))
	go func() {
		pw.Write(data[1<<20 : 1<<20+300_000])
		pw.CloseWithError(io.ErrClosedPipe)
	}()
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	if off := li.head(t, info.ID).offset(t); off != 1<<20 {
		t.Fatalf("offset after a cut body = %d, want %d", off, 1<<20)
	}
	if r := li.patch(t, info.ID, 1<<20, data[1<<20:]); r.status != http.StatusOK {
		t.Fatalf("resent chunk: %d %s", r.status, r.body)
	}
}

func TestConcurrentPatchesAtOneOffsetStoreItOnce(t *testing.T) {
	onBoth(t, testConcurrentPatchesAtOneOffsetStoreItOnce)
}

func testConcurrentPatchesAtOneOffsetStoreItOnce(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	data := randomBytes(2<<20, 9)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	var wg sync.WaitGroup
	statuses := make([]int, 4)
	for i := range statuses {
		wg.Go(func() { statuses[i] = li.patch(t, info.ID, 0, data[:1<<20]).status })
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{http.StatusNoContent, http.StatusConflict, http.StatusConflict, http.StatusConflict}) {
		t.Fatalf("statuses = %v: one PATCH must win, the others see the new offset", statuses)
	}
	if r := li.patch(t, info.ID, 1<<20, data[1<<20:]); r.status != http.StatusOK {
		t.Fatalf("completion: %d %s", r.status, r.body)
	}
}

func TestCancelledUploadIsDeleted(t *testing.T) { onBoth(t, testCancelledUploadIsDeleted) }

func testCancelledUploadIsDeleted(t *testing.T, b *backend) {
	srv := b.start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	data := randomBytes(2<<20, 10)
	info, _ := li.create(t, proto.CreateRequest{Name: "a.bin", Size: int64(len(data)), SHA256: sha(data), Conv: conv})
	li.patch(t, info.ID, 0, data[:1<<20])
	if r := wang.request(t, http.MethodDelete, proto.UploadsPath+"/"+info.ID, nil); r.status != http.StatusNotFound {
		t.Fatalf("someone else cancelled it: %d", r.status)
	}
	if r := li.request(t, http.MethodDelete, proto.UploadsPath+"/"+info.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if r := li.head(t, info.ID); r.status != http.StatusNotFound {
		t.Fatalf("cancelled upload: HEAD %d", r.status)
	}
	if n := b.leftovers(t, srv); n != 0 {
		t.Fatalf("%d files left", n)
	}
}

func TestAbandonedUploadsExpire(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	clock := nodetest.NewClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	db, err := storage.Open(ctx, dir, storage.Options{Synchronous: "NORMAL", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	li, err := db.CreateUser(ctx, "Li", "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateSession(ctx, auth.HashToken("tok"), li.ID, ""); err != nil {
		t.Fatal(err)
	}
	g, err := db.CreateGroup(ctx, li, "g")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := files.New(ctx, files.Config{
		DB: db, Dir: filepath.Join(dir, "files"), Now: clock.Now, ExpireAfter: 24 * time.Hour, SweepEvery: -1,
		Authenticate: func(ctx context.Context, token string) (proto.User, error) {
			return db.SessionUser(ctx, auth.HashToken(token))
		},
		Direct: func(ctx context.Context, me proto.User, peer proto.UserID) (proto.Conversation, error) {
			c, _, _, err := db.Direct(ctx, me, peer)
			return c, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	hs := httptest.NewServer(svc)
	defer hs.Close()
	p := &person{User: nodetest.User{User: li, Token: "tok"}, srv: &nodetest.Server{HTTPURL: hs.URL}}

	data := randomBytes(2<<20, 11)
	stale, _ := p.create(t, proto.CreateRequest{Name: "stale.bin", Size: int64(len(data)), SHA256: sha(data), Conv: g.ID})
	p.patch(t, stale.ID, 0, data[:1<<20])
	clock.Advance(20 * time.Hour)
	fresh, _ := p.create(t, proto.CreateRequest{Name: "fresh.bin", Size: int64(len(data)), SHA256: sha(data), Conv: g.ID})
	p.patch(t, fresh.ID, 0, data[:1<<20])
	clock.Advance(5 * time.Hour) // stale: 25 h without a byte; fresh: 5 h

	n, err := svc.Expire(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v; want 1 upload removed", n, err)
	}
	if r := p.head(t, stale.ID); r.status != http.StatusNotFound {
		t.Fatalf("stale upload: HEAD %d", r.status)
	}
	if _, err := os.Stat(filepath.Join(dir, "files", "uploads", stale.ID+".part")); !os.IsNotExist(err) {
		t.Fatalf("the stale partial file is still there: %v", err)
	}
	if off := p.head(t, fresh.ID).offset(t); off != 1<<20 {
		t.Fatalf("fresh upload offset = %d", off)
	}
	// An upload is expired on access too, before the sweep comes.
	clock.Advance(24 * time.Hour)
	if r := p.patch(t, fresh.ID, 1<<20, data[1<<20:]); r.status != http.StatusNotFound {
		t.Fatalf("patch of an expired upload: %d %s", r.status, r.body)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

func TestEmptyFileIsSharedToo(t *testing.T) { onBoth(t, testEmptyFileIsSharedToo) }

func testEmptyFileIsSharedToo(t *testing.T, b *backend) {
	srv := b.start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	done := li.upload(t, conv, "empty.txt", nil, 1<<20)
	if f := done.Message.File; f.Size != 0 || f.SHA256 != sha(nil) {
		t.Fatalf("file %+v", f)
	}
	if r := li.request(t, http.MethodGet, proto.FilesPath+"/"+done.Message.File.ID, nil); r.status != http.StatusOK || len(r.body) != 0 {
		t.Fatalf("download: %d, %d bytes", r.status, len(r.body))
	}
}

func TestFileNamesThatAreNotUTF8AreRefused(t *testing.T) {
	// A name is sanitised as documented, but never silently repaired:
	// encoding/json would turn these into U+FFFD.
	srv := nodetest.Start(t)
	li := login(t, srv, "Li")
	conv := group(t, li)
	for _, name := range []string{"report\xff.pdf", `report\ud800.pdf`} {
		body := fmt.Sprintf(`{"name":"%s","size":1,"sha256":"%s","conv":%d}`, name, sha([]byte("x")), conv)
		r := li.request(t, http.MethodPost, proto.UploadsPath, strings.NewReader(body))
		if r.status != http.StatusBadRequest || r.code() != proto.CodeBadRequest {
			t.Errorf("create with name %q: %d %s, want 400 bad_request", name, r.status, r.body)
		}
	}
	var lim proto.Limits
	if r := li.request(t, http.MethodGet, proto.FilesPath, nil); json.Unmarshal(r.body, &lim) != nil || lim.Used != 0 {
		t.Errorf("after refused creates: %s, want nothing used", r.body)
	}
}

// In a group where only admins send, a member cannot post a file either:
// the upload is refused at creation, before any byte is sent.
func TestMembersCannotPostFilesWhereOnlyAdminsSend(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := login(t, srv, "Li"), login(t, srv, "Wang")
	conv := group(t, li, wang)
	admins := proto.AllowAdmins
	if _, err := li.Conn.SetGroup(context.Background(), proto.SetGroupRequest{Group: conv, Send: &admins}); err != nil {
		t.Fatal(err)
	}
	_, c := wang.create(t, proto.CreateRequest{Name: "x", Size: 1, SHA256: sha([]byte("x")), Conv: conv})
	if c.status != http.StatusForbidden || c.code() != proto.CodeNotAdmin {
		t.Fatalf("a member's upload in an announcement group: %d %s", c.status, c.body)
	}
	li.upload(t, conv, "news.txt", []byte("from the owner"), 1<<20)
}
