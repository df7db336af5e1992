package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/draw"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui/uitest"
)

// historyScreens shows a group as people use it (issue #14) and saves
// the README's screenshots of it: a reply, reactions, a mention of me,
// formatting and a link, an edit, a pin, and "Seen by" under my last
// message (English, light); the context menu of a message; the list of
// who saw my message (Chinese, dark).
func historyScreens(t *testing.T, bin string) {
	srv := startServer(t)
	size := image.Pt(1280, 800)
	ctx := context.Background()
	dir := t.TempDir()
	me := seedUserAt(t, srv, dir, "李华")
	wang := seedUserAt(t, srv, t.TempDir(), "王芳")
	tom := seedUserAt(t, srv, t.TempDir(), "Tom Baker")
	chen := seedUserAt(t, srv, t.TempDir(), "陈静")
	study := me.group("学习小组 Study Group", wang, tom, chen)

	wang.say(study, "大家好！周四晚上七点开读书会，**别迟到**。")
	pinned := newestSeq(t, wang)
	tom.say(study, "Thursday 7pm works. Notes: https://example.org/notes")
	notes := newestSeq(t, tom)
	must(t, tom.m.Edit(ctx, study, notes, "Thursday 7pm works for me. Notes: https://example.org/notes — *chapter 3* first?"))
	tom.until("the edit", func(st state.State) bool { return messageAt(st, notes).Edited != 0 })
	must(t, me.m.Reply(ctx, study, notes, "Yes, chapter 3 first. I'll bring the slides."))
	answer := me.until("the reply sent", func(st state.State) bool {
		ms := st.Open.Messages
		return len(ms) > 0 && ms[len(ms)-1].ReplyTo == notes && ms[len(ms)-1].Seq > 0
	}).Open.Messages
	reply := answer[len(answer)-1].Seq
	for _, r := range []struct {
		who   *seeded
		emoji string
	}{{wang, "👍"}, {tom, "👍"}, {chen, "🎉"}} {
		must(t, r.who.m.React(ctx, study, reply, r.emoji))
	}
	must(t, chen.m.Open(ctx, study)) // to read what comes next
	must(t, chen.m.SendMentioning(ctx, study, 0, "@李华 资料在哪里下载？", []proto.UserID{me.me.ID}))
	must(t, me.m.Pin(ctx, study, pinned, true))
	me.until("the reactions and the mention", func(st state.State) bool {
		ms := st.Open.Messages
		return len(messageAt(st, reply).Reactions) == 2 && len(ms) > 0 && len(ms[len(ms)-1].Mentions) == 1
	})
	me.say(study, "可以，我马上发到群里。")
	me.m.Close()

	args := func(lang, theme string) []string {
		return []string{"-server", srv, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	x := startXvfb(t, size)
	a := startWatched(t, bin, x, args("en", "light")...)
	a.click("学习小组 Study Group")
	a.until("Seen by 3, the pin bar and the edit", func(sc uitest.Screen) bool {
		_, seen := sc.Find("Seen by 3")
		_, edited := sc.FindContaining("edited")
		return seen && edited
	})
	save(t, "history.png", settled(t, x))

	a.menu("Yes, chapter 3 first. I'll bring the slides.")
	save(t, "history-menu.png", settled(t, x))
	a.stop()

	b := startWatched(t, bin, x, args("zh", "dark")...)
	b.click("学习小组 Study Group")
	b.click("3 人已读")
	b.until("the list of who saw it", func(sc uitest.Screen) bool {
		_, ok := sc.Find("Tom Baker")
		_, wangSeen := sc.Find("王芳")
		return ok && wangSeen
	})
	save(t, "seen-by.png", settled(t, x))
	b.stop()
}

// newestSeq is the seq of the newest message s's open conversation
// shows.
func newestSeq(t *testing.T, s *seeded) int64 {
	t.Helper()
	ms := s.m.State().Open.Messages
	if len(ms) == 0 || ms[len(ms)-1].Seq == 0 {
		t.Fatalf("%s: no message sent", s.me.Name)
	}
	return ms[len(ms)-1].Seq
}

// messageAt is the open conversation's message seq (zero if not shown).
func messageAt(st state.State, seq int64) state.Message {
	if st.Open != nil {
		for _, m := range st.Open.Messages {
			if m.Seq == seq {
				return m
			}
		}
	}
	return state.Message{}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// settled waits until two screenshots in a row are the same (a tint or
// a tooltip has finished changing), and returns the last.
func settled(t *testing.T, x xvfb) image.Image {
	t.Helper()
	var prev []byte
	return x.waitForScreen(t, "a still screen", func(img image.Image) bool {
		rgba := image.NewRGBA(img.Bounds())
		draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
		same := prev != nil && bytes.Equal(prev, rgba.Pix)
		prev = rgba.Pix
		return same
	})
}
