package ui

import (
	"fmt"
	"image"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"gioui.org/io/clipboard"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/widget"
	"gioui.org/widget/material"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// Groups in the UI: group events as lines of the history, the join
// policy of the create form, joining by link or ID with the invite link
// card, and the settings panel of a group (members and roles, requests,
// bans, invite links with their QR code), opened from the header.

type (
	// JoinByText joins by what was typed in "Group ID or invite link": an
	// invite link shows its card (State.LinkPreview), a number joins.
	JoinByText struct{ Text string }
	// JoinLink uses the invite link of the card.
	JoinLink struct{ Token string }
	// CloseLinkPreview closes the invite link card.
	CloseLinkPreview struct{}
	// OpenGroupSettings opens (and loads) a group's settings panel.
	OpenGroupSettings struct{ Conv proto.ConvID }
	// CloseGroupSettings closes it.
	CloseGroupSettings struct{}
	// SetGroup changes a group's settings; nil fields stay.
	SetGroup struct{ Req proto.SetGroupRequest }
	// MemberAction is done to a member (or banned user) of a group.
	MemberAction struct {
		Conv proto.ConvID
		User proto.UserID
		What string // one of the Act* below
	}
	// AnswerJoin approves or declines a request to join.
	AnswerJoin struct {
		Conv    proto.ConvID
		User    proto.UserID
		Approve bool
	}
	// DeleteGroup deletes a group for everyone (its owner).
	DeleteGroup struct{ Conv proto.ConvID }
	// CreateLink makes an invite link; 0: never expires, no limit.
	CreateLink struct {
		Conv        proto.ConvID
		ExpiresInMs int64
		MaxUses     int
	}
	// RevokeLink ends an invite link.
	RevokeLink struct {
		Conv proto.ConvID
		ID   int64
	}
	// ShowLink shows an invite link with its QR code (0: none).
	ShowLink struct{ ID int64 }
	// ChooseGroupPicture opens the file picker for a group's picture.
	ChooseGroupPicture struct{ Conv proto.ConvID }
	// RemoveGroupPicture removes a group's picture.
	RemoveGroupPicture struct{ Conv proto.ConvID }
)

// What a MemberAction does.
const (
	ActRemove      = "remove"
	ActBan         = "ban"
	ActUnban       = "unban"
	ActMakeAdmin   = "make_admin"
	ActRemoveAdmin = "remove_admin"
	ActMakeOwner   = "make_owner"
)

func (JoinByText) isEvent()         {}
func (JoinLink) isEvent()           {}
func (CloseLinkPreview) isEvent()   {}
func (OpenGroupSettings) isEvent()  {}
func (CloseGroupSettings) isEvent() {}
func (SetGroup) isEvent()           {}
func (MemberAction) isEvent()       {}
func (AnswerJoin) isEvent()         {}
func (DeleteGroup) isEvent()        {}
func (CreateLink) isEvent()         {}
func (RevokeLink) isEvent()         {}
func (ShowLink) isEvent()           {}
func (ChooseGroupPicture) isEvent() {}
func (RemoveGroupPicture) isEvent() {}

var settingsIcon = func() *widget.Icon {
	ic, err := widget.NewIcon(icons.ActionSettings)
	if err != nil {
		panic(err)
	}
	return ic
}()

// eventText is the line of a system message or group event.
func (u *UI) eventText(m proto.Message) string {
	if m.Kind != proto.MsgGroupEvent || m.Event == nil {
		return u.t().event(m)
	}
	w, e := u.gw(), m.Event
	subject := ""
	if e.Subject != nil {
		subject = e.Subject.Name
	}
	actor := e.Actor.Name
	switch e.Type {
	case proto.EventApproved:
		return fmt.Sprintf(w.EvApprovedF, actor, subject)
	case proto.EventRemoved:
		return fmt.Sprintf(w.EvRemovedF, actor, subject)
	case proto.EventBanned:
		return fmt.Sprintf(w.EvBannedF, actor, subject)
	case proto.EventUnbanned:
		return fmt.Sprintf(w.EvUnbannedF, actor, subject)
	case proto.EventRenamed:
		return fmt.Sprintf(w.EvRenamedF, actor, e.Name)
	case proto.EventDescribed:
		if e.Description == "" {
			return fmt.Sprintf(w.EvUndescribedF, actor)
		}
		return fmt.Sprintf(w.EvDescribedF, actor, e.Description)
	case proto.EventPolicy:
		return fmt.Sprintf(w.EvPolicyF, actor, w.policyName(e.Policy))
	case proto.EventPermissions:
		return fmt.Sprintf(w.EvPermissionsF, actor, w.allowName(e.Invite), w.allowName(e.Send))
	case proto.EventPromoted:
		return fmt.Sprintf(w.EvPromotedF, actor, subject)
	case proto.EventDemoted:
		return fmt.Sprintf(w.EvDemotedF, actor, subject)
	case proto.EventOwner:
		return fmt.Sprintf(w.EvOwnerF, actor, subject)
	case proto.EventPicture:
		if e.Picture == "" {
			return fmt.Sprintf(w.EvUnpictureF, actor)
		}
		return fmt.Sprintf(w.EvPictureF, actor)
	}
	return e.Type
}

func (w groupWords) policyName(p string) string {
	switch p {
	case proto.PolicyInvite:
		return w.PolicyInvite
	case proto.PolicyOpen:
		return w.PolicyOpen
	}
	return w.PolicyAsk
}

func (w groupWords) policyHelp(p string) string {
	switch p {
	case proto.PolicyInvite:
		return w.PolicyInviteHelp
	case proto.PolicyOpen:
		return w.PolicyOpenHelp
	}
	return w.PolicyAskHelp
}

func (w groupWords) allowName(a string) string {
	if a == proto.AllowAdmins {
		return w.AllowAdmins
	}
	return w.AllowMembers
}

// policies are the join policies in the order the forms offer them.
var policies = [...]string{proto.PolicyAsk, proto.PolicyInvite, proto.PolicyOpen}

// policyChoice is a choice of join policy: a radio row each, with the
// line that says what it means.
type policyChoice struct {
	rows [len(policies)]widget.Clickable
	sel  int // index in policies; 0: ask, the default
}

func (p *policyChoice) value() string { return policies[p.sel] }

func (p *policyChoice) set(policy string) {
	if i := slices.Index(policies[:], policy); i >= 0 {
		p.sel = i
	}
}

// update reports whether the choice changed.
func (p *policyChoice) update(gtx layout.Context) bool {
	changed := false
	for i := range p.rows {
		if p.rows[i].Clicked(gtx) && p.sel != i {
			p.sel, changed = i, true
		}
	}
	return changed
}

func (p *policyChoice) layout(gtx layout.Context, u *UI) layout.Dimensions {
	th, w := u.th, u.gw()
	children := make([]layout.FlexChild, len(policies))
	for i, pol := range policies {
		children[i] = layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return p.rows[i].Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				semantic.RadioButton.Add(gtx.Ops)
				semantic.SelectedOp(p.sel == i).Add(gtx.Ops)
				return layout.Inset{Top: 3, Bottom: 3}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Start}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							return layout.Inset{Top: 3}.Layout(gtx, func(gtx layout.Context) layout.Dimensions { return radioDot(gtx, u, p.sel == i) })
						}),
						layout.Rigid(gap(spaceS)),
						layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
							return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
								layout.Rigid(th.label(textSmall, th.Fg, w.policyName(pol)).medium().Layout),
								layout.Rigid(th.label(textCaption, th.FgMuted, w.policyHelp(pol)).lines(2).Layout),
							)
						}),
					)
				})
			})
		})
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx, children...)
}

// radioDot is a radio button's circle, filled when on.
func radioDot(gtx layout.Context, u *UI, on bool) layout.Dimensions {
	th := u.th
	s := gtx.Dp(14)
	c := th.FgMuted
	if on {
		c = th.Primary
	}
	paint.FillShape(gtx.Ops, c, clip.Stroke{Path: clip.Ellipse{Max: image.Pt(s, s)}.Path(gtx.Ops), Width: float32(gtx.Dp(2))}.Op())
	if on {
		in := gtx.Dp(4)
		paint.FillShape(gtx.Ops, c, clip.Ellipse{Min: image.Pt(in, in), Max: image.Pt(s-in, s-in)}.Op(gtx.Ops))
	}
	return layout.Dimensions{Size: image.Pt(s, s)}
}

// isGroupID reports whether s is all digits (a group ID, not a link).
func isGroupID(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// linkCard is the invite link card under "Join": what the link leads to,
// with Join (or Request to join) and Close.
type linkCard struct {
	join, close widget.Clickable
}

func (c *linkCard) update(gtx layout.Context, u *UI, st state.State) {
	p := st.LinkPreview
	if c.close.Clicked(gtx) {
		u.emit(CloseLinkPreview{})
	}
	if c.join.Clicked(gtx) && p != nil && p.Info != nil {
		u.emit(JoinLink{Token: p.Token})
	}
}

func (c *linkCard) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	p := st.LinkPreview
	if p == nil {
		return layout.Dimensions{}
	}
	th, w, t := u.th, u.gw(), u.t()
	var lines []layout.FlexChild
	switch {
	case p.Error != nil:
		lines = append(lines, layout.Rigid(th.label(textSmall, th.Danger, t.notice(*p.Error)).lines(3).Layout))
	case p.Info == nil:
		lines = append(lines, layout.Rigid(th.label(textSmall, th.FgMuted, w.LookingUp).Layout))
	default:
		lines = append(lines,
			layout.Rigid(th.label(textBody, th.Fg, fmt.Sprintf(w.JoinF, p.Info.Name)).bold().lines(2).userContent().Layout),
			layout.Rigid(th.label(textSmall, th.FgMuted, t.MembersN.format(p.Info.Members)).Layout))
		if p.Info.Policy == proto.PolicyAsk {
			lines = append(lines, layout.Rigid(th.label(textCaption, th.FgMuted, w.AsksNote).lines(2).Layout))
		}
	}
	lines = append(lines, layout.Rigid(gap(spaceS)), layout.Rigid(func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Spacing: layout.SpaceStart, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.button(&c.close, ghostButton, w.CloseLink)
				b.small = true
				return b.Layout(gtx)
			}),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if p.Info == nil {
					return layout.Dimensions{}
				}
				label := w.JoinThis
				if p.Info.Policy == proto.PolicyAsk {
					label = w.RequestJoin
				}
				b := th.button(&c.join, primaryButton, label)
				b.small = true
				return b.Layout(gtx)
			}),
		)
	}))
	return layout.Inset{Top: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.surface(gtx, th.SurfaceAlt, th.Border, radiusM, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceM).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx, lines...)
			})
		})
	})
}

// requestCount is how many requests to join conv wait.
func requestCount(st state.State, conv proto.ConvID) int { return len(st.JoinRequests[conv]) }

// requestsBadge is the count of waiting requests on a group of mine.
func requestsBadge(gtx layout.Context, u *UI, st state.State, conv proto.ConvID) layout.Dimensions {
	n := requestCount(st, conv)
	if n == 0 {
		return layout.Dimensions{}
	}
	th := u.th
	return layout.Inset{Left: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		m := op.Record(gtx.Ops)
		dims := th.surface(gtx, th.Warning, withAlpha(th.Warning, 0), 10, func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: 6, Right: 6, Top: 2, Bottom: 2}.Layout(gtx,
				th.label(textCaption, th.OnPrimary, "+"+strconv.Itoa(n)).medium().Layout)
		})
		call := m.Stop()
		defer clip.Rect{Max: dims.Size}.Push(gtx.Ops).Pop()
		semantic.DescriptionOp(fmt.Sprintf(u.gw().RequestsF, n)).Add(gtx.Ops)
		call.Add(gtx.Ops)
		return dims
	})
}

// titleArea makes a group's name and subtitle in the header open its
// settings too (the only way on narrow windows, where the header has no
// room for the button).
func (g *groupPanel) titleArea(gtx layout.Context, u *UI, st state.State, w layout.Widget) layout.Dimensions {
	if st.Open.Kind != proto.KindGroup {
		return w(gtx)
	}
	return g.title.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Button.Add(gtx.Ops)
		semantic.DescriptionOp(u.gw().Settings).Add(gtx.Ops)
		return w(gtx)
	})
}

// settingsButton is the header's button that opens the group's settings,
// with the count of waiting requests (wide windows).
func (g *groupPanel) settingsButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	o := st.Open
	if o.Kind != proto.KindGroup || u.narrow {
		return layout.Dimensions{}
	}
	th := u.th
	b := th.iconButton(&g.toggle, settingsIcon, u.gw().Settings)
	if g.open {
		b.color, b.bg = th.Primary, th.Selected
	}
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(b.Layout),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return requestsBadge(gtx, u, st, o.ID) }),
	)
}

// memberButtons are the actions on one member of the panel.
type memberButtons struct {
	row                                          widget.Clickable
	makeAdmin, removeAdmin, remove, ban, makeOwn widget.Clickable
}

// groupPanel is the settings of the open group, over the whole pane.
type groupPanel struct {
	open   bool
	conv   proto.ConvID
	toggle widget.Clickable
	title  widget.Clickable // the header's name and subtitle
	close  widget.Clickable
	list   widget.List

	name, desc   *field
	policy       policyChoice
	invite, send [2]widget.Clickable // members, admins
	inviteSel    string
	sendSel      string
	save         widget.Clickable
	choosePic    widget.Clickable
	removePic    widget.Clickable
	seed         proto.GroupInfo // the settings the fields were filled from
	seeded       bool

	members  map[proto.UserID]*memberButtons
	selected proto.UserID // the member whose actions show
	approve  map[proto.UserID]*[2]widget.Clickable
	unban    map[proto.UserID]*widget.Clickable

	askOwner              proto.UserID // "Make X the owner?" is showing
	askDelete             bool
	confirm, cancel       widget.Clickable
	leave, deleteGroup    widget.Clickable
	expiry                [4]widget.Clickable
	expirySel             int
	maxUses               *field
	createLink            widget.Clickable
	links                 map[int64]*[3]widget.Clickable // copy, show QR, revoke
	copyShown, closeShown widget.Clickable
	copied                int64 // the link copied last
}

// linkLifetimes are the expiry choices, in ms (0: never).
var linkLifetimes = [4]int64{0, int64(time.Hour / time.Millisecond), int64(24 * time.Hour / time.Millisecond), int64(7 * 24 * time.Hour / time.Millisecond)}

func (g *groupPanel) init() {
	g.name = newField(true)
	g.name.MaxLen = proto.MaxNameRunes
	g.desc = newField(false)
	g.desc.MaxLen = proto.MaxDescriptionRunes
	g.maxUses = newField(true)
	g.maxUses.Filter = "0123456789"
	g.list.Axis = layout.Vertical
	g.reset()
}

func (g *groupPanel) reset() {
	g.open, g.conv, g.seeded = false, 0, false
	g.members = map[proto.UserID]*memberButtons{}
	g.approve = map[proto.UserID]*[2]widget.Clickable{}
	g.unban = map[proto.UserID]*widget.Clickable{}
	g.links = map[int64]*[3]widget.Clickable{}
	g.selected, g.askOwner, g.askDelete, g.copied = 0, 0, false, 0
	g.name.SetText("")
	g.desc.SetText("")
	g.maxUses.SetText("")
	g.list.Position = layout.Position{}
}

// hide closes the panel; it reports whether it was open (Esc).
func (g *groupPanel) hide(u *UI) bool {
	if !g.open {
		return false
	}
	g.reset()
	u.emit(CloseGroupSettings{})
	return true
}

// panel is the panel's data when the model has it for the open group.
func (g *groupPanel) panel(st state.State) *state.GroupPanel {
	if st.Group == nil || st.Open == nil || st.Group.Conv != st.Open.ID {
		return nil
	}
	return st.Group
}

// update handles the header button and the panel's controls.
func (g *groupPanel) update(gtx layout.Context, u *UI, st state.State) {
	o := st.Open
	if g.open && g.conv != o.ID {
		g.hide(u) // another conversation opened
	}
	if g.toggle.Clicked(gtx) || g.title.Clicked(gtx) {
		if !g.hide(u) {
			g.reset()
			g.open, g.conv = true, o.ID
			u.emit(OpenGroupSettings{Conv: o.ID})
		}
	}
	if !g.open {
		return
	}
	if g.close.Clicked(gtx) {
		g.hide(u)
		return
	}
	if g.seeded && st.Group == nil { // the model closed it (the group was deleted, say)
		g.reset()
		return
	}
	gp := g.panel(st)
	if gp == nil || gp.Info == nil {
		return
	}
	g.seedFields(*gp.Info)
	g.policy.update(gtx)
	for i, v := range []string{proto.AllowMembers, proto.AllowAdmins} {
		if g.invite[i].Clicked(gtx) {
			g.inviteSel = v
		}
		if g.send[i].Clicked(gtx) {
			g.sendSel = v
		}
	}
	if g.choosePic.Clicked(gtx) && gp.Admin() {
		u.emit(ChooseGroupPicture{Conv: o.ID})
	}
	if g.removePic.Clicked(gtx) && gp.Admin() {
		u.emit(RemoveGroupPicture{Conv: o.ID})
	}
	if g.save.Clicked(gtx) || g.name.submitted(gtx) {
		if req, ok := g.changes(*gp.Info); ok {
			u.emit(SetGroup{Req: req})
		}
	}
	for id, b := range g.members {
		if b.row.Clicked(gtx) {
			if g.selected == id {
				g.selected = 0
			} else {
				g.selected = id
			}
		}
		act := func(what string) { u.emit(MemberAction{Conv: o.ID, User: id, What: what}) }
		switch {
		case b.makeAdmin.Clicked(gtx):
			act(ActMakeAdmin)
		case b.removeAdmin.Clicked(gtx):
			act(ActRemoveAdmin)
		case b.remove.Clicked(gtx):
			act(ActRemove)
			g.selected = 0
		case b.ban.Clicked(gtx):
			act(ActBan)
			g.selected = 0
		case b.makeOwn.Clicked(gtx):
			g.askOwner, g.askDelete = id, false
		}
	}
	for id, b := range g.approve {
		if b[0].Clicked(gtx) {
			u.emit(AnswerJoin{Conv: o.ID, User: id, Approve: true})
		}
		if b[1].Clicked(gtx) {
			u.emit(AnswerJoin{Conv: o.ID, User: id})
		}
	}
	for id, b := range g.unban {
		if b.Clicked(gtx) {
			u.emit(MemberAction{Conv: o.ID, User: id, What: ActUnban})
		}
	}
	if g.cancel.Clicked(gtx) {
		g.askOwner, g.askDelete = 0, false
	}
	if g.confirm.Clicked(gtx) {
		switch {
		case g.askDelete && gp.Owner():
			u.emit(DeleteGroup{Conv: o.ID})
		case g.askOwner != 0 && gp.Owner():
			u.emit(MemberAction{Conv: o.ID, User: g.askOwner, What: ActMakeOwner})
		}
		g.askOwner, g.askDelete = 0, false
	}
	if g.deleteGroup.Clicked(gtx) {
		g.askDelete, g.askOwner = true, 0
	}
	if g.leave.Clicked(gtx) {
		g.hide(u)
		u.conv.askLeave = true // the header's question, as its Leave asks
		return
	}
	for i := range g.expiry {
		if g.expiry[i].Clicked(gtx) {
			g.expirySel = i
		}
	}
	if g.createLink.Clicked(gtx) {
		n, _ := strconv.Atoi(strings.TrimSpace(g.maxUses.Text()))
		u.emit(CreateLink{Conv: o.ID, ExpiresInMs: linkLifetimes[g.expirySel], MaxUses: min(max(n, 0), proto.MaxLinkUses)})
		g.maxUses.SetText("")
	}
	for id, b := range g.links {
		if b[0].Clicked(gtx) {
			g.copyLink(gtx, st, gp, id)
		}
		if b[1].Clicked(gtx) {
			u.emit(ShowLink{ID: id})
		}
		if b[2].Clicked(gtx) {
			u.emit(RevokeLink{Conv: o.ID, ID: id})
		}
	}
	if g.copyShown.Clicked(gtx) && gp.NewLink != nil {
		g.copyLink(gtx, st, gp, gp.NewLink.ID)
	}
	if g.closeShown.Clicked(gtx) {
		u.emit(ShowLink{})
	}
}

// copyLink puts the shareable address of link id on the clipboard.
func (g *groupPanel) copyLink(gtx layout.Context, st state.State, gp *state.GroupPanel, id int64) {
	for _, l := range gp.Links {
		if l.ID == id {
			web, _ := state.ShareLinks(st.Server, l.Path)
			gtx.Execute(clipboard.WriteCmd{Type: "application/text", Data: io.NopCloser(strings.NewReader(web))})
			g.copied = id
		}
	}
}

// seedFields fills the fields from the group's settings, keeping what
// the user changed since they were last filled.
func (g *groupPanel) seedFields(info proto.GroupInfo) {
	if g.seeded && g.seed.Name == info.Name && g.seed.Description == info.Description && g.seed.Policy == info.Policy &&
		g.seed.Invite == info.Invite && g.seed.Send == info.Send {
		return
	}
	old, first := g.seed, !g.seeded
	g.seed, g.seeded = info, true
	if first || g.name.Text() == old.Name {
		g.name.SetText(info.Name)
	}
	if first || g.desc.Text() == old.Description {
		g.desc.SetText(info.Description)
	}
	if first || g.policy.value() == old.Policy {
		g.policy.set(info.Policy)
	}
	if first || g.inviteSel == old.Invite {
		g.inviteSel = info.Invite
	}
	if first || g.sendSel == old.Send {
		g.sendSel = info.Send
	}
}

// changes is the set_group of what the fields changed.
func (g *groupPanel) changes(info proto.GroupInfo) (proto.SetGroupRequest, bool) {
	req := proto.SetGroupRequest{Group: info.ID}
	changed := false
	if n := strings.TrimSpace(g.name.Text()); n != info.Name && n != "" {
		req.Name, changed = &n, true
	}
	if d := strings.TrimSpace(g.desc.Text()); d != info.Description {
		req.Description, changed = &d, true
	}
	if p := g.policy.value(); p != info.Policy {
		req.Policy, changed = &p, true
	}
	if g.inviteSel != info.Invite && g.inviteSel != "" {
		v := g.inviteSel
		req.Invite, changed = &v, true
	}
	if g.sendSel != info.Send && g.sendSel != "" {
		v := g.sendSel
		req.Send, changed = &v, true
	}
	return req, changed
}

// layout draws the panel in place of the messages and the composer.
func (g *groupPanel) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.gw()
	gtx.Constraints.Min = gtx.Constraints.Max
	gp := g.panel(st)
	head := func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceL, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, th.label(textTitle, th.Fg, w.Settings).bold().Layout),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					b := th.iconButton(&g.close, u.icons.close, w.CloseSettings)
					b.tip = tipEnd
					return b.Layout(gtx)
				}),
			)
		})
	}
	var sections []layout.Widget
	sections = append(sections, head)
	if gp == nil || gp.Info == nil {
		sections = append(sections, th.label(textBody, th.FgMuted, w.Loading).Layout)
	} else {
		sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.about(gtx, u, gp) })
		if gp.Admin() {
			sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.requests(gtx, u, st) })
		}
		sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.memberList(gtx, u, st, gp) })
		if gp.Admin() && len(gp.Bans) > 0 {
			sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.bans(gtx, u, gp) })
		}
		if gp.MayInvite() {
			sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.linkSection(gtx, u, st, gp) })
		}
		sections = append(sections, func(gtx layout.Context) layout.Dimensions { return g.danger(gtx, u, st, gp) })
	}
	paint.FillShape(gtx.Ops, th.Bg, clip.Rect{Max: gtx.Constraints.Max}.Op())
	l := material.List(th.mat, &g.list)
	return l.Layout(gtx, len(sections), func(gtx layout.Context, i int) layout.Dimensions {
		gtx.Constraints.Max.X = min(gtx.Constraints.Max.X, gtx.Dp(640))
		in := layout.Inset{Left: spaceL, Right: spaceL, Bottom: spaceL}
		if i == 0 {
			in = layout.Inset{}
		}
		return in.Layout(gtx, sections[i])
	})
}

// section is a heading over a block.
func section(gtx layout.Context, u *UI, title string, body ...layout.FlexChild) layout.Dimensions {
	th := u.th
	children := append([]layout.FlexChild{
		layout.Rigid(th.label(textCaption, th.FgMuted, strings.ToUpper(title)).medium().Layout),
		layout.Rigid(gap(spaceS)),
	}, body...)
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx, children...)
}

var photoIcon = func() *widget.Icon {
	ic, err := widget.NewIcon(icons.ImageAddAPhoto)
	if err != nil {
		panic(err)
	}
	return ic
}()

// nameRow is the group's avatar (its picture) beside its name: for
// admins the name's field, with Choose picture and, if there is one,
// Remove picture as icon buttons after it (no room of its own: the
// requests and members stay in view).
func (g *groupPanel) nameRow(gtx layout.Context, u *UI, gp *state.GroupPanel) layout.Dimensions {
	th, w := u.th, u.gw()
	avatar := func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Right: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return th.groupAvatar(gtx, gp.Info.Name, int64(gp.Conv), 56)
		})
	}
	if !gp.Admin() {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(avatar),
			layout.Flexed(1, th.label(textTitle, th.Fg, gp.Info.Name).bold().userContent().Layout))
	}
	return layout.Flex{Alignment: layout.End}.Layout(gtx,
		layout.Rigid(avatar),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			return th.fieldBlock(gtx, w.NameLabel, g.name, w.NameLabel)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			b := th.iconButton(&g.choosePic, photoIcon, w.ChoosePicture)
			b.color = th.Primary
			return layout.Inset{Left: spaceS}.Layout(gtx, b.Layout)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if gp.Info.Picture == "" {
				return layout.Dimensions{}
			}
			return th.iconButton(&g.removePic, u.icons.close, w.RemovePicture).Layout(gtx)
		}),
	)
}

// about is the group's picture, name, description and rules: fields for
// admins, text for the others.
func (g *groupPanel) about(gtx layout.Context, u *UI, gp *state.GroupPanel) layout.Dimensions {
	th, w := u.th, u.gw()
	info := gp.Info
	name := func(gtx layout.Context) layout.Dimensions { return g.nameRow(gtx, u, gp) }
	if !gp.Admin() {
		rows := []layout.FlexChild{
			layout.Rigid(name),
		}
		if info.Description != "" {
			rows = append(rows, layout.Rigid(gap(spaceXS)), layout.Rigid(th.label(textBody, th.Fg, info.Description).userContent().Layout))
		}
		rows = append(rows, layout.Rigid(gap(spaceS)),
			layout.Rigid(th.label(textSmall, th.FgMuted, w.WhoCanJoin+": "+w.policyName(info.Policy)).Layout),
			layout.Rigid(th.label(textSmall, th.FgMuted, w.WhoMayInvite+": "+w.allowName(info.Invite)).Layout),
			layout.Rigid(th.label(textSmall, th.FgMuted, w.WhoMaySend+": "+w.allowName(info.Send)).Layout))
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
	}
	allow := func(clicks *[2]widget.Clickable, sel string) layout.Widget {
		return func(gtx layout.Context) layout.Dimensions {
			return segmented(gtx, th, []segment{
				{&clicks[0], w.AllowMembers, sel != proto.AllowAdmins},
				{&clicks[1], w.AllowAdmins, sel == proto.AllowAdmins},
			})
		}
	}
	_, changed := g.changes(*info)
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(name),
		layout.Rigid(gap(spaceM)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Max.Y = gtx.Dp(120)
			return th.fieldBlock(gtx, w.Description, g.desc, w.Description)
		}),
		layout.Rigid(gap(spaceM)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return section(gtx, u, w.WhoCanJoin, layout.Rigid(func(gtx layout.Context) layout.Dimensions { return g.policy.layout(gtx, u) }))
		}),
		layout.Rigid(gap(spaceM)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return section(gtx, u, w.WhoMayInvite, layout.Rigid(allow(&g.invite, g.inviteSel)))
		}),
		layout.Rigid(gap(spaceM)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return section(gtx, u, w.WhoMaySend, layout.Rigid(allow(&g.send, g.sendSel)))
		}),
		layout.Rigid(gap(spaceM)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			b := th.button(&g.save, primaryButton, w.Save)
			b.enabled = changed
			return b.Layout(gtx)
		}),
	)
}

// requests lists the waiting requests to join, with Approve and Decline.
func (g *groupPanel) requests(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w, t := u.th, u.gw(), u.t()
	reqs := st.JoinRequests[g.conv]
	rows := make([]layout.FlexChild, 0, len(reqs)+1)
	if len(reqs) == 0 {
		rows = append(rows, layout.Rigid(th.label(textSmall, th.FgMuted, w.NoRequests).Layout))
	}
	for _, r := range reqs {
		b := g.approve[r.User.ID]
		if b == nil {
			b = new([2]widget.Clickable)
			g.approve[r.User.ID] = b
		}
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, r.User.Name, int64(r.User.ID), 28) }),
					layout.Rigid(gap(spaceS)),
					layout.Flexed(1, th.label(textBody, th.Fg, t.nameID(r.User.Name, int64(r.User.ID))).lines(1).userContent().Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						bt := th.button(&b[1], ghostButton, w.Decline)
						bt.small = true
						return bt.Layout(gtx)
					}),
					layout.Rigid(gap(spaceXS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						bt := th.button(&b[0], primaryButton, w.Approve)
						bt.small = true
						return bt.Layout(gtx)
					}),
				)
			})
		}))
	}
	return section(gtx, u, w.Requests, rows...)
}

// memberActions are what I may do to member id, by our roles.
func memberActions(gp *state.GroupPanel, me, id proto.UserID) []string {
	if id == me || !gp.Admin() {
		return nil
	}
	role := gp.RoleOf(id)
	switch {
	case gp.Owner() && role == proto.RoleAdmin:
		return []string{ActRemoveAdmin, ActMakeOwner, ActRemove, ActBan}
	case gp.Owner():
		return []string{ActMakeAdmin, ActMakeOwner, ActRemove, ActBan}
	case role == proto.RoleMember:
		return []string{ActRemove, ActBan}
	}
	return nil
}

// memberList lists the members with their roles; a click on one shows
// what I may do to them.
func (g *groupPanel) memberList(gtx layout.Context, u *UI, st state.State, gp *state.GroupPanel) layout.Dimensions {
	th, w, t := u.th, u.gw(), u.t()
	var me proto.UserID
	if st.Me != nil {
		me = st.Me.ID
	}
	ms := slices.Clone(st.Open.Members)
	rank := func(id proto.UserID) int {
		switch gp.RoleOf(id) {
		case proto.RoleOwner:
			return 0
		case proto.RoleAdmin:
			return 1
		}
		return 2
	}
	slices.SortStableFunc(ms, func(a, b proto.Member) int { return rank(a.ID) - rank(b.ID) })
	rows := make([]layout.FlexChild, 0, len(ms)+1)
	for _, m := range ms {
		b := g.members[m.ID]
		if b == nil {
			b = new(memberButtons)
			g.members[m.ID] = b
		}
		acts := memberActions(gp, me, m.ID)
		name := m.Name
		if m.ID == me {
			name = fmt.Sprintf(w.YouF, m.Name)
		}
		badge := ""
		switch gp.RoleOf(m.ID) {
		case proto.RoleOwner:
			badge = w.Owner
		case proto.RoleAdmin:
			badge = w.Admin
		}
		row := func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceXS).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, m.Name, int64(m.ID), 28) }),
					layout.Rigid(gap(spaceS)),
					layout.Flexed(1, th.label(textBody, th.Fg, name).lines(1).userContent().Layout),
					layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprintf("ID %d", m.ID)).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if badge == "" {
							return layout.Dimensions{}
						}
						return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return th.surface(gtx, th.Selected, color0, 8, func(gtx layout.Context) layout.Dimensions {
								return layout.Inset{Left: 6, Right: 6, Top: 1, Bottom: 1}.Layout(gtx, th.label(textCaption, th.Primary, badge).medium().Layout)
							})
						})
					}),
				)
			})
		}
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if len(acts) == 0 {
				return row(gtx)
			}
			return th.clickRow(gtx, &b.row, g.selected == m.ID, radiusM, row)
		}))
		if g.selected == m.ID && len(acts) > 0 {
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return g.actionRow(gtx, u, b, acts)
			}))
		}
		if g.askOwner == m.ID {
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return g.confirmBar(gtx, u, fmt.Sprintf(w.TransferAskF, m.Name))
			}))
		}
	}
	_ = t
	return section(gtx, u, w.MembersTitle+" · "+strconv.Itoa(len(ms)), rows...)
}

func (g *groupPanel) actionRow(gtx layout.Context, u *UI, b *memberButtons, acts []string) layout.Dimensions {
	th, w := u.th, u.gw()
	children := make([]layout.FlexChild, 0, 2*len(acts))
	for _, a := range acts {
		var click *widget.Clickable
		label, kind := "", secondaryButton
		switch a {
		case ActMakeAdmin:
			click, label = &b.makeAdmin, w.MakeAdmin
		case ActRemoveAdmin:
			click, label = &b.removeAdmin, w.RemoveAdmin
		case ActMakeOwner:
			click, label = &b.makeOwn, w.MakeOwner
		case ActRemove:
			click, label = &b.remove, w.Remove
		case ActBan:
			click, label, kind = &b.ban, w.Ban, rejectButton
		}
		children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			bt := th.button(click, kind, label)
			bt.small = true
			return bt.Layout(gtx)
		}), layout.Rigid(gap(spaceXS)))
	}
	return layout.Inset{Left: 36, Top: spaceXS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, children...)
	})
}

// confirmBar asks before a change that cannot be undone.
func (g *groupPanel) confirmBar(gtx layout.Context, u *UI, question string) layout.Dimensions {
	th, w, t := u.th, u.gw(), u.t()
	return layout.Inset{Top: spaceXS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.surface(gtx, th.DangerSoft, color0, radiusM, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceS).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, th.label(textSmall, th.Danger, question).medium().lines(3).userContent().Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&g.cancel, ghostButton, t.Cancel)
						b.small = true
						return b.Layout(gtx)
					}),
					layout.Rigid(gap(spaceXS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&g.confirm, rejectButton, w.Confirm)
						b.small = true
						return b.Layout(gtx)
					}),
				)
			})
		})
	})
}

// bans lists the banned users with Unban.
func (g *groupPanel) bans(gtx layout.Context, u *UI, gp *state.GroupPanel) layout.Dimensions {
	th, w, t := u.th, u.gw(), u.t()
	rows := make([]layout.FlexChild, 0, len(gp.Bans))
	for _, bn := range gp.Bans {
		c := g.unban[bn.User.ID]
		if c == nil {
			c = new(widget.Clickable)
			g.unban[bn.User.ID] = c
		}
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textBody, th.Fg, t.nameID(bn.User.Name, int64(bn.User.ID))).lines(1).userContent().Layout),
							layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprintf(w.BannedByF, bn.By.Name)).lines(1).Layout),
						)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(c, secondaryButton, w.Unban)
						b.small = true
						return b.Layout(gtx)
					}),
				)
			})
		}))
	}
	return section(gtx, u, w.Banned, rows...)
}

// linkState is how a link stands: its uses and its expiry.
func (u *UI) linkState(l proto.InviteLink) string {
	w := u.gw()
	uses := fmt.Sprintf(w.UsesF, l.Uses)
	if l.MaxUses > 0 {
		uses = fmt.Sprintf(w.UsesOfF, l.Uses, l.MaxUses)
	}
	now := u.now().UnixMilli()
	switch {
	case l.MaxUses > 0 && l.Uses >= l.MaxUses:
		return uses + " · " + w.UsedUp
	case l.Expires != 0 && l.Expires <= now:
		return uses + " · " + w.Expired
	case l.Expires != 0:
		return uses + " · " + fmt.Sprintf(w.ExpiresF, u.t().stamp(u.local(l.Expires), u.today())+" "+u.local(l.Expires).Format("15:04"))
	}
	return uses + " · " + w.NeverExpires
}

// linkSection makes invite links and lists them, the one shown with its
// QR code.
func (g *groupPanel) linkSection(gtx layout.Context, u *UI, st state.State, gp *state.GroupPanel) layout.Dimensions {
	th, w := u.th, u.gw()
	var me proto.UserID
	if st.Me != nil {
		me = st.Me.ID
	}
	names := [4]string{w.Never, w.Hour, w.Day, w.Week}
	segs := make([]segment, len(names))
	for i := range segs {
		segs[i] = segment{&g.expiry[i], names[i], g.expirySel == i}
	}
	rows := []layout.FlexChild{
		layout.Rigid(th.label(textSmall, th.FgMuted, w.Expiry).medium().Layout),
		layout.Rigid(gap(spaceXS)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return segmented(gtx, th, segs) }),
		layout.Rigid(gap(spaceS)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if u.narrow { // the hint needs the width
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.input(gtx, g.maxUses, w.MaxUses, w.MaxUses) }),
					layout.Rigid(gap(spaceS)),
					layout.Rigid(th.button(&g.createLink, primaryButton, w.NewLink).Layout),
				)
			}
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return th.input(gtx, g.maxUses, w.MaxUses, w.MaxUses) }),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(th.button(&g.createLink, primaryButton, w.NewLink).Layout),
			)
		}),
		layout.Rigid(gap(spaceM)),
	}
	if l := gp.NewLink; l != nil {
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions { return g.shownLink(gtx, u, st, *l) }))
	}
	if len(gp.Links) == 0 {
		rows = append(rows, layout.Rigid(th.label(textSmall, th.FgMuted, w.NoLinks).Layout))
	}
	live := map[int64]bool{}
	for _, l := range gp.Links {
		live[l.ID] = true
		b := g.links[l.ID]
		if b == nil {
			b = new([3]widget.Clickable)
			g.links[l.ID] = b
		}
		mayRevoke := gp.Admin() || l.Creator.ID == me
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textSmall, th.Fg, l.Path).lines(1).Layout),
							layout.Rigid(th.label(textCaption, th.FgMuted, u.linkState(l)+" · "+l.Creator.Name).lines(1).userContent().Layout),
						)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						ic := u.icons.copy
						desc := w.CopyLink
						if g.copied == l.ID {
							ic, desc = u.icons.done, w.Copied
						}
						return th.iconButton(&b[0], ic, desc).Layout(gtx)
					}),
					layout.Rigid(th.iconButton(&b[1], qrIcon, w.ShowQR).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if !mayRevoke {
							return layout.Dimensions{}
						}
						bt := th.button(&b[2], ghostButton, w.Revoke)
						bt.small = true
						return bt.Layout(gtx)
					}),
				)
			})
		}))
	}
	for id := range g.links {
		if !live[id] {
			delete(g.links, id)
		}
	}
	return section(gtx, u, w.Links, rows...)
}

var qrIcon = func() *widget.Icon {
	ic, err := widget.NewIcon(icons.ImageCropFree)
	if err != nil {
		panic(err)
	}
	return ic
}()

// shownLink is a link with its addresses, its QR code and Copy.
func (g *groupPanel) shownLink(gtx layout.Context, u *UI, st state.State, l proto.InviteLink) layout.Dimensions {
	th, w := u.th, u.gw()
	web, app := state.ShareLinks(st.Server, l.Path)
	return layout.Inset{Bottom: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.surface(gtx, th.Surface, th.Border, radiusM, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceM).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Start}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return qrCode(gtx, u, web, 168, w.QRCode) }),
					layout.Rigid(gap(spaceM)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textBody, th.Fg, web).medium().lines(3).Layout),
							layout.Rigid(gap(spaceXS)),
							layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprintf(w.AppLinkF, app)).lines(3).Layout),
							layout.Rigid(gap(spaceXS)),
							layout.Rigid(th.label(textCaption, th.FgMuted, u.linkState(l)).Layout),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								return layout.Flex{}.Layout(gtx,
									layout.Rigid(func(gtx layout.Context) layout.Dimensions {
										label := w.CopyLink
										if g.copied == l.ID {
											label = w.Copied
										}
										b := th.button(&g.copyShown, secondaryButton, label)
										b.small, b.icon = true, u.icons.copy
										return b.Layout(gtx)
									}),
									layout.Rigid(gap(spaceXS)),
									layout.Rigid(func(gtx layout.Context) layout.Dimensions {
										b := th.button(&g.closeShown, ghostButton, w.CloseLink)
										b.small = true
										return b.Layout(gtx)
									}),
								)
							}),
						)
					}),
				)
			})
		})
	})
}

// danger holds Leave, and for the owner Delete group (asked first).
func (g *groupPanel) danger(gtx layout.Context, u *UI, st state.State, gp *state.GroupPanel) layout.Dimensions {
	th, w, t := u.th, u.gw(), u.t()
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !g.askDelete {
				return layout.Dimensions{}
			}
			return g.confirmBar(gtx, u, fmt.Sprintf(w.DeleteAskF, gp.Info.Name))
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					b := th.button(&g.leave, secondaryButton, t.Leave)
					b.icon = u.icons.leave
					return b.Layout(gtx)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if !gp.Owner() {
						return layout.Dimensions{}
					}
					return th.button(&g.deleteGroup, rejectButton, w.DeleteGroup).Layout(gtx)
				}),
			)
		}),
	)
}
