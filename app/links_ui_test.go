package main

import (
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
)

// 李华 sends a link in a formatted message; 王芳 sees it without the
// markers and clicks it: the model opens it in the browser.
func TestWangClicksALinkLiSentAndTheBrowserOpensIt(t *testing.T) {
	li, wang := twoInAGroup(t)
	li.openOnScreen("学习小组")
	li.typeText("**资料**在 https://example.com/ch3?p=2 这里")
	li.press(key.NameReturn, 0)
	li.see("资料在 https://example.com/ch3?p=2 这里")

	wang.openOnScreen("学习小组")
	n := wang.see("资料在 https://example.com/ch3?p=2 这里")
	if len(wang.opener.Opened()) != 0 {
		t.Fatalf("a link was opened before any click: %q", wang.opener.Opened())
	}
	wang.d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2))
	wang.until("the link opened", func(state.State) bool {
		return slices.Equal(wang.opener.Opened(), []string{"https://example.com/ch3?p=2"})
	})
}
