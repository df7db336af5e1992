package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/ui/uitest"
)

// settingsScreens shows the Settings screen (issue #15) and saves the
// README's screenshots: my profile with its picture, the language and
// appearance choices (English, light); the devices of the account and
// the blocked people (Chinese, dark).
func settingsScreens(t *testing.T, bin string) {
	srv := startServer(t)
	size := image.Pt(1280, 800)
	ctx := context.Background()
	me := seedUserAt(t, srv, t.TempDir(), "李华")
	wang := seedUserAt(t, srv, t.TempDir(), "王芳")
	tom := seedUserAt(t, srv, t.TempDir(), "Tom Baker")
	spam := seedUserAt(t, srv, t.TempDir(), "Spam Bot")
	must(t, me.m.SetProfile(ctx, "李华", "学习中 · studying UI design"))
	must(t, me.m.SetPictureFile(ctx, portrait(t, color.NRGBA{0xf5, 0x9e, 0x0b, 0xff}, color.NRGBA{0xdb, 0x27, 0x77, 0xff})))
	must(t, wang.m.SetPictureFile(ctx, portrait(t, color.NRGBA{0x06, 0xb6, 0xd4, 0xff}, color.NRGBA{0x25, 0x63, 0xeb, 0xff})))
	study := me.group("学习小组 Study Group", wang, tom)
	wang.say(study, "资料发到群里了，大家看看。")
	chat := wang.direct(me)
	wang.say(chat, "周末一起去图书馆吗？")
	me.until("Wang's picture", func(st state.State) bool { return st.Pictures[wang.me.ID] != nil })
	me.m.Logout(ctx) // the seeding device goes: the app is "this device"

	// The app's own session, then a phone and a browser elsewhere; the
	// browser's connection blocks the spammer.
	dir := t.TempDir()
	app, err := model.NewModel(model.Config{DataDir: dir, Server: srv, Device: "Li's laptop"})
	if err != nil {
		t.Fatal(err)
	}
	must(t, app.Login(ctx, srv, fmt.Sprint(me.me.ID), "correct horse"))
	app.Close()
	for _, d := range []struct{ name, platform string }{{"李华的手机", "android"}, {"Office browser", "web"}} {
		c := loginElsewhere(t, srv, me.me.ID, d.name, d.platform)
		if d.platform == "web" {
			must(t, c.Block(ctx, spam.me.ID))
		}
		c.Close()
	}

	args := func(lang, theme string) []string {
		return []string{"-server", srv, "-data", dir, "-size", fmt.Sprintf("%dx%d", size.X, size.Y), "-lang", lang, "-theme", theme, "-audio", "null"}
	}
	x := startXvfb(t, size)
	a := startWatched(t, bin, x, args("en", "light")...)
	a.click("Settings")
	a.until("my profile and the devices loaded", func(sc uitest.Screen) bool {
		_, about := sc.FieldText("About")
		_, lang := sc.Find("Language")
		return about && lang
	})
	save(t, "settings.png", settled(t, x))
	a.stop()

	b := startWatched(t, bin, x, args("zh", "dark")...)
	b.click("设置")
	b.until("the Settings screen", func(sc uitest.Screen) bool {
		_, ok := sc.Find("个人资料")
		return ok
	})
	b.scrollTo("设备", size.Y/2)
	b.until("the devices", func(sc uitest.Screen) bool {
		_, ok := sc.Find("李华的手机")
		return ok
	})
	b.click("登出")
	b.until("the question", func(sc uitest.Screen) bool {
		_, ok := sc.Find("确认登出")
		return ok
	})
	save(t, "devices.png", settled(t, x))
	b.stop()
}

// scrollTo turns the mouse wheel over the middle of the window until
// the label s is at most top pixels from the top.
func (a *watchedApp) scrollTo(s string, top int) {
	a.t.Helper()
	for range 40 {
		sc := a.screen()
		if n, ok := sc.Find(s); ok && !n.Visible.Empty() && n.Visible.Min.Y <= top {
			return
		}
		a.x.xdo(a.t, "mousemove", "800", "400", "click", "5")
		select { // the next frame (a wheel click past the end draws none)
		case <-a.changed:
		case <-time.After(2 * time.Second):
		}
	}
	n, ok := a.screen().Find(s)
	a.t.Fatalf("could not scroll %q to the top (found %v at %v); on screen: %q", s, ok, n.Visible, a.screen().Texts())
}

// loginElsewhere logs user in as another device, with a name and a
// platform, and returns its connection.
func loginElsewhere(t *testing.T, srv string, user proto.UserID, device, platform string) *client.Conn {
	t.Helper()
	ctx := context.Background()
	c, err := client.Dial(ctx, "ws"+srv[len("http"):]+proto.WSPath, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoginWith(ctx, proto.LoginRequest{User: user, Password: "correct horse", Device: device, Platform: platform}); err != nil {
		t.Fatal(err)
	}
	return c
}

// portrait writes a profile picture: a diagonal gradient from a to b
// with the soft silhouette of a head and shoulders.
func portrait(t *testing.T, a, b color.NRGBA) string {
	t.Helper()
	const n = 512
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	mix := func(x, y uint8, f float64) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f) }
	for y := range n {
		for x := range n {
			f := float64(x+y) / (2 * n)
			c := color.NRGBA{mix(a.R, b.R, f), mix(a.G, b.G, f), mix(a.B, b.B, f), 0xff}
			head := math.Hypot(float64(x-n/2), float64(y-n*40/100)) - n*0.16
			body := math.Hypot(float64(x-n/2)/1.25, float64(y-n*95/100)) - n*0.32
			if d := math.Min(head, body); d < 2 {
				w := math.Min(1, 2-d) * 0.85
				c = color.NRGBA{mix(c.R, 0xff, w), mix(c.G, 0xff, w), mix(c.B, 0xff, w), 0xff}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "portrait-"+strconv.Itoa(int(a.R))+".png")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
