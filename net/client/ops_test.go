package client

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"parley/net/proto"
)

// history is a fake server's store: conversation → messages, seq 1..n.
type history map[proto.ConvID]int64

func (h history) page(conv proto.ConvID, after int64, limit int) ([]proto.Message, bool) {
	var msgs []proto.Message
	for seq := after + 1; seq <= h[conv] && len(msgs) < limit; seq++ {
		msgs = append(msgs, proto.Message{Conv: conv, Seq: seq, Kind: proto.MsgText, Text: "m"})
	}
	return msgs, after+int64(len(msgs)) < h[conv]
}

func TestSyncAllFetchesEverythingMissedInOrder(t *testing.T) {
	const page = 500
	store := history{1: 1200, 2: 3, 3: 0}
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) {
		switch f.Type {
		case proto.TypeSync:
			req := decode[proto.SyncRequest](t, f.Body)
			var r proto.SyncReply
			for _, conv := range []proto.ConvID{3, 2, 1} { // not in ID order
				r.Conversations = append(r.Conversations, proto.Conversation{ID: conv, LastSeq: store[conv]})
				msgs, more := store.page(conv, req.Have[conv], page)
				r.Messages = append(r.Messages, msgs...)
				if more {
					r.More = append(r.More, conv)
				}
			}
			fc.reply(f, r)
		case proto.TypeHistory:
			req := decode[proto.HistoryRequest](t, f.Body)
			msgs, more := store.page(req.Conv, *req.After, min(req.Limit, page)) // SyncAll always asks after a seq
			fc.reply(f, proto.HistoryReply{Messages: msgs, More: more})
		}
	})
	c := dial(t, srv.URL, DialOptions{})

	convs, msgs, err := c.SyncAll(testCtx(t), map[proto.ConvID]int64{1: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(convs) != 3 {
		t.Fatalf("got %d conversations, want 3", len(convs))
	}
	want := []struct {
		conv       proto.ConvID
		first, end int64
	}{{1, 101, 1200}, {2, 1, 3}}
	i := 0
	for _, w := range want {
		for seq := w.first; seq <= w.end; seq++ {
			if i >= len(msgs) || msgs[i].Conv != w.conv || msgs[i].Seq != seq {
				t.Fatalf("message %d: want conversation %d seq %d, got %+v", i, w.conv, seq, msgs[min(i, len(msgs)-1)])
			}
			i++
		}
	}
	if i != len(msgs) {
		t.Fatalf("got %d messages, want %d", len(msgs), i)
	}
}

func TestSyncAllStopsWhenServerPromisesMoreButSendsNone(t *testing.T) {
	srv := newFakeServer(t, func(fc *fakeConn, f proto.Frame) {
		switch f.Type {
		case proto.TypeSync:
			fc.reply(f, proto.SyncReply{More: []proto.ConvID{1}})
		case proto.TypeHistory:
			fc.reply(f, proto.HistoryReply{More: true})
		}
	})
	c := dial(t, srv.URL, DialOptions{})

	_, _, err := c.SyncAll(testCtx(t), nil)
	if err == nil || !strings.Contains(err.Error(), "more but sent none") {
		t.Fatalf("err = %v, want the loop to stop", err)
	}
}

func TestTypedCallsSendTheirRequestAndDecodeTheirReply(t *testing.T) {
	li := proto.User{ID: 4821, Name: "Li Hua"}
	group := proto.Conversation{ID: 512, Kind: proto.KindGroup, Name: "Study", Members: 2}
	type result struct {
		v   any
		err error
	}
	tests := []struct {
		typ, body string // the request the server must see
		reply     any    // what it answers
		call      func(ctx context.Context, c *Conn) result
		want      any
	}{
		{proto.TypeRegister, `{"name":"Li Hua","password":"secret"}`, proto.RegisterReply{User: li},
			func(ctx context.Context, c *Conn) result {
				v, err := c.Register(ctx, "Li Hua", "secret")
				return result{v, err}
			}, li},
		{proto.TypeResume, `{"token":"t"}`, proto.ResumeReply{User: li},
			func(ctx context.Context, c *Conn) result { v, err := c.Resume(ctx, "t"); return result{v, err} }, li},
		{proto.TypeLogout, ``, nil,
			func(ctx context.Context, c *Conn) result { return result{nil, c.Logout(ctx)} }, nil},
		{proto.TypeWhoAmI, ``, proto.WhoAmIReply{User: li},
			func(ctx context.Context, c *Conn) result { v, err := c.WhoAmI(ctx); return result{v, err} }, li},
		{proto.TypeCreateGroup, `{"name":"Study"}`, proto.ConversationReply{Conversation: group},
			func(ctx context.Context, c *Conn) result {
				v, err := c.CreateGroup(ctx, "Study")
				return result{v, err}
			}, group},
		{proto.TypeJoinGroup, `{"group":512}`, proto.ConversationReply{Conversation: group},
			func(ctx context.Context, c *Conn) result { v, err := c.JoinGroup(ctx, 512); return result{v, err} }, group},
		{proto.TypeCreateGroup, `{"name":"Study","policy":"open"}`, proto.ConversationReply{Conversation: group},
			func(ctx context.Context, c *Conn) result {
				v, err := c.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Study", Policy: proto.PolicyOpen})
				return result{v, err}
			}, group},
		{proto.TypeJoinGroup, `{"group":512}`, proto.JoinGroupReply{Request: &proto.JoinRequest{Group: 512, User: li}},
			func(ctx context.Context, c *Conn) result { v, err := c.RequestJoin(ctx, 512); return result{v, err} },
			proto.JoinGroupReply{Request: &proto.JoinRequest{Group: 512, User: li}}},
		{proto.TypeJoinLink, `{"token":"q3Jx"}`, proto.JoinGroupReply{Conversation: &group},
			func(ctx context.Context, c *Conn) result { v, err := c.JoinLink(ctx, "q3Jx"); return result{v, err} },
			proto.JoinGroupReply{Conversation: &group}},
		{proto.TypeGroupInfo, `{"group":512}`, proto.GroupReply{Group: proto.GroupInfo{ID: 512, Policy: proto.PolicyAsk}},
			func(ctx context.Context, c *Conn) result { v, err := c.GroupInfo(ctx, 512); return result{v, err} },
			proto.GroupInfo{ID: 512, Policy: proto.PolicyAsk}},
		{proto.TypeAnswerJoin, `{"group":512,"user":4821,"approve":true}`, nil,
			func(ctx context.Context, c *Conn) result { return result{nil, c.AnswerJoin(ctx, 512, 4821, true)} }, nil},
		{proto.TypeInvite, `{"user":4821,"group":512}`, proto.InviteReply{User: li},
			func(ctx context.Context, c *Conn) result { v, err := c.Invite(ctx, 4821, 512); return result{v, err} }, li},
		{proto.TypeLeave, `{"conv":512}`, nil,
			func(ctx context.Context, c *Conn) result { return result{nil, c.Leave(ctx, 512)} }, nil},
		{proto.TypeConversations, ``, proto.ConversationsReply{Conversations: []proto.Conversation{group}},
			func(ctx context.Context, c *Conn) result { v, err := c.Conversations(ctx); return result{v, err} }, []proto.Conversation{group}},
		{proto.TypeMembers, `{"conv":512}`, proto.MembersReply{Members: []proto.Member{{User: li, Online: true}}},
			func(ctx context.Context, c *Conn) result { v, err := c.Members(ctx, 512); return result{v, err} }, []proto.Member{{User: li, Online: true}}},
		{proto.TypeMembers, `{"conv":512,"unwatch":true}`, nil,
			func(ctx context.Context, c *Conn) result { return result{nil, c.Unwatch(ctx, 512)} }, nil},
		{proto.TypeDirect, `{"user":4821}`, proto.ConversationReply{Conversation: group},
			func(ctx context.Context, c *Conn) result { v, err := c.Direct(ctx, 4821); return result{v, err} }, group},
		{proto.TypeSend, `{"conv":512,"client_id":"k","text":"你好"}`, proto.SendReply{Message: proto.Message{Seq: 3}, Duplicate: true},
			func(ctx context.Context, c *Conn) result {
				v, err := c.Send(ctx, 512, "k", "你好")
				return result{v, err}
			}, proto.SendReply{Message: proto.Message{Seq: 3}, Duplicate: true}},
		{proto.TypeHistory, `{"conv":512,"before":9,"limit":2}`, proto.HistoryReply{More: true},
			func(ctx context.Context, c *Conn) result {
				v, err := c.History(ctx, proto.HistoryRequest{Conv: 512, Before: new(int64(9)), Limit: 2})
				return result{v, err}
			}, proto.HistoryReply{More: true}},
	}
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			got := make(chan result, 1)
			go func() { got <- tt.call(testCtx(t), c) }()
			f := fc.frame(t)
			if f.Type != tt.typ || string(f.Body) != tt.body {
				t.Fatalf("server saw %s %s, want %s %s", f.Type, f.Body, tt.typ, tt.body)
			}
			fc.reply(f, tt.reply)
			r := <-got
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !reflect.DeepEqual(r.v, tt.want) {
				t.Fatalf("got %+v, want %+v", r.v, tt.want)
			}
		})
	}
}

// JoinGroup of a group that asks gets a request, not a conversation: it
// says so with ErrJoinRequested rather than return an empty conversation.
func TestJoinGroupOfAGroupThatAsksSaysARequestWentOut(t *testing.T) {
	srv := newFakeServer(t, nil)
	c := dial(t, srv.URL, DialOptions{})
	fc := srv.conn(t)
	got := make(chan error, 1)
	go func() {
		_, err := c.JoinGroup(testCtx(t), 512)
		got <- err
	}()
	f := fc.frame(t)
	fc.reply(f, proto.JoinGroupReply{Request: &proto.JoinRequest{Group: 512}})
	if err := <-got; !errors.Is(err, ErrJoinRequested) {
		t.Fatalf("JoinGroup of a group that asks: %v, want ErrJoinRequested", err)
	}
}
