package main

import (
	"context"
	"fmt"
	"image"
	"testing"
	"time"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/ui/uitest"
)

// requestScreens shows a first-contact request as it waits for an answer
// (English, light): its messages and Block, Delete, Accept instead of
// the composer. Then muting (Chinese): a muted group's grey badge and
// bell in the list, and the open group's menu with its level.
func requestScreens(t *testing.T, bin string) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.NoRequests = false }))
	size := image.Pt(1280, 800)
	ctx := context.Background()
	dir := t.TempDir()
	me := seedUser(t, srv, dir, "李华")
	wang := seedUser(t, srv, t.TempDir(), "王芳")
	tom := seedUser(t, srv, t.TempDir(), "Tom Baker")
	alex := seedUser(t, srv, t.TempDir(), "Alex Chen")

	study := me.group("学习小组 Study Group", wang, tom)
	wang.say(study, "大家好！周四晚上七点开读书会，别迟到。")
	tom.say(study, "Thursday 7pm works for me.")
	me.say(study, "好的，我带资料。")
	project := tom.group("Project Parley", me, wang)
	direct := wang.direct(me)
	wang.say(direct, "周末一起去图书馆吗？")

	// A stranger writes: we share no group, so it is a request.
	cv := alex.direct(me)
	alex.say(cv, "Hi Li Hua! I found your ID on the conference attendee list.")
	alex.say(cv, "I'm organising the Go meetup in Shanghai — would you give a short talk on Gio?")
	me.until("the request", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == cv && c.Request && c.Last != nil && c.Last.Seq >= 2 {
				return true
			}
		}
		return false
	})
	// Project Parley is muted, with news; the study group notifies
	// mentions only for 8 hours.
	must(t, me.m.SetNotify(ctx, project, proto.NotifyOff, 0))
	must(t, me.m.SetNotify(ctx, study, proto.NotifyMentions, 8*time.Hour))
	tom.say(project, "The server build is green again.")
	wang.say(project, "太好了，我今晚测试安卓版。")
	me.until("the muted group's news", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == project && c.Unread >= 2 && c.Notify == proto.NotifyOff {
				return true
			}
		}
		return false
	})
	me.m.Close()

	args := func(lang, theme string) []string {
		return []string{"-server", srv.HTTPURL, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	x := startXvfb(t, size)
	// Settings come with the first sync: wait for it, so that no row or
	// button moves under a click.
	online := func(w *watchedApp, label string) {
		w.until("online", func(sc uitest.Screen) bool { _, ok := sc.Find(label); return ok })
	}
	a := startWatched(t, bin, x, args("en", "light")...)
	online(a, "Online")
	a.click("Message requests (1)")
	a.click("Alex Chen")
	a.until("the request bar", func(sc uitest.Screen) bool {
		_, accept := sc.Find("Accept")
		_, talk := sc.FindContaining("short talk on Gio")
		return accept && talk
	})
	save(t, "message-request.png", settled(t, x))
	a.stop()

	b := startWatched(t, bin, x, args("zh", "light")...)
	online(b, "在线")
	b.click("学习小组 Study Group")
	// The app opens the conversation open last (the request): wait for
	// the group's header, which has Leave.
	b.until("the group open", func(sc uitest.Screen) bool { _, ok := sc.Find("退出群聊"); return ok })
	b.click("更多选项")
	b.until("the menu", func(sc uitest.Screen) bool {
		_, ok := sc.FindContaining("仅@我 · 至")
		return ok
	})
	save(t, "muted.png", settled(t, x))
	b.stop()
}
