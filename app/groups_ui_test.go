package main

import (
	"image"
	"strings"
	"testing"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
	"parley/ui/uitest"
)

// inPane waits for the control (or text) labelled s in the conversation
// pane, scrolling the pane (the group settings) from its top until it
// shows.
func (h *uiHarness) inPane(s string) uitest.Node {
	h.t.Helper()
	mid := image.Pt(h.d.Size.X*3/4, h.d.Size.Y/2)
	var found uitest.Node
	h.until(s+" in the pane", func(state.State) bool {
		h.d.Scroll(mid, -10000)
		h.frame()
		for range 12 {
			for _, n := range h.d.Screen() {
				if (n.Desc.Label == s || n.Desc.Description == s) && !n.Visible.Empty() && n.Visible.Min.X > 330 {
					found = n
					return true
				}
			}
			h.d.Scroll(mid, 250)
			h.frame()
		}
		return false
	})
	return found
}

// clickPane clicks the control labelled s in the pane.
func (h *uiHarness) clickPane(s string) {
	h.t.Helper()
	n := h.inPane(s)
	if n.Control == semantic.Unknown {
		h.t.Fatalf("%q in the pane is not a control", s)
	}
	h.d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2))
	h.frame()
}

// 李华 makes an invite-only group on screen and an invite link in its
// settings (with its QR code); 王芳 pastes the link and joins; 李华
// removes her from the settings, and 王芳 is told.
func TestAGroupByInviteLinkAndARemovalThroughTheScreens(t *testing.T) {
	srv := nodetest.Start(t)
	li, wang := newUIHarness(t, srv), newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	wang.loggedIn(srv, "王芳")

	li.fill("Group name", "学习小组")
	li.click("Invite or link only")
	li.click("Group name")
	li.press(key.NameReturn, 0)
	st := li.until("the group open", func(st state.State) bool { return st.Open != nil && st.Open.Name == "学习小组" })
	conv := st.Open.ID

	li.click("Group settings")
	li.clickPane("Create link")
	li.inPane("QR code of the invite link")
	st = li.until("the link", func(st state.State) bool { return st.Group != nil && st.Group.NewLink != nil })
	if st.Group.Info.Policy != proto.PolicyInvite {
		t.Fatalf("the group's policy is %q", st.Group.Info.Policy)
	}
	web, _ := state.ShareLinks(st.Server, st.Group.NewLink.Path)
	li.inPane(web)

	wang.click("Join")
	wang.fill("Group ID or invite link", web)
	wang.press(key.NameReturn, 0)
	wang.see("Join 学习小组?")
	wang.click("Join this group")
	wang.until("in the group", func(st state.State) bool { return st.Open != nil && st.Open.ID == conv })

	li.until("王芳 in the members", func(st state.State) bool {
		for _, m := range st.Open.Members {
			if m.Name == "王芳" {
				return true
			}
		}
		return false
	})
	li.clickPane("王芳")
	li.clickPane("Remove")
	wang.until("told and gone", func(st state.State) bool {
		return st.Open == nil && len(st.Conversations) == 0
	})
	wang.seeContaining("李华 removed you from 学习小组")
	li.until("one member", func(st state.State) bool { return st.Open != nil && st.Open.Conversation.Members == 1 })
	li.press(key.NameEscape, 0) // close the settings: the history says it
	li.until("the event line in the history", func(state.State) bool {
		for _, n := range li.d.Screen() {
			if strings.HasPrefix(n.Desc.Label, "李华 removed 王芳 · ") && n.Visible.Min.X > 330 && !n.Visible.Empty() {
				return true
			}
		}
		return false
	})
}
