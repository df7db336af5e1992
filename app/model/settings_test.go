package model

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// pngFile writes a w × h PNG of one colour and returns its path.
func pngFile(t *testing.T, dir string, w, h int, c color.NRGBA) string {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "me.png")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// secondDevice logs u in on another model (another data folder).
func secondDevice(t *testing.T, srv *nodetest.Server, u proto.User) *testModel {
	t.Helper()
	tm := newTestModel(t, srv, t.TempDir())
	if err := tm.Login(context.Background(), srv.HTTPURL, fmt.Sprint(u.ID), "secret-password"); err != nil {
		t.Fatal(err)
	}
	tm.online()
	return tm
}

// revokedWith waits for the login screen saying reason.
func (tm *testModel) revokedWith(reason string) {
	tm.t.Helper()
	tm.waitFor("the login screen saying "+reason, func(st state.State) bool {
		return st.Me == nil && slices.ContainsFunc(st.Notices, func(n state.Notice) bool {
			return n.Kind == state.NoticeRevoked && len(n.Args) == 1 && n.Args[0] == reason
		})
	})
}

func TestAProfileAndItsPictureReachTheOtherPersonAtOnce(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newTestModel(t, srv, t.TempDir())
	wangDir := t.TempDir()
	wang := newTestModel(t, srv, wangDir)
	liU := li.registerAndLogin(srv, "Li")
	wang.registerAndLogin(srv, "Wang")
	if err := wang.OpenDirect(ctx, fmt.Sprint(liU.ID)); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the direct conversation", func(st state.State) bool { return len(st.Conversations) == 1 })
	if err := wang.Send(ctx, "你好"); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the message stored", func(st state.State) bool {
		return st.Open != nil && len(st.Open.Messages) == 1 && st.Open.Messages[0].Status.Stored()
	})

	conv := wang.State().Conversations[0].ID
	li.waitFor("the direct conversation", func(st state.State) bool { return len(st.Conversations) == 1 })
	if err := li.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	if err := li.Send(ctx, "在吗"); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("Li's message", func(st state.State) bool { return st.Open != nil && len(st.Open.Messages) == 2 })

	if err := li.SetProfile(ctx, "  李华  ", "学习中"); err != nil {
		t.Fatal(err)
	}
	st := li.State()
	if st.Me.Name != "李华" || st.Me.About != "学习中" || st.Settings.DoneIn != state.SectionProfile {
		t.Fatalf("my profile after the change: %+v, done in %q", st.Me, st.Settings.DoneIn)
	}
	if err := li.SetPictureFile(ctx, pngFile(t, t.TempDir(), 600, 400, color.NRGBA{R: 200, A: 255})); err != nil {
		t.Fatal(err)
	}
	st = li.waitFor("my picture", func(st state.State) bool { return st.Me.Picture != "" && st.Pictures[liU.ID] != nil })
	if b := st.Pictures[liU.ID].Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("my thumbnail is %v, want the server's 256 × 256 square", b)
	}
	wang.waitFor("Li renamed with a picture in Wang's list", func(st state.State) bool {
		c := st.Conversations[0]
		return c.Name == "李华" && c.Peer != nil && c.Peer.About == "学习中" && st.Pictures[liU.ID] != nil
	})
	wang.waitFor("Li's old message and membership renamed", func(st state.State) bool {
		return st.Open != nil && len(st.Open.Messages) == 2 && st.Open.Messages[1].SenderName == "李华" &&
			slices.ContainsFunc(st.Open.Members, func(m proto.Member) bool { return m.Name == "李华" })
	})

	// A file that is no picture is refused here, inline, and changes nothing.
	notPic := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notPic, []byte("just words"), 0o600)
	if err := li.SetPictureFile(ctx, notPic); err == nil {
		t.Fatal("a text file became my picture")
	}
	st = li.State()
	if st.Settings.ErrorIn != state.SectionPicture || st.Settings.Error.Detail != state.InputPictureUnknown || st.Me.Picture == "" {
		t.Fatalf("after a text file: error %+v in %q, picture %q", st.Settings.Error, st.Settings.ErrorIn, st.Me.Picture)
	}
	if err := li.RemovePicture(ctx); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("Li's picture gone", func(st state.State) bool { return st.Pictures[liU.ID] == nil })

	// A device that was away learns the change from sync: the name of an
	// old message in its cache too.
	wang.Close()
	if err := li.SetProfile(ctx, "李小华", ""); err != nil {
		t.Fatal(err)
	}
	wang = newTestModel(t, srv, wangDir)
	wang.online()
	if err := wang.Open(ctx, conv); err != nil {
		t.Fatal(err)
	}
	wang.waitFor("the old message renamed after sync", func(st state.State) bool {
		return st.Open != nil && len(st.Open.Messages) == 2 && st.Open.Messages[1].SenderName == "李小华" &&
			st.Conversations[0].Name == "李小华" && st.Conversations[0].Peer.About == ""
	})

	// A device that starts later learns the name from sync.
	again := secondDevice(t, srv, liU)
	if n := again.State().Me.Name; n != "李小华" {
		t.Errorf("a new device's name is %q", n)
	}
}

func TestChangingThePasswordSignsTheOtherDeviceOutSayingWhy(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	laptop := newTestModel(t, srv, t.TempDir())
	u := laptop.registerAndLogin(srv, "Li")
	phone := secondDevice(t, srv, u)

	if err := laptop.ChangePassword(ctx, "secret-password", "new-password-1", "new-password-2"); err == nil {
		t.Fatal("mismatched passwords were accepted")
	}
	if st := laptop.State(); st.Settings.Error == nil || st.Settings.Error.Detail != state.InputPasswordMismatch || st.Settings.ErrorIn != state.SectionPassword {
		t.Fatalf("mismatch error: %+v", st.Settings.Error)
	}
	if err := laptop.ChangePassword(ctx, "wrong-password", "new-password-1", "new-password-1"); err == nil {
		t.Fatal("a wrong current password was accepted")
	}
	if e := laptop.State().Settings.Error; e == nil || e.Code != proto.CodeWrongPassword {
		t.Fatalf("wrong password error: %+v", e)
	}
	if err := laptop.ChangePassword(ctx, "secret-password", "new-password-1", "new-password-1"); err != nil {
		t.Fatal(err)
	}
	phone.revokedWith(proto.ReasonPasswordChanged)
	st := laptop.State()
	if st.Me == nil || len(st.Settings.Devices) != 1 || !st.Settings.Devices[0].Current {
		t.Fatalf("the laptop after the change: me %v, devices %+v", st.Me, st.Settings.Devices)
	}
	if err := phone.Login(ctx, srv.HTTPURL, fmt.Sprint(u.ID), "new-password-1"); err != nil {
		t.Fatalf("log in with the new password: %v", err)
	}
}

func TestRevokingADeviceSignsItOut(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	laptop := newTestModel(t, srv, t.TempDir())
	u := laptop.registerAndLogin(srv, "Li")
	phone := secondDevice(t, srv, u)
	if err := laptop.LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	devs := laptop.State().Settings.Devices
	if len(devs) != 2 {
		t.Fatalf("devices: %+v", devs)
	}
	i := slices.IndexFunc(devs, func(d proto.Device) bool { return !d.Current })
	if devs[i].Name != "test" || devs[i].Platform == "" {
		t.Errorf("the other device: %+v", devs[i])
	}
	if err := laptop.RevokeDevice(ctx, devs[i].ID); err != nil {
		t.Fatal(err)
	}
	phone.revokedWith(proto.ReasonRevoked)
	if devs := laptop.State().Settings.Devices; len(devs) != 1 || !devs[0].Current {
		t.Fatalf("devices after revoking: %+v", devs)
	}
}

func TestUnblockingSomeoneTakesThemOffTheList(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	li := newTestModel(t, srv, t.TempDir())
	li.registerAndLogin(srv, "Li")
	wang := newTestModel(t, srv, t.TempDir()).registerAndLogin(srv, "Wang")
	if err := li.account().sess.Block(ctx, wang.ID); err != nil {
		t.Fatal(err)
	}
	if err := li.LoadSettings(ctx); err != nil {
		t.Fatal(err)
	}
	if b := li.State().Settings.Blocked; len(b) != 1 || b[0].ID != wang.ID || b[0].Name != "Wang" {
		t.Fatalf("blocked: %+v", b)
	}
	if err := li.Unblock(ctx, wang.ID); err != nil {
		t.Fatal(err)
	}
	if st := li.State(); len(st.Settings.Blocked) != 0 || st.Settings.DoneIn != state.SectionBlocked {
		t.Fatalf("after unblocking: %+v", st.Settings)
	}
}

func TestDeletingTheAccountReturnsEveryDeviceToTheLoginScreen(t *testing.T) {
	srv := nodetest.Start(t)
	ctx := context.Background()
	laptop := newTestModel(t, srv, t.TempDir())
	u := laptop.registerAndLogin(srv, "Li")
	phone := secondDevice(t, srv, u)
	if err := laptop.DeleteAccount(ctx, "wrong-password"); err == nil {
		t.Fatal("deleted with a wrong password")
	}
	if st := laptop.State(); st.Me == nil || st.Settings.Error == nil || st.Settings.Error.Code != proto.CodeWrongPassword || st.Settings.ErrorIn != state.SectionDelete {
		t.Fatalf("after a wrong password: %+v", st.Settings)
	}
	if err := laptop.DeleteAccount(ctx, "secret-password"); err != nil {
		t.Fatal(err)
	}
	laptop.revokedWith(proto.ReasonAccountDeleted)
	phone.revokedWith(proto.ReasonAccountDeleted)
	if err := laptop.Login(ctx, srv.HTTPURL, fmt.Sprint(u.ID), "secret-password"); proto.CodeOf(err) != proto.CodeBadCredentials {
		t.Fatalf("login to a deleted account: %v", err)
	}
}

func TestRegisteringWithACode(t *testing.T) {
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.Registration = hub.RegistrationCodes }))
	ctx := context.Background()
	tm := newTestModel(t, srv, t.TempDir())
	for code, want := range map[string]proto.Code{"": proto.CodeCodeRequired, "nosuchcode": proto.CodeBadCode} {
		err := tm.RegisterWithCode(ctx, srv.HTTPURL, "Li", "secret-password", "secret-password", code)
		if proto.CodeOf(err) != want {
			t.Errorf("code %q: %v, want %s", code, err, want)
		}
		if st := tm.State(); st.AuthError == nil || st.AuthError.Code != want {
			t.Errorf("code %q: the login screen says %+v", code, st.AuthError)
		}
	}
	if _, err := srv.Node.DB().CreateRegCode(ctx, "goodcode", 1, 0); err != nil {
		t.Fatal(err)
	}
	if err := tm.RegisterWithCode(ctx, srv.HTTPURL, "Li", "secret-password", "secret-password", " goodcode "); err != nil {
		t.Fatal(err)
	}
	tm.online()
}
