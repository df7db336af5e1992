package web

import (
	"strings"
	"testing"
	"time"

	"parley/net/proto"
)

// An invite link opened in the browser: the server's page for it
// (/join/TOKEN) leads to the browser app with ?join=TOKEN, which, once
// the visitor has an account, shows the link's card; joining from it
// makes them a member.
func TestAnInviteLinkOpensTheBrowserAppsJoinCard(t *testing.T) {
	srv := serveWeb(t)
	ctx := ctxFor(t, 30*time.Second)
	wang := srv.NewUser(t, "Wang")
	g, err := wang.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "读书会 Book Club", Policy: proto.PolicyOpen})
	if err != nil {
		t.Fatal(err)
	}
	link, err := wang.Conn.CreateLink(ctx, proto.CreateLinkRequest{Group: g.ID})
	if err != nil {
		t.Fatal(err)
	}

	b := startBrowser(t)
	b.open(srv.HTTPURL + link.Path)
	var href string
	deadline := time.Now().Add(30 * time.Second)
	for href == "" && time.Now().Before(deadline) {
		b.dt.eval(ctxFor(t, 30*time.Second), `(document.querySelector('a[href^="/?join="]') || {}).href || ""`, &href)
	}
	if !strings.HasSuffix(href, "/?join="+link.Token) {
		t.Fatalf("the join page links the browser app at %q, want /?join=%s", href, link.Token)
	}
	b.open(href + "&automation") // the page's link, with the test hook on

	b.signUp()
	b.see("Join 读书会 Book Club?")
	b.click("Join this group")
	b.see("读书会 Book Club")
	info, err := wang.Conn.GroupInfo(ctxFor(t, 30*time.Second), g.ID)
	if err != nil || info.Members != 2 {
		t.Fatalf("the group after the browser joined: %+v %v", info, err)
	}
}
