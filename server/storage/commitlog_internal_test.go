package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

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
	b, err := encodeLog(batch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeLog(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, batch) {
		t.Errorf("decoded\n%+v\nwant\n%+v", got, batch)
	}
	if n := strings.Count(string(b), "[1001,1002,1003]"); n != 1 {
		t.Errorf("the row holds the group's recipients %d times, want once: %s", n, b)
	}
	old, err := json.Marshal(batch)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decodeLog(old); err != nil || !reflect.DeepEqual(got, batch) {
		t.Errorf("a row of the first form: %v\n%+v\nwant\n%+v", err, got, batch)
	}
	if _, err := decodeLog([]byte(`{"members":[[1]],"batch":[{"Members":2}]}`)); err == nil {
		t.Error("a row naming a list of recipients it does not hold decoded")
	}
}

// The row of a batch of sends to a big group holds its members once, not
// once per message; and the bus's repair reads back what was committed.
func TestPostgresCommitLogHoldsAGroupsMembersOnce(t *testing.T) {
	var mu sync.Mutex
	var committed []Committed
	var pos int64
	d := openPG(t, Options{OnClusterCommit: func(p int64, cs []Committed) {
		mu.Lock()
		defer mu.Unlock()
		pos, committed = p, append([]Committed(nil), cs...)
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
	mu.Lock()
	wantPos, want := pos, committed
	mu.Unlock()
	if len(want) != sends || len(want[0].Members) != members {
		t.Fatalf("the last commit held %d messages to %d members, want %d to %d", len(want), len(want[0].Members), sends, members)
	}
	var size int
	if err := d.r.QueryRow("SELECT octet_length(batch) FROM commit_log WHERE pos = ?", wantPos).Scan(&size); err != nil {
		t.Fatal(err)
	}
	// A message is about 150 bytes, a member's ID 5: each message with
	// its own list would be 100 × 300 × 5 = 150,000 bytes of IDs alone.
	if size > 30000 {
		t.Errorf("the row is %d bytes for %d messages to %d members", size, sends, members)
	}
	logged, err := d.CommitLog(ctx, wantPos-1, wantPos, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 1 || logged[0].Pos != wantPos || !reflect.DeepEqual(logged[0].Batch, want) {
		t.Errorf("the log gives back %+v, want position %d with what was committed", logged, wantPos)
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
					row, err := encodeLog(batch)
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
