package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gioui.org/io/key"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// composer returns what the message field holds, as the screen says.
func (h *uiHarness) composer() string {
	h.t.Helper()
	text, ok := h.d.FieldText("Message")
	if !ok {
		h.t.Fatalf("no message field on screen: %q", h.d.Texts())
	}
	return text
}

func groupIDs(t *testing.T, st state.State, names ...string) []proto.ConvID {
	t.Helper()
	var ids []proto.ConvID
	for _, n := range names {
		for _, c := range st.Conversations {
			if c.Name == n {
				ids = append(ids, c.ID)
			}
		}
	}
	if len(ids) != len(names) {
		t.Fatalf("groups %q not all in the list: %+v", names, st.Conversations)
	}
	return ids
}

func TestEachConversationKeepsItsOwnDraftAndTheLastOneReopensAfterARestart(t *testing.T) {
	srv := nodetest.Start(t)
	dir := t.TempDir()
	h := newUIHarnessAt(t, srv, dir)
	h.loggedIn(srv, "李华")
	ctx := context.Background()
	for _, name := range []string{"Alpha", "Beta"} {
		if err := h.m.CreateGroup(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	ids := groupIDs(t, h.until("both groups", func(st state.State) bool { return len(st.Conversations) == 2 }), "Alpha", "Beta")
	beta := ids[1]

	h.openOnScreen("Alpha")
	h.typeText("for Alpha 给阿尔法")
	h.openOnScreen("Beta")
	if got := h.composer(); got != "" {
		t.Fatalf("Beta's message field holds %q, typed in Alpha", got)
	}
	h.typeText("for Beta")
	h.openOnScreen("Alpha")
	if got := h.composer(); got != "for Alpha 给阿尔法" {
		t.Fatalf("back in Alpha the field holds %q", got)
	}
	h.openOnScreen("Beta")
	if got := h.composer(); got != "for Beta" {
		t.Fatalf("back in Beta the field holds %q", got)
	}
	h.press(key.NameReturn, 0)
	h.until("Beta's text sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].Text == "for Beta" && ms[len(ms)-1].Status.Stored()
	})
	h.typeText("still typing in Beta")
	h.frame()

	// Restart: the drafts and the open conversation come back.
	if err := h.m.Close(); err != nil {
		t.Fatal(err)
	}
	h = newUIHarnessAt(t, srv, dir)
	h.until("Beta open again", func(st state.State) bool { return st.Me != nil && st.Open != nil && st.Open.ID == beta })
	h.frame()
	if got := h.composer(); got != "still typing in Beta" {
		t.Fatalf("after a restart Beta's field holds %q", got)
	}
	h.openOnScreen("Alpha")
	if got := h.composer(); got != "for Alpha 给阿尔法" {
		t.Fatalf("after a restart Alpha's field holds %q", got)
	}

	// Alpha's text was never sent anywhere; Beta got its own, once.
	texts := func(st state.State) (out []string) {
		for _, m := range st.Open.Messages {
			if m.Kind == proto.MsgText {
				out = append(out, m.Text)
			}
		}
		return out
	}
	if got := texts(h.m.State()); len(got) != 0 {
		t.Fatalf("Alpha got messages %q", got)
	}
	h.openOnScreen("Beta")
	if got := texts(h.m.State()); !slices.Equal(got, []string{"for Beta"}) {
		t.Fatalf("Beta got messages %q, want only its own", got)
	}
}

func TestALongPasteIsKeptWholeRefusedAsAMessageAndSentAsATextFile(t *testing.T) {
	li, wang := twoInAGroup(t)
	li.openOnScreen("学习小组")
	// 25,001 bytes: over the 16,384 of a message, in Chinese and English.
	var b strings.Builder
	for b.Len() < 25_001-len("第三章 chapter three\n") {
		b.WriteString("第三章 chapter three\n")
	}
	b.WriteString(strings.Repeat("x", 25_001-b.Len()))
	text := b.String()
	if len(text) != 25_001 {
		t.Fatalf("made %d bytes", len(text))
	}
	li.d.Paste(text)
	li.frame()
	if got := li.composer(); got != text {
		t.Fatalf("the message field holds %d bytes of the %d pasted", len(got), len(text))
	}
	li.see("25,001 / 16,384 bytes — too long for one message")

	li.press(key.NameReturn, 0)
	li.see("Not sent: a message holds at most 16,384 bytes and this text has 25,001. Shorten it, or send it as a file.")
	li.click("Send")
	li.frame()
	if got := li.composer(); got != text {
		t.Fatalf("after Send the field holds %d bytes", len(got))
	}
	for _, m := range li.m.State().Open.Messages {
		if m.Kind == proto.MsgText {
			t.Fatalf("the long text went out as a message: %d bytes", len(m.Text))
		}
	}

	li.click("Send as a file")
	st := li.until("the text file sent", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
	name := st.Transfers[0].Name
	if !strings.HasPrefix(name, "message-") || !strings.HasSuffix(name, ".txt") {
		t.Errorf("the file is named %q, want message-….txt", name)
	}
	if got := li.composer(); got != "" {
		t.Errorf("after sending it as a file the field still holds %d bytes", len(got))
	}

	wang.openOnScreen("学习小组")
	wang.see(name)
	wang.click("Save")
	saved := filepath.Join(wang.downloads, name)
	wang.see("Saved to " + saved)
	got, err := os.ReadFile(saved)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != text {
		t.Fatalf("the saved file has %d bytes, not the %d typed", len(got), len(text))
	}
}
