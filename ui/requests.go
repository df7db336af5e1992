package ui

import (
	"fmt"
	"image"
	"image/color"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// Message requests, blocking, muting and the archive (docs/protocol.md,
// "Blocking, requests and muting"): the conversation list keeps requests
// and archived conversations apart, behind a row each; a request shows
// Accept, Block and Delete instead of the composer; a conversation's menu
// (the header's ⋮) sets its notifications, archives it and blocks its
// peer; a muted conversation's unread badge is grey; in a group, a
// message of a user I blocked is one line, "Show" shows it.

// Events of this file.
type (
	// AcceptRequest accepts the first-contact request Conv.
	AcceptRequest struct{ Conv proto.ConvID }
	// DeleteRequest deletes the first-contact request Conv for me.
	DeleteRequest struct{ Conv proto.ConvID }
	// Block blocks User (Unblock, settings.go, lifts it).
	Block struct{ User proto.UserID }
	// SetNotify sets how Conv notifies me (proto.NotifyAll,
	// NotifyMentions, NotifyOff) for For (0: until I change it).
	SetNotify struct {
		Conv  proto.ConvID
		Level string
		For   time.Duration
	}
	// Archive archives Conv, or with Archived false brings it back.
	Archive struct {
		Conv     proto.ConvID
		Archived bool
	}
)

func (AcceptRequest) isEvent() {}
func (DeleteRequest) isEvent() {}
func (Block) isEvent()         {}
func (SetNotify) isEvent()     {}
func (Archive) isEvent()       {}

// reqIcons are this file's icons; each user of them holds its own (an
// icon caches its drawing).
type reqIcons struct {
	more, muted, archive, block, mail, chevron *widget.Icon
}

func newReqIcons() *reqIcons {
	must := func(data []byte) *widget.Icon {
		ic, err := widget.NewIcon(data)
		if err != nil {
			panic(err) // the icon data is compiled in
		}
		return ic
	}
	return &reqIcons{
		more: must(icons.NavigationMoreVert), muted: must(icons.SocialNotificationsOff),
		archive: must(icons.ContentArchive), block: must(icons.ContentBlock),
		mail: must(icons.ContentMail), chevron: must(icons.NavigationChevronRight),
	}
}

// ---- The conversation list: requests and the archive apart ----

// Which conversations the list shows.
const (
	folderMain     = iota // neither requests nor archived ones
	folderRequests        // the requests waiting for my answer
	folderArchived        // the archived ones
)

// folders are the rows of the conversation list that lead to the
// requests and to the archive, and back.
type folders struct {
	view                     int
	requests, archived, back widget.Clickable
	ic                       *reqIcons
}

// update takes the rows' clicks.
func (f *folders) update(gtx layout.Context) {
	if f.requests.Clicked(gtx) {
		f.view = folderRequests
	}
	if f.archived.Clicked(gtx) {
		f.view = folderArchived
	}
	if f.back.Clicked(gtx) {
		f.view = folderMain
	}
}

// split returns the conversations the list shows, and how many requests
// and archived ones there are. An empty folder goes back to the main
// list.
func (f *folders) split(st state.State) (shown []state.Conversation, requests, archived int) {
	var req, arch, main []state.Conversation
	for _, c := range st.Conversations {
		switch {
		case c.Request:
			req = append(req, c)
		case c.Archived:
			arch = append(arch, c)
		default:
			main = append(main, c)
		}
	}
	switch {
	case f.view == folderRequests && len(req) > 0:
		return req, len(req), len(arch)
	case f.view == folderArchived && len(arch) > 0:
		return arch, len(req), len(arch)
	}
	f.view = folderMain
	return main, len(req), len(arch)
}

// heads are the rows above the conversations: in the main list the
// requests and the archive (where there are any); in a folder the way
// back.
func (f *folders) heads(requests, archived int) []*widget.Clickable {
	if f.view != folderMain {
		return []*widget.Clickable{&f.back}
	}
	var hs []*widget.Clickable
	if requests > 0 {
		hs = append(hs, &f.requests)
	}
	if archived > 0 {
		hs = append(hs, &f.archived)
	}
	return hs
}

// head draws one of heads' rows.
func (f *folders) head(gtx layout.Context, u *UI, c *widget.Clickable, requests, archived int) layout.Dimensions {
	th, w := u.th, u.rw()
	if f.ic == nil {
		f.ic = newReqIcons()
	}
	icon, text, trail := f.ic.mail, fmt.Sprintf(w.RequestsF, requests), f.ic.chevron
	switch c {
	case &f.archived:
		icon, text = f.ic.archive, fmt.Sprintf(w.ArchivedF, archived)
	case &f.back:
		icon, trail = u.icons.back, nil
		text = w.AllChats
		if f.view == folderRequests {
			text += " · " + w.Requests
		} else {
			text += " · " + w.Archived
		}
	}
	return layout.Inset{Left: spaceS, Right: spaceS, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.clickRow(gtx, c, false, radiusM, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						sz := gtx.Dp(avatarM)
						gtx.Constraints = layout.Exact(image.Pt(sz, sz))
						return th.surface(gtx, th.SurfaceAlt, color0, avatarM/2, func(gtx layout.Context) layout.Dimensions {
							return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
								gtx.Constraints.Min.X = gtx.Dp(20)
								return icon.Layout(gtx, th.FgMuted)
							})
						})
					}),
					layout.Rigid(gap(spaceM)),
					layout.Flexed(1, th.label(textBody, th.Fg, text).medium().lines(1).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if trail == nil {
							return layout.Dimensions{}
						}
						gtx.Constraints.Min.X = gtx.Dp(20)
						return trail.Layout(gtx, th.FgMuted)
					}),
				)
			})
		})
	})
}

// headerAvatarFrom is the conversation header's width (dp) from which it
// shows the avatar.
const headerAvatarFrom = 360

// ---- Badges ----

// convBadge is the end of a conversation row's preview line: a muted
// conversation's bell and grey unread badge, a request's grey badge, or
// the usual badge.
func convBadge(gtx layout.Context, u *UI, c state.Conversation, ic *reqIcons) layout.Dimensions {
	th := u.th
	muted := c.Muted(u.now().UnixMilli())
	if !muted && !c.Request {
		if c.Unread == 0 {
			return layout.Dimensions{}
		}
		return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return unreadBadge(gtx, th, c) // with "@" for an unread mention (mentions.go)
		})
	}
	return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !muted {
					return layout.Dimensions{}
				}
				gtx.Constraints.Min.X = gtx.Dp(16)
				return ic.muted.Layout(gtx, th.FgMuted)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if c.Unread == 0 {
					return layout.Dimensions{}
				}
				s := fmt.Sprint(c.Unread)
				if c.Unread > 99 {
					s = "99+"
				}
				if c.MentionUnread {
					s = "@ " + s
				}
				return layout.Inset{Left: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return greyBadge(gtx, th, s)
				})
			}),
		)
	})
}

// greyBadge is the unread badge of a conversation that does not ring.
func greyBadge(gtx layout.Context, th *theme, s string) layout.Dimensions {
	h := gtx.Dp(20)
	gtx.Constraints.Min = image.Pt(h, h)
	return th.surface(gtx, withAlpha(th.FgMuted, 0x55), color0, 10, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: 6, Right: 6, Top: 2, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min = image.Point{}
			return th.label(textCaption, th.Fg, s).medium().Layout(gtx)
		})
	})
}

// ---- The open conversation: the request bar and the menu ----

// convExtras are the open conversation's request bar and menu.
type convExtras struct {
	ic                        *reqIcons
	more                      widget.Clickable // the header's ⋮
	accept, block, del        widget.Clickable // the request bar
	menu                      convMenu
	levels                    [3]widget.Clickable // All, Mentions only, Off
	spans                     [3]widget.Clickable // 1 hour, 8 hours, until turned on
	archive, blockItem, close widget.Clickable
	confirm, cancelBlock      widget.Clickable
}

// The menu's steps.
const (
	menuClosed = iota
	menuMain
	menuBlock // "Block Wang?"
)

// convMenu is the open conversation's menu: where it is, and the level
// chosen that waits for how long.
type convMenu struct {
	step    int
	conv    proto.ConvID
	pending string // "mentions" or "off", waiting for a span
	scrim   int
}

var notifyLevels = [3]string{proto.NotifyAll, proto.NotifyMentions, proto.NotifyOff}
var notifySpans = [3]time.Duration{time.Hour, 8 * time.Hour, 0}

// update takes the clicks of the request bar and of the menu.
func (x *convExtras) update(gtx layout.Context, u *UI, st state.State) {
	o := st.Open
	if x.menu.conv != o.ID {
		x.menu = convMenu{conv: o.ID}
	}
	if x.more.Clicked(gtx) {
		x.menu.step, x.menu.pending = menuMain, ""
	}
	if x.accept.Clicked(gtx) {
		u.emit(AcceptRequest{Conv: o.ID})
	}
	if x.del.Clicked(gtx) {
		u.emit(DeleteRequest{Conv: o.ID})
	}
	if x.block.Clicked(gtx) {
		x.menu.step = menuBlock
	}
	m := &x.menu
	for i := range x.levels {
		if !x.levels[i].Clicked(gtx) {
			continue
		}
		if notifyLevels[i] == proto.NotifyAll {
			u.emit(SetNotify{Conv: o.ID, Level: proto.NotifyAll})
			m.step = menuClosed
		} else {
			m.pending = notifyLevels[i]
		}
	}
	for i := range x.spans {
		if x.spans[i].Clicked(gtx) && m.pending != "" {
			u.emit(SetNotify{Conv: o.ID, Level: m.pending, For: notifySpans[i]})
			m.step, m.pending = menuClosed, ""
		}
	}
	if x.archive.Clicked(gtx) {
		u.emit(Archive{Conv: o.ID, Archived: !o.Archived})
		m.step = menuClosed
	}
	if x.blockItem.Clicked(gtx) && o.Peer != nil {
		if st.Blocked(o.Peer.ID) {
			u.emit(Unblock{User: o.Peer.ID})
			m.step = menuClosed
		} else {
			m.step = menuBlock
		}
	}
	if x.confirm.Clicked(gtx) && o.Peer != nil {
		u.emit(Block{User: o.Peer.ID})
		m.step = menuClosed
	}
	if x.cancelBlock.Clicked(gtx) || x.close.Clicked(gtx) || x.scrimPressed(gtx) {
		m.step, m.pending = menuClosed, ""
	}
}

// closeMenu closes the menu (Esc); it reports whether it was open.
func (x *convExtras) closeMenu() bool {
	open := x.menu.step != menuClosed
	x.menu.step, x.menu.pending = menuClosed, ""
	return open
}

func (x *convExtras) scrimPressed(gtx layout.Context) bool {
	pressed := false
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: &x.menu.scrim, Kinds: pointer.Press})
		if !ok {
			return pressed
		}
		if _, ok := ev.(pointer.Event); ok {
			pressed = true
		}
	}
}

// title is the header's name of the open conversation, with a bell after
// it while it is muted (the header's buttons do not move).
func (x *convExtras) title(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th := u.th
	if x.ic == nil {
		x.ic = newReqIcons()
	}
	name := th.label(textTitle, th.Fg, st.Open.Name).bold().lines(1).userContent()
	if !st.Open.Muted(u.now().UnixMilli()) {
		return name.Layout(gtx)
	}
	bell := gtx.Dp(18) + gtx.Dp(spaceXS)
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Max.X = max(gtx.Constraints.Max.X-bell, 0)
			return name.Layout(gtx)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Dp(18)
				return x.ic.muted.Layout(gtx, th.FgMuted)
			})
		}),
	)
}

// moreButton is the header's ⋮, which opens the menu.
func (x *convExtras) moreButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th := u.th
	if x.ic == nil {
		x.ic = newReqIcons()
	}
	b := th.iconButton(&x.more, x.ic.more, u.rw().More)
	if x.menu.step != menuClosed {
		b.color, b.bg = th.Primary, th.Selected
	}
	return b.Layout(gtx)
}

// requestBar replaces the composer under a request: who wants to write,
// what accepting changes, and Block, Delete, Accept.
func (x *convExtras) requestBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.rw()
	o := st.Open
	name := o.Name
	if o.Peer != nil {
		name = u.t().nameID(o.Peer.Name, int64(o.Peer.ID))
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceL, Top: spaceM, Bottom: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(th.label(textBody, th.Fg, fmt.Sprintf(w.RequestF, name)).bold().userContent().Layout),
			layout.Rigid(gap(spaceXS)),
			layout.Rigid(th.label(textSmall, th.FgMuted, w.RequestNote).Layout),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				btn := func(c *widget.Clickable, kind buttonKind, s string) layout.FlexChild {
					return layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Constraints.Max.X
						return th.button(c, kind, s).Layout(gtx)
					})
				}
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					btn(&x.block, secondaryButton, w.Block),
					layout.Rigid(gap(spaceS)),
					btn(&x.del, secondaryButton, w.Delete),
					layout.Rigid(gap(spaceS)),
					btn(&x.accept, primaryButton, w.Accept),
				)
			}),
		)
	})
}

// levelText says how conv notifies me now: "Mentions only · until 16:00".
func levelText(u *UI, c state.Conversation) string {
	w := u.rw()
	now := u.now().UnixMilli()
	var s string
	switch c.Level(now) {
	case proto.NotifyMentions:
		s = w.NotifyMentions
	case proto.NotifyOff:
		s = w.NotifyOff
	default:
		return w.NotifyAll
	}
	if c.NotifyUntil != 0 {
		at := u.local(c.NotifyUntil)
		f := "15:04"
		if dayNumber(at) != dayNumber(u.local(now)) {
			f = "1/2 15:04"
		}
		s += " · " + fmt.Sprintf(w.UntilF, at.Format(f))
	}
	return s
}

// menuCard draws the open menu over the conversation (size): a scrim
// that closes it, and a card with the notification levels, Archive, and
// Block (direct conversations); or the question before blocking.
func (x *convExtras) menuCard(gtx layout.Context, u *UI, st state.State, size image.Point) {
	if x.menu.step == menuClosed || st.Open == nil {
		return
	}
	th, w, t := u.th, u.rw(), u.t()
	o := st.Open
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	paint.ColorOp{Color: withAlpha(th.Fg, 0x30)}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	event.Op(gtx.Ops, &x.menu.scrim)
	area.Pop()
	x.scrimPressed(gtx) // declares the filter from the frame it shows
	gtx.Constraints = layout.Exact(size)
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min = image.Point{}
		gtx.Constraints.Max.X = min(gtx.Dp(dialogW+40), size.X-2*gtx.Dp(spaceL))
		return th.surface(gtx, th.Surface, th.Border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				if x.menu.step == menuBlock && o.Peer != nil {
					return x.blockAsk(gtx, u, *o.Peer)
				}
				var items []layout.FlexChild
				add := func(w layout.Widget) { items = append(items, layout.Rigid(w)) }
				add(th.label(textTitle, th.Fg, o.Name).bold().lines(1).userContent().Layout)
				add(gap(spaceM))
				add(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
						layout.Rigid(th.label(textSmall, th.Fg, w.Notifications).medium().Layout),
						layout.Flexed(1, th.label(textSmall, th.FgMuted, "  "+levelText(u, o.Conversation)).lines(1).Layout),
					)
				})
				add(gap(spaceS))
				cur := o.Level(u.now().UnixMilli())
				if x.menu.pending != "" {
					cur = x.menu.pending
				}
				names := [3]string{w.NotifyAll, w.NotifyMentions, w.NotifyOff}
				for i := range x.levels {
					add(func(gtx layout.Context) layout.Dimensions {
						return x.choice(gtx, u, &x.levels[i], names[i], cur == notifyLevels[i], 0)
					})
				}
				if x.menu.pending != "" {
					// For how long: under the level chosen, indented.
					spans := [3]string{w.For1h, w.For8h, w.UntilOn}
					for i := range x.spans {
						add(func(gtx layout.Context) layout.Dimensions {
							return x.choice(gtx, u, &x.spans[i], spans[i], false, spaceXL)
						})
					}
					add(gap(spaceS))
					add(func(gtx layout.Context) layout.Dimensions {
						return x.action(gtx, u, &x.close, nil, t.Cancel, th.FgMuted)
					})
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
				}
				add(gap(spaceM))
				add(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) })
				add(gap(spaceS))
				item := func(c *widget.Clickable, icon *widget.Icon, s string, col color.NRGBA) {
					add(func(gtx layout.Context) layout.Dimensions { return x.action(gtx, u, c, icon, s, col) })
				}
				item(&u.conv.media.fromMenu, u.conv.media.icons().panel, u.mw().Title, th.Fg) // mediapanel.go
				if o.Archived {
					item(&x.archive, x.ic.archive, w.Unarchive, th.Fg)
				} else {
					item(&x.archive, x.ic.archive, w.Archive, th.Fg)
				}
				if o.Kind == proto.KindDirect && o.Peer != nil {
					if st.Blocked(o.Peer.ID) {
						item(&x.blockItem, x.ic.block, w.UnblockUser, th.Fg)
					} else {
						item(&x.blockItem, x.ic.block, w.BlockUser, th.Danger)
					}
				}
				item(&x.close, nil, t.Cancel, th.FgMuted)
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
			})
		})
	})
}

// choice is one row of the menu's choices: a tick where selected, the
// text, indented by indent.
func (x *convExtras) choice(gtx layout.Context, u *UI, c *widget.Clickable, s string, selected bool, indent unit.Dp) layout.Dimensions {
	th := u.th
	return th.clickRow(gtx, c, selected, radiusM, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceS + indent, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					sz := gtx.Dp(18)
					if !selected {
						return layout.Dimensions{Size: image.Pt(sz, sz)}
					}
					gtx.Constraints.Min.X = sz
					return u.icons.done.Layout(gtx, th.Primary)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Flexed(1, th.label(textBody, th.Fg, s).lines(1).Layout),
			)
		})
	})
}

// action is one of the menu's actions: an icon (or its room) and the
// text, in col, lined up with the choices.
func (x *convExtras) action(gtx layout.Context, u *UI, c *widget.Clickable, icon *widget.Icon, s string, col color.NRGBA) layout.Dimensions {
	th := u.th
	return th.clickRow(gtx, c, false, radiusM, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					sz := gtx.Dp(18)
					if icon == nil {
						return layout.Dimensions{Size: image.Pt(sz, sz)}
					}
					gtx.Constraints.Min.X = sz
					return icon.Layout(gtx, col)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Flexed(1, th.label(textBody, col, s).lines(1).Layout),
			)
		})
	})
}

// blockAsk asks before blocking peer.
func (x *convExtras) blockAsk(gtx layout.Context, u *UI, peer proto.User) layout.Dimensions {
	th, w, t := u.th, u.rw(), u.t()
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(th.label(textBody, th.Fg, fmt.Sprintf(w.BlockAskF, t.nameID(peer.Name, int64(peer.ID)))).userContent().Layout),
		layout.Rigid(gap(spaceL)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle, Spacing: layout.SpaceStart}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return th.button(&x.cancelBlock, ghostButton, t.Cancel).Layout(gtx)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return th.button(&x.confirm, rejectButton, w.Block).Layout(gtx)
				}),
			)
		}),
	)
}

// ---- Messages of blocked users in groups ----

// blockedRows are the messages of users I blocked that were shown
// ("Show"), in the open conversation; the UI's own state.
type blockedRows struct {
	conv  proto.ConvID
	shown map[int64]bool
	show  map[int64]*widget.Clickable
}

// row draws message m as "Message from a blocked user · Show" if it is a
// group's message from a user I blocked that was not shown; it reports
// whether it did.
func (b *blockedRows) row(gtx layout.Context, u *UI, st state.State, m state.Message) (layout.Dimensions, bool) {
	o := st.Open
	if b.conv != o.ID || b.shown == nil {
		b.conv, b.shown, b.show = o.ID, map[int64]bool{}, map[int64]*widget.Clickable{}
	}
	if c := b.show[m.Seq]; c != nil && c.Clicked(gtx) {
		b.shown[m.Seq] = true
		gtx.Execute(op.InvalidateCmd{})
	}
	if o.Kind != proto.KindGroup || m.Mine || m.Seq == 0 || b.shown[m.Seq] || len(st.Blocks) == 0 || !st.Blocked(m.Sender) {
		return layout.Dimensions{}, false
	}
	c := b.show[m.Seq]
	if c == nil {
		c = new(widget.Clickable)
		b.show[m.Seq] = c
	}
	th, w := u.th, u.rw()
	// Narrow windows leave out the avatar's indent and the time.
	narrow := gtx.Constraints.Max.X < gtx.Dp(420)
	line := w.BlockedMessage
	indent := gtx.Dp(avatarM) + gtx.Dp(spaceS)
	if narrow {
		indent = 0
	} else {
		line += " · " + u.local(m.Time).Format("15:04")
	}
	return layout.Inset{Top: spaceS, Left: spaceL, Right: spaceL}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(gap(gtx.Metric.PxToDp(indent))),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.surface(gtx, th.SurfaceAlt, color0, radiusL, func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Left: spaceM, Right: spaceXS, Top: 2, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(th.label(textSmall, th.FgMuted, line).lines(1).Layout),
							layout.Rigid(gap(spaceXS)),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								bt := th.button(c, ghostButton, w.Show)
								bt.small = true
								return bt.Layout(gtx)
							}),
						)
					})
				})
			}),
		)
	}), true
}
