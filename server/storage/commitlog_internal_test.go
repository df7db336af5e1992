package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"parley/net/proto"
)

// A commit-log row gives back the batch its transaction committed, every
// kind of entry as it was (messages, membership events with their
// conversation, settings, members hidden from, no recipients), and rows
// of the first form (a JSON array) still read.
func TestCommitLogRowsRoundTrip(t *testing.T) {
	group := []proto.UserID{1001, 1002, 1003}
	fewer := []proto.UserID{1001, 1003}
	last := proto.Message{Conv: 55, Seq: 3, Sender: 1002, SenderName: "b", Time: 9, Kind: proto.MsgSystem,
		Event: &proto.Event{Type: proto.EventLeft, Actor: proto.User{ID: 1002, Name: "b"}}}
	batch := []Committed{
		{Message: proto.Message{Conv: 55, Seq: 1, ClientID: "c1", Sender: 1001, SenderName: "a", Time: 7, Kind: proto.MsgText, Text: "hi"}, Members: group},
		{Message: proto.Message{Conv: 55, Seq: 2, Sender: 1001, SenderName: "a", Time: 8, Kind: proto.MsgText, Text: "edit", Target: 1, Edited: 8}, Members: group},
		{Message: last, Members: group, Conv: &proto.Conversation{ID: 55, Kind: proto.KindGroup, Name: "g", Members: 2, LastSeq: 3, Last: &last}, Subject: 1002},
		{Message: proto.Message{Conv: 55, Seq: 4, Sender: 1001, SenderName: "a", Time: 10, Kind: proto.MsgText, Text: "after", Reactions: []proto.Reaction{{Emoji: "👍", Users: []proto.UserID{1003}}}}, Members: fewer},
		{Message: proto.Message{Conv: 77, Seq: 9, Sender: 1001, SenderName: "a", Time: 11, Kind: proto.MsgText, Text: "quiet"}, Members: []proto.UserID{1001},
			Settings: &proto.ConvSettings{Conv: 77, Notify: proto.NotifyMentions}},
		{Message: proto.Message{Conv: 78, Seq: 1, Sender: 1001, SenderName: "a", Time: 12, Kind: proto.MsgText, Text: "nobody"}, Members: []proto.UserID{}},
		{Message: proto.Message{Conv: 79, Seq: 1, Sender: 1001, SenderName: "a", Time: 13, Kind: proto.MsgText, Text: "nil"}},
	}
	// Lists of more than two are named by hash here (inlineMembers in
	// production).
	stored := map[string][]proto.UserID{}
	ref := func(m []proto.UserID) string {
		if len(m) <= 2 {
			return ""
		}
		stored[hashMembers(m)] = m
		return hashMembers(m)
	}
	b, err := encodeLog(batch, ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeLog(b, stored)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, batch) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, batch)
	}
	if len(stored) != 1 || strings.Count(string(b), hashMembers(group)) != 1 || strings.Contains(string(b), "[1001,1002") {
		t.Errorf("the row names the group's recipients by one hash, once, and holds none of them: %s", b)
	}
	if _, err := decodeLog(b, nil); !errors.Is(err, errSnapshotGone) {
		t.Errorf("a row naming a list no longer stored: %v, want errSnapshotGone", err)
	}
	inline, err := encodeLog(batch, func([]proto.UserID) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeLog(inline, nil); err != nil || !reflect.DeepEqual(got, batch) {
		t.Errorf("a row holding every list: %v\n%+v\nwant\n%+v", err, got, batch)
	}
	if n := strings.Count(string(inline), "[1001,1002,1003]"); n != 1 {
		t.Errorf("the row holds the group's recipients %d times, want once: %s", n, inline)
	}
	old, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeLog(old, nil); err != nil || !reflect.DeepEqual(got, batch) {
		t.Errorf("a row of the first form: %v\n%+v\nwant\n%+v", err, got, batch)
	}
	for _, bad := range []string{`{"members":[[1]],"batch":[{"Members":2}]}`, `{"members":[null],"batch":[{"Members":1}]}`} {
		if _, err := decodeLog([]byte(bad), nil); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

// A big group's list of recipients is not in the commit log's rows but
// stored once, by hash, and renewed while in use; a batch of sends to it
// costs about its messages; the log gives back what was committed; and a
// row whose list is gone reads as pruned.
func TestPostgresCommitLogNamesABigGroupsMembers(t *testing.T) {
	var mu sync.Mutex
	var commits []Logged
	var now atomic.Int64
	now.Store(time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC).UnixMilli())
	d := openPG(t, Options{Now: func() time.Time { return time.UnixMilli(now.Load()) }, OnClusterCommit: func(p int64, cs []Committed) {
		mu.Lock()
		defer mu.Unlock()
		commits = append(commits, Logged{Pos: p, Batch: append([]Committed(nil), cs...)})
	}})
	ctx := context.Background()
	owner, err := d.CreateUser(ctx, "owner", "hash")
	if err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateGroupWith(ctx, owner, NewGroup{Name: "g", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	const members, sends = 300, 100
	for i := range members - 1 {
		u, err := d.CreateUser(ctx, fmt.Sprint("u", i), "hash")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.JoinGroup(ctx, u, g.ID); err != nil {
			t.Fatal(err)
		}
	}
	var lists int
	if err := d.r.QueryRow("SELECT COUNT(*) FROM commit_members").Scan(&lists); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	from := commits[len(commits)-1].Pos
	mu.Unlock()
	release := holdSequencer(t, d, func(*sequencer) {})
	var wg sync.WaitGroup
	r := make([]sendResult, sends)
	for i := range r {
		sendAll(t, d, &wg, &r[i], owner, g.ID, fmt.Sprint("k", i), "hello")
	}
	release()
	wg.Wait()
	for i, x := range r {
		if x.err != nil {
			t.Fatalf("send %d: %v", i, x.err)
		}
	}
	rowSize := func() int {
		t.Helper()
		var size int
		if err := d.r.QueryRow("SELECT octet_length(batch) FROM commit_log ORDER BY pos DESC LIMIT 1").Scan(&size); err != nil {
			t.Fatal(err)
		}
		return size
	}
	// A message is about 150 bytes, a member's ID 5: each message with
	// its own list would be 100 × 300 × 5 = 150,000 bytes of IDs alone.
	if size := rowSize(); size > 20000 {
		t.Errorf("the row is %d bytes for %d messages to %d members", size, sends, members)
	}
	mu.Lock()
	want := commits[len(commits)-1].Batch
	mu.Unlock()
	if len(want) != sends || len(want[0].Members) != members {
		t.Fatalf("the last commit held %d messages to %d members, want %d to %d", len(want), len(want[0].Members), sends, members)
	}
	// The last join stored the list the sends name: none is added.
	var after int
	if err := d.r.QueryRow("SELECT COUNT(*) FROM commit_members").Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after != lists {
		t.Errorf("commit_members held %d lists before the sends, %d after", lists, after)
	}
	stored := func() (n int, at int64) {
		t.Helper()
		if err := d.r.QueryRow("SELECT COUNT(*), COALESCE(MAX(time), 0) FROM commit_members WHERE hash = ?", hashMembers(want[0].Members)).Scan(&n, &at); err != nil {
			t.Fatal(err)
		}
		return n, at
	}
	first := now.Load()
	if n, at := stored(); n != 1 || at != first {
		t.Errorf("commit_members holds the group's list %d times, from %d; want once from %d", n, at, first)
	}
	// Sends of their own, half a minute later: no list stored again.
	now.Add(30_000)
	for i := range 3 {
		if _, _, err := d.Send(ctx, owner, g.ID, fmt.Sprint("alone", i), "hello"); err != nil {
			t.Fatal(err)
		}
		if size := rowSize(); size > 600 {
			t.Errorf("a row of one message to the group is %d bytes", size)
		}
	}
	if n, at := stored(); n != 1 || at != first {
		t.Errorf("after 30 s, commit_members holds the group's list %d times, from %d; want once from %d", n, at, first)
	}
	// A minute after it was stored, the list in use is renewed.
	now.Add(31_000)
	if _, _, err := d.Send(ctx, owner, g.ID, "renew", "hello"); err != nil {
		t.Fatal(err)
	}
	if n, at := stored(); n != 1 || at != now.Load() {
		t.Errorf("after 61 s, commit_members holds the group's list %d times, from %d; want once from %d", n, at, now.Load())
	}

	mu.Lock()
	all := slices.Clone(commits)
	mu.Unlock()
	all = all[slices.IndexFunc(all, func(l Logged) bool { return l.Pos == from+1 }):]
	logged, err := d.CommitLog(ctx, from, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != len(all) {
		t.Fatalf("the log gives back %d positions, want %d", len(logged), len(all))
	}
	for i, l := range logged {
		w := all[i]
		if l.Pos != w.Pos || len(l.Batch) != len(w.Batch) || len(w.Batch) > 0 && !reflect.DeepEqual(l.Batch, w.Batch) {
			t.Errorf("the log gives back position %d with %d entries, not what position %d committed (%d entries)", l.Pos, len(l.Batch), w.Pos, len(w.Batch))
		}
	}
	if _, err := d.w.Exec("DELETE FROM commit_members"); err != nil {
		t.Fatal(err)
	}
	// from+1 committed nothing (holdSequencer's job); the sends after it
	// name the list.
	if got, err := d.CommitLog(ctx, from, 0, 100); err != nil || len(got) != 1 || got[0].Pos != from+1 {
		t.Errorf("rows after the list went: %d rows, %v; want only position %d", len(got), err, from+1)
	}
	if _, err := d.CommitLog(ctx, from+1, 0, 100); !errors.Is(err, ErrLogPruned) {
		t.Errorf("rows whose list is gone: %v, want ErrLogPruned", err)
	}
}

// BenchmarkCommitLogRow encodes a batch of 200 text messages of 100 bytes
// for the commit log, in the shapes of the load generator: each to a
// conversation of its own (durable sends), or all to one group of 300 or
// 5,000 members (fan-out), as rows are now and in the first form (each
// message with its list of recipients, every field of Committed spelt
// out). It reports the row's bytes per message.
func BenchmarkCommitLogRow(b *testing.B) {
	text := strings.Repeat("x", 100)
	for _, shape := range []struct {
		name           string
		convs, members int
	}{{"own-conversations", 200, 1}, {"group-300", 1, 300}, {"group-5000", 1, 5000}} {
		b.Run(shape.name, func(b *testing.B) {
			snapshots := make([][]proto.UserID, shape.convs)
			for c := range snapshots {
				for m := range shape.members {
					snapshots[c] = append(snapshots[c], proto.UserID(1000+c*shape.members+m))
				}
			}
			const n = 200
			batch := make([]Committed, n)
			for i := range batch {
				c := i % shape.convs
				sender := snapshots[c][i%shape.members]
				batch[i] = Committed{Message: proto.Message{Conv: proto.ConvID(10000000 + c), Seq: int64(1000 + i), ClientID: fmt.Sprintf("lg-%d-%d", sender, i),
					Sender: sender, SenderName: fmt.Sprint("lg-", sender), Time: 1796472562779 + int64(i), Kind: proto.MsgText, Text: text}, Members: snapshots[c]}
			}
			// The first form: an array of Committed, which had no omitempty.
			type firstForm struct {
				Message  proto.Message
				Members  []proto.UserID
				Conv     *proto.Conversation
				Subject  proto.UserID
				Member   bool
				Settings *proto.ConvSettings
			}
			first := make([]firstForm, len(batch))
			for i, c := range batch {
				first[i] = firstForm{c.Message, c.Members, c.Conv, c.Subject, c.Member, c.Settings}
			}
			b.Run("now", func(b *testing.B) {
				var size int
				for b.Loop() {
					row, err := encodeLog(batch, func(m []proto.UserID) string {
						if len(m) <= inlineMembers {
							return ""
						}
						return hashMembers(m)
					})
					if err != nil {
						b.Fatal(err)
					}
					size = len(row)
				}
				b.ReportMetric(float64(size)/n, "bytes/msg")
			})
			b.Run("first-form", func(b *testing.B) {
				var size int
				for b.Loop() {
					row, err := json.Marshal(first)
					if err != nil {
						b.Fatal(err)
					}
					size = len(row)
				}
				b.ReportMetric(float64(size)/n, "bytes/msg")
			})
		})
	}
}
