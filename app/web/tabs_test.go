package web

import (
	"strconv"
	"testing"
	"time"
)

// newTab opens url in another tab of the same browser (the same profile:
// the same IndexedDB and Web Locks), driven on a DevTools connection of
// its own.
func (b *browser) newTab(url string) *browser {
	b.t.Helper()
	ctx := ctxFor(b.t, 30*time.Second)
	dt, err := dialDevTools(ctx, b.url)
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(dt.close)
	if err := dt.newPage(ctx, url); err != nil {
		b.t.Fatal(err)
	}
	return &browser{t: b.t, dt: dt, url: b.url}
}

// front brings the tab to the front, as a user switching to it does.
func (b *browser) front() {
	b.t.Helper()
	b.call("Page.bringToFront", nil)
}

// One tab at a time has an account: a second tab says the account is open
// in another, and takes it over on Use here; the first then says the same.
func TestASecondTabTakesTheAccountOverOnRequest(t *testing.T) {
	srv, first := startWeb(t)
	id := first.signUp()
	first.createGroup()

	second := first.newTab(srv.HTTPURL + "/?automation")
	inUse := "Account " + strconv.FormatInt(id, 10) + " is open in another tab of this browser"
	second.see(inUse)
	second.click("Use here")
	second.see("ID " + strconv.FormatInt(id, 10))
	second.see("学习小组 Study Group")
	first.front() // a tab in the background draws no frames
	first.see(inUse)

	// And back, in the first tab.
	first.click("Use here")
	first.see("学习小组 Study Group")
	second.front()
	second.see(inUse)
}

// The language and theme chosen are remembered across a reload (in
// localStorage: the browser has no files).
func TestBrowserRemembersTheLanguageAcrossAReload(t *testing.T) {
	_, b := startWeb(t)
	b.see("Log in")
	b.click("中文")
	b.see("登录")
	b.call("Page.reload", nil)
	b.see("注册")
	b.see("登录")
}
