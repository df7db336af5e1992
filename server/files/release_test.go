package files_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"parley/net/proto"
	"parley/server/node/nodetest"
)

func TestForwardSharesTheBlobAndDeletesReleaseItLast(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := login(t, srv, "李华"), login(t, srv, "Wang")
	g := group(t, li, wang)
	other := nodetest.Group(t, &wang.User, "elsewhere")
	data := randomBytes(3000, 5)
	orig := *li.upload(t, g, "notes.bin", data, 1024).Message
	blob := filepath.Join(srv.Dir, "files", "blobs", orig.File.SHA256[:2], orig.File.SHA256)
	exists := func() bool {
		_, err := os.Stat(blob)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}
	ctx := context.Background()

	// Wang forwards Li's file to another group: a new file ID, the same
	// bytes, uploaded once.
	var fwd proto.SendReply
	if err := wang.Conn.Call(ctx, proto.TypeSend, proto.SendRequest{Conv: other, ClientID: "fwd", ForwardOf: &proto.MessageRef{Conv: g, Seq: orig.Seq}}, &fwd); err != nil {
		t.Fatal(err)
	}
	f := fwd.Message
	if f.Kind != proto.MsgFile || f.File == nil || f.File.ID == orig.File.ID || f.File.SHA256 != orig.File.SHA256 ||
		f.File.Name != "notes.bin" || f.Forwarded == nil || f.Forwarded.From != li.ID {
		t.Fatalf("forwarded file message %+v (%+v)", f, f.File)
	}
	if r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+f.File.ID, nil); r.status != http.StatusOK || !bytes.Equal(r.body, data) {
		t.Fatalf("download of the forward: %d, %d bytes", r.status, len(r.body))
	}
	if r := li.request(t, http.MethodGet, proto.FilesPath+"/"+f.File.ID, nil); r.code() != proto.CodeNotMember {
		t.Fatalf("a non-member of the forward's conversation downloads it: %d %s", r.status, r.body)
	}

	// Deleting the original keeps the bytes the forward still references.
	var del proto.SendReply
	if err := li.Conn.Call(ctx, proto.TypeDelete, proto.TargetRequest{Conv: g, Seq: orig.Seq, ClientID: "del"}, &del); err != nil {
		t.Fatal(err)
	}
	if del.Target == nil || !del.Target.Deleted || del.Target.File != nil || del.Target.Kind != proto.MsgFile {
		t.Fatalf("deleted file message %+v", del.Target)
	}
	if r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+orig.File.ID, nil); r.code() != proto.CodeNoSuchFile {
		t.Fatalf("download of a deleted file: %d %s", r.status, r.body)
	}
	if !exists() {
		t.Fatal("the blob went while a forward references it")
	}
	if r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+f.File.ID, nil); r.status != http.StatusOK {
		t.Fatalf("download of the forward after the original's delete: %d", r.status)
	}
	// Deleting the last reference releases the blob.
	if err := wang.Conn.Call(ctx, proto.TypeDelete, proto.TargetRequest{Conv: other, Seq: f.Seq, ClientID: "del2"}, &del); err != nil {
		t.Fatal(err)
	}
	if exists() {
		t.Fatal("the blob stayed after its last file was deleted")
	}
	var lim proto.Limits
	if r := li.request(t, http.MethodGet, proto.FilesPath, nil); json.Unmarshal(r.body, &lim) != nil || lim.Used != 0 {
		t.Fatalf("li's quota after the delete: %s", r.body)
	}
}

// Deleting a group takes its history and files with it: its members are
// told, its files cannot be downloaded, a blob only it held is removed,
// and one a forward elsewhere still references stays.
func TestDeletedGroupTakesItsHistoryAndFiles(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := login(t, srv, "李华"), login(t, srv, "Wang")
	g := group(t, li, wang)
	other := nodetest.Group(t, &wang.User, "elsewhere")
	ctx := context.Background()
	kept := *li.upload(t, g, "kept.bin", randomBytes(3000, 6), 1024).Message
	gone := *li.upload(t, g, "gone.bin", randomBytes(3000, 7), 1024).Message
	var fwd proto.SendReply
	if err := wang.Conn.Call(ctx, proto.TypeSend, proto.SendRequest{Conv: other, ClientID: "fwd", ForwardOf: &proto.MessageRef{Conv: g, Seq: kept.Seq}}, &fwd); err != nil {
		t.Fatal(err)
	}
	blob := func(sha string) bool {
		_, err := os.Stat(filepath.Join(srv.Dir, "files", "blobs", sha[:2], sha))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return err == nil
	}

	if err := wang.Conn.DeleteGroup(ctx, g); proto.CodeOf(err) != proto.CodeNotOwner {
		t.Fatalf("a member deletes the group: %v, want not_owner", err)
	}
	if err := li.Conn.DeleteGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(60 * time.Second) // a guard against a hang, not a timing assertion
	for told := false; !told; {
		select {
		case p := <-wang.Pushes:
			cp := p.Conversation
			told = cp != nil && cp.Conversation.ID == g && !cp.Member && cp.Deleted
		case <-timeout:
			t.Fatal("the member was not told that the group was deleted")
		}
	}
	if r := wang.request(t, http.MethodGet, proto.FilesPath+"/"+gone.File.ID, nil); r.code() != proto.CodeNoSuchFile {
		t.Fatalf("download of a deleted group's file: %d %s", r.status, r.body)
	}
	if blob(gone.File.SHA256) {
		t.Fatal("the blob only the deleted group held is still there")
	}
	if !blob(kept.File.SHA256) {
		t.Fatal("the blob a forward elsewhere references went with the group")
	}
	if _, err := wang.Conn.History(ctx, proto.HistoryRequest{Conv: g}); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("history of a deleted group: %v", err)
	}
	if _, err := wang.Conn.JoinGroup(ctx, g); proto.CodeOf(err) != proto.CodeNoSuchGroup {
		t.Fatalf("join a deleted group: %v, want no_such_group", err)
	}
	cs, err := li.Conn.Conversations(ctx)
	if err != nil || len(cs) != 0 {
		t.Fatalf("the owner's conversations after deleting the group: %+v, %v", cs, err)
	}
}
