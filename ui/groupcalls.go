package ui

import (
	"fmt"
	"image"
	"image/color"
	"slices"

	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget/material"

	"parley/app/state"
	"parley/net/proto"
)

// Group calls, beside the 1:1 call bar (calls.go): the group header's
// call button, which starts a call or joins the one in progress; the
// banner "Call in progress · 3 people · Join" in a group whose call I am
// not in, and the call marker on its row of the conversation list; the
// incoming card "王芳 started a call in Study Group"; and, in the call
// bar of a group call, the participants' tiles, each with a ring while
// they speak and a crossed-out microphone while they are muted.

// The participants' tiles.
const (
	tileW    unit.Dp = 96  // the narrowest a tile gets; they share a row's width
	tileMaxW unit.Dp = 136 // the widest: a few people stay together
	ringRoom unit.Dp = 5   // around a tile's avatar, for the speaking ring
)

// groupCallOf is the call in progress in conv, nil if none: the open
// conversation's, else the list's.
func groupCallOf(st state.State, conv proto.ConvID) *state.GroupCall {
	if o := st.Open; o != nil && o.ID == conv && o.GroupCall != nil {
		return o.GroupCall
	}
	for i := range st.Conversations {
		if st.Conversations[i].ID == conv {
			return st.Conversations[i].GroupCall
		}
	}
	return nil
}

// inGroupCall reports whether I am in conv's call on this device: the
// call bar has it.
func inGroupCall(st state.State, conv proto.ConvID) bool {
	if c := st.Call; c != nil && c.Group == conv && c.State != state.CallIncoming && c.State != state.CallEnded {
		return true
	}
	gc := groupCallOf(st, conv)
	return gc != nil && gc.Joined
}

// elsewhere says that I am in the group's call gc on another of my
// devices: this one cannot join it (the server would refuse, in_call).
func elsewhere(st state.State, gc *state.GroupCall) bool {
	if gc == nil || gc.Joined || st.Me == nil {
		return false
	}
	return slices.ContainsFunc(gc.Participants, func(p proto.CallParticipant) bool { return p.ID == st.Me.ID })
}

// updateGroup handles the clicks of the group header's call button and
// of the banner's Join: both start the group's call, or join it.
func (b *callBar) updateGroup(gtx layout.Context, u *UI, st state.State) {
	header, join := b.groupHeader.Clicked(gtx), b.groupJoin.Clicked(gtx)
	o := st.Open
	if (header || join) && o != nil && o.Kind == proto.KindGroup && canCall(st) && !elsewhere(st, groupCallOf(st, o.ID)) {
		u.emit(GroupCall{Conv: o.ID})
	}
}

// groupHeaderButton is a group header's call button: it starts a call,
// or, green, joins the one in progress.
func (b *callBar) groupHeaderButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	o := st.Open
	if o.Kind != proto.KindGroup {
		return layout.Dimensions{}
	}
	th, w := u.th, u.gcw()
	desc := w.StartCall
	gc := groupCallOf(st, o.ID)
	live, away := gc != nil, elsewhere(st, gc)
	if live {
		desc = w.JoinCall
	}
	bt := th.iconButton(&b.groupHeader, u.icons.call, desc)
	bt.enabled = canCall(st) && !away
	switch {
	case callsOff(st):
		bt.desc = u.callsOffWhy(st)
	case away:
		bt.desc = w.Elsewhere
	case bt.enabled && live:
		bt.color, bt.bg = th.Accept, blend(th.Surface, th.Accept, 0x1c)
	case bt.enabled:
		bt.color = th.Primary
	}
	return bt.Layout(gtx)
}

// banner is "Call in progress · 3 people", their avatars and Join, over
// the messages of a group whose call I am not in.
func (b *callBar) banner(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	o := st.Open
	if o == nil || o.Kind != proto.KindGroup || inGroupCall(st, o.ID) {
		return layout.Dimensions{}
	}
	gc := groupCallOf(st, o.ID)
	if gc == nil || st.Call != nil && st.Call.State == state.CallIncoming && st.Call.Group == o.ID {
		return layout.Dimensions{} // none, or its card is up: one Join on screen
	}
	th, w := u.th, u.gcw()
	says := w.InProgressN.format(len(gc.Participants))
	away := elsewhere(st, gc)
	if away {
		says += " · " + w.Elsewhere // and no Join: that device has the call
	}
	join := th.button(&b.groupJoin, acceptButton, w.Join)
	join.icon, join.small, join.enabled = u.icons.call, true, canCall(st)
	joinWidth := join.width(gtx)
	if away {
		joinWidth = 0
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return th.band(gtx, blend(th.Surface, th.Accept, 0x1c), layout.Inset{Left: spaceL, Right: spaceS, Top: spaceS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
				// The avatars only where the words and Join have room
				// beside them.
				faces := gtx.Dp(20+spaceS)+th.textWidth(gtx, fontMedium, textSmall, says)+joinWidth+gtx.Dp(spaceS)+
					facesWidth(gtx, len(gc.Participants))+gtx.Dp(spaceM) <= gtx.Constraints.Max.X
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Dp(20)
						return u.icons.call.Layout(gtx, th.Accept)
					}),
					layout.Rigid(gap(spaceS)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(th.label(textSmall, th.Fg, says).medium().lines(2).Layout),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								if !faces {
									return layout.Dimensions{}
								}
								return layout.Inset{Left: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
									return callFaces(gtx, th, gc.Participants, blend(th.Surface, th.Accept, 0x1c))
								})
							}),
						)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if away {
							return layout.Dimensions{}
						}
						return layout.Inset{Left: spaceS}.Layout(gtx, join.Layout)
					}),
				)
			})
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
	)
}

// maxFaces is how many avatars the banner shows; "+N" says the rest.
const maxFaces = 5

// facesWidth is the width of callFaces for n people.
func facesWidth(gtx layout.Context, n int) int {
	shown := min(n, maxFaces)
	if shown == 0 {
		return 0
	}
	w := gtx.Dp(avatarS) + (shown-1)*gtx.Dp(avatarS-8)
	if n > maxFaces {
		w += gtx.Dp(avatarS - 8 + 2)
	}
	return w
}

// callFaces is the small, overlapping avatars of the people in a call,
// each edged in bg, then "+N" for the rest.
func callFaces(gtx layout.Context, th *theme, ps []proto.CallParticipant, bg color.NRGBA) layout.Dimensions {
	s, step, edge := gtx.Dp(avatarS), gtx.Dp(avatarS-8), gtx.Dp(2)
	x := 0
	for i, p := range ps {
		if i == maxFaces {
			break
		}
		off := op.Offset(image.Pt(x, 0)).Push(gtx.Ops)
		paint.FillShape(gtx.Ops, bg, clip.Ellipse{Min: image.Pt(-edge, -edge), Max: image.Pt(s+edge, s+edge)}.Op(gtx.Ops))
		th.avatar(gtx, p.Name, int64(p.ID), avatarS)
		off.Pop()
		x += step
	}
	w := x - step + s
	if n := len(ps) - maxFaces; n > 0 {
		off := op.Offset(image.Pt(x, 0)).Push(gtx.Ops)
		paint.FillShape(gtx.Ops, bg, clip.Ellipse{Min: image.Pt(-edge, -edge), Max: image.Pt(s+edge, s+edge)}.Op(gtx.Ops))
		paint.FillShape(gtx.Ops, th.SurfaceAlt, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
		cgtx := gtx
		cgtx.Constraints = layout.Exact(image.Pt(s, s))
		layout.Center.Layout(cgtx, th.label(textCaption, th.FgMuted, fmt.Sprintf("+%d", n)).medium().Layout)
		off.Pop()
		w = x + s
	}
	return layout.Dimensions{Size: image.Pt(w, s)}
}

// listMarker is the small call icon on the conversation list's row of a
// group with a call in progress.
func listMarker(gtx layout.Context, u *UI, c state.Conversation) layout.Dimensions {
	if c.GroupCall == nil {
		return layout.Dimensions{}
	}
	th := u.th
	return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = gtx.Dp(16)
		gtx.Constraints.Max.X = gtx.Dp(16)
		d := u.icons.call.Layout(gtx, th.Accept)
		defer clip.Rect{Max: d.Size}.Push(gtx.Ops).Pop()
		semantic.DescriptionOp(u.gcw().InProgress).Add(gtx.Ops)
		return d
	})
}

// incomingGroup is the card of a group call that rings here: the group,
// who started the call, Decline and Join.
func (b *callBar) incomingGroup(gtx layout.Context, u *UI, c *state.Call, st state.State) layout.Dimensions {
	th, t, w := u.th, u.t(), u.gcw()
	noAudio := callsOff(st)
	return b.modal(gtx, u, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(th.label(textSmall, th.FgMuted, w.GroupCall).medium().aligned(text.Middle).Layout),
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.groupAvatar(gtx, c.GroupName, int64(c.Group), avatarXL)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(th.label(textHeadline, th.Fg, c.GroupName).bold().lines(1).userContent().aligned(text.Middle).Layout),
			layout.Rigid(gap(spaceXS)),
			layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf(w.StartedInF, t.peer(c.Peer), c.GroupName)).lines(3).userContent().aligned(text.Middle).Layout),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				// Who is in it already.
				gc := groupCallOf(st, c.Group)
				if gc == nil || len(gc.Participants) == 0 {
					return layout.Dimensions{}
				}
				return layout.Inset{Top: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = 0
					return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions { return callFaces(gtx, th, gc.Participants, th.Surface) }),
						layout.Rigid(gap(spaceS)),
						layout.Rigid(th.label(textSmall, th.FgMuted, w.PeopleN.format(len(gc.Participants))).Layout),
					)
				})
			}),
			b.answerRow(u, st, noAudio, w.Join),
		)
	})
}

// participants is the tiles of the people in my group call, as many to a
// row as fit; the rows scroll where they take more than about two fifths
// of the room. Each tile is an avatar (a ring round it while they
// speak, thicker the louder; a crossed-out microphone on it while they
// are muted) and a name ("You" for me).
func (b *callBar) participants(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	ps := st.Call.Participants
	if len(ps) == 0 {
		return layout.Dimensions{}
	}
	th := u.th
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	in := layout.Inset{Left: spaceL, Right: spaceL, Top: spaceXS, Bottom: spaceS}
	room := gtx.Constraints.Max.Y
	return th.band(gtx, blend(th.Surface, th.Accept, 0x0e), in, func(gtx layout.Context) layout.Dimensions {
		// As few rows as fit, as evenly filled as can be: 16 people in
		// two rows of 8 rather than 9 and 7.
		cols := max(1, min(len(ps), gtx.Constraints.Max.X/gtx.Dp(tileW)))
		rows := (len(ps) + cols - 1) / cols
		cols = (len(ps) + rows - 1) / rows
		// The rows are centred, their tiles of one width.
		w := min(gtx.Constraints.Max.X/cols, gtx.Dp(tileMaxW))
		x0 := (gtx.Constraints.Max.X - cols*w) / 2
		row := func(gtx layout.Context, r int) layout.Dimensions {
			h := 0
			for i := range cols {
				k := r*cols + i
				if k >= len(ps) {
					break
				}
				off := op.Offset(image.Pt(x0+i*w, 0)).Push(gtx.Ops)
				cgtx := gtx
				cgtx.Constraints = layout.Constraints{Min: image.Pt(w, 0), Max: image.Pt(w, gtx.Constraints.Max.Y)}
				h = max(h, b.tile(cgtx, u, ps[k]).Size.Y)
				off.Pop()
			}
			return layout.Dimensions{Size: image.Pt(gtx.Constraints.Max.X, h)}
		}
		// Every row is as tall as the first.
		m := op.Record(gtx.Ops)
		rowH := row(gtx, 0).Size.Y
		m.Stop()
		if rowH == 0 {
			return layout.Dimensions{}
		}
		limit := max(rowH*3/2, room*2/5)
		if rows*rowH <= limit {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rowsOf(rows, row)...)
		}
		gtx.Constraints.Max.Y = limit
		gtx.Constraints.Min.Y = limit
		b.grid.Axis = layout.Vertical
		l := material.List(th.mat, &b.grid)
		l.AnchorStrategy = material.Overlay
		return l.Layout(gtx, rows, row)
	})
}

// rowsOf is n rows of a vertical flex.
func rowsOf(n int, row func(gtx layout.Context, r int) layout.Dimensions) []layout.FlexChild {
	children := make([]layout.FlexChild, n)
	for r := range n {
		children[r] = layout.Rigid(func(gtx layout.Context) layout.Dimensions { return row(gtx, r) })
	}
	return children
}

// tile is one person in the call: their avatar, with the ring while they
// speak and the muted microphone, and their name under it.
func (b *callBar) tile(gtx layout.Context, u *UI, p state.CallParticipant) layout.Dimensions {
	th, w := u.th, u.gcw()
	name := p.User.Name
	if name == "" {
		name = fmt.Sprintf("ID %d", p.User.ID)
	}
	shown := name
	if p.Me {
		shown = w.You
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	return layout.Inset{Top: spaceXS, Bottom: spaceXS, Left: 2, Right: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return speakerAvatar(gtx, u, p, name) }),
			layout.Rigid(gap(2)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				col := th.Fg
				if p.Speaking {
					col = th.Accept
				}
				l := th.label(textSmall, col, shown).lines(1).userContent().aligned(text.Middle)
				if p.Speaking {
					l = l.medium()
				}
				return l.Layout(gtx)
			}),
		)
	})
}

// speakerAvatar is a participant's avatar with room round it for the
// speaking ring, which grows with their level, and the muted badge at
// its lower right. The avatar says who it is, whether they speak, and
// whether they are muted, to assistive technology (and to tests).
func speakerAvatar(gtx layout.Context, u *UI, p state.CallParticipant, name string) layout.Dimensions {
	th, w := u.th, u.gcw()
	room, a := gtx.Dp(ringRoom), gtx.Dp(avatarL)
	s := a + 2*room
	size := image.Pt(s, s)
	if p.Speaking {
		width := float32(gtx.Dp(2)) + float32(gtx.Dp(2))*min(max(p.Level, 0), 1)
		half := width / 2
		e := clip.Ellipse{Min: image.Pt(int(half), int(half)), Max: image.Pt(s-int(half), s-int(half))}
		paint.FillShape(gtx.Ops, th.Accept, clip.Stroke{Path: e.Path(gtx.Ops), Width: width}.Op())
	}
	off := op.Offset(image.Pt(room, room)).Push(gtx.Ops)
	th.avatar(gtx, name, int64(p.User.ID), avatarL)
	off.Pop()
	desc := fmt.Sprintf(w.TileF, name)
	if p.Speaking {
		desc += " · " + w.Speaking
	}
	func() {
		defer clip.Rect{Max: size}.Push(gtx.Ops).Pop()
		semantic.DescriptionOp(desc).Add(gtx.Ops)
	}()
	if p.Muted {
		// A disc at the avatar's lower right, with the muted microphone.
		d := gtx.Dp(20)
		at := image.Pt(s-d, s-d)
		off := op.Offset(at).Push(gtx.Ops)
		edge := gtx.Dp(2)
		paint.FillShape(gtx.Ops, th.Surface, clip.Ellipse{Min: image.Pt(-edge, -edge), Max: image.Pt(d+edge, d+edge)}.Op(gtx.Ops))
		paint.FillShape(gtx.Ops, th.Danger, clip.Ellipse{Max: image.Pt(d, d)}.Op(gtx.Ops))
		cgtx := gtx
		cgtx.Constraints = layout.Exact(image.Pt(d, d))
		layout.Center.Layout(cgtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints = layout.Exact(image.Pt(gtx.Dp(14), gtx.Dp(14)))
			return u.icons.micOff.Layout(gtx, th.OnPrimary)
		})
		func() {
			defer clip.Rect{Max: image.Pt(d, d)}.Push(gtx.Ops).Pop()
			semantic.DescriptionOp(fmt.Sprintf(w.MutedF, name)).Add(gtx.Ops)
		}()
		off.Pop()
	}
	return layout.Dimensions{Size: size}
}
