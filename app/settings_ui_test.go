package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"testing"

	"parley/app/model/modeltest"
	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// onSettings opens the Settings screen of h, tall enough to show it all.
func (h *uiHarness) onSettings() {
	h.t.Helper()
	h.d.Size = image.Pt(1200, 2600)
	h.click("Settings")
	h.see("Devices")
	h.until("the devices listed", func(st state.State) bool { return st.Settings.Loaded })
}

// secondDeviceOf logs u in on another app (data folder) and waits until
// it is online.
func secondDeviceOf(t *testing.T, srv *nodetest.Server, u proto.User) *uiHarness {
	t.Helper()
	h := newUIHarness(t, srv)
	if err := h.m.Login(context.Background(), srv.HTTPURL, fmt.Sprint(u.ID), "correct horse"); err != nil {
		t.Fatal(err)
	}
	h.until("online", func(st state.State) bool { return st.Conn == state.Online })
	return h
}

func TestAPictureChosenInSettingsBecomesMyAvatarForOthers(t *testing.T) {
	li, wang := twoInAGroup(t)
	img := image.NewNRGBA(image.Rect(0, 0, 300, 200))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []uint8{0x20, 0x90, 0xe0, 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	picked := modeltest.NewPickedStream(bytes.NewReader(b.Bytes()), "me.png", int64(b.Len()))
	li.win.choose = func(context.Context, bool) ([]io.ReadCloser, error) { return []io.ReadCloser{picked}, nil }

	li.onSettings()
	li.click("Choose picture…")
	st := li.until("my picture", func(st state.State) bool { return st.Me.Picture != "" && st.Pictures[st.Me.ID] != nil })
	li.see("Remove picture")
	if !picked.WasClosed() {
		t.Error("the picked stream was not closed")
	}
	wang.until("Li's picture", func(ws state.State) bool { return ws.Pictures[st.Me.ID] != nil })
	if c := st.Pictures[st.Me.ID].At(128, 128); !sameColour(c, color.NRGBA{0x20, 0x90, 0xe0, 0xff}) {
		t.Errorf("the thumbnail's middle is %v", c)
	}
}

func sameColour(a color.Color, b color.NRGBA) bool {
	r, g, bl, _ := a.RGBA()
	near := func(x uint32, y uint8) bool { d := int(x>>8) - int(y); return d > -8 && d < 8 }
	return near(r, b.R) && near(g, b.G) && near(bl, b.B)
}

func TestChangingThePasswordOnScreenSignsTheOtherDeviceOut(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	u := li.loggedIn(srv, "李华")
	phone := secondDeviceOf(t, srv, u)

	li.onSettings()
	li.fill("Current password", "correct horse")
	li.fill("New password", "battery staple")
	li.fill("New password again", "battery staple")
	li.click("Change password")
	li.see("Password changed. Your other devices were signed out.")
	phone.see("Your password was changed on another device. Log in with the new password.")
}

func TestRevokingADeviceOnScreenSignsItOutSayingWhy(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	u := li.loggedIn(srv, "李华")
	phone := secondDeviceOf(t, srv, u)

	li.onSettings()
	li.see("This device")
	li.click("Sign out")
	li.click("Sign it out")
	li.until("one device left", func(st state.State) bool { return len(st.Settings.Devices) == 1 })
	phone.see("This device was signed out from another device. Log in again to use it.")
}

func TestDeletingTheAccountOnScreenReturnsToTheLoginScreen(t *testing.T) {
	srv := nodetest.Start(t)
	li := newUIHarness(t, srv)
	li.loggedIn(srv, "李华")
	li.onSettings()
	li.fill("Password", "correct horse")
	li.click("Delete my account")
	li.click("Delete for good")
	li.see("The account was deleted.")
	li.see("Log in")
}
