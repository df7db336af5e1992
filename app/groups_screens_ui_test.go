package main

import (
	"context"
	"fmt"
	"image"
	"strings"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui/uitest"
)

// groupScreens drives two real app binaries through a group that asks to
// join (issue #15): its owner opens the group settings, sees Tom's request
// and makes an invite link there; 王芳's app is started with that link
// (as the system hands a clicked link over) and asks to join; the owner
// approves her on screen, and she is in. It saves the README's
// screenshots of the group settings (English) and of the link's card
// (Chinese, dark).
func groupScreens(t *testing.T, bin string) {
	srv := startServer(t)
	size := image.Pt(1280, 800)
	ctx := context.Background()
	liDir, wangDir := t.TempDir(), t.TempDir()
	li := seedUserAt(t, srv, liDir, "李华")
	wang := seedUserAt(t, srv, wangDir, "王芳")
	tom := seedUserAt(t, srv, t.TempDir(), "Tom Baker")
	chen := seedUserAt(t, srv, t.TempDir(), "陈静")
	const name = "读书会 Reading Club"
	must(t, li.m.CreateGroupWith(ctx, name, proto.PolicyAsk))
	st := li.until("the group", func(st state.State) bool { return st.Open != nil && st.Open.Name == name })
	club := st.Open.ID
	must(t, li.m.Invite(ctx, fmt.Sprint(chen.me.ID), fmt.Sprint(club)))
	li.say(club, "Welcome! This week: *The Three-Body Problem*, chapters 1–5.")
	must(t, tom.m.JoinGroup(ctx, fmt.Sprint(club))) // asks: a request for the admins
	li.until("Tom's request", func(st state.State) bool { return len(st.JoinRequests[club]) == 1 })
	li.m.Close()
	wang.m.Close()

	args := func(dir, lang, theme string, extra ...string) []string {
		return append([]string{"-server", srv, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}, extra...)
	}
	a := startWatched(t, bin, startXvfb(t, size), args(liDir, "en", "light")...)
	a.click(name)
	a.click("Group settings")
	a.until("Tom's request and the members", func(sc uitest.Screen) bool {
		_, approve := sc.Find("Approve")
		_, owner := sc.Find("Owner")
		return approve && owner
	})
	save(t, "group-settings.png", settled(t, a.x))

	// A link, made on screen (at the bottom of the settings).
	a.scrollTo("Create link", 760)
	a.click("Create link")
	var link string
	a.until("the new link", func(sc uitest.Screen) bool {
		for _, n := range sc {
			if strings.Contains(n.Desc.Label, "/join/") && strings.HasPrefix(n.Desc.Label, "http") {
				link = n.Desc.Label
				return true
			}
		}
		return false
	})
	if _, ok := state.JoinToken(link); !ok {
		t.Fatalf("the link shown, %q, is not an invite link", link)
	}

	// 王芳's app opens with the link and asks to join.
	b := startWatched(t, bin, startXvfb(t, size), args(wangDir, "zh", "dark", link)...)
	b.until("the link's card", func(sc uitest.Screen) bool {
		_, ok := sc.Find("申请加入")
		return ok
	})
	save(t, "join-link.png", settled(t, b.x))
	b.click("申请加入")

	// The owner lets her in from the settings.
	for _, who := range []string{"Tom Baker", "王芳"} {
		a.approve(who)
	}
	b.until("the group in her list", func(sc uitest.Screen) bool {
		_, ok := sc.Find(name)
		return ok
	})
	tom.until("in the group", func(st state.State) bool {
		for _, c := range st.Conversations {
			if c.ID == club {
				return true
			}
		}
		return false
	})
}

// requestOf is the row of who's join request in the group settings: their
// name and ID.
func requestOf(sc uitest.Screen, who string) (uitest.Node, bool) {
	for _, n := range sc {
		if strings.HasPrefix(n.Desc.Label, who+" (") && !n.Visible.Empty() {
			return n, true
		}
	}
	return uitest.Node{}, false
}

// approve presses Approve on who's request in the group settings: the
// Approve button on the row that names them.
func (a *watchedApp) approve(who string) {
	a.t.Helper()
	var p image.Point
	a.until(fmt.Sprintf("the request of %s", who), func(sc uitest.Screen) bool {
		name, ok := requestOf(sc, who)
		if !ok {
			return false
		}
		mid := (name.Visible.Min.Y + name.Visible.Max.Y) / 2
		for _, n := range sc {
			if n.Desc.Label == "Approve" && !n.Visible.Empty() && n.Visible.Min.Y <= mid && mid <= n.Visible.Max.Y {
				p = n.Visible.Min.Add(n.Visible.Max).Div(2)
				return true
			}
		}
		return false
	})
	a.x.clickAt(a.t, p)
	a.until(fmt.Sprintf("%s let in", who), func(sc uitest.Screen) bool {
		_, waiting := requestOf(sc, who)
		return !waiting
	})
}
