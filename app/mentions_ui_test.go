package main

import (
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
)

// 李华 mentions 王芳 through the composer's "@" list: the message reaches
// her with the mention, and her list shows "@" by the unread count. Then
// 李华 reacts to it from the emoji picker.
func TestLiMentionsWangThroughTheListAndReactsFromThePicker(t *testing.T) {
	li, wang := twoInAGroup(t)
	li.openOnScreen("学习小组")
	li.until("the members", func(st state.State) bool { return st.Open != nil && len(st.Open.Members) == 2 })
	li.typeText("@王")
	li.see("Mention a member")
	li.press(key.NameReturn, 0)
	li.typeText("周六见")
	li.press(key.NameReturn, 0)
	var wangID proto.UserID
	st := li.until("the mention sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "@王芳 周六见" && ms[len(ms)-1].Status.Stored()
	})
	for _, m := range st.Open.Members {
		if m.Name == "王芳" {
			wangID = m.ID
		}
	}
	if got := st.Open.Messages[len(st.Open.Messages)-1].Mentions; !slices.Equal(got, []proto.UserID{wangID}) {
		t.Fatalf("the message mentions %v, want [%d]", got, wangID)
	}
	wang.until("the unread mention", func(st state.State) bool {
		return len(st.Conversations) == 1 && st.Conversations[0].MentionUnread
	})
	wang.see("@")

	li.rightClick("@王芳 周六见")
	li.click("More reactions")
	li.frame()
	li.typeText("party popper")
	li.press(key.NameReturn, 0)
	li.until("the 🎉", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && len(ms[len(ms)-1].Reactions) == 1 && ms[len(ms)-1].Reactions[0].Emoji == "🎉"
	})
	li.see("🎉 1")
}
