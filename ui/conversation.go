package ui

import (
	"fmt"
	"strings"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// convPane is the open conversation: header, members, the message list
// and the composer (the seed's chat area).
type convPane struct {
	back, members, leave      widget.Clickable
	confirmLeave, cancelLeave widget.Clickable
	showMembers, askLeave     bool
	memberList                layout.List
	msgs                      msgList
	composer                  *field
	send, sendAsFile          widget.Clickable
	callPeer                  widget.Clickable
	openConv                  proto.ConvID
	files                     fileBar
	transfers                 transferList
	// draft is the composer's text as last reported (Draft); refused is
	// set when Send was pressed on a text too long for a message.
	draft   string
	refused bool
	msgsH   int // the message list's height last frame, for Page Up and Down
	// replies are the messages Send answers, per conversation (like
	// drafts); editing is the message the composer changes, in the open
	// conversation only, with the draft it put aside.
	replies    map[proto.ConvID]proto.Quote
	editing    *editing
	emptyEdit  bool // Send was pressed on an empty edit
	closeReply widget.Clickable
	closeEdit  widget.Clickable
	pins       pinBar        // pinbar.go
	find       findBar       // find.go
	mention    mentionPicker // the "@" list (mentions.go)
	settings   groupPanel    // the group's settings (groups.go)
	extras     convExtras    // the request bar and the menu (requests.go)
	media      mediaPanel    // the files and media panel (mediapanel.go)
	rec        recorder      // the microphone button and the recording bar (recorder.go)
}

// editing is my message the composer is changing, and the draft that was
// in the composer before, which comes back when the edit ends.
type editing struct {
	seq   int64
	text  string // the message's text, to tell whether it changed
	saved string
}

func (p *convPane) init() {
	// No MaxLen: nothing typed or pasted is ever cut. A text over
	// proto.MaxTextBytes is refused with a message, or sent as a file.
	p.composer = newField(false)
	p.composer.text = &p.draft
	p.memberList.Axis = layout.Horizontal
	p.replies = map[proto.ConvID]proto.Quote{}
	p.mention.reset()
	p.msgs.init()
	p.find.init()
	p.files.init()
	p.transfers.init()
	p.settings.init()
}

func (p *convPane) reset() {
	p.openConv = 0
	p.composer.SetText("")
	p.draft, p.refused = "", false
	clear(p.replies)
	p.editing, p.emptyEdit = nil, false
	p.mention.reset()
	p.msgs.reset()
	p.find.reset()
	p.files.reset()
	p.transfers.reset()
	p.settings.reset()
	p.media.reset()
	p.rec.reset()
}

func (p *convPane) update(gtx layout.Context, u *UI, st state.State) {
	o := st.Open
	if o.ID != p.openConv {
		// Each conversation has its own draft: the composer shows this
		// one's (the model kept what was typed in the last one).
		// An edit ends (the model kept the draft put aside: no Draft
		// is sent while editing); a reply stays with its conversation.
		p.openConv = o.ID
		p.editing, p.emptyEdit = nil, false
		p.draft, p.refused = st.Drafts[o.ID], false
		p.composer.SetText(p.draft)
		p.composer.SetCaret(p.composer.Len(), p.composer.Len())
		p.askLeave, p.showMembers = false, false
		gtx.Execute(key.FocusCmd{Tag: &p.composer.Editor})
	}
	if p.back.Clicked(gtx) {
		u.emit(Open{Conv: 0})
	}
	if p.members.Clicked(gtx) {
		p.showMembers = !p.showMembers
	}
	if p.leave.Clicked(gtx) {
		p.askLeave = !p.askLeave
	}
	if p.cancelLeave.Clicked(gtx) {
		p.askLeave = false
	}
	if p.confirmLeave.Clicked(gtx) {
		p.askLeave = false
		u.emit(Leave{Conv: o.ID})
	}
	if p.callPeer.Clicked(gtx) && o.Peer != nil && !callsOff(st) && !o.Request {
		u.emit(Call{UserID: fmt.Sprint(o.Peer.ID)})
	}
	p.settings.update(gtx, u, st)
	p.extras.update(gtx, u, st)
	p.media.update(gtx, u, st)
	p.find.update(gtx, u, p, st)
	p.files.update(gtx, u, st)
	p.transfers.update(gtx, u)
	p.rec.update(gtx, u, st)
	if pk := p.msgs.picked; pk != nil {
		p.msgs.picked = nil
		p.pick(gtx, o.ID, pk)
	}
	if p.closeReply.Clicked(gtx) {
		delete(p.replies, o.ID)
	}
	if p.closeEdit.Clicked(gtx) {
		p.endEdit()
	}
	if p.msgs.emoji.done { // the emoji picker closed: back to typing
		p.msgs.emoji.done = false
		gtx.Execute(key.FocusCmd{Tag: &p.composer.Editor})
	}
	p.mentionInput(gtx, o.ID) // the "@" list's keys come first
	// Enter sends; Shift+Enter is a new line (the editor inserts it).
	send, changed := p.send.Clicked(gtx), false
	for {
		ev, ok := p.composer.Update(gtx)
		if !ok {
			break
		}
		switch ev.(type) {
		case widget.SubmitEvent:
			send = true
		case widget.ChangeEvent:
			changed = true
		}
	}
	text := p.draft // the editor's text as of the last change
	if changed {
		p.refused, p.emptyEdit = false, false
		text = p.composer.Text()
	}
	p.followMentions(gtx, st, text)
	if send {
		trimmed := strings.TrimSpace(text)
		switch {
		case len(text) > proto.MaxTextBytes:
			p.refused = true // the text stays; the composer says why
		case p.editing != nil && trimmed == "":
			p.emptyEdit = true // an edit cannot empty a message: delete it
		case p.editing != nil:
			if trimmed != p.editing.text {
				u.emit(EditMessage{Conv: o.ID, Seq: p.editing.seq, Text: trimmed})
			}
			p.endEdit()
			text = p.draft
		case trimmed != "":
			p.sendComposed(u, o.ID, trimmed)
			p.composer.SetText("")
			text = ""
			p.msgs.followBottom()
		}
		gtx.Execute(key.FocusCmd{Tag: &p.composer.Editor})
	}
	if p.sendAsFile.Clicked(gtx) && len(text) > proto.MaxTextBytes {
		u.emit(SendAsFile{Conv: o.ID, Text: text})
		p.composer.SetText("")
		text, p.refused = "", false
	}
	if text != p.draft {
		p.draft = text
		if p.editing == nil {
			u.emit(Draft{Conv: o.ID, Text: text})
		}
	}
}

// pick takes a message the context menu handed over: Reply shows it over
// the composer; Edit loads its text into the composer, putting the draft
// aside.
func (p *convPane) pick(gtx layout.Context, conv proto.ConvID, pk *menuPick) {
	m := pk.msg
	gtx.Execute(key.FocusCmd{Tag: &p.composer.Editor})
	if !pk.edit {
		p.endEdit()
		q := proto.Quote{Seq: m.Seq, Sender: m.Sender, SenderName: m.SenderName, Deleted: m.Deleted}
		q.Text, _, _ = strings.Cut(m.Text, "\n")
		if m.File != nil {
			q.FileName = m.File.Name
		}
		p.replies[conv] = q
		return
	}
	delete(p.replies, conv)
	saved := p.draft
	if p.editing != nil {
		saved = p.editing.saved
	}
	p.editing = &editing{seq: m.Seq, text: m.Text, saved: saved}
	p.emptyEdit, p.refused = false, false
	p.composer.SetText(m.Text)
	p.composer.SetCaret(p.composer.Len(), p.composer.Len())
	p.draft = m.Text
}

// endEdit ends an edit, if one is going on, and gives the composer back
// the draft it put aside.
func (p *convPane) endEdit() {
	if p.editing == nil {
		return
	}
	saved := p.editing.saved
	p.editing, p.emptyEdit = nil, false
	p.composer.SetText(saved)
	p.composer.SetCaret(p.composer.Len(), p.composer.Len())
	p.draft = saved
}

// cancelStrip ends an edit or drops the reply (Esc); it reports whether
// there was one.
func (p *convPane) cancelStrip() bool {
	if p.editing != nil {
		p.endEdit()
		return true
	}
	if _, ok := p.replies[p.openConv]; ok && p.openConv != 0 {
		delete(p.replies, p.openConv)
		return true
	}
	return false
}

// composeStrip is the strip over the composer while it answers a message
// ("Replying to Wang: …") or changes one ("Editing message"), with × to
// stop; an empty edit says to delete the message instead.
func (p *convPane) composeStrip(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	var line string
	var close *widget.Clickable
	var tip string
	switch q, ok := p.replies[st.Open.ID]; {
	case p.editing != nil:
		line, close, tip = t.EditingMessage, &p.closeEdit, t.CancelEdit
	case ok:
		what := q.Text
		if q.FileName != "" {
			what = q.FileName
		}
		if q.Deleted {
			what = t.MessageDeleted
		}
		line, close, tip = fmt.Sprintf(t.ReplyingToF, q.SenderName, what), &p.closeReply, t.CancelReply
	default:
		return layout.Dimensions{}
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceM, Top: spaceS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(th.label(textSmall, th.FgMuted, line).lines(1).userContent().Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if !p.emptyEdit || p.editing == nil {
							return layout.Dimensions{}
						}
						return th.label(textSmall, th.Danger, t.EditEmpty).medium().Layout(gtx)
					}),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(close, u.icons.close, tip)
				b.tip = tipEnd | tipAbove
				return layout.Inset{Left: spaceXS}.Layout(gtx, b.Layout)
			}),
		)
	})
}

func (p *convPane) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	gtx.Constraints.Min = gtx.Constraints.Max
	th := u.th
	if st.Open == nil {
		p.openConv = 0
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.layout(gtx, u, st) }),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				if r := st.Registered; r != nil && r.ID == st.Me.ID {
					return u.login.welcome(gtx, u, *r)
				}
				return emptyState(gtx, u, u.icons.chat, u.t().PickConversation)
			}),
		)
	}
	p.update(gtx, u, st)
	if p.settings.open { // the group's settings take the pane (groups.go)
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.header(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return p.settings.layout(gtx, u, st) }),
		)
	}
	if p.media.shown(st) { // the files and media panel takes the messages' place (mediapanel.go)
		d := layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.header(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return p.media.layout(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.transfers.layout(gtx, u, st) }),
		)
		p.extras.menuCard(gtx, u, st, d.Size)
		return d
	}
	request := st.Open.Request // a request: its bar instead of the composer (requests.go)
	d := layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.header(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.find.layout(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.pins.layout(gtx, u, p, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !p.askLeave {
				return layout.Dimensions{}
			}
			return p.leaveBar(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !p.showMembers {
				return layout.Dimensions{}
			}
			return p.memberStrip(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.layout(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.banner(gtx, u, st) }), // groupcalls.go
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			d := p.msgs.layout(gtx, u, st)
			p.msgsH = d.Size.Y
			return d
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return typingLine(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.transfers.layout(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !p.files.open || request {
				return layout.Dimensions{}
			}
			return p.files.layout(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if request {
				return layout.Dimensions{}
			}
			return p.composeStrip(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.mentionList(gtx, u) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.lengthBar(gtx, u) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if request {
				return p.extras.requestBar(gtx, u, st)
			}
			return p.composerBar(gtx, u, st)
		}),
	)
	p.extras.menuCard(gtx, u, st, d.Size)
	return d
}

// lengthBar shows, from 90 % of a message's limit, how much of it the
// composer's text uses; over it, in red, with "Send as a file" (and why
// Send did nothing, once pressed).
func (p *convPane) lengthBar(gtx layout.Context, u *UI) layout.Dimensions {
	n := len(p.draft)
	if n*10 < proto.MaxTextBytes*9 {
		return layout.Dimensions{}
	}
	th, w := u.th, u.cw()
	over := n > proto.MaxTextBytes
	count := fmt.Sprintf(w.CountF, thousands(n), thousands(proto.MaxTextBytes))
	c := th.FgMuted
	if over {
		count += " — " + w.TooLong
		c = th.Danger
	} else {
		count += " · " + fmt.Sprintf(w.LeftF, thousands(proto.MaxTextBytes-n))
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceM, Top: spaceS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				if !p.refused {
					return th.label(textSmall, c, count).Layout(gtx)
				}
				why := fmt.Sprintf(w.RefusedF, thousands(proto.MaxTextBytes), thousands(n))
				return th.label(textSmall, th.Danger, why).medium().Layout(gtx)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !over {
					return layout.Dimensions{}
				}
				b := th.button(&p.sendAsFile, secondaryButton, w.SendAsFile)
				b.small = true
				b.icon = u.icons.upload
				return layout.Inset{Left: spaceS}.Layout(gtx, b.Layout)
			}),
		)
	})
}

// page scrolls the messages by most of a screen: dir -1 up (older), +1
// down.
func (p *convPane) page(dir int) {
	if p.openConv == 0 || p.msgsH == 0 {
		return
	}
	pos := &p.msgs.list.Position
	pos.Offset += dir * p.msgsH * 9 / 10
	pos.BeforeEnd = true // layout works out whether this is the end
}

func onlineCount(ms []proto.Member) int {
	n := 0
	for _, m := range ms {
		if m.Online {
			n++
		}
	}
	return n
}

func (p *convPane) header(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	o := st.Open
	avatarID := int64(o.ID)
	// The member list may still be loading: the summary's count is the
	// better number until it has caught up.
	count := max(o.Conversation.Members, len(o.Members))
	// Presence is only known while connected: offline, nobody is shown
	// online.
	presence := st.Conn == state.Online
	sub := fmt.Sprintf(t.GroupIF, o.ID) + " · " + t.MembersN.format(count)
	if o.Members != nil && presence {
		sub += " · " + fmt.Sprintf(t.OnlineF, onlineCount(o.Members))
	}
	if o.Kind == proto.KindDirect && o.Peer != nil {
		avatarID = int64(o.Peer.ID)
		sub = t.DirectChat + " · ID " + fmt.Sprint(o.Peer.ID)
		for _, m := range o.Members {
			if m.ID == o.Peer.ID && m.Online && presence {
				sub += " · " + t.ConnOnline
			}
		}
	}
	// A phone's narrowest screens leave the avatar out: the header's
	// buttons and the member count need the room.
	tiny := gtx.Constraints.Max.X < gtx.Dp(headerAvatarFrom)
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceS, Top: spaceM, Bottom: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !u.narrow {
					return layout.Dimensions{}
				}
				b := th.iconButton(&p.back, u.icons.back, t.Back)
				b.tip = tipStart
				return layout.Inset{Right: spaceS}.Layout(gtx, b.Layout)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if tiny {
					return layout.Dimensions{}
				}
				return layout.Inset{Right: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					if o.Peer == nil {
						return th.groupAvatar(gtx, o.Name, avatarID, avatarM)
					}
					return th.avatar(gtx, o.Name, avatarID, avatarM)
				})
			}),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return p.settings.titleArea(gtx, u, st, func(gtx layout.Context) layout.Dimensions { // a click opens the group's settings (groups.go)
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.extras.title(gtx, u, st) }), // with the muted bell (requests.go)
						layout.Rigid(gap(2)),
						layout.Rigid(th.label(textSmall, th.FgMuted, sub).lines(2).Layout),
					)
				})
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if o.Kind == proto.KindGroup {
					return u.call.groupHeaderButton(gtx, u, st) // groupcalls.go
				}
				if o.Kind != proto.KindDirect || o.Peer == nil {
					return layout.Dimensions{}
				}
				b := th.iconButton(&p.callPeer, u.icons.call, fmt.Sprintf(t.CallPersonF, o.Peer.Name))
				// A request waiting for my answer: Accept first (requests.go).
				b.enabled = !callsOff(st) && !o.Request && (st.Call == nil || st.Call.State == state.CallEnded)
				if callsOff(st) {
					b.desc = u.callsOffWhy(st)
				}
				if b.enabled {
					b.color = th.Primary
				}
				return b.Layout(gtx)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.media.headerButton(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.find.button(gtx, u) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.settings.settingsButton(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&p.members, u.icons.people, t.ShowMembers)
				if p.showMembers {
					b.color, b.bg = th.Primary, th.Selected
				}
				return b.Layout(gtx)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.extras.moreButton(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if o.Kind != proto.KindGroup {
					return layout.Dimensions{}
				}
				b := th.iconButton(&p.leave, u.icons.leave, t.Leave)
				b.tip = tipEnd
				if p.askLeave {
					b.color, b.bg = th.Danger, th.DangerSoft
				}
				return b.Layout(gtx)
			}),
		)
	})
}

func (p *convPane) leaveBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	return th.band(gtx, th.DangerSoft, layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, th.label(textSmall, th.Danger, t.Leave+": "+t.nameID(st.Open.Name, int64(st.Open.ID))+"?").medium().Layout),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.button(&p.cancelLeave, ghostButton, t.Cancel)
				b.small = true
				return b.Layout(gtx)
			}),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.button(&p.confirmLeave, primaryButton, t.LeaveConfirm)
				b.small = true
				return b.Layout(gtx)
			}),
		)
	})
}

// memberStrip lists the members, online first, with presence dots.
func (p *convPane) memberStrip(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th := u.th
	presence := st.Conn == state.Online
	ms := make([]proto.Member, 0, len(st.Open.Members))
	for _, m := range st.Open.Members {
		if m.Online {
			ms = append(ms, m)
		}
	}
	for _, m := range st.Open.Members {
		if !m.Online {
			ms = append(ms, m)
		}
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceL, Bottom: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return p.memberList.Layout(gtx, len(ms), func(gtx layout.Context, i int) layout.Dimensions {
			m := ms[i]
			return layout.Inset{Right: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return th.surface(gtx, th.SurfaceAlt, color0, 16, func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Left: 4, Right: spaceM, Top: 4, Bottom: 4}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								return layout.Stack{Alignment: layout.SE}.Layout(gtx,
									layout.Stacked(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, m.Name, int64(m.ID), 24) }),
									layout.Stacked(func(gtx layout.Context) layout.Dimensions {
										if !presence {
											return layout.Dimensions{} // unknown while offline
										}
										c := th.FgMuted
										if m.Online {
											c = th.Success
										}
										return dot(gtx, c, 8)
									}),
								)
							}),
							layout.Rigid(gap(6)),
							layout.Rigid(th.label(textSmall, th.Fg, m.Name).lines(1).userContent().Layout),
							layout.Rigid(gap(spaceXS)),
							layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprint(m.ID)).Layout),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.memberButton(gtx, u, st, m) }),
						)
					})
				})
			})
		})
	})
}

// composerBar is the message input: Enter sends, Shift+Enter breaks the
// line; text from input methods arrives through the editor.
func (p *convPane) composerBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	if p.rec.active() { // recorder.go
		return p.rec.bar(gtx, u, st)
	}
	hint := fmt.Sprintf(t.MessageHintF, st.Open.Name)
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceS, Right: spaceM, Top: spaceM, Bottom: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.End}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&p.files.attach, u.icons.attach, t.AttachFile)
				b.size, b.tip = controlH, tipStart|tipAbove
				if p.files.open {
					b.color, b.bg = th.Primary, th.Selected
				}
				return layout.Inset{Right: spaceXS}.Layout(gtx, b.Layout)
			}),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Max.Y = min(gtx.Constraints.Max.Y, gtx.Dp(composerMaxH))
				return th.input(gtx, p.composer, hint, t.Composer)
			}),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if strings.TrimSpace(p.draft) == "" && p.editing == nil && !st.NoAudio { // a voice message (recorder.go)
					return p.rec.button(gtx, u)
				}
				b := th.iconButton(&p.send, u.icons.send, t.Send)
				b.size, b.color, b.bg, b.tip = controlH, th.OnPrimary, th.Primary, tipEnd|tipAbove
				if strings.TrimSpace(p.draft) == "" || len(p.draft) > proto.MaxTextBytes {
					b.bg, b.color = th.SurfaceAlt, th.FgMuted
				}
				return b.Layout(gtx)
			}),
		)
	})
}
