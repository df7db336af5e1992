package ui_test

import (
	"image"
	"image/png"
	"os"
	"slices"
	"strings"
	"testing"

	"gioui.org/io/key"
	"gioui.org/io/semantic"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/uitest"
)

// withGroupEvents is the busy group with group events at its end.
func withGroupEvents(st state.State, evs ...proto.Event) state.State {
	o := *st.Open
	o.Messages = slices.Clone(o.Messages)
	seq := int64(100)
	for _, e := range evs {
		seq++
		o.Messages = append(o.Messages, state.Message{Message: proto.Message{Conv: o.ID, Seq: seq, Sender: e.Actor.ID, SenderName: e.Actor.Name,
			Time: o.Messages[len(o.Messages)-2].Time + 60_000, Kind: proto.MsgGroupEvent, Event: &e}})
	}
	o.Revision++
	st.Open = &o
	return st
}

// paneNode finds the control (or, control false, the text) labelled s in
// the conversation pane (right of the sidebar, where the conversation
// list has rows of the same names), scrolling the pane from its top
// until it shows.
func paneNode(d *uitest.Driver, st state.State, s string, control bool) (uitest.Node, bool) {
	mid := image.Pt(800, 500)
	d.Scroll(mid, -10000)
	d.Frame(st)
	for range 12 {
		for _, n := range d.Screen() {
			if (n.Desc.Label == s || n.Desc.Description == s) && !n.Visible.Empty() && n.Visible.Min.X > 330 &&
				(!control || n.Control != semantic.Unknown) {
				return n, true
			}
		}
		d.Scroll(mid, 250)
		d.Frame(st)
	}
	return uitest.Node{}, false
}

// clickPane clicks the control labelled s in the conversation pane.
func clickPane(t *testing.T, d *uitest.Driver, st state.State, s string) {
	t.Helper()
	n, ok := paneNode(d, st, s, true)
	if !ok {
		t.Fatalf("no control %q in the pane; have %q", s, d.Texts())
	}
	d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2))
}

// fillPane types text into the field described as desc in the pane.
func fillPane(t *testing.T, d *uitest.Driver, st state.State, desc, text string) {
	t.Helper()
	paneNode(d, st, desc, false) // scrolls it into view
	for _, n := range d.Screen() {
		if n.Desc.Description == desc && !n.Visible.Empty() && n.Visible.Min.X > 330 {
			d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2))
			d.Frame(st)
			d.Press("A", key.ModShortcut) // select what is there: typing replaces it
			d.Frame(st)
			d.Type(text)
			d.Frame(st)
			return
		}
	}
	t.Fatalf("no field %q in the pane; have %q", desc, d.Texts())
}

// inPane fails unless the pane shows s somewhere.
func inPane(t *testing.T, d *uitest.Driver, st state.State, s string) {
	t.Helper()
	if _, ok := paneNode(d, st, s, false); !ok {
		t.Fatalf("%q is not in the pane; have %q", s, d.Texts())
	}
}

func onScreenContaining(t *testing.T, d *uitest.Driver, s string) {
	t.Helper()
	if _, ok := d.FindContaining(s); !ok {
		t.Fatalf("nothing on screen says %q; have %q", s, d.Texts())
	}
}

// Group events are centred lines of the history, in both languages.
func TestGroupEventsAreLinesOfTheHistory(t *testing.T) {
	tom := uitest.Tom
	st := withGroupEvents(uitest.Busy(),
		proto.Event{Type: proto.EventRemoved, Actor: uitest.LiHua, Subject: &tom},
		proto.Event{Type: proto.EventRenamed, Actor: uitest.WangFang, Name: "读书会"},
		proto.Event{Type: proto.EventPromoted, Actor: uitest.LiHua, Subject: &uitest.ChenJing},
		proto.Event{Type: proto.EventPolicy, Actor: uitest.LiHua, Policy: proto.PolicyInvite},
	)
	d := newDriver(t, ui.English, desktop)
	d.Frame(st)
	for _, s := range []string{"李华 removed Tom Baker · ", "王芳 renamed the group to 读书会 · ", "李华 made 陈静 an admin · ",
		"李华 set who can join: Invite or link only · "} {
		onScreenContaining(t, d, s)
	}
	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(st)
	for _, s := range []string{"李华 将 Tom Baker 移出了群聊 · ", "王芳 将群名改为“读书会” · ", "李华 将 陈静 设为管理员 · "} {
		onScreenContaining(t, zh, s)
	}
}

// The create form asks who can join, with a line on each choice; ask is
// the default.
func TestCreateFormChoosesTheJoinPolicy(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	d.Frame(uitest.Busy())
	must(t, d.Click("New group"))
	d.Frame(d.State)
	if _, ok := d.Find("Ask to join"); ok {
		t.Fatal("the join policies show before there is a name")
	}
	must(t, d.Fill("Group name", "Board"))
	for _, s := range []string{"Ask to join", "People with the ID ask; an admin lets them in", "Invite or link only", "Anyone with the ID"} {
		onScreen(t, d, s)
	}
	must(t, d.Click("Invite or link only"))
	d.Frame(d.State)
	must(t, d.Click("Group name")) // back to the name: Enter creates
	d.Frame(d.State)
	d.Press(key.NameReturn, 0)
	d.Frame(d.State)
	if evs := d.Take(); !slices.Equal(evs, []ui.Event{ui.CreateGroup{Name: "Board", Policy: proto.PolicyInvite}}) {
		t.Fatalf("got %#v", evs)
	}
	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(uitest.Busy())
	must(t, zh.Click("创建群聊"))
	zh.Frame(zh.State)
	must(t, zh.Fill("群聊名称", "董事会"))
	onScreen(t, zh, "仅限邀请或链接")
}

// panelState is the busy group with its settings panel loaded, me (李华)
// in role.
func panelState(role string) state.State {
	st := uitest.Busy()
	st.Server = "https://chat.example.org"
	info := &proto.GroupInfo{ID: uitest.StudyGroup, Name: "学习小组 Study Group", Policy: proto.PolicyAsk, Invite: proto.AllowMembers,
		Send: proto.AllowMembers, Members: 5, Role: role}
	switch role {
	case proto.RoleOwner:
		info.Owner, info.Admins = &uitest.LiHua, []proto.User{uitest.ChenJing}
	case proto.RoleAdmin:
		info.Owner, info.Admins = &uitest.WangFang, []proto.User{uitest.LiHua}
	default:
		info.Owner = &uitest.WangFang
	}
	st.Group = &state.GroupPanel{Conv: uitest.StudyGroup, Info: info}
	return st
}

func openGroupSettings(t *testing.T, d *uitest.Driver, st state.State) {
	t.Helper()
	d.Frame(st)
	must(t, d.Click("Group settings"))
	if evs := d.Frame(st); count(evs, ui.OpenGroupSettings{Conv: uitest.StudyGroup}) != 1 {
		t.Fatalf("events %#v", evs)
	}
	d.Frame(st)
}

// On a phone-sized window the header has no room for the button: its
// name opens the settings.
func TestNarrowHeaderNameOpensTheSettings(t *testing.T) {
	d := newDriver(t, ui.English, image.Pt(400, 760))
	st := panelState(proto.RoleMember)
	d.Frame(st)
	n, ok := d.Find("Group settings")
	if !ok || n.Control != semantic.Button {
		t.Fatalf("no Group settings control; have %q", d.Texts())
	}
	if name, _ := d.Find("学习小组 Study Group"); !n.Visible.Overlaps(name.Visible) {
		t.Fatalf("Group settings at %v is not the header's name at %v", n.Visible, name.Visible)
	}
	d.ClickAt(n.Visible.Min.Add(n.Visible.Max).Div(2))
	if evs := d.Frame(st); count(evs, ui.OpenGroupSettings{Conv: uitest.StudyGroup}) != 1 {
		t.Fatalf("events %#v", evs)
	}
	d.Frame(st)
	onScreen(t, d, "Who can join: Ask to join")
}

// A member sees the settings and the roles, and no actions.
func TestSettingsPanelOfAMemberHasNoActions(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := panelState(proto.RoleMember)
	openGroupSettings(t, d, st)
	for _, s := range []string{"Who can join: Ask to join", "Owner", "李华 (you)", "Tom Baker", "Leave group"} {
		inPane(t, d, st, s)
	}
	for _, s := range []string{"Save", "Group name", "Delete group", "Requests to join"} {
		if _, ok := paneNode(d, st, s, false); ok {
			t.Fatalf("a member is offered %q", s)
		}
	}
	if _, ok := paneNode(d, st, "陈静", true); ok {
		t.Fatal("a member's row of someone else is a button")
	}
	// Esc closes the panel.
	d.Press(key.NameEscape, 0)
	if evs := d.Frame(st); count(evs, ui.CloseGroupSettings{}) != 1 {
		t.Fatalf("Esc gave %#v", evs)
	}
	// So does the model, and the messages are back.
	openGroupSettings(t, d, st)
	st.Group = nil
	d.Frame(st)
	d.Frame(st)
	onScreen(t, d, "Message 学习小组 Study Group")
}

// An admin may remove and ban members but not the owner; Remove calls the
// model; requests are answered; settings are saved.
func TestSettingsPanelOfAnAdmin(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := panelState(proto.RoleAdmin)
	st.JoinRequests = map[proto.ConvID][]proto.JoinRequest{uitest.StudyGroup: {{Group: uitest.StudyGroup, GroupName: "学习小组 Study Group", User: uitest.Sofia}}}
	openGroupSettings(t, d, st)
	inPane(t, d, st, "Requests to join: 1") // the header's badge
	inPane(t, d, st, "Sofia Rossi (4830)")
	clickPane(t, d, st, "Approve")
	if evs := d.Frame(st); count(evs, ui.AnswerJoin{Conv: uitest.StudyGroup, User: uitest.Sofia.ID, Approve: true}) != 1 {
		t.Fatalf("Approve gave %#v", evs)
	}
	if _, ok := paneNode(d, st, "王芳", true); ok {
		t.Fatal("an admin is offered actions on the owner")
	}
	clickPane(t, d, st, "陈静")
	d.Frame(st)
	inPane(t, d, st, "Ban")
	if _, ok := d.Find("Make admin"); ok {
		t.Fatal("an admin may make admins")
	}
	clickPane(t, d, st, "Remove")
	if evs := d.Frame(st); count(evs, ui.MemberAction{Conv: uitest.StudyGroup, User: uitest.ChenJing.ID, What: ui.ActRemove}) != 1 {
		t.Fatalf("Remove gave %#v", evs)
	}
	if _, ok := d.Find("Delete group"); ok {
		t.Fatal("an admin may delete the group")
	}
	fillPane(t, d, st, "Group name", "读书会")
	d.Frame(st)
	clickPane(t, d, st, "Admins only")
	d.Frame(st)
	clickPane(t, d, st, "Save")
	evs := d.Frame(st)
	i := slices.IndexFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.SetGroup); return ok })
	if i < 0 {
		t.Fatalf("Save gave %#v", evs)
	}
	req := evs[i].(ui.SetGroup).Req
	if req.Group != uitest.StudyGroup || req.Name == nil || *req.Name != "读书会" || req.Policy != nil || req.Description != nil ||
		(req.Invite == nil) == (req.Send == nil) {
		t.Fatalf("Save sent %+v", req)
	}
}

// The owner may also make admins and owners and delete the group, asked
// first.
func TestSettingsPanelOfTheOwner(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := panelState(proto.RoleOwner)
	openGroupSettings(t, d, st)
	clickPane(t, d, st, "陈静")
	d.Frame(st)
	inPane(t, d, st, "Remove admin")
	clickPane(t, d, st, "Tom Baker")
	d.Frame(st)
	for _, s := range []string{"Make admin", "Make owner", "Remove", "Ban"} {
		inPane(t, d, st, s)
	}
	clickPane(t, d, st, "Make owner")
	d.Frame(st)
	inPane(t, d, st, "Make Tom Baker the owner? You stay an admin.")
	clickPane(t, d, st, "Yes")
	if evs := d.Frame(st); count(evs, ui.MemberAction{Conv: uitest.StudyGroup, User: uitest.Tom.ID, What: ui.ActMakeOwner}) != 1 {
		t.Fatalf("Yes gave %#v", evs)
	}
	clickPane(t, d, st, "Delete group")
	if evs := d.Frame(st); slices.ContainsFunc(evs, func(e ui.Event) bool { _, ok := e.(ui.DeleteGroup); return ok }) {
		t.Fatal("Delete group did not ask first")
	}
	inPane(t, d, st, "Delete 学习小组 Study Group for everyone? Its history and files are removed.")
	clickPane(t, d, st, "Yes")
	if evs := d.Frame(st); count(evs, ui.DeleteGroup{Conv: uitest.StudyGroup}) != 1 {
		t.Fatalf("Yes gave %#v", evs)
	}
}

// Invite links: made with an expiry and a limit, listed with their uses,
// revoked; the one shown has its address and its QR code.
func TestInviteLinksWithQRCode(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := panelState(proto.RoleAdmin)
	openGroupSettings(t, d, st)
	clickPane(t, d, st, "1 day")
	d.Frame(st)
	fillPane(t, d, st, "Max uses (empty: unlimited)", "5")
	d.Frame(st)
	clickPane(t, d, st, "Create link")
	if evs := d.Frame(st); count(evs, ui.CreateLink{Conv: uitest.StudyGroup, ExpiresInMs: 86_400_000, MaxUses: 5}) != 1 {
		t.Fatalf("Create link gave %#v", evs)
	}
	l := proto.InviteLink{ID: 7, Group: uitest.StudyGroup, Token: "q3Jx0Lw1Zr9mUe5hT2aPkA", Path: "/join/q3Jx0Lw1Zr9mUe5hT2aPkA",
		Creator: uitest.LiHua, MaxUses: 5, Uses: 2}
	st.Group.Links, st.Group.NewLink = []proto.InviteLink{l}, &l
	d.Frame(st)
	inPane(t, d, st, "QR code of the invite link")
	// The code is drawn: dark and light modules, about half each.
	qr, _ := paneNode(d, st, "QR code of the invite link", false)
	d.Scroll(image.Pt(800, 500), float32(qr.Visible.Min.Y-150)) // all of it in sight
	d.Frame(st)
	qr, _ = d.Find("QR code of the invite link")
	r, err := uitest.NewRenderer(desktop)
	must(t, err)
	defer r.Release()
	img, err := r.Render(&d.Ops)
	must(t, err)
	dark, light := 0, 0
	for y := qr.Visible.Min.Y; y < qr.Visible.Max.Y; y++ {
		for x := qr.Visible.Min.X; x < qr.Visible.Max.X; x++ {
			switch c := img.RGBAAt(x, y); {
			case c.R < 0x40 && c.G < 0x40 && c.B < 0x40:
				dark++
			case c.R > 0xc0 && c.G > 0xc0 && c.B > 0xc0:
				light++
			}
		}
	}
	if area := qr.Visible.Dx() * qr.Visible.Dy(); area < 150*150 || dark < area/5 || light < area/3 || dark+light < area*95/100 {
		t.Fatalf("the QR code's %d pixels: %d dark, %d light", area, dark, light)
	}
	if os.Getenv("PARLEY_SHOTS") != "" {
		f, _ := os.Create(os.Getenv("PARLEY_SHOTS") + "/links.png")
		png.Encode(f, img)
		f.Close()
	}
	inPane(t, d, st, "https://chat.example.org/join/q3Jx0Lw1Zr9mUe5hT2aPkA")
	inPane(t, d, st, "In the app: parley://chat.example.org/join/q3Jx0Lw1Zr9mUe5hT2aPkA")
	inPane(t, d, st, "used 2 of 5 times · never expires")
	clickPane(t, d, st, "Revoke")
	if evs := d.Frame(st); count(evs, ui.RevokeLink{Conv: uitest.StudyGroup, ID: 7}) != 1 {
		t.Fatalf("Revoke gave %#v", evs)
	}
}

// A pasted invite link shows what it leads to, with Request to join for
// a group that asks and Join otherwise; a dead link says why.
func TestJoinByAPastedLink(t *testing.T) {
	d := newDriver(t, ui.English, desktop)
	st := uitest.Busy()
	d.Frame(st)
	must(t, d.Click("Join"))
	d.Frame(st)
	link := "parley://chat.example.org/join/q3Jx0Lw1Zr9mUe5hT2aPkA"
	must(t, d.Fill("Group ID or invite link", link))
	d.Press(key.NameReturn, 0)
	if evs := d.Frame(st); !slices.Equal(evs, []ui.Event{ui.JoinByText{Text: link}}) {
		t.Fatalf("got %#v", evs)
	}
	st.LinkPreview = &state.LinkPreview{Token: "q3Jx0Lw1Zr9mUe5hT2aPkA", Info: &proto.LinkInfo{Group: 48213377, Name: "Board", Members: 5, Policy: proto.PolicyAsk}}
	d.Frame(st)
	onScreen(t, d, "Join Board?")
	onScreen(t, d, "5 members")
	must(t, d.Click("Request to join"))
	if evs := d.Frame(st); !slices.Equal(evs, []ui.Event{ui.JoinLink{Token: "q3Jx0Lw1Zr9mUe5hT2aPkA"}}) {
		t.Fatalf("got %#v", evs)
	}
	st.LinkPreview.Info.Policy = proto.PolicyOpen
	d.Frame(st)
	must(t, d.Click("Join this group"))
	if evs := d.Frame(st); !slices.Equal(evs, []ui.Event{ui.JoinLink{Token: "q3Jx0Lw1Zr9mUe5hT2aPkA"}}) {
		t.Fatalf("got %#v", evs)
	}
	st.LinkPreview = &state.LinkPreview{Token: "x", Error: &state.Notice{Kind: state.NoticeError, Code: proto.CodeNoSuchLink}}
	d.Frame(st)
	onScreen(t, d, "This invite link does not exist or was revoked: ask for a new one")
	must(t, d.Click("Close"))
	if evs := d.Frame(st); !slices.Equal(evs, []ui.Event{ui.CloseLinkPreview{}}) {
		t.Fatalf("got %#v", evs)
	}

	// The requester's notices.
	st = uitest.Busy()
	st.Notices = []state.Notice{{ID: 9, Kind: state.NoticeJoinRequested, Args: []string{"Board", "48213377"}}}
	d.Frame(st)
	onScreen(t, d, "Request sent to the group's admins: Board (48213377)")
	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(st)
	if _, ok := zh.FindContaining("已向群管理员发送申请"); !ok {
		t.Fatalf("no Chinese notice; have %q", strings.Join(zh.Texts(), " | "))
	}
}

// A group's picture: its avatar in the list, the header and the panel
// draws it; an admin chooses and removes it in the panel; its events are
// lines of the history in both languages.
func TestGroupPictureIsDrawnChosenAndRemoved(t *testing.T) {
	pic := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(pic.Pix); i += 4 {
		copy(pic.Pix[i:], []uint8{0, 0xff, 0, 0xff})
	}
	st := panelState(proto.RoleAdmin)
	_, without := render(t, st, ui.English, false, desktop)
	st.GroupPictures = state.GroupPictures{uitest.StudyGroup: pic}
	st.Group.Info.Picture = "0123abcd"
	_, with := render(t, st, ui.English, false, desktop)
	if n := greenPixels(without); n != 0 {
		t.Fatalf("%d green pixels without the picture", n)
	}
	// The list's row and the header: two avatars of 36 dp, each about
	// π/4 of its square green (less the antialiased rim); one is ~1000.
	if n := greenPixels(with); n < 2*36*36*2/3 {
		t.Fatalf("only %d green pixels: the group's avatars do not draw its picture", n)
	}

	d := newDriver(t, ui.English, desktop)
	openGroupSettings(t, d, st)
	clickPane(t, d, st, "Choose picture…")
	if evs := d.Frame(st); count(evs, ui.ChooseGroupPicture{Conv: uitest.StudyGroup}) != 1 {
		t.Fatalf("Choose picture gave %#v", evs)
	}
	clickPane(t, d, st, "Remove picture")
	if evs := d.Frame(st); count(evs, ui.RemoveGroupPicture{Conv: uitest.StudyGroup}) != 1 {
		t.Fatalf("Remove picture gave %#v", evs)
	}
	// Without a picture there is nothing to remove; a member may do neither.
	st.Group.Info.Picture = ""
	if _, ok := paneNode(d, st, "Remove picture", true); ok {
		t.Fatal("Remove picture is offered for a group without one")
	}
	member := panelState(proto.RoleMember)
	dm := newDriver(t, ui.English, desktop)
	openGroupSettings(t, dm, member)
	if _, ok := paneNode(dm, member, "Choose picture…", true); ok {
		t.Fatal("a member is offered Choose picture")
	}

	ev := withGroupEvents(uitest.Busy(),
		proto.Event{Type: proto.EventPicture, Actor: uitest.LiHua, Picture: "0123abcd"},
		proto.Event{Type: proto.EventPicture, Actor: uitest.WangFang})
	de := newDriver(t, ui.English, desktop)
	de.Frame(ev)
	onScreenContaining(t, de, "李华 changed the group's picture · ")
	onScreenContaining(t, de, "王芳 removed the group's picture · ")
	zh := newDriver(t, ui.Chinese, desktop)
	zh.Frame(ev)
	onScreenContaining(t, zh, "李华 更换了群头像 · ")
}
