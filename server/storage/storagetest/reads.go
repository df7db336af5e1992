package storagetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"parley/net/proto"
	"parley/server/storage"
)

// seqsOf lists the seqs of the messages of conv in ms.
func seqsOf(ms []proto.Message, conv proto.ConvID) []int64 {
	var seqs []int64
	for _, m := range ms {
		if m.Conv == conv {
			seqs = append(seqs, m.Seq)
		}
	}
	return seqs
}

// Sync gives every conversation of the user, the messages after the seq
// a device has of each, a conversation it does not have from its newest
// page, and lists those with more than the limit.
func testSyncGivesWhatTheDeviceMissed(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b := mustUser(t, d, "a"), mustUser(t, d, "b")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil { // seq 2
		t.Fatal(err)
	}
	for i := range 5 { // seqs 3 to 7
		if _, _, err := d.Send(ctx, a, g.ID, fmt.Sprint(i), "hello"); err != nil {
			t.Fatal(err)
		}
	}
	h, err := d.CreateGroup(ctx, b, "h") // seq 1
	if err != nil {
		t.Fatal(err)
	}
	convs, ms, more, err := d.Sync(ctx, b.ID, map[proto.ConvID]int64{g.ID: 3}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 2 || len(more) != 0 {
		t.Fatalf("sync: %d conversations, more %v; want 2 and none", len(convs), more)
	}
	if got := seqsOf(ms, g.ID); !slices.Equal(got, []int64{4, 5, 6, 7}) {
		t.Fatalf("g after 3: %v", got)
	}
	if got := seqsOf(ms, h.ID); !slices.Equal(got, []int64{1}) {
		t.Fatalf("h, not had: %v", got)
	}
	_, ms, more, err = d.Sync(ctx, b.ID, map[proto.ConvID]int64{g.ID: 0, h.ID: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := seqsOf(ms, g.ID); len(got) != 2 || !slices.Equal(more, []proto.ConvID{g.ID}) {
		t.Fatalf("g from 0 with a limit of 2: %v, more %v", got, more)
	}
	if got := seqsOf(ms, h.ID); len(got) != 0 {
		t.Fatalf("h, up to date: %v", got)
	}
	if _, _, _, err := d.Sync(ctx, a.ID, map[proto.ConvID]int64{h.ID: 0}, 10); err != nil {
		t.Fatalf("a syncing a conversation they are not in: %v", err)
	}
}

// Read and delivered positions only move forward, count what is unread,
// and show as receipts to the others only while the reader shares them.
func testReadPositionsAndReceipts(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c")
	g, err := d.CreateGroupWith(ctx, a, storage.NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.JoinGroup(ctx, b, g.ID); err != nil { // seq 2
		t.Fatal(err)
	}
	for i := range 5 { // seqs 3 to 7
		if _, _, err := d.Send(ctx, a, g.ID, fmt.Sprint(i), "hello"); err != nil {
			t.Fatal(err)
		}
	}
	before, after, err := d.MarkRead(ctx, b.ID, g.ID, 5)
	if err != nil || before != (storage.Position{}) || after != (storage.Position{Read: 5, Delivered: 5}) {
		t.Fatalf("read 5: %+v → %+v, %v", before, after, err)
	}
	if _, after, err := d.MarkRead(ctx, b.ID, g.ID, 3); err != nil || after != (storage.Position{Read: 5, Delivered: 5}) {
		t.Fatalf("read 3 after 5: %+v, %v; want no move back", after, err)
	}
	if _, after, err := d.MarkDelivered(ctx, b.ID, g.ID, 7); err != nil || after != (storage.Position{Read: 5, Delivered: 7}) {
		t.Fatalf("delivered 7: %+v, %v", after, err)
	}
	if _, _, err := d.MarkRead(ctx, b.ID, g.ID, 99); proto.CodeOf(err) != proto.CodeNoSuchMessage {
		t.Fatalf("read a seq past the end: %v", err)
	}
	if _, _, err := d.MarkRead(ctx, c.ID, g.ID, 5); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("a non-member reads: %v", err)
	}
	conv, err := d.Conversation(ctx, b.ID, g.ID)
	if err != nil || conv.ReadSeq != 5 || conv.Unread != 2 {
		t.Fatalf("b's summary: read %d unread %d, %v; want 5 and 2", conv.ReadSeq, conv.Unread, err)
	}
	if seen, err := d.SeenBy(ctx, a.ID, g.ID, 4); err != nil || len(seen) != 1 || seen[0].ID != b.ID {
		t.Fatalf("seen by: %+v %v", seen, err)
	}
	if senders, err := d.Senders(ctx, g.ID, 0, 7, b.ID); err != nil || !slices.Equal(senders, []proto.UserID{a.ID}) {
		t.Fatalf("senders: %v %v", senders, err)
	}
	if err := d.SetReadReceipts(ctx, b.ID, false); err != nil {
		t.Fatal(err)
	}
	if on, err := d.ReadReceipts(ctx, b.ID); err != nil || on {
		t.Fatalf("read receipts after turning them off: %v %v", on, err)
	}
	if seen, err := d.SeenBy(ctx, a.ID, g.ID, 4); err != nil || len(seen) != 0 {
		t.Fatalf("seen by, b's receipts off: %+v %v", seen, err)
	}
	rs, err := d.Receipts(ctx, g.ID, []proto.UserID{b.ID})
	if err != nil || len(rs) != 1 || rs[0] != (proto.Receipt{User: b.ID, Name: "b", Read: 0, Delivered: 7}) {
		t.Fatalf("receipts, b's off: %+v %v", rs, err)
	}
}

// A direct conversation with someone who shares no group waits as their
// request until they accept it; a block refuses what the blocked person
// starts, and lifting it restores that.
func testRequestsAndBlocks(t *testing.T, db Database) {
	d := open(t, db, storage.Options{})
	ctx := context.Background()
	a, b, c := mustUser(t, d, "a"), mustUser(t, d, "b"), mustUser(t, d, "c")
	r, err := d.OpenDirect(ctx, a, b.ID)
	if err != nil || !r.Created || !r.Waiting || r.Peer.ID != b.ID {
		t.Fatalf("open direct: %+v %v", r, err)
	}
	if id, err := d.DirectID(ctx, b.ID, a.ID); err != nil || id != r.Conv.ID {
		t.Fatalf("direct ID: %d %v, want %d", id, err, r.Conv.ID)
	}
	if st, err := d.Settings(ctx, b.ID, r.Conv.ID); err != nil || !st.Request {
		t.Fatalf("b's settings: %+v %v; want a waiting request", st, err)
	}
	if err := d.MayCall(ctx, a.ID, b.ID); proto.CodeOf(err) != proto.CodeNotAccepted {
		t.Fatalf("a calls b, request waiting: %v", err)
	}
	if st, err := d.AcceptRequest(ctx, b.ID, r.Conv.ID); err != nil || st.Request {
		t.Fatalf("accept: %+v %v", st, err)
	}
	if err := d.MayCall(ctx, a.ID, b.ID); err != nil {
		t.Fatalf("a calls b, request accepted: %v", err)
	}
	if st, err := d.SetNotify(ctx, b.ID, r.Conv.ID, proto.NotifyOff, 0); err != nil || st.Notify != proto.NotifyOff {
		t.Fatalf("mute: %+v %v", st, err)
	}
	if st, err := d.Archive(ctx, b.ID, r.Conv.ID, true); err != nil || !st.Archived {
		t.Fatalf("archive: %+v %v", st, err)
	}

	if _, err := d.Block(ctx, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if blocked, err := d.Blocked(ctx, b.ID, a.ID); err != nil || !blocked {
		t.Fatalf("blocked: %v %v", blocked, err)
	}
	if us, err := d.Blocks(ctx, b.ID); err != nil || len(us) != 1 || us[0].ID != a.ID {
		t.Fatalf("blocks: %+v %v", us, err)
	}
	if err := d.MayCall(ctx, a.ID, b.ID); proto.CodeOf(err) != proto.CodeNotAccepted {
		t.Fatalf("a calls b, blocked: %v", err)
	}
	if h, err := d.Hides(ctx, r.Conv.ID, b.ID, a.ID); err != nil || h != storage.HideAll {
		t.Fatalf("b hides from a: %v %v", h, err)
	}
	if _, err := d.OpenDirect(ctx, c, b.ID); err != nil {
		t.Fatalf("someone else opens a direct conversation with b: %v", err)
	}
	if err := d.Unblock(ctx, b.ID, a.ID); err != nil {
		t.Fatal(err)
	}
	if blocked, err := d.Blocked(ctx, b.ID, a.ID); err != nil || blocked {
		t.Fatalf("blocked after unblock: %v %v", blocked, err)
	}
	if err := d.MayCall(ctx, a.ID, b.ID); err != nil {
		t.Fatalf("a calls b, unblocked: %v", err)
	}
	// A request deleted is gone from the deleter's lists.
	r2, err := d.OpenDirect(ctx, c, a.ID)
	if err != nil || !r2.Waiting {
		t.Fatalf("c opens a direct conversation with a: %+v %v", r2, err)
	}
	if err := d.DeleteRequest(ctx, a.ID, r2.Conv.ID); err != nil {
		t.Fatal(err)
	}
	convs, err := d.Conversations(ctx, a.ID)
	if err != nil || slices.ContainsFunc(convs, func(c proto.Conversation) bool { return c.ID == r2.Conv.ID }) {
		t.Fatalf("a's conversations after deleting c's request: %+v %v", convs, err)
	}
}
