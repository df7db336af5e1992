package e2e

import (
	"testing"

	"parley/net/client"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// The Go client's typed calls for blocking, requests, muting and
// archiving, through a production-like server (with requests), as an
// app uses them: a stranger's message arrives as a request that my
// second device learns to accept, then I mute, archive and block.
func TestGoClientBlocksAnswersRequestsMutesAndArchives(t *testing.T) {
	s := start(t, nodetest.WithConfig(func(c *node.Config) { c.NoRequests = false }))
	me := register(t, s.URL, "Li Hua")
	laptop, phone := login(t, s.URL, me), login(t, s.URL, me)
	stranger := login(t, s.URL, register(t, s.URL, "Stranger"))
	ctx := testCtx(t)

	d, err := stranger.Direct(ctx, me.ID)
	if err != nil {
		t.Fatal(err)
	}
	stranger.send(t, d.ID, "hello")
	cp := phone.inbox.take(t, "the request", func(p client.Push) bool { return p.Conversation != nil && p.Conversation.Conversation.ID == d.ID })
	if !cp.Conversation.Conversation.Request {
		t.Fatalf("a stranger's chat is no request: %+v", cp.Conversation)
	}
	if err := laptop.DeleteRequest(ctx, 4242); proto.CodeOf(err) != proto.CodeNotMember {
		t.Fatalf("delete a request I am not in: %v", err)
	}
	st, err := laptop.AcceptRequest(ctx, d.ID)
	if err != nil || st.Request {
		t.Fatalf("accept: %+v %v", st, err)
	}
	phone.inbox.take(t, "the accept", func(p client.Push) bool { return p.Type == proto.TypeConvSettings })

	if st, err = laptop.SetNotify(ctx, d.ID, proto.NotifyOff, 0); err != nil || st.Notify != proto.NotifyOff {
		t.Fatalf("set_notify: %+v %v", st, err)
	}
	if st, err = laptop.Archive(ctx, d.ID, true); err != nil || !st.Archived || st.Notify != proto.NotifyOff {
		t.Fatalf("archive: %+v %v", st, err)
	}
	cs, err := phone.Conversations(ctx)
	if err != nil || len(cs) != 1 || !cs[0].Archived || cs[0].Notify != proto.NotifyOff || cs[0].Request {
		t.Fatalf("my phone's summary: %+v %v", cs, err)
	}

	if err := laptop.Block(ctx, stranger.ID); err != nil {
		t.Fatal(err)
	}
	phone.inbox.take(t, "the block list", func(p client.Push) bool { return p.Type == proto.TypeBlocksPush })
	if bs, err := phone.Blocks(ctx); err != nil || len(bs) != 1 || bs[0].ID != stranger.ID {
		t.Fatalf("blocks: %+v %v", bs, err)
	}
	if err := laptop.Unblock(ctx, stranger.ID); err != nil {
		t.Fatal(err)
	}
	if bs, err := phone.Blocks(ctx); err != nil || len(bs) != 0 {
		t.Fatalf("blocks after unblock: %+v %v", bs, err)
	}
}
