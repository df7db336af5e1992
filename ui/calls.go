package ui

import (
	"fmt"
	"image"
	"image/color"
	"runtime"
	"strings"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// callBar is the call bar, at the top of the conversation pane, shown
// only while there is a call: who it is with, its state and timer, the
// microphone's level, mute, the devices and hang-up; after it, how it
// ended. Calls start from a person: the direct chat's header, a member
// in the member list (memberButton), or "Call a user ID…" above the
// conversation list (dialButton), which opens a small dialog with the seed's
// user-ID field. An incoming call is answered in a dialog over the whole
// window (incomingDialog). The sound devices can be chosen during a call
// (the bar's panel) and before one (devicesDialog).
type callBar struct {
	userID                  *field
	call, hangUp, mute      widget.Clickable
	dismiss, again, devices widget.Clickable
	devicesDone             widget.Clickable // the devices dialog's Done
	accept, decline         widget.Clickable
	dial, dialCancel        widget.Clickable // "Call a user ID…", and its dialog's Cancel
	dialing                 bool             // the dialog is open
	members                 map[proto.UserID]*widget.Clickable
	showDevices             bool
	wasLive                 bool                         // a call was live last frame
	inputs, outputs         map[string]*widget.Clickable // device choices by ID ("" is the system default)
	echo                    map[string]*widget.Clickable // echo cancellation: "on", "off"
	scrim                   int                          // a dialog's scrim: a tag that takes the clicks under it
	// Group calls (groupcalls.go): the group header's call button, the
	// banner's Join, and the participants' rows.
	groupHeader, groupJoin widget.Clickable
	grid                   widget.List
}

func (b *callBar) init() {
	b.userID = newField(true)
	b.userID.Filter = "0123456789"
	b.inputs, b.outputs, b.echo = map[string]*widget.Clickable{}, map[string]*widget.Clickable{}, map[string]*widget.Clickable{}
	b.members = map[proto.UserID]*widget.Clickable{}
}

func (b *callBar) reset() {
	b.userID.SetText("")
	b.showDevices, b.dialing, b.wasLive = false, false, false
	b.members = map[proto.UserID]*widget.Clickable{}
}

// canCall reports whether a new call may start: the app has sound and no
// call is in progress.
func canCall(st state.State) bool {
	return !callsOff(st) && (st.Call == nil || st.Call.State == state.CallEnded)
}

// callsOff reports whether this app cannot make calls: no sound (the
// browser without WebRTC), or a browser whose server has UDP off.
func callsOff(st state.State) bool { return st.NoAudio && !st.WebCalls || st.CallsNeedUDP }

// callsOffWhy is what a disabled call button says (callsOff).
func (u *UI) callsOffWhy(st state.State) string {
	if st.CallsNeedUDP {
		return u.callW().NeedsUDP
	}
	return u.t().NoAudioCalls
}

// desktop reports whether the platform has a choice of sound devices and
// a file system to type paths into.
func desktop() bool {
	switch runtime.GOOS {
	case "android", "ios", "js":
		return false
	}
	return true
}

func (b *callBar) update(gtx layout.Context, u *UI, st state.State) {
	c := st.Call
	// The device panel of a call goes with it, rather than come back as
	// a dialog when the call ends.
	if live := liveCall(st); live != b.wasLive {
		b.wasLive = live
		if !live {
			b.showDevices = false
		}
	}
	if b.dial.Clicked(gtx) && canCall(st) {
		b.dialing = true
		b.userID.SetText("")
		gtx.Execute(key.FocusCmd{Tag: &b.userID.Editor})
	}
	if b.dialCancel.Clicked(gtx) || !canCall(st) {
		b.dialing = false // a call rang in meanwhile: its dialog comes first
	}
	call := b.call.Clicked(gtx)
	if b.userID.submitted(gtx) {
		call = true
	}
	if call && b.dialing {
		if id := strings.TrimSpace(b.userID.Text()); id != "" {
			u.emit(Call{UserID: id})
			b.userID.SetText("")
			b.dialing = false
		}
	}
	for id, cl := range b.members {
		if cl.Clicked(gtx) && canCall(st) {
			u.emit(Call{UserID: fmt.Sprint(id)})
		}
	}
	if b.hangUp.Clicked(gtx) && c != nil {
		u.emit(HangUp{})
	}
	if b.mute.Clicked(gtx) && c != nil {
		u.emit(Mute{Muted: !c.Muted})
	}
	if b.dismiss.Clicked(gtx) {
		u.emit(DismissCall{})
	}
	if b.again.Clicked(gtx) && c != nil {
		if c.Group != 0 {
			u.emit(GroupCall{Conv: c.Group})
		} else {
			u.emit(Call{UserID: fmt.Sprint(c.Peer.ID)})
		}
	}
	b.updateGroup(gtx, u, st)
	if b.accept.Clicked(gtx) && c != nil && c.State == state.CallIncoming && !callsOff(st) {
		u.emit(AcceptCall{})
	}
	if b.decline.Clicked(gtx) && c != nil && c.State == state.CallIncoming {
		u.emit(DeclineCall{})
	}
	if b.devicesDone.Clicked(gtx) {
		b.showDevices = false
	}
	if b.devices.Clicked(gtx) {
		b.showDevices = !b.showDevices
		if b.showDevices {
			u.emit(ListAudioDevices{}) // devices come and go: list them afresh
		}
	}
	if ad := st.AudioDevices; ad != nil {
		for id, cl := range b.echo {
			if cl.Clicked(gtx) && (id == "off") != ad.EchoOff {
				u.emit(SetEchoCancelling{On: id == "on"})
			}
		}
		for id, cl := range b.inputs {
			if cl.Clicked(gtx) {
				u.emit(SelectDevices{Input: id, Output: ad.Output})
			}
		}
		for id, cl := range b.outputs {
			if cl.Clicked(gtx) {
				u.emit(SelectDevices{Input: ad.Input, Output: id})
			}
		}
	}
	if c != nil && c.State == state.CallActive {
		// The timer shows seconds: draw again when the next one starts.
		elapsed := u.now().UnixMilli() - c.Started
		next := u.now().Add(time.Duration(1000-elapsed%1000) * time.Millisecond)
		gtx.Execute(op.InvalidateCmd{At: next})
	}
}

// layout draws the bar for st.Call: nothing when there is no call, nor
// while one rings here (its dialog shows it).
func (b *callBar) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th := u.th
	c := st.Call
	if c == nil || c.State == state.CallIncoming {
		return layout.Dimensions{}
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	var bg color.NRGBA
	var content layout.Widget
	switch {
	case c.State == state.CallEnded:
		bg, content = th.Surface, func(gtx layout.Context) layout.Dimensions { return b.ended(gtx, u, c, st) }
	case c.State == state.CallActive:
		bg, content = blend(th.Surface, th.Accept, 0x1c), func(gtx layout.Context) layout.Dimensions { return b.live(gtx, u, st) }
	default:
		bg, content = blend(th.Surface, th.Primary, 0x16), func(gtx layout.Context) layout.Dimensions { return b.live(gtx, u, st) }
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return th.band(gtx, bg, layout.Inset{Left: spaceL, Right: spaceS, Top: spaceS, Bottom: spaceS}, content)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			// A group call's people, in its group or with none open.
			if c.Group == 0 || c.State == state.CallEnded || st.Open != nil && st.Open.ID != c.Group {
				return layout.Dimensions{}
			}
			return b.participants(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			// During a call the panel is here, under the button that
			// closes it; outside one, in a dialog (devicesDialog).
			if !b.showDevices || !hasDevices(st) || c.State == state.CallEnded {
				return layout.Dimensions{}
			}
			return b.devicePanel(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
	)
}

// dialButton is "Call a user ID…", above the conversation list: it opens
// the dialog that calls by number (dialDialog). Without sound there is
// none. Where its words do not fit in the room left (the heading and the
// sound-devices button take room), it is an icon with a tooltip.
func (b *callBar) dialButton(gtx layout.Context, u *UI, st state.State, room int) layout.Dimensions {
	th, t := u.th, u.t()
	if callsOff(st) { // no calls here, and the phones say why
		return layout.Dimensions{}
	}
	bt := th.button(&b.dial, ghostButton, t.CallUserIDMenu)
	bt.icon, bt.small, bt.enabled = u.icons.dialpad, true, canCall(st)
	if bt.width(gtx) > room {
		ib := th.iconButton(&b.dial, u.icons.dialpad, t.CallUserIDMenu)
		ib.enabled = bt.enabled
		if ib.enabled {
			ib.color = th.Primary
		}
		return ib.Layout(gtx)
	}
	return bt.Layout(gtx)
}

// memberButton calls member m of a group's member list; there is none
// for me, nor in a direct chat, whose header has the one call button.
func (b *callBar) memberButton(gtx layout.Context, u *UI, st state.State, m proto.Member) layout.Dimensions {
	if st.Me != nil && m.ID == st.Me.ID || st.Open == nil || st.Open.Kind == proto.KindDirect {
		return layout.Dimensions{}
	}
	th, t := u.th, u.t()
	cl := b.members[m.ID]
	if cl == nil {
		cl = new(widget.Clickable)
		b.members[m.ID] = cl
	}
	bt := th.iconButton(cl, u.icons.call, fmt.Sprintf(t.CallPersonF, m.Name))
	bt.size, bt.enabled = 24, canCall(st)
	if callsOff(st) {
		bt.desc = u.callsOffWhy(st)
	}
	if bt.enabled {
		bt.color = th.Primary
	}
	return layout.Inset{Left: spaceXS}.Layout(gtx, bt.Layout)
}

// dialDialog calls a user by the ID typed: the seed's way of calling, in
// a small dialog over the window.
func (b *callBar) dialDialog(gtx layout.Context, u *UI) layout.Dimensions {
	th, t := u.th, u.t()
	return b.modal(gtx, u, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(th.label(textTitle, th.Fg, t.VoiceCall).bold().Layout),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.input(gtx, b.userID, t.CallUserID, t.CallUserID)
			}),
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{}.Layout(gtx,
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						bt := th.button(&b.dialCancel, ghostButton, t.Cancel)
						bt.full = true
						return bt.Layout(gtx)
					}),
					layout.Rigid(gap(spaceM)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						bt := th.button(&b.call, acceptButton, t.CallButton)
						bt.icon, bt.full = u.icons.call, true
						return bt.Layout(gtx)
					}),
				)
			}),
		)
	})
}

// hasDevices reports whether there is a choice of sound devices: on the
// desktop, not in the browser (no sound there) nor on phones.
func hasDevices(st state.State) bool { return !st.NoAudio && desktop() }

// liveCall reports whether a call is in the call bar and not over.
func liveCall(st state.State) bool {
	return st.Call != nil && st.Call.State != state.CallIncoming && st.Call.State != state.CallEnded
}

// idleDevicesButton opens the sound devices from the conversation list's
// heading, next to "Call a user ID…", to choose them before a call: in a
// dialog (devicesDialog). During a call the call bar has the button
// instead: one on screen, not two.
func (b *callBar) idleDevicesButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	if liveCall(st) {
		return layout.Dimensions{}
	}
	return b.devicesButton(gtx, u, st)
}

// devicesButton opens and closes the sound-device panel (devicePanel).
func (b *callBar) devicesButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	if !hasDevices(st) {
		return layout.Dimensions{}
	}
	th := u.th
	bt := th.iconButton(&b.devices, u.icons.devices, u.t().AudioDevices)
	if b.showDevices {
		bt.color, bt.bg = th.Primary, th.Selected
	}
	return layout.Inset{Left: spaceXS}.Layout(gtx, bt.Layout)
}

// live is a call that rings, connects or runs: who, how it stands, and
// the controls. When the words and the controls do not fit on one row
// (a phone-sized window), the controls go to a second row.
func (b *callBar) live(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	c := st.Call
	th, t := u.th, u.t()
	var status string
	switch c.State {
	case state.CallRinging:
		status = t.Ringing
		if c.ID == 0 {
			status = t.Calling
		}
		if c.Group != 0 {
			status = u.gcw().Waiting
		}
	case state.CallConnecting:
		status = t.CallConnecting
	case state.CallActive:
		status = fmt.Sprintf(t.InCallF, clock(u.now().UnixMilli()-c.Started, true))
		if c.Group != 0 && len(c.Participants) > 0 {
			status += " · " + u.gcw().PeopleN.format(len(c.Participants))
		}
		if via := u.callW().carrierLabel(c.Carrier); via != "" {
			status += " · " + via
		}
	}
	if c.Muted {
		status += " · " + t.Muted
	}
	who := t.peerID(c.Peer)
	talking := c.State == state.CallConnecting || c.State == state.CallActive
	hangLabel := t.HangUp
	if c.State == state.CallRinging {
		hangLabel = t.CancelCall
	}
	if c.Group != 0 { // the group, and Leave: the call goes on without me
		who, hangLabel = c.GroupName, u.gcw().Leave
	}
	hang := th.button(&b.hangUp, rejectButton, hangLabel)
	hang.icon, hang.small = u.icons.callEnd, true
	info := func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if c.Group != 0 {
					return th.groupAvatar(gtx, c.GroupName, int64(c.Group), avatarM)
				}
				return th.avatar(gtx, t.peer(c.Peer), int64(c.Peer.ID), avatarM)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				l := th.label(textBody, th.Fg, who).bold().lines(1)
				if c.Group != 0 {
					l = l.userContent() // a group's name may be long
				}
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(l.Layout),
					layout.Rigid(gap(2)),
					layout.Rigid(th.label(textSmall, th.FgMuted, status).lines(1).Layout),
				)
			}),
		)
	}
	controls := []layout.FlexChild{
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !talking || c.Muted {
				return layout.Dimensions{}
			}
			return layout.Inset{Left: spaceS, Right: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return levelMeter(gtx, th, c.Level)
			})
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !talking {
				return layout.Dimensions{}
			}
			icon, desc := u.icons.mic, t.Mute
			if c.Muted {
				icon, desc = u.icons.micOff, t.Unmute
			}
			bt := th.iconButton(&b.mute, icon, desc)
			if c.Muted {
				bt.color, bt.bg = th.Danger, th.DangerSoft
			}
			return bt.Layout(gtx)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return b.devicesButton(gtx, u, st) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceS, Right: spaceXS}.Layout(gtx, hang.Layout)
		}),
	}
	need := gtx.Dp(avatarM+spaceM) + max(th.textWidth(gtx, fontBold, textBody, who), th.textWidth(gtx, fontRegular, textSmall, status))
	need += hang.width(gtx) + gtx.Dp(spaceS+spaceXS)
	if talking {
		need += gtx.Dp(36)
		if !c.Muted {
			need += gtx.Dp(56 + 2*spaceS)
		}
	}
	if hasDevices(st) {
		need += gtx.Dp(36 + spaceXS)
	}
	if need <= gtx.Constraints.Max.X {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, append([]layout.FlexChild{layout.Flexed(1, info)}, controls...)...)
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(info),
		layout.Rigid(gap(spaceXS)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return layout.Flex{Alignment: layout.Middle, Spacing: layout.SpaceStart}.Layout(gtx, controls...)
		}),
	)
}

// ended says how the last call ended, with "Call again" and a way to
// clear it. Where "Call again" does not fit with its words, it is an
// icon with a tooltip.
func (b *callBar) ended(gtx layout.Context, u *UI, c *state.Call, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	text, failed := t.callEnd(*c)
	if c.Group != 0 {
		text, failed = t.groupCallEnd(*c)
	}
	if c.EndReason == string(proto.CodeUDPOff) { // a browser call on a server with UDP off
		text, failed = u.callW().NeedsUDP, true
	}
	col, icon := th.Fg, u.icons.callEnd
	if failed {
		col, icon = th.Danger, u.icons.callMissed
	}
	who := t.peerID(c.Peer)
	canRetry := c.Peer.ID != 0 && c.EndReason != string(proto.CodeSelf) && c.EndReason != string(proto.CodeNoSuchUser)
	againLabel := t.CallAgain
	if c.Group != 0 { // the group's call: join it again while it goes on, or start another
		who, canRetry = c.GroupName, c.EndReason != proto.EndRemoved
		if groupCallOf(st, c.Group) != nil {
			againLabel = u.gcw().Join
			// In its group, the banner under the bar has the Join.
			canRetry = canRetry && (st.Open == nil || st.Open.ID != c.Group)
		}
	}
	again := th.button(&b.again, secondaryButton, againLabel)
	again.icon, again.small = u.icons.call, true
	need := gtx.Dp(avatarM+spaceM) + max(th.textWidth(gtx, fontMedium, textBody, text), th.textWidth(gtx, fontRegular, textSmall, who)) +
		again.width(gtx) + gtx.Dp(spaceS+spaceXS+36)
	compact := need > gtx.Constraints.Max.X
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			s := gtx.Dp(avatarM)
			gtx.Constraints = layout.Exact(image.Pt(s, s))
			bg := th.SurfaceAlt
			if failed {
				bg = th.DangerSoft
			}
			paint.FillShape(gtx.Ops, bg, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
			return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Dp(20)
				return icon.Layout(gtx, col)
			})
		}),
		layout.Rigid(gap(spaceM)),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					l := th.label(textBody, col, text).medium().lines(2)
					if c.Group != 0 {
						l = l.userContent() // with the group's name
					}
					return l.Layout(gtx)
				}),
				layout.Rigid(gap(2)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					l := th.label(textSmall, th.FgMuted, who).lines(1)
					if c.Group != 0 {
						l = l.userContent()
					}
					return l.Layout(gtx)
				}),
			)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !canRetry {
				return layout.Dimensions{}
			}
			if compact {
				bt := th.iconButton(&b.again, u.icons.call, againLabel)
				bt.color = th.Primary
				return layout.Inset{Left: spaceS}.Layout(gtx, bt.Layout)
			}
			return layout.Inset{Left: spaceS}.Layout(gtx, again.Layout)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceXS}.Layout(gtx, th.iconButton(&b.dismiss, u.icons.close, t.ClearCall).Layout)
		}),
	)
}

// levelMeter is the microphone's level, 0 to 1.
func levelMeter(gtx layout.Context, th *theme, level float32) layout.Dimensions {
	w, h := gtx.Dp(56), gtx.Dp(barH)
	level = min(max(level, 0), 1)
	th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, w, h), h/2, th.Border)
	if fill := int(float32(w) * level); fill > 0 {
		th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, max(fill, h), h), h/2, th.Accept)
	}
	return layout.Dimensions{Size: image.Pt(w, h)}
}

// deviceChoices chooses the microphone, the speaker and the echo
// cancellation.
func (b *callBar) deviceChoices(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	ad := st.AudioDevices
	type choice struct{ id, name string }
	// The device the system marks as its default is the system default:
	// one choice, "System default (Speakers)", not two. It is the one
	// shown chosen also when chosen by its own ID.
	devices := func(devs []state.AudioDevice, chosen string) ([]choice, string) {
		choices := []choice{{"", t.SystemDefault}}
		for _, d := range devs {
			if d.Default && choices[0].name == t.SystemDefault {
				choices[0].name = fmt.Sprintf(t.SystemDefaultF, d.Name)
				if chosen == d.ID {
					chosen = ""
				}
				continue
			}
			choices = append(choices, choice{d.ID, d.Name})
		}
		return choices, chosen
	}
	echoChoices, echoChosen := []choice{{"on", t.EchoCancelOn}, {"off", t.EchoCancelOff}}, "on"
	if ad != nil && ad.EchoOff {
		echoChosen = "off"
	}
	// Each row is a caption and its choices, which wrap to more lines
	// where they do not fit; on a narrow panel the caption is above them.
	row := func(caption string, choices []choice, chosen string, clicks map[string]*widget.Clickable) layout.Widget {
		return func(gtx layout.Context) layout.Dimensions {
			for _, ch := range choices {
				if clicks[ch.id] == nil {
					clicks[ch.id] = new(widget.Clickable)
				}
			}
			chips := func(gtx layout.Context) layout.Dimensions {
				return flow(gtx, gtx.Dp(spaceS), gtx.Dp(spaceXS), len(choices), func(gtx layout.Context, i int) layout.Dimensions {
					ch := choices[i]
					kind := secondaryButton
					if ch.id == chosen {
						kind = primaryButton
					}
					bt := th.button(clicks[ch.id], kind, ch.name)
					bt.small, bt.lines = true, 2 // devices can have long names
					return bt.Layout(gtx)
				})
			}
			head := th.label(textSmall, th.FgMuted, caption).medium().lines(1)
			if gtx.Constraints.Max.X < gtx.Dp(400) {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(head.Layout),
					layout.Rigid(gap(spaceXS)),
					layout.Rigid(chips),
				)
			}
			return layout.Flex{}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(96)
					// Level with the middle of the first line of choices.
					return layout.Inset{Top: 7}.Layout(gtx, head.Layout)
				}),
				layout.Flexed(1, chips),
			)
		}
	}
	if ad == nil {
		return th.label(textSmall, th.FgMuted, t.LookingForDevices).Layout(gtx)
	}
	inputs, input := devices(ad.Inputs, ad.Input)
	outputs, output := devices(ad.Outputs, ad.Output)
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(row(t.Microphone, inputs, input, b.inputs)),
		layout.Rigid(gap(spaceS)),
		layout.Rigid(row(t.Speaker, outputs, output, b.outputs)),
		layout.Rigid(gap(spaceS)),
		layout.Rigid(row(t.EchoCancel, echoChoices, echoChosen, b.echo)),
	)
}

// devicePanel is the sound-device choices under the call bar, during a
// call.
func (b *callBar) devicePanel(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th := u.th
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceL, Top: spaceXS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
		return b.deviceChoices(gtx, u, st)
	})
}

// devicesDialog is the sound-device choices outside a call, in a dialog
// over the window: the devices can be chosen before calling.
func (b *callBar) devicesDialog(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	return b.modal(gtx, u, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(th.label(textTitle, th.Fg, t.AudioDevices).bold().Layout),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return b.deviceChoices(gtx, u, st) }),
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				return layout.Flex{Spacing: layout.SpaceStart}.Layout(gtx, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					bt := th.button(&b.devicesDone, primaryButton, t.Done)
					return bt.Layout(gtx)
				}))
			}),
		)
	})
}

// flow lays out n items left to right, wrapping to a new line where the
// next does not fit, gapX between items and gapY between lines. An item
// wider than the constraints gets all of their width.
func flow(gtx layout.Context, gapX, gapY, n int, item func(gtx layout.Context, i int) layout.Dimensions) layout.Dimensions {
	maxW := gtx.Constraints.Max.X
	cgtx := gtx
	cgtx.Constraints = layout.Constraints{Max: image.Pt(maxW, gtx.Constraints.Max.Y)}
	x, y, lineH, w := 0, 0, 0, 0
	for i := range n {
		m := op.Record(gtx.Ops)
		d := item(cgtx, i)
		call := m.Stop()
		if x > 0 && x+d.Size.X > maxW {
			x, y, lineH = 0, y+lineH+gapY, 0
		}
		t := op.Offset(image.Pt(x, y)).Push(gtx.Ops)
		call.Add(gtx.Ops)
		t.Pop()
		x += d.Size.X
		w, lineH = max(w, x), max(lineH, d.Size.Y)
		x += gapX
	}
	return layout.Dimensions{Size: image.Pt(max(w, gtx.Constraints.Min.X), y+lineH)}
}

// modal draws content on a card over the whole window. The scrim under
// it takes every click, so nothing behind it reacts.
func (b *callBar) modal(gtx layout.Context, u *UI, content layout.Widget) layout.Dimensions {
	th := u.th
	size := gtx.Constraints.Max
	scrim := color.NRGBA{A: 0x73}
	if th.Dark {
		scrim.A = 0xa6
	}
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	paint.ColorOp{Color: scrim}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	event.Op(gtx.Ops, &b.scrim)
	area.Pop()
	for {
		if _, ok := gtx.Event(pointer.Filter{Target: &b.scrim, Kinds: pointer.Press | pointer.Release | pointer.Scroll,
			ScrollX: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}, ScrollY: pointer.ScrollRange{Min: -1 << 20, Max: 1 << 20}}); !ok {
			break
		}
	}
	gtx.Constraints.Min = size
	return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		w := min(gtx.Dp(dialogW), gtx.Constraints.Max.X-2*gtx.Dp(spaceL))
		gtx.Constraints = layout.Exact(image.Pt(w, gtx.Constraints.Max.Y))
		gtx.Constraints.Min.Y = 0
		border := color0
		if th.Dark {
			border = th.Border // the card's edge against the dark scrim
		}
		return th.surface(gtx, th.Surface, border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceXL).Layout(gtx, content)
		})
	})
}

// incomingDialog asks whether to answer a call, over the whole window:
// the caller's name and ID, Decline and Accept. Without audio (the
// browser) Accept is off and the dialog says to answer on the desktop
// app; the user's other devices ring too.
func (b *callBar) incomingDialog(gtx layout.Context, u *UI, c *state.Call, st state.State) layout.Dimensions {
	if c.Group != 0 {
		return b.incomingGroup(gtx, u, c, st)
	}
	th, t := u.th, u.t()
	noAudio := callsOff(st)
	return b.modal(gtx, u, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(th.label(textSmall, th.FgMuted, t.IncomingCall).medium().Layout),
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.avatar(gtx, t.peer(c.Peer), int64(c.Peer.ID), avatarXL)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(th.label(textHeadline, th.Fg, t.peer(c.Peer)).bold().lines(1).aligned(text.Middle).Layout),
			layout.Rigid(gap(spaceXS)),
			layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf("ID %d · %s", c.Peer.ID, t.IsCalling)).lines(1).Layout),
			b.answerRow(u, st, noAudio, t.Accept),
		)
	})
}

// answerRow is the end of an incoming call's card: why it cannot be
// answered here, if so, then Decline and accept (Accept, or Join for a
// group call).
func (b *callBar) answerRow(u *UI, st state.State, noAudio bool, accept string) layout.FlexChild {
	th, t := u.th, u.t()
	return layout.Rigid(func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !noAudio {
					return layout.Dimensions{}
				}
				why := t.NoAudioAnswer
				if st.CallsNeedUDP {
					why = u.callW().NeedsUDP
				}
				return layout.Inset{Top: spaceM}.Layout(gtx, th.label(textSmall, th.Danger, why).aligned(text.Middle).Layout)
			}),
			layout.Rigid(gap(spaceXL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				half := func(click *widget.Clickable, kind buttonKind, label string, icon *widget.Icon, enabled bool) layout.FlexChild {
					return layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						bt := th.button(click, kind, label)
						bt.icon, bt.full, bt.enabled = icon, true, enabled
						return bt.Layout(gtx)
					})
				}
				return layout.Flex{}.Layout(gtx,
					half(&b.decline, rejectButton, t.Decline, u.icons.callEnd, true),
					layout.Rigid(gap(spaceM)),
					half(&b.accept, acceptButton, accept, u.icons.call, !noAudio),
				)
			}),
		)
	})
}

// blend is c over bg at alpha a, for tinted bars that stay opaque.
func blend(bg, c color.NRGBA, a uint8) color.NRGBA {
	mix := func(x, y uint8) uint8 { return uint8((int(x)*(255-int(a)) + int(y)*int(a)) / 255) }
	return color.NRGBA{R: mix(bg.R, c.R), G: mix(bg.G, c.G), B: mix(bg.B, c.B), A: 0xff}
}
