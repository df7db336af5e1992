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
}

func (p *convPane) init() {
	// No MaxLen: nothing typed or pasted is ever cut. A text over
	// proto.MaxTextBytes is refused with a message, or sent as a file.
	p.composer = newField(false)
	p.composer.text = &p.draft
	p.memberList.Axis = layout.Horizontal
	p.msgs.init()
	p.files.init()
	p.transfers.init()
}

func (p *convPane) reset() {
	p.openConv = 0
	p.composer.SetText("")
	p.draft, p.refused = "", false
	p.msgs.reset()
	p.files.reset()
	p.transfers.reset()
}

func (p *convPane) update(gtx layout.Context, u *UI, st state.State) {
	o := st.Open
	if o.ID != p.openConv {
		// Each conversation has its own draft: the composer shows this
		// one's (the model kept what was typed in the last one).
		p.openConv = o.ID
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
	if p.callPeer.Clicked(gtx) && o.Peer != nil && !st.NoAudio {
		u.emit(Call{UserID: fmt.Sprint(o.Peer.ID)})
	}
	p.files.update(gtx, u, st)
	p.transfers.update(gtx, u)
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
		p.refused = false
		text = p.composer.Text()
	}
	if send {
		switch {
		case len(text) > proto.MaxTextBytes:
			p.refused = true // the text stays; the composer says why
		case strings.TrimSpace(text) != "":
			u.emit(Send{Conv: o.ID, Text: strings.TrimSpace(text)})
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
		u.emit(Draft{Conv: o.ID, Text: text})
	}
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
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.header(gtx, u, st) }),
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
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			d := p.msgs.layout(gtx, u, st)
			p.msgsH = d.Size.Y
			return d
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.transfers.layout(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !p.files.open {
				return layout.Dimensions{}
			}
			return p.files.layout(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.lengthBar(gtx, u) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return p.composerBar(gtx, u, st) }),
	)
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
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, th.Surface, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceL, Right: spaceM, Top: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
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
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, th.Surface, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceL, Right: spaceS, Top: spaceM, Bottom: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if !u.narrow {
						return layout.Dimensions{}
					}
					b := th.iconButton(&p.back, u.icons.back, t.Back)
					b.tip = tipStart
					return layout.Inset{Right: spaceS}.Layout(gtx, b.Layout)
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, o.Name, avatarID, avatarM) }),
				layout.Rigid(gap(spaceM)),
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
						layout.Rigid(th.label(textTitle, th.Fg, o.Name).bold().lines(1).userContent().Layout),
						layout.Rigid(gap(2)),
						layout.Rigid(th.label(textSmall, th.FgMuted, sub).lines(2).Layout),
					)
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if o.Kind != proto.KindDirect || o.Peer == nil {
						return layout.Dimensions{}
					}
					b := th.iconButton(&p.callPeer, u.icons.call, fmt.Sprintf(t.CallPersonF, o.Peer.Name))
					b.enabled = !st.NoAudio && (st.Call == nil || st.Call.State == state.CallEnded)
					if st.NoAudio {
						b.desc = t.NoAudioCalls
					}
					if b.enabled {
						b.color = th.Primary
					}
					return b.Layout(gtx)
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					b := th.iconButton(&p.members, u.icons.people, t.ShowMembers)
					if p.showMembers {
						b.color, b.bg = th.Primary, th.Selected
					}
					return b.Layout(gtx)
				}),
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
	})
}

func (p *convPane) leaveBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, th.DangerSoft, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
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
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, th.Surface, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceL, Right: spaceL, Bottom: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
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
	})
}

// composerBar is the message input: Enter sends, Shift+Enter breaks the
// line; text from input methods arrives through the editor.
func (p *convPane) composerBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	hint := fmt.Sprintf(t.MessageHintF, st.Open.Name)
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return th.fill(gtx, th.Surface, 0)
	}, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Inset{Left: spaceS, Right: spaceM, Top: spaceM, Bottom: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
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
					b := th.iconButton(&p.send, u.icons.send, t.Send)
					b.size, b.color, b.bg, b.tip = controlH, th.OnPrimary, th.Primary, tipEnd|tipAbove
					if strings.TrimSpace(p.draft) == "" || len(p.draft) > proto.MaxTextBytes {
						b.bg, b.color = th.SurfaceAlt, th.FgMuted
					}
					return b.Layout(gtx)
				}),
			)
		})
	})
}
