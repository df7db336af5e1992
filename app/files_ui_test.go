package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gioui.org/io/key"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// openOnScreen clicks a conversation in the list and waits until it is
// open.
func (h *uiHarness) openOnScreen(name string) {
	h.t.Helper()
	h.see(name)
	h.click(name)
	h.until(name+" open", func(st state.State) bool { return st.Open != nil && st.Open.Name == name })
}

// twoInAGroup starts a server and two app windows, 李华 and 王芳, both
// logged in and members of 李华's group 学习小组.
func twoInAGroup(t *testing.T) (li, wang *uiHarness) {
	t.Helper()
	srv := nodetest.Start(t)
	li, wang = newUIHarness(t, srv), newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	w := wang.loggedIn(srv, "王芳")
	ctx := context.Background()
	if err := li.m.CreateGroup(ctx, "学习小组"); err != nil {
		t.Fatal(err)
	}
	st := li.until("the group", func(st state.State) bool { return len(st.Conversations) == 1 })
	if err := li.m.Invite(ctx, fmt.Sprint(w.ID), fmt.Sprint(st.Conversations[0].ID)); err != nil {
		t.Fatal(err)
	}
	return li, wang
}

func TestAFileSentFromThePathFieldIsSavedByAnotherMember(t *testing.T) {
	li, wang := twoInAGroup(t)
	path, _ := modeltest.WriteFile(t, t.TempDir(), "第三章 slides.pdf", 3_000_000, 1)

	li.openOnScreen("学习小组")
	li.click("Attach a file")
	li.see("Goes to 学习小组")
	li.typeText(path) // the path field has the focus
	li.press(key.NameReturn, 0)
	li.see("第三章 slides.pdf")
	li.until("the upload done", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
	li.see("Sent") // the row stays to open the file
	li.see("3 MB")

	// 王芳 is told, sees the file in the group, and saves it.
	wang.see("李华 sent 第三章 slides.pdf (3 MB)")
	wang.openOnScreen("学习小组")
	wang.see("第三章 slides.pdf")
	wang.click("Save")
	saved := filepath.Join(wang.downloads, "第三章 slides.pdf")
	wang.see("Saved to " + saved)
	if got, want := modeltest.SumOf(t, saved), modeltest.SumOf(t, path); got != want {
		t.Fatalf("the saved file's SHA-256 is %s, the sent one's %s", got, want)
	}
	// The message now opens the saved file.
	wang.click("Open")
	wang.until("the file opened", func(state.State) bool {
		return slices.Equal(wang.opener.Opened(), []string{saved})
	})
	if msgs := wang.m.State().Open.Messages; msgs[len(msgs)-1].Kind != proto.MsgFile {
		t.Fatalf("the group's last message is %+v, want the file", msgs[len(msgs)-1])
	}
}

func TestAMistypedPathIsExplainedBesideTheFieldWhichKeepsIt(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	if err := li.m.CreateGroup(context.Background(), "学习小组"); err != nil {
		t.Fatal(err)
	}
	li.openOnScreen("学习小组")
	li.click("Attach a file")
	missing := filepath.Join(t.TempDir(), "slides.pdf")
	li.typeText(missing)
	li.press(key.NameReturn, 0)
	li.see("No file at " + missing + " — check the path")
	if got, _ := li.d.FieldText("File path"); got != missing {
		t.Fatalf("the path field holds %q, want the path typed", got)
	}
	if _, ok := li.d.FindContaining("The file is gone"); ok {
		t.Fatal("the notice bar says the file is gone")
	}
	if st := li.m.State(); len(st.Transfers) != 0 {
		t.Fatalf("a transfer was queued: %+v", st.Transfers)
	}
	// Once the file is there, the same path goes, and the field empties.
	if err := os.WriteFile(missing, []byte("slides"), 0o644); err != nil {
		t.Fatal(err)
	}
	li.click("File path")
	li.press(key.NameReturn, 0)
	li.until("the file sent", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
	if got, _ := li.d.FieldText("File path"); got != "" {
		t.Fatalf("after sending the path field holds %q", got)
	}
	if _, ok := li.d.FindContaining("No file at"); ok {
		t.Fatal("the error is still shown after the file went")
	}
}

func TestWithoutAFilePickerThePathFieldIsOffered(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	if err := li.m.CreateGroup(context.Background(), "学习小组"); err != nil {
		t.Fatal(err)
	}
	li.openOnScreen("学习小组")
	li.click("Attach a file")
	li.click("Choose file…")
	li.see("No file picker on this system — type the file's path")
	path, _ := modeltest.WriteFile(t, t.TempDir(), "notes.txt", 1000, 2)
	li.typeText(path) // the path field has the focus again
	li.press(key.NameReturn, 0)
	li.until("the file sent", func(st state.State) bool {
		return len(st.Transfers) == 1 && st.Transfers[0].State == state.TransferDone
	})
}
