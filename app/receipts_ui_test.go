package main

import (
	"context"
	"fmt"
	"testing"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/proto"
)

// 王芳 types and 李华 sees it; 李华's answer shows "Seen by 1" once 王芳
// (looking at the group) has read it, and the list names her; 李华
// forwards 王芳's message to their direct chat from the chooser; with
// read receipts switched off, "Seen by" goes.
func TestTypingSeenByForwardAndTheReceiptsSwitchBetweenTwoApps(t *testing.T) {
	li, wang := twoInAGroup(t)
	wang.openOnScreen("学习小组")
	li.openOnScreen("学习小组")

	wang.typeText("周末去图书馆吗")
	li.see("王芳 is typing…")
	wang.typeText("？")
	wang.press(key.NameReturn, 0)
	li.see("周末去图书馆吗？")
	li.until("the typing line gone with her message", func(state.State) bool {
		_, ok := li.d.FindContaining("typing")
		return !ok
	})

	li.typeText("好的")
	li.press(key.NameReturn, 0)
	wang.see("好的")
	li.see("Seen by 1")
	li.click("Seen by 1")
	li.see("Seen by")
	li.until("王芳 in the list", func(st state.State) bool {
		sb := st.SeenBy
		return sb != nil && len(sb.Users) == 1 && sb.Users[0].Name == "王芳"
	})
	li.click("Close")
	li.frame()

	// Forward 王芳's message to the direct chat with her.
	wangID := wang.m.State().Me.ID
	if err := li.m.OpenDirect(context.Background(), fmt.Sprint(wangID)); err != nil {
		t.Fatal(err)
	}
	li.openOnScreen("学习小组")
	li.rightClick("周末去图书馆吗？")
	li.click("Forward")
	li.see("Forward to…")
	li.fill("Filter conversations", "王")
	li.until("王芳 in the chooser", func(state.State) bool {
		for _, n := range li.d.Screen() {
			// The chooser's row (a button), not her name over her messages.
			if n.Desc.Label == "王芳" && n.Control == semantic.Button && n.Visible.Min.X > 330 && !n.Visible.Empty() {
				c := n.Visible.Min.Add(n.Visible.Max).Div(2)
				li.d.ClickAt(c)
				return true
			}
		}
		return false
	})
	li.frame()
	wang.until("the forwarded copy in the direct chat", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.Kind == proto.KindDirect && c.Last != nil && c.Last.Text == "周末去图书馆吗？" && c.Last.Forwarded != nil {
				return c.Last.Forwarded.From == wangID
			}
		}
		return false
	})

	// Read receipts off: 李华 sees nobody's.
	li.openOnScreen("学习小组")
	li.see("Seen by 1")
	li.click("Send read receipts: on (click to turn off)")
	li.until("receipts off", func(st state.State) bool { return st.ReceiptsOff })
	li.see("Send read receipts: off (click to turn on)")
	li.until("no Seen by", func(state.State) bool {
		_, ok := li.d.Find("Seen by 1")
		return !ok
	})
}
