package main

import (
	"image"
	"testing"

	"gioui.org/f32"
	"gioui.org/io/key"
	"gioui.org/io/pointer"

	"parley/app/state"
)

// rightClick opens the context menu of the message showing s (in the
// message list, right of the sidebar's previews).
func (h *uiHarness) rightClick(s string) {
	h.t.Helper()
	var at image.Rectangle
	h.until(s+" in the list", func(state.State) bool {
		for _, n := range h.d.Screen() {
			if n.Desc.Label == s && n.Visible.Min.X > 330 && !n.Visible.Empty() {
				at = n.Visible
				return true
			}
		}
		return false
	})
	c := at.Min.Add(at.Max).Div(2)
	pos := f32.Pt(float32(c.X), float32(c.Y))
	h.d.Router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonSecondary, Position: pos},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: pos},
	)
	h.frame()
}

// 李华 answers 王芳 from the menu and then edits her answer; 王芳 sees
// the quote and the new text marked "edited".
func TestLiRepliesAndEditsWangSeesTheQuoteAndTheEditedMark(t *testing.T) {
	li, wang := twoInAGroup(t)
	wang.openOnScreen("学习小组")
	wang.typeText("周末去图书馆吗？")
	wang.press(key.NameReturn, 0)
	wang.see("周末去图书馆吗？")

	li.openOnScreen("学习小组")
	li.rightClick("周末去图书馆吗？")
	li.click("Reply")
	li.see("Replying to 王芳: 周末去图书馆吗？")
	li.typeText("好的")
	li.press(key.NameReturn, 0)
	st := li.until("the reply sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "好的" && ms[len(ms)-1].Status.Stored()
	})
	if m := st.Open.Messages[len(st.Open.Messages)-1]; m.ReplyTo == 0 || m.Reply == nil || m.Reply.Text != "周末去图书馆吗？" {
		t.Fatalf("the reply went as %+v, want it to answer 王芳's message", m.Message)
	}

	wang.until("the reply with its quote", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "好的" && ms[len(ms)-1].Reply != nil
	})
	wang.see("好的")
	wang.until("the quote under 李华's name", func(state.State) bool {
		n := 0
		for _, x := range wang.d.Screen() {
			if x.Desc.Label == "周末去图书馆吗？" && x.Visible.Min.X > 330 {
				n++
			}
		}
		return n >= 2 // the message and the reply's quote of it
	})

	li.rightClick("好的")
	li.click("Edit")
	li.see("Editing message")
	li.press("A", key.ModShortcut)
	li.typeText("好的，周六见")
	li.press(key.NameReturn, 0)
	li.until("the edit folded in", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "好的，周六见" && ms[len(ms)-1].Edited != 0
	})
	if got := li.composer(); got != "" {
		t.Fatalf("after the edit the composer holds %q", got)
	}
	wang.see("好的，周六见")
	wang.see("edited")
}
