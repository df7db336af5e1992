package ui

import (
	"fmt"
	"image"
	"slices"
	"time"

	"gioui.org/gesture"
	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/widget"
	"golang.org/x/exp/shiny/materialdesign/icons"

	"parley/app/state"
	"parley/net/proto"
)

// Read receipts, "Seen by", typing and the read-receipts switch
// (docs/protocol.md, "Read state and receipts", "Typing").

// Events of read state, receipts and typing.
type (
	// AtBottom reports whether the list of the open conversation Conv
	// shows its newest message: the app counts it read only then.
	AtBottom struct {
		Conv     proto.ConvID
		AtBottom bool
	}
	// ShowSeenBy asks who has read my message Seq of Conv (State.SeenBy).
	ShowSeenBy struct {
		Conv proto.ConvID
		Seq  int64
	}
	// SetReadReceipts switches my read receipts on or off.
	SetReadReceipts struct{ On bool }
)

func (AtBottom) isEvent()        {}
func (ShowSeenBy) isEvent()      {}
func (SetReadReceipts) isEvent() {}

// receiptWords are the words of receipts, typing, forwarding and the
// read-receipts switch, in one language.
type receiptWords struct {
	Delivered, Read                      string // the status under my message
	SentTip, DeliveredTip, ReadTip       string // its tooltip
	SeenByN                              plural // a group message's readers; opens the list
	SeenBy, SeenByNobody, Loading, Close string // the list
	TypingOneF, TypingTwoF, TypingManyF  string // "Wang is typing…"
	ReceiptsOn, ReceiptsOff              string // the switch, as it is
	Forward, ForwardTitle, ForwardFilter string // the menu item and the chooser
	ForwardNone                          string // no conversation matches
}

var enReceipts = receiptWords{
	Delivered:     "Delivered",
	Read:          "Read",
	SentTip:       "Sent: the server has it",
	DeliveredTip:  "Delivered: it reached their device",
	ReadTip:       "Read: they have seen it",
	SeenByN:       plural{One: "Seen by %d", Other: "Seen by %d"},
	SeenBy:        "Seen by",
	SeenByNobody:  "Nobody has seen it yet",
	Loading:       "Loading…",
	Close:         "Close",
	TypingOneF:    "%s is typing…",
	TypingTwoF:    "%s and %s are typing…",
	TypingManyF:   "%d people are typing…",
	ReceiptsOn:    "Send read receipts: on (click to turn off)",
	ReceiptsOff:   "Send read receipts: off (click to turn on)",
	Forward:       "Forward",
	ForwardTitle:  "Forward to…",
	ForwardFilter: "Filter conversations",
	ForwardNone:   "No conversation matches",
}

var zhReceipts = receiptWords{
	Delivered:     "已送达",
	Read:          "已读",
	SentTip:       "已发送：服务器已收到",
	DeliveredTip:  "已送达：已到达对方的设备",
	ReadTip:       "已读：对方已看到",
	SeenByN:       plural{One: "%d 人已读", Other: "%d 人已读"},
	SeenBy:        "已读成员",
	SeenByNobody:  "还没有人看到",
	Loading:       "加载中…",
	Close:         "关闭",
	TypingOneF:    "%s 正在输入…",
	TypingTwoF:    "%s 和 %s 正在输入…",
	TypingManyF:   "%d 人正在输入…",
	ReceiptsOn:    "发送已读回执：开（点击关闭）",
	ReceiptsOff:   "发送已读回执：关（点击开启）",
	Forward:       "转发",
	ForwardTitle:  "转发到…",
	ForwardFilter: "筛选会话",
	ForwardNone:   "没有匹配的会话",
}

var (
	iconSent      = mustIcon(icons.ActionDone)
	iconDelivered = mustIcon(icons.ActionDoneAll)
)

func mustIcon(data []byte) *widget.Icon {
	ic, err := widget.NewIcon(data)
	if err != nil {
		panic(err) // the icon data is compiled in
	}
	return ic
}

// receiptsUI is the message list's state for receipts: the "Seen by"
// links and tooltips of my messages, the list open, and the bottom as
// last reported.
type receiptsUI struct {
	conv       proto.ConvID // the conversation all this is of
	links      map[int64]*widget.Clickable
	tips       map[int64]*gesture.Hover
	seen       int64 // the message whose "Seen by" list shows; 0: none
	scrim      int
	close      widget.Clickable
	bottom     bool // as last reported (AtBottom)
	bottomConv proto.ConvID
}

// receiptActions starts the frame: it forgets another conversation's
// state, and handles the "Seen by" links and the list's Close.
func (l *msgList) receiptActions(gtx layout.Context, u *UI, conv proto.ConvID) {
	rx := &l.rx
	if rx.conv != conv || rx.links == nil {
		*rx = receiptsUI{conv: conv, links: map[int64]*widget.Clickable{}, tips: map[int64]*gesture.Hover{},
			bottom: rx.bottom, bottomConv: rx.bottomConv}
	}
	for seq, c := range rx.links {
		if c.Clicked(gtx) {
			rx.seen = seq
			u.emit(ShowSeenBy{Conv: conv, Seq: seq})
		}
	}
	if rx.close.Clicked(gtx) || scrimPressed(gtx, &rx.scrim) {
		rx.seen = 0
	}
}

// reportBottom tells the app when the list comes to the newest message
// or leaves it (a conversation opens at the bottom).
func (l *msgList) reportBottom(u *UI, conv proto.ConvID) {
	rx := &l.rx
	if rx.bottomConv != conv {
		rx.bottomConv, rx.bottom = conv, true
	}
	if at := !l.list.Position.BeforeEnd; at != rx.bottom {
		rx.bottom = at
		u.emit(AtBottom{Conv: conv, AtBottom: at})
	}
}

// receiptLine is the line under my sent message: its time, Sent,
// Delivered or Read with ticks and a tooltip, and in a group "Seen by N",
// which opens the list of who saw it.
func (l *msgList) receiptLine(gtx layout.Context, u *UI, m state.Message, edited string) layout.Dimensions {
	th, t := u.th, u.t()
	w := &t.Receipts
	word, tip, icon, col := t.Sent, w.SentTip, iconSent, th.FgMuted
	switch m.Status {
	case state.Delivered:
		word, tip, icon = w.Delivered, w.DeliveredTip, iconDelivered
	case state.Read:
		word, tip, icon, col = w.Read, w.ReadTip, iconDelivered, th.Primary
	}
	line := u.local(m.Time).Format("15:04") + " · " + word + edited
	rx := &l.rx
	hv := rx.tips[m.Seq]
	if hv == nil {
		hv = new(gesture.Hover)
		rx.tips[m.Seq] = hv
	}
	gtx.Constraints.Min.X = 0
	return layout.Inset{Top: 3}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				rec := op.Record(gtx.Ops)
				d := layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(th.label(textCaption, th.FgMuted, line).Layout),
					layout.Rigid(gap(3)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						s := gtx.Dp(14)
						gtx.Constraints = layout.Exact(image.Pt(s, s))
						return icon.Layout(gtx, col)
					}),
				)
				call := rec.Stop()
				area := clip.Rect{Max: d.Size}.Push(gtx.Ops)
				hovered := hv.Update(gtx.Source)
				hv.Add(gtx.Ops)
				call.Add(gtx.Ops)
				area.Pop()
				th.tooltip(gtx, hv, hovered, tip, d.Size, tipEnd|tipAbove)
				return d
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if m.SeenBy <= 0 {
					return layout.Dimensions{}
				}
				c := rx.links[m.Seq]
				if c == nil {
					c = new(widget.Clickable)
					rx.links[m.Seq] = c
				}
				return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return c.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						semantic.Button.Add(gtx.Ops)
						return th.label(textCaption, th.Primary, w.SeenByN.format(m.SeenBy)).medium().Layout(gtx)
					})
				})
			}),
		)
	})
}

// seenCard draws the "Seen by" list over the message list (size): the
// names of who has read the message, as the app fetched them.
func (l *msgList) seenCard(gtx layout.Context, u *UI, st state.State, size image.Point) {
	th, t := u.th, u.t()
	w := &t.Receipts
	rx := &l.rx
	var lines []string
	sb := st.SeenBy
	switch {
	case sb == nil || sb.Conv != rx.conv || sb.Seq != rx.seen || sb.Loading:
		lines = []string{w.Loading}
	case sb.Error != nil:
		lines = []string{t.errorText(*sb.Error)}
	case len(sb.Users) == 0:
		lines = []string{w.SeenByNobody}
	default:
		for _, us := range sb.Users {
			lines = append(lines, us.Name)
		}
	}
	overlayCard(gtx, u, &rx.scrim, size, func(gtx layout.Context) layout.Dimensions {
		items := []layout.FlexChild{
			layout.Rigid(th.label(textBody, th.Fg, w.SeenBy).bold().Layout),
			layout.Rigid(gap(spaceS)),
		}
		for _, s := range lines {
			items = append(items, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Top: 2, Bottom: 2}.Layout(gtx, th.label(textSmall, th.Fg, s).lines(1).userContent().Layout)
			}))
		}
		items = append(items, layout.Rigid(gap(spaceS)), layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return th.button(&rx.close, ghostButton, w.Close).Layout(gtx)
		}))
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
	})
}

// overlayCard draws a scrim over size (pressing it is read by
// scrimPressed with the same tag) and a card in its middle.
func overlayCard(gtx layout.Context, u *UI, scrim *int, size image.Point, w layout.Widget) {
	th := u.th
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	paint.ColorOp{Color: withAlpha(th.Fg, 0x30)}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	event.Op(gtx.Ops, scrim)
	area.Pop()
	scrimPressed(gtx, scrim) // declares the filter from the frame it shows
	gtx.Constraints = layout.Exact(size)
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min = image.Point{}
		gtx.Constraints.Max.X = min(gtx.Dp(dialogW), size.X-2*gtx.Dp(spaceL))
		gtx.Constraints.Max.Y = max(size.Y-2*gtx.Dp(spaceL), 0)
		return th.surface(gtx, th.Surface, th.Border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceM).Layout(gtx, w)
		})
	})
}

// scrimPressed reports whether the scrim tagged tag was pressed.
func scrimPressed(gtx layout.Context, tag *int) bool {
	pressed := false
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: tag, Kinds: pointer.Press})
		if !ok {
			return pressed
		}
		if _, ok := ev.(pointer.Event); ok {
			pressed = true
		}
	}
}

// typingLine says who is typing in the open conversation, and redraws
// when the first of them expires.
func typingLine(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, &u.t().Receipts
	ts := st.Typists(st.Open.ID, gtx.Now.UnixMilli())
	if len(ts) == 0 {
		return layout.Dimensions{}
	}
	next := slices.MinFunc(ts, func(a, b state.Typist) int { return int(a.Until - b.Until) })
	gtx.Execute(op.InvalidateCmd{At: time.UnixMilli(next.Until)})
	var s string
	switch len(ts) {
	case 1:
		s = fmt.Sprintf(w.TypingOneF, ts[0].Name)
	case 2:
		s = fmt.Sprintf(w.TypingTwoF, ts[0].Name, ts[1].Name)
	default:
		s = fmt.Sprintf(w.TypingManyF, len(ts))
	}
	return layout.Inset{Left: spaceL, Right: spaceL, Top: 2, Bottom: 2}.Layout(gtx,
		th.label(textCaption, th.FgMuted, s).lines(1).userContent().Layout)
}

// receiptsSwitch is the "Send read receipts" switch, in the heading of
// the conversation list next to the sound devices.
func (u *UI) receiptsSwitch(gtx layout.Context, st state.State) layout.Dimensions {
	w := &u.t().Receipts
	if u.receiptsBtn.Clicked(gtx) {
		u.emit(SetReadReceipts{On: st.ReceiptsOff})
	}
	icon, desc := u.icons.visible, w.ReceiptsOn
	if st.ReceiptsOff {
		icon, desc = u.icons.hidden, w.ReceiptsOff
	}
	b := u.th.iconButton(&u.receiptsBtn, icon, desc)
	return layout.Inset{Left: spaceXS}.Layout(gtx, b.Layout)
}
