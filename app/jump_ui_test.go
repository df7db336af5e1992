package main

import (
	"context"
	"fmt"
	"testing"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// seeMessage waits until s shows in the message list other than in a
// button (a reply's quote of it).
func (h *uiHarness) seeMessage(s string) {
	h.t.Helper()
	h.until(fmt.Sprintf("the message %q on screen", s), func(state.State) bool {
		for _, n := range h.d.Screen() {
			if n.Desc.Label == s && n.Visible.Min.X > 330 && !n.Visible.Empty() && n.Control != semantic.Button {
				return true
			}
		}
		return false
	})
}

// 李华 joins a group with a long history she never downloaded: the pin
// bar, a reply's quote and the search within the group each take her to
// the old question, loaded from the server.
func TestLiJumpsToAnOldMessageFromThePinBarAQuoteAndASearch(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	wang := srv.NewUser(t, "王芳")
	ctx := context.Background()
	conv := nodetest.Group(t, wang, "档案")
	question := send(t, wang, conv, "原来的问题 question")
	var r proto.SendReply
	if err := wang.Conn.Call(ctx, proto.TypePin, proto.PinRequest{Conv: conv, Seq: question.Seq, ClientID: "pin-1"}, &r); err != nil {
		t.Fatal(err)
	}
	for i := range 80 {
		send(t, wang, conv, fmt.Sprint("filler ", i))
	}
	if err := li.m.JoinGroup(ctx, fmt.Sprint(conv)); err != nil {
		t.Fatal(err)
	}
	if err := wang.Conn.Call(ctx, proto.TypeSend, proto.SendRequest{Conv: conv, ClientID: client.NewClientID(), Text: "答案在这里", ReplyTo: question.Seq}, &r); err != nil {
		t.Fatal(err)
	}
	li.openOnScreen("档案")
	li.see("答案在这里")

	// The pin bar.
	li.see("王芳: 原来的问题 question")
	li.click("Pinned message")
	li.seeMessage("原来的问题 question")
	li.click("Jump to the latest messages")
	li.until("back at the newest", func(st state.State) bool { return !st.Open.HasNewer })
	li.see("答案在这里")

	// The reply's quote.
	li.click("原来的问题 question") // the strip: a button
	li.seeMessage("原来的问题 question")

	// The search within the group finds it on the server too.
	li.press("F", key.ModShortcut)
	li.typeText("question")
	li.press(key.NameReturn, 0)
	li.see("1 of 1")
	li.seeMessage("原来的问题 question")
}

func send(t *testing.T, u *nodetest.User, conv proto.ConvID, text string) proto.Message {
	t.Helper()
	r, err := u.Conn.Send(context.Background(), conv, client.NewClientID(), text)
	if err != nil {
		t.Fatal(err)
	}
	return r.Message
}
