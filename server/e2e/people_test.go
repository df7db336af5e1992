package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"image/color"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/proto"
)

// Profile and devices (docs/protocol.md, "Profile and devices"), through a
// real server.

// loginOn opens a device of p with a device name and platform.
func loginOn(t testing.TB, url string, p person, name, platform string) *device {
	t.Helper()
	in := newInbox()
	c := dial(t, url, in)
	r, err := c.LoginWith(testCtx(t), proto.LoginRequest{User: p.ID, Password: p.password, Device: name, Platform: platform})
	if err != nil {
		t.Fatalf("login %d: %v", p.ID, err)
	}
	return &device{Conn: c, person: p, token: r.Token, inbox: in}
}

// wantRevoked waits for d's connection to end and checks that the server
// closed it as revoked, with reason.
func wantRevoked(t testing.TB, d *device, reason string) {
	t.Helper()
	select {
	case <-d.Done():
	case <-testCtx(t).Done():
		t.Fatalf("%d's connection was not closed", d.ID)
	}
	got, ok := client.Revoked(d.Err())
	if !ok || got != reason {
		t.Fatalf("connection ended with %v; want close %d %q", d.Err(), proto.CloseRevoked, reason)
	}
}

func wantCode(t testing.TB, err error, code proto.Code) {
	t.Helper()
	if proto.CodeOf(err) != code {
		t.Fatalf("got %v, want %s", err, code)
	}
	var e *proto.Error
	if errors.As(err, &e) && e.Message == "" {
		t.Fatalf("error %s has no message for people", code)
	}
}

// wantTokenDead checks that token can neither resume nor authorise HTTP.
func wantTokenDead(t testing.TB, s *server, token string) {
	t.Helper()
	c := dial(t, s.URL, nil)
	_, err := c.Resume(testCtx(t), token)
	wantCode(t, err, proto.CodeBadToken)
	req, _ := http.NewRequestWithContext(testCtx(t), "GET", s.HTTPURL+proto.FilesPath, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET %s with a revoked token: %d, want 401", proto.FilesPath, resp.StatusCode)
	}
}

func TestDevicesListsSessionsAndRevokeLogsOneOutAtOnce(t *testing.T) {
	s := start(t)
	li := register(t, s.URL, "李华")
	laptop := loginOn(t, s.URL, li, "Li's laptop", "linux")
	phone := loginOn(t, s.URL, li, "Li's phone", "android")

	ds, err := laptop.Devices(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	// On a cluster the phone is on another node, which the laptop's hears
	// of within milliseconds (docs/protocol.md, devices): ask again until
	// it has (a guard of 10 s).
	for deadline := time.Now().Add(10 * time.Second); clusterRun && len(ds) == 2 && !(ds[0].Online && ds[1].Online) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // polling a condition, with a deadline
		if ds, err = laptop.Devices(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	if len(ds) != 2 {
		t.Fatalf("devices: %+v, want 2", ds)
	}
	byName := map[string]proto.Device{}
	for _, d := range ds {
		byName[d.Name] = d
		if d.ID == "" || d.Created == 0 || d.LastActive < d.Created || d.Address != "127.0.0.1" || !d.Online {
			t.Fatalf("device %+v: want ID, times, address 127.0.0.1, online", d)
		}
	}
	mine, other := byName["Li's laptop"], byName["Li's phone"]
	if !mine.Current || other.Current || mine.Platform != "linux" || other.Platform != "android" {
		t.Fatalf("devices %+v: want the laptop (linux) current, the phone (android) not", ds)
	}

	// Someone else cannot revoke Li's phone, nor Li his own device.
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	wantCode(t, wang.RevokeDevice(testCtx(t), other.ID), proto.CodeNoSuchDevice)
	wantCode(t, laptop.RevokeDevice(testCtx(t), mine.ID), proto.CodeSelf)
	wantCode(t, laptop.RevokeDevice(testCtx(t), "not-a-device"), proto.CodeNoSuchDevice)
	if err := phone.Ping(testCtx(t)); err != nil {
		t.Fatalf("the phone after refused revokes: %v", err)
	}

	if err := laptop.RevokeDevice(testCtx(t), other.ID); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, phone, proto.ReasonRevoked)
	wantTokenDead(t, s, phone.token)
	wantCode(t, laptop.RevokeDevice(testCtx(t), other.ID), proto.CodeNoSuchDevice)
	ds, err = laptop.Devices(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || ds[0].ID != mine.ID {
		t.Fatalf("devices after the revoke: %+v", ds)
	}
	if err := laptop.Ping(testCtx(t)); err != nil {
		t.Fatalf("the laptop after revoking the phone: %v", err)
	}
}

// A Session (what the app runs) whose device is revoked stops at once,
// with an error that says so, instead of reconnecting.
func TestARevokedSessionStopsAndSaysWhy(t *testing.T) {
	s := start(t)
	li := register(t, s.URL, "李华")
	laptop := loginOn(t, s.URL, li, "laptop", "linux")
	phone := loginOn(t, s.URL, li, "phone", "android")
	online := make(chan struct{}, 1)
	sess := client.NewSession(client.SessionConfig{
		URL:   s.URL,
		Token: func() string { return phone.token },
		OnState: func(st client.State, _ error) {
			if st == client.Online {
				select {
				case online <- struct{}{}:
				default:
				}
			}
		},
	})
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx) }()
	select {
	case <-online:
	case err := <-done:
		t.Fatalf("session ended before it was online: %v", err)
	}
	ds, err := laptop.Devices(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if !d.Current {
			if err := laptop.RevokeDevice(testCtx(t), d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	err = <-done
	if !errors.Is(err, client.ErrRevoked) || !errors.Is(err, client.ErrBadToken) {
		t.Fatalf("Run returned %v, want ErrRevoked and ErrBadToken", err)
	}
	if reason, ok := client.Revoked(err); !ok || reason != proto.ReasonRevoked {
		t.Fatalf("Revoked(%v) = %q, %v", err, reason, ok)
	}
}

func TestChangingThePasswordEndsEveryOtherSession(t *testing.T) {
	s := start(t)
	li := register(t, s.URL, "李华")
	laptop := loginOn(t, s.URL, li, "laptop", "linux")
	phone := loginOn(t, s.URL, li, "phone", "android")
	phoneAgain := phone.resume(t, s.URL) // a second connection of the phone's session

	// Refusals change nothing.
	wantCode(t, laptop.SetPassword(testCtx(t), "wrong password", "new password"), proto.CodeWrongPassword)
	wantCode(t, laptop.SetPassword(testCtx(t), password, "short"), proto.CodeWeakPassword)
	for _, d := range []*device{laptop, phone, phoneAgain} {
		if err := d.Ping(testCtx(t)); err != nil {
			t.Fatalf("after refused password changes: %v", err)
		}
	}
	c := dial(t, s.URL, nil)
	if _, err := c.Login(testCtx(t), li.ID, password, "x"); err != nil {
		t.Fatalf("the old password after refused changes: %v", err)
	}

	if err := laptop.SetPassword(testCtx(t), password, "new password"); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, phone, proto.ReasonPasswordChanged)
	wantRevoked(t, phoneAgain, proto.ReasonPasswordChanged)
	wantTokenDead(t, s, phone.token)
	if err := laptop.Ping(testCtx(t)); err != nil {
		t.Fatalf("the device that changed the password: %v", err)
	}
	if _, err := laptop.resume(t, s.URL).WhoAmI(testCtx(t)); err != nil {
		t.Fatalf("the changing device's session resumes: %v", err)
	}
	_, err := dial(t, s.URL, nil).Login(testCtx(t), li.ID, password, "x")
	wantCode(t, err, proto.CodeBadCredentials)
	if _, err := dial(t, s.URL, nil).Login(testCtx(t), li.ID, "new password", "x"); err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
}

// Wrong current passwords count toward the login limit of the account:
// five, then even the right one is refused for a while.
func TestWrongCurrentPasswordsAreRateLimited(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	for range 5 {
		wantCode(t, li.SetPassword(testCtx(t), "wrong password", "new password"), proto.CodeWrongPassword)
	}
	err := li.SetPassword(testCtx(t), password, "new password")
	wantCode(t, err, proto.CodeRateLimited)
	var e *proto.Error
	if !errors.As(err, &e) || e.RetryAfterMs <= 0 {
		t.Fatalf("rate_limited without retry_after_ms: %v", err)
	}
	wantCode(t, li.DeleteAccount(testCtx(t), password), proto.CodeRateLimited)
	if _, err := dial(t, s.URL, nil).Login(testCtx(t), li.ID, "new password", "x"); proto.CodeOf(err) == "" {
		t.Fatal("the refused change took effect")
	}
}

// decodeBody decodes a push body.
func decodeBody[T any](t testing.TB, p client.Push) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(p.Body, &v); err != nil {
		t.Fatalf("%s push: %v", p.Type, err)
	}
	return v
}

// profilePush waits for the next profile push of user on d.
func (d *device) profilePush(t testing.TB, user proto.UserID) proto.User {
	t.Helper()
	p := d.inbox.take(t, "profile push", func(p client.Push) bool {
		return p.Type == proto.TypeProfile && decodeBody[proto.ProfilePush](t, p).User.ID == user
	})
	return decodeBody[proto.ProfilePush](t, p).User
}

func TestANewNameShowsEverywhereOldMessagesIncluded(t *testing.T) {
	s := start(t)
	liP := register(t, s.URL, "李华")
	laptop, phone := login(t, s.URL, liP), login(t, s.URL, liP)
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom")) // shares nothing with Li
	g := group(t, "Study Group", laptop, wang)
	old := laptop.send(t, g.ID, "hello")
	if _, err := wang.Direct(testCtx(t), liP.ID); err != nil {
		t.Fatal(err)
	}
	g2 := group(t, "Second", wang, laptop) // its last message: Li joined

	name, about := "李小华", "学习中 · studying"
	u, err := laptop.SetProfile(testCtx(t), proto.SetProfileRequest{Name: &name, About: &about})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != liP.ID || u.Name != name || u.About != about {
		t.Fatalf("set_profile answered %+v", u)
	}
	for _, d := range []*device{wang, phone, laptop} {
		if got := d.profilePush(t, liP.ID); got.Name != name || got.About != about {
			t.Fatalf("profile push to %d: %+v", d.ID, got)
		}
	}

	// Old messages and events carry the new name.
	h, err := wang.History(testCtx(t), proto.HistoryRequest{Conv: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range h.Messages {
		if m.Sender == liP.ID && m.SenderName != name {
			t.Fatalf("history message %d by Li says %q", m.Seq, m.SenderName)
		}
		if m.Event != nil && m.Event.Actor.ID == liP.ID && m.Event.Actor.Name != name {
			t.Fatalf("history event %d by Li says %q", m.Seq, m.Event.Actor.Name)
		}
		if m.Seq == old.Seq && m.Text != "hello" {
			t.Fatalf("old message changed: %+v", m)
		}
	}
	cs, err := wang.Conversations(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.ID == g2.ID && (c.Last == nil || c.Last.Event == nil || c.Last.Event.Actor.Name != name) {
			t.Fatalf("the summary of a group whose last message is Li's event: %+v", c.Last)
		}
	}
	ms, err := wang.Members(testCtx(t), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Li and Wang may have joined in the same millisecond: then the list
	// is by ID, so find Li.
	i := slices.IndexFunc(ms, func(m proto.Member) bool { return m.ID == liP.ID })
	if i < 0 || ms[i].Name != name || ms[i].About != about {
		t.Fatalf("members: %+v", ms)
	}
	dc, err := wang.Direct(testCtx(t), liP.ID)
	if err != nil {
		t.Fatal(err)
	}
	if dc.Name != name || dc.Peer == nil || dc.Peer.About != about {
		t.Fatalf("the direct conversation as Wang sees it: %+v %+v", dc, dc.Peer)
	}
	if p, err := tom.UserProfile(testCtx(t), liP.ID); err != nil || p.Name != name || p.About != about {
		t.Fatalf("user: %+v, %v", p, err)
	}
	if tom.inbox.seen(func(p client.Push) bool { return p.Type == proto.TypeProfile }) {
		t.Fatal("someone who shares no conversation was pushed the profile")
	}

	// Li's other connection sends under the new name.
	phone.send(t, g.ID, "from the phone")
	if m := wang.inbox.message(t, g.ID); m.Text != "from the phone" || m.SenderName != name {
		for m.Text != "from the phone" {
			m = wang.inbox.message(t, g.ID)
		}
		if m.SenderName != name {
			t.Fatalf("a message from Li's other connection says %q", m.SenderName)
		}
	}
}

func TestBadProfilesAreRefusedAndChangeNothing(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	about := "first"
	if _, err := li.SetProfile(testCtx(t), proto.SetProfileRequest{About: &about}); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	cases := []struct {
		req  proto.SetProfileRequest
		code proto.Code
	}{
		{proto.SetProfileRequest{Name: str("  ")}, proto.CodeInvalidName},
		{proto.SetProfileRequest{Name: str(strings.Repeat("名", proto.MaxNameRunes+1)), About: str("new")}, proto.CodeInvalidName},
		{proto.SetProfileRequest{Name: str("a\u0007b")}, proto.CodeInvalidName},
		{proto.SetProfileRequest{Name: str("ok"), About: str(strings.Repeat("好", proto.MaxAboutRunes+1))}, proto.CodeTooLarge},
		{proto.SetProfileRequest{About: str("two\nlines")}, proto.CodeBadRequest},
		{proto.SetProfileRequest{Name: str("ok"), Picture: str("0123456789abcdef0123456789abcdef")}, proto.CodeNoSuchFile},
	}
	for _, c := range cases {
		_, err := li.SetProfile(testCtx(t), c.req)
		wantCode(t, err, c.code)
	}
	p, err := li.UserProfile(testCtx(t), li.ID)
	if err != nil || p.Name != "李华" || p.About != "first" || p.Picture != "" {
		t.Fatalf("profile after refusals: %+v, %v", p, err)
	}
	// Unauthenticated: nothing.
	c := dial(t, s.URL, nil)
	_, err = c.SetProfile(testCtx(t), proto.SetProfileRequest{Name: str("x")})
	wantCode(t, err, proto.CodeUnauthenticated)
}

func TestDeletingAnAccountKeepsMessagesAndEndsEverythingElse(t *testing.T) {
	s := start(t)
	liP := register(t, s.URL, "李华")
	laptop, phone := login(t, s.URL, liP), login(t, s.URL, liP)
	wang := login(t, s.URL, register(t, s.URL, "Wang"))
	tom := login(t, s.URL, register(t, s.URL, "Tom"))
	zhao := login(t, s.URL, register(t, s.URL, "Zhao")) // shares only the group
	g := group(t, "Study Group", laptop, wang, zhao)
	said := laptop.send(t, g.ID, "goodbye all")
	dc, err := laptop.Direct(testCtx(t), wang.ID)
	if err != nil {
		t.Fatal(err)
	}
	laptop.send(t, dc.ID, "hi Wang") // the direct conversation is in the writer's cache
	about := "about me"
	upload := uploadPicture(t, s, laptop, pngOf(t, 32, 32, color.White))
	me, err := laptop.SetProfile(testCtx(t), proto.SetProfileRequest{About: &about, Picture: &upload})
	if err != nil {
		t.Fatal(err)
	}

	// The wrong password changes nothing.
	link, err := laptop.CreateLink(testCtx(t), proto.CreateLinkRequest{Group: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, laptop.DeleteAccount(testCtx(t), "wrong password"), proto.CodeWrongPassword)
	if err := phone.Ping(testCtx(t)); err != nil {
		t.Fatalf("the phone after a refused delete: %v", err)
	}
	if p, err := wang.UserProfile(testCtx(t), liP.ID); err != nil || p.Deleted || p.Name != "李华" {
		t.Fatalf("profile after a refused delete: %+v %v", p, err)
	}

	if err := laptop.DeleteAccount(testCtx(t), password); err != nil {
		t.Fatal(err)
	}
	wantRevoked(t, phone, proto.ReasonAccountDeleted)
	_, err = laptop.WhoAmI(testCtx(t))
	wantCode(t, err, proto.CodeUnauthenticated) // logged out, still connected
	wantTokenDead(t, s, laptop.token)
	_, err = dial(t, s.URL, nil).Login(testCtx(t), liP.ID, password, "x")
	wantCode(t, err, proto.CodeBadCredentials)

	// The others see "Deleted account", in old messages too.
	wang.profilePush(t, liP.ID) // the about line and picture
	// The left event (fanned out with the group's messages) and the
	// profile push come in either order: the protocol promises none.
	var left *proto.Message
	var deleted *proto.User
	for left == nil || deleted == nil {
		p := wang.inbox.take(t, "the left event and the deleted profile", func(p client.Push) bool {
			return p.Message != nil && p.Message.Conv == g.ID && p.Message.Event != nil && p.Message.Event.Type == proto.EventLeft ||
				p.Type == proto.TypeProfile && decodeBody[proto.ProfilePush](t, p).User.ID == liP.ID
		})
		if p.Message != nil {
			left = p.Message
		} else {
			u := decodeBody[proto.ProfilePush](t, p).User
			deleted = &u
		}
	}
	if left.Sender != liP.ID || left.Event.Actor.Name != proto.DeletedName {
		t.Fatalf("left event: %+v", left)
	}
	if p := *deleted; !p.Deleted || p.Name != proto.DeletedName || p.About != "" || p.Picture != "" {
		t.Fatalf("profile push: %+v", p)
	}
	zhao.profilePush(t, liP.ID) // the about line and picture
	if p := zhao.profilePush(t, liP.ID); !p.Deleted {
		t.Fatalf("profile push to a member of the group: %+v", p)
	}
	p, err := tom.UserProfile(testCtx(t), liP.ID)
	if err != nil || !p.Deleted || p.Name != proto.DeletedName || p.About != "" || p.Picture != "" {
		t.Fatalf("the deleted profile: %+v %v", p, err)
	}
	if st, _ := httpDo(t, s, wang.token, "GET", proto.FilesPath+"/"+me.Picture, nil, nil); st != http.StatusNotFound {
		t.Fatalf("the deleted account's picture: %d, want 404", st)
	}
	info, err := wang.GroupInfo(testCtx(t), g.ID)
	if err != nil || info.Owner == nil || info.Owner.ID != wang.ID || info.Members != 2 {
		t.Fatalf("the group after its owner's account was deleted: %+v %v", info, err)
	}
	h, err := wang.History(testCtx(t), proto.HistoryRequest{Conv: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range h.Messages {
		if m.Sender == liP.ID && m.SenderName != proto.DeletedName {
			t.Fatalf("message %d by the deleted account says %q", m.Seq, m.SenderName)
		}
		if m.Event != nil && m.Event.Actor.ID == liP.ID && m.Event.Actor.Name != proto.DeletedName {
			t.Fatalf("event %d by the deleted account says %q", m.Seq, m.Event.Actor.Name)
		}
		found = found || m.Seq == said.Seq && m.Text == "goodbye all"
	}
	if !found {
		t.Fatal("the deleted account's message is gone from the group")
	}

	// The direct conversation stays, and takes no new messages.
	checkDirect := func() {
		t.Helper()
		cs, err := wang.Conversations(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ID == dc.ID && (c.Name != proto.DeletedName || c.Peer == nil || !c.Peer.Deleted || c.Last == nil || c.Last.Text != "hi Wang") {
				t.Fatalf("the direct conversation: %+v", c)
			}
		}
		_, err = wang.Send(testCtx(t), dc.ID, client.NewClientID(), "are you there?")
		wantCode(t, err, proto.CodeAccountDeleted)
	}
	checkDirect()
	_, err = tom.Direct(testCtx(t), liP.ID)
	wantCode(t, err, proto.CodeAccountDeleted)
	_, err = wang.Invite(testCtx(t), liP.ID, g.ID)
	wantCode(t, err, proto.CodeNoSuchUser)
	_, err = tom.LinkInfo(testCtx(t), link.Token)
	wantCode(t, err, proto.CodeNoSuchLink)
	create, _ := json.Marshal(proto.CreateRequest{Name: "a.txt", Size: 1, SHA256: strings.Repeat("0", 64), Conv: dc.ID})
	if st, b := httpDo(t, s, wang.token, "POST", proto.UploadsPath, nil, create); st != http.StatusForbidden || !strings.Contains(string(b), string(proto.CodeAccountDeleted)) {
		t.Fatalf("a file to the deleted account: %d %s", st, b)
	}
	_, err = tom.UserProfile(testCtx(t), 1)
	wantCode(t, err, proto.CodeNoSuchUser)

	// The same after a restart (nothing cached).
	s.Restart(t)
	wang = login(t, s.URL, wang.person)
	checkDirect()
}

// A device that was away when a profile changed learns of it from sync:
// the profiles changed since the revision of its last sync.
func TestSyncBringsTheProfilesChangedWhileAway(t *testing.T) {
	s := start(t)
	li := login(t, s.URL, register(t, s.URL, "李华"))
	wangP := register(t, s.URL, "Wang")
	wang := login(t, s.URL, wangP)
	zhaoP := register(t, s.URL, "Zhao")
	zhao := login(t, s.URL, zhaoP)
	tom := login(t, s.URL, register(t, s.URL, "Tom")) // shares nothing with Li
	group(t, "Study Group", li, wang, zhao)
	r, err := li.SyncWith(testCtx(t), proto.SyncRequest{})
	if err != nil {
		t.Fatal(err)
	}
	rev := r.ProfilesRev
	li.Close() // away

	name, about := "王芳", "hello"
	if _, err := wang.SetProfile(testCtx(t), proto.SetProfileRequest{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if _, err := tom.SetProfile(testCtx(t), proto.SetProfileRequest{About: &about}); err != nil {
		t.Fatal(err)
	}
	if err := zhao.DeleteAccount(testCtx(t), password); err != nil {
		t.Fatal(err)
	}

	back := li.resume(t, s.URL)
	r, err = back.SyncWith(testCtx(t), proto.SyncRequest{ProfilesAfter: rev})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Profiles) != 2 || r.Profiles[0].ID != wangP.ID || r.Profiles[0].Name != name ||
		r.Profiles[1].ID != zhaoP.ID || !r.Profiles[1].Deleted || r.ProfilesRev <= rev {
		t.Fatalf("sync after %d: profiles %+v, rev %d; want Wang renamed and Zhao deleted, not Tom", rev, r.Profiles, r.ProfilesRev)
	}
	r2, err := back.SyncWith(testCtx(t), proto.SyncRequest{ProfilesAfter: r.ProfilesRev})
	if err != nil || len(r2.Profiles) != 0 || r2.ProfilesRev != r.ProfilesRev {
		t.Fatalf("the next sync: %+v rev %d, %v; want none", r2.Profiles, r2.ProfilesRev, err)
	}
}
