package ui

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"io"
	"slices"
	"strings"

	"gioui.org/io/clipboard"
	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui/markup"
)

// The message list is virtualised twice over: the model keeps only a
// window of the history in Open.Messages (paging older pages in from the
// store when asked), and the list lays out only the rows on screen. Rows
// (day separators, runs of messages from one sender) are prepared once per
// revision of the window, not per frame. Scroll position is anchored to a
// message's identity, so it survives older pages arriving in front, the
// window being trimmed, and "sending" messages turning into sent ones.

type rowKind uint8

const (
	rowTop   rowKind = iota // "loading older…" or "start of the conversation"
	rowDay                  // a day separator before msgs[msg]
	rowText                 // a text message
	rowEvent                // a membership event
	rowFile                 // a shared file
	rowCall                 // a call of the history: centred, with Call back
)

type row struct {
	kind  rowKind
	msg   int  // index into msgs
	first bool // starts a run from one sender: show the name
	last  bool // ends a run: show the time under my messages
}

// rowKey identifies a row across revisions of the window.
type rowKey struct {
	kind   rowKind
	sender proto.UserID
	seq    int64
	client string
}

// runGap is the longest pause inside one run of messages.
const runGap = 5 * 60 * 1000 // ms

type msgList struct {
	list       widget.List
	conv       proto.ConvID
	rev        uint64
	msgs       []state.Message
	rows       []row
	heights    map[int]int // heights of the rows laid out last frame
	unseen     int         // messages that arrived while scrolled up
	askedOlder uint64      // revision+1 at which older history was asked for
	jump       widget.Clickable
	files      map[int64]*fileButtons // the buttons of file messages, by seq
	actions    fileActions            // this frame's transfers, for file messages
	callBacks  map[int64]*callBack    // the Call back buttons of call rows, by seq
	chips      map[chipKey]*widget.Clickable
	rowTags    map[int64]*int64 // pointer targets of message rows, by seq (the context menu)
	menu       msgMenu
	picked     *menuPick              // Reply or Edit was chosen; the composer takes it
	nav        navState               // jumps to a message (jump.go)
	emoji      emojiPicker            // the menu's "+" (emojipicker.go)
	presses    map[chipKey]*chipPress // fingers on reaction chips (reactions.go)
	rx         receiptsUI             // receipts of my messages, "Seen by" (receipts.go)
	fwd        forwardUI              // Forward and its conversation chooser (forward.go)
	rich       richTexts              // the text bodies, with the selection (richtext.go)
	blocked    blockedRows            // messages of users I blocked, collapsed (requests.go)
	voices     voiceBubbles           // voice messages' controls, by seq (voice.go)
	pics       pictureUI              // inline pictures and the viewer (pictures.go, viewer.go)
}

// quickReactions are the reactions the context menu offers.
var quickReactions = [...]string{"👍", "❤️", "😂", "😮", "😢", "🙏"}

// msgMenu is the context menu of one message (right-click on its row),
// shown as a card over the list: quick reactions, Reply, Copy, Edit (my
// own text), Delete (for everyone, my own), Delete for me, Pin or Unpin,
// each only where it is allowed. Reply and Edit hand the message to the
// composer (picked).
type msgMenu struct {
	seq                       int64 // the message, 0: closed
	scrim                     int
	react                     [len(quickReactions)]widget.Clickable
	copy, del, forMe, pin, no widget.Clickable
	reply, edit               widget.Clickable
	more                      widget.Clickable // "+": the emoji picker
}

// menuPick is a message the menu handed to the composer: to answer, or
// with edit to change.
type menuPick struct {
	msg  state.Message
	edit bool
}

// callBack is the Call back button of a call row and whom it calls: a
// person, or a group (its call: joined if in progress, else started).
type callBack struct {
	click widget.Clickable
	peer  proto.UserID
	group proto.ConvID
}

// chipKey names one reaction chip: a message and an emoji.
type chipKey struct {
	seq   int64
	emoji string
}

func (l *msgList) init() {
	l.heights = map[int]int{}
	l.files = map[int64]*fileButtons{}
	l.callBacks = map[int64]*callBack{}
	l.chips = map[chipKey]*widget.Clickable{}
	l.rowTags = map[int64]*int64{}
	l.rich.init()
	l.list.Axis = layout.Vertical
	l.list.ScrollToEnd = true
}

func (l *msgList) reset() {
	l.conv, l.rev, l.msgs, l.rows, l.unseen, l.askedOlder = 0, 0, nil, nil, 0, 0
	clear(l.files)
	clear(l.voices)
	clear(l.callBacks)
	clear(l.chips)
	clear(l.rowTags)
	l.rich.reset()
	l.menu.seq, l.picked = 0, nil
	l.nav.reset()
	l.emoji.close()
	clear(l.presses)
	l.list.Position = layout.Position{}
}

// followBottom scrolls to the newest message and stays there.
func (l *msgList) followBottom() {
	l.list.Position.BeforeEnd = false
	l.unseen = 0
}

func (l *msgList) key(r row) rowKey {
	if r.kind == rowTop {
		return rowKey{kind: rowTop}
	}
	m := l.msgs[r.msg]
	k := rowKey{kind: r.kind, sender: m.Sender, seq: m.Seq, client: m.ClientID}
	if k.client != "" {
		k.seq = 0 // a sending message keeps its identity once sent
	}
	return k
}

func (l *msgList) find(k rowKey) int {
	for i := len(l.rows) - 1; i >= 0; i-- {
		if l.key(l.rows[i]) == k {
			return i
		}
	}
	return -1
}

// build prepares the rows of msgs.
func (l *msgList) build(u *UI) {
	rows := make([]row, 0, len(l.msgs)+len(l.msgs)/8+1)
	rows = append(rows, row{kind: rowTop})
	prevDay := -1
	for i, m := range l.msgs {
		day := dayNumber(u.local(m.Time))
		newDay := day != prevDay
		if newDay {
			rows = append(rows, row{kind: rowDay, msg: i})
			prevDay = day
		}
		if m.Kind == proto.MsgSystem || m.Kind == proto.MsgGroupEvent {
			rows = append(rows, row{kind: rowEvent, msg: i})
			continue
		}
		if m.Kind == proto.MsgCall {
			rows = append(rows, row{kind: rowCall, msg: i})
			continue
		}
		first := true
		if i > 0 && !newDay {
			p := l.msgs[i-1]
			first = p.Kind == proto.MsgSystem || p.Kind == proto.MsgGroupEvent || p.Kind == proto.MsgCall || p.Sender != m.Sender || m.Time-p.Time > runGap
		}
		if !first {
			rows[len(rows)-1].last = false
		}
		kind := rowText
		if m.Kind == proto.MsgFile && m.File != nil {
			kind = rowFile
		}
		rows = append(rows, row{kind: kind, msg: i, first: first, last: true})
	}
	l.rows = rows
}

// sync takes a new snapshot of the open conversation, keeping the scroll
// position on the same message.
func (l *msgList) sync(u *UI, o *state.Open) {
	if o.ID != l.conv {
		l.reset()
		l.conv, l.rev, l.msgs = o.ID, o.Revision, o.Messages
		l.build(u)
		return
	}
	if o.Revision == l.rev && len(o.Messages) == len(l.msgs) {
		return
	}
	pos := l.list.Position
	atEnd := !pos.BeforeEnd
	// Anchor on the first message at or below the top of the view: the
	// top row and day separators may vanish or move when pages arrive.
	var anchor rowKey
	offset := pos.Offset
	haveAnchor := !atEnd && pos.First < len(l.rows)
	if haveAnchor {
		i := pos.First
		for i+1 < len(l.rows) && (l.rows[i].kind == rowTop || l.rows[i].kind == rowDay) {
			h, ok := l.heights[i]
			if !ok {
				break
			}
			offset -= h
			i++
		}
		anchor = l.key(l.rows[i])
	}
	var lastKey rowKey
	hadLast := len(l.rows) > 1
	if hadLast {
		lastKey = l.key(l.rows[len(l.rows)-1])
	}
	l.rev, l.msgs = o.Revision, o.Messages
	l.build(u)
	if !haveAnchor {
		return
	}
	i := l.find(anchor)
	if i < 0 {
		// The window moved away (it was reset to the newest page).
		l.followBottom()
		return
	}
	l.list.Position.First, l.list.Position.Offset = i, offset
	if hadLast {
		if j := l.find(lastKey); j >= 0 {
			for _, r := range l.rows[j+1:] {
				if r.kind == rowText && !l.msgs[r.msg].Mine {
					l.unseen++
				}
			}
		}
	}
}

// atNewest reports whether the window reaches the conversation's newest
// message.
func atNewest(o *state.Open) bool {
	if o.Last == nil {
		return true
	}
	for i := len(o.Messages) - 1; i >= 0; i-- {
		if s := o.Messages[i].Seq; s > 0 {
			return s >= o.Last.Seq
		}
	}
	return len(o.Messages) == 0 && o.Last == nil
}

func (l *msgList) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	o := st.Open
	l.sync(u, o)
	l.navigate(gtx, u, o)
	l.rich.begin(st)
	defer l.rich.end()
	th, t := u.th, u.t()
	l.actions = newFileActions(st.Transfers)
	for seq, fb := range l.files {
		if fb.save.Clicked(gtx) {
			u.emit(SaveFile{Conv: o.ID, Seq: seq})
		}
		if fb.open.Clicked(gtx) && fb.transfer != "" {
			u.emit(OpenFile{ID: fb.transfer})
		}
		if fb.show.Clicked(gtx) && fb.transfer != "" {
			u.emit(ShowInFolder{ID: fb.transfer})
		}
	}
	for _, cb := range l.callBacks {
		switch {
		case !cb.click.Clicked(gtx):
		case cb.group != 0:
			u.emit(GroupCall{Conv: cb.group})
		default:
			u.emit(Call{UserID: fmt.Sprint(cb.peer)})
		}
	}
	for k, c := range l.chips {
		if c.Clicked(gtx) && !l.longPressed(k) {
			u.emit(React{Conv: o.ID, Seq: k.seq, Emoji: k.emoji, Remove: l.reacted(st, k)})
		}
	}
	l.menuActions(gtx, u, st)
	l.emoji.update(gtx, u, st, l)
	l.receiptActions(gtx, u, o.ID)
	l.forwardActions(gtx, u, st)
	if l.jump.Clicked(gtx) {
		l.followBottom()
		if !atNewest(o) {
			u.emit(Open{Conv: o.ID}) // reload the newest page
		}
	}
	gtx.Constraints.Min = gtx.Constraints.Max
	var dims layout.Dimensions
	if len(o.Messages) == 0 && !o.HasOlder {
		dims = emptyState(gtx, u, u.icons.chat, t.NoMessages)
	} else {
		clear(l.heights)
		ls := material.List(th.mat, &l.list)
		ls.AnchorStrategy = material.Overlay
		dims = ls.Layout(gtx, len(l.rows), func(gtx layout.Context, i int) layout.Dimensions {
			return l.row(gtx, u, st, i)
		})
	}
	l.nav.height = dims.Size.Y
	// The jump button floats over the bottom of the list, which has just
	// updated its position.
	pos := l.list.Position
	l.reportBottom(u, o.ID)
	if !pos.BeforeEnd {
		l.unseen = 0
	}
	far := pos.First+pos.Count < len(l.rows)-2
	if l.unseen > 0 || far || o.HasNewer {
		text := t.JumpLatest
		b := th.button(&l.jump, secondaryButton, text)
		if l.unseen > 0 {
			b.text, b.kind = fmt.Sprintf("%s (%d)", t.NewMessages, l.unseen), primaryButton
		}
		b.icon, b.small = u.icons.down, true
		m := op.Record(gtx.Ops)
		bgtx := gtx
		bgtx.Constraints.Min = image.Point{}
		bd := b.Layout(bgtx)
		call := m.Stop()
		at := image.Pt((dims.Size.X-bd.Size.X)/2, dims.Size.Y-bd.Size.Y-gtx.Dp(spaceM))
		off := op.Offset(at).Push(gtx.Ops)
		call.Add(gtx.Ops)
		off.Pop()
	}
	if l.menu.seq != 0 {
		l.menuCard(gtx, u, st, dims.Size)
	}
	l.emoji.layout(gtx, u, dims.Size)
	if l.fwd.msg.Seq != 0 {
		l.forwardCard(gtx, u, st, dims.Size)
	}
	if l.rx.seen != 0 {
		l.seenCard(gtx, u, st, dims.Size)
	}
	// Near the top: ask for the page before the window, once per revision.
	if l.list.Position.First <= 2 && o.HasOlder && !o.LoadingOlder && l.askedOlder != o.Revision+1 {
		l.askedOlder = o.Revision + 1
		u.emit(LoadOlder{})
	}
	return dims
}

func (l *msgList) row(gtx layout.Context, u *UI, st state.State, i int) layout.Dimensions {
	d := l.flashRow(gtx, u, i, func(gtx layout.Context) layout.Dimensions { return l.layoutRow(gtx, u, st, i) })
	l.heights[i] = d.Size.Y
	return d
}

func (l *msgList) layoutRow(gtx layout.Context, u *UI, st state.State, i int) layout.Dimensions {
	th, t := u.th, u.t()
	r := l.rows[i]
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	switch r.kind {
	case rowTop:
		d := layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			s := t.Beginning
			switch {
			case st.Open.LoadingOlder:
				s = t.LoadingOlder
			case st.Open.HasOlder:
				s = " "
			}
			return layout.Center.Layout(gtx, th.label(textCaption, th.FgMuted, s).Layout)
		})
		return d
	case rowDay:
		m := l.msgs[r.msg]
		return layout.Inset{Top: spaceL, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return th.surface(gtx, th.SurfaceAlt, color0, 12, func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Left: spaceM, Right: spaceM, Top: 3, Bottom: 3}.Layout(gtx,
						th.label(textCaption, th.FgMuted, t.day(u.local(m.Time), u.today())).medium().Layout)
				})
			})
		})
	case rowEvent:
		m := l.msgs[r.msg]
		return layout.Inset{Top: spaceS, Bottom: spaceS, Left: spaceL, Right: spaceL}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Center.Layout(gtx,
				th.label(textCaption, th.FgMuted, u.eventText(m.Message)+" · "+u.local(m.Time).Format("15:04")).aligned(text.Middle).Layout)
		})
	}
	if r.kind == rowCall {
		return l.callRow(gtx, u, st, l.msgs[r.msg])
	}
	if d, ok := l.blocked.row(gtx, u, st, l.msgs[r.msg]); ok {
		return d
	}
	d := l.menuArea(gtx, l.msgs[r.msg], func(gtx layout.Context) layout.Dimensions { return l.textRow(gtx, u, st, r) })
	if i == len(l.rows)-1 {
		d.Size.Y += gtx.Dp(spaceM) // breathing room above the composer
	}
	return d
}

// textRow is one message: other people's on the left under their name and
// ID, mine on the right with their delivery state. A file message has a
// file card for a bubble.
func (l *msgList) textRow(gtx layout.Context, u *UI, st state.State, r row) layout.Dimensions {
	th, t := u.th, u.t()
	m := l.msgs[r.msg]
	top := unit.Dp(2)
	if r.first {
		top = spaceM
	}
	width := gtx.Constraints.Max.X
	side := gtx.Dp(spaceL)
	avatarW := gtx.Dp(avatarM) + gtx.Dp(spaceS)
	maxBubble := min(gtx.Dp(bubbleMaxW), (width-2*side-avatarW)*4/5)
	bubble := func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = 0
		gtx.Constraints.Max.X = maxBubble
		bg, fg, border := th.Bubble, th.Fg, th.Border
		if m.Mine {
			bg, fg, border = th.Primary, th.OnPrimary, color0
			if m.Status == state.Failed {
				bg, fg, border = th.DangerSoft, th.Fg, th.Danger
			}
		}
		if th.Dark && !m.Mine {
			border = color0
		}
		return th.surface(gtx, bg, border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx,
				func(gtx layout.Context) layout.Dimensions { return l.bubbleText(gtx, u, m, fg) })
		})
	}
	if r.kind == rowFile && !m.Deleted {
		bubble = func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = 0
			gtx.Constraints.Max.X = maxBubble
			if state.IsVoice(m.File) {
				return l.voiceCard(gtx, u, st, m) // voice.go
			}
			if showsPicture(st, m) {
				return l.pictureCard(gtx, u, st, m) // pictures.go
			}
			fb := l.files[m.Seq]
			if fb == nil {
				fb = new(fileButtons)
				l.files[m.Seq] = fb
			}
			return l.fileCard(gtx, u, m, fb)
		}
		bubble = forwardedFile(u, m, bubble) // forward.go
	}
	if len(m.Reactions) > 0 {
		inner := bubble
		align := layout.Start
		if m.Mine {
			align = layout.End
		}
		bubble = func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical, Alignment: align}.Layout(gtx,
				layout.Rigid(inner),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = 0 // under my bubble, on the right
					return l.reactionChips(gtx, u, st, m)
				}))
		}
	}
	edited := ""
	if m.Edited != 0 && !m.Deleted {
		edited = " · " + t.Edited
	}
	return layout.Inset{Top: top, Left: spaceL, Right: spaceL}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		if m.Mine {
			return layout.Flex{Axis: layout.Vertical, Alignment: layout.End}.Layout(gtx,
				layout.Rigid(bubble),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					status, col := "", th.FgMuted
					switch m.Status {
					case state.Sending:
						status = t.Sending
					case state.Failed:
						status, col = t.Failed, th.Danger
						if m.Error != nil {
							status += " — " + t.errorText(*m.Error)
						}
					default:
						if !r.last && edited == "" {
							return layout.Dimensions{}
						}
						return l.receiptLine(gtx, u, m, edited) // Sent, Delivered, Read, Seen by N
					}
					gtx.Constraints.Min.X = 0
					return layout.Inset{Top: 3}.Layout(gtx,
						th.label(textCaption, col, u.local(m.Time).Format("15:04")+" · "+status).Layout)
				}),
			)
		}
		return layout.Flex{}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !r.first {
					return layout.Dimensions{Size: image.Pt(avatarW, 0)}
				}
				d := th.avatar(gtx, m.SenderName, int64(m.Sender), avatarM)
				d.Size.X = avatarW
				return d
			}),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if !r.first {
							return layout.Dimensions{}
						}
						return layout.Inset{Bottom: 3}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
								layout.Rigid(th.label(textSmall, th.Fg, m.SenderName).bold().lines(1).Layout),
								layout.Rigid(gap(6)),
								layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprintf("ID %d", m.Sender)).Layout),
								layout.Rigid(gap(spaceS)),
								layout.Rigid(th.label(textCaption, th.FgMuted, u.local(m.Time).Format("15:04")).Layout),
							)
						})
					}),
					layout.Rigid(bubble),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if edited == "" {
							return layout.Dimensions{}
						}
						return layout.Inset{Top: 2}.Layout(gtx, th.label(textCaption, th.FgMuted, t.Edited).Layout)
					}),
				)
			}),
		)
	})
}

// bubbleText is a text bubble's content: "Forwarded from", the quoted
// strip of a reply, and the text, or "Message deleted" in its place.
func (l *msgList) bubbleText(gtx layout.Context, u *UI, m state.Message, fg color.NRGBA) layout.Dimensions {
	th, t := u.th, u.t()
	muted := fg
	muted.A = 0xb0
	var children []layout.FlexChild
	if m.Forwarded != nil && !m.Deleted {
		children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: 2}.Layout(gtx,
				th.label(textCaption, muted, fmt.Sprintf(t.ForwardedFromF, m.Forwarded.FromName)).lines(1).userContent().Layout)
		}))
	}
	if q := m.Reply; q != nil && !m.Deleted {
		q := l.quoteNow(*q)
		children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return l.quoteArea(gtx, m.Seq, func(gtx layout.Context) layout.Dimensions { return quoteStrip(gtx, u, q, fg, muted) })
			})
		}))
	}
	children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
		if m.Deleted {
			return th.label(textBody, muted, t.MessageDeleted).Layout(gtx)
		}
		return l.bodyText(gtx, u, m, fg)
	}))
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx, children...)
}

// quoteNow is q as its original is now, if the window holds it: the
// quote a reply carries is as the original was when the reply was
// fetched, and an edit or delete since is folded into the original only.
func (l *msgList) quoteNow(q proto.Quote) proto.Quote {
	i, found := slices.BinarySearchFunc(l.msgs, q.Seq, func(m state.Message, seq int64) int {
		if m.Seq == 0 { // my unsent messages come last
			return 1
		}
		return cmp.Compare(m.Seq, seq)
	})
	if !found {
		return q
	}
	o := l.msgs[i]
	switch {
	case o.Deleted:
		q.Deleted, q.Text, q.FileName = true, "", ""
	case o.Kind == proto.MsgText:
		line, _, _ := strings.Cut(o.Text, "\n")
		if r := []rune(line); len(r) > proto.MaxQuoteRunes {
			line = string(r[:proto.MaxQuoteRunes]) + "…"
		}
		q.Text = line
	}
	return q
}

// quoteStrip is the strip a reply quotes its original in: a bar, the
// sender, and the first line, the file name or "Message deleted".
func quoteStrip(gtx layout.Context, u *UI, q proto.Quote, fg, muted color.NRGBA) layout.Dimensions {
	th, t := u.th, u.t()
	line := markup.Shown(q.Text)
	switch {
	case q.Deleted:
		line = t.MessageDeleted
	case q.FileName != "":
		line = q.FileName
	}
	return layout.Flex{}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			w := gtx.Dp(3)
			return th.surface(gtx, muted, color0, 1, func(gtx layout.Context) layout.Dimensions {
				return layout.Dimensions{Size: image.Pt(w, gtx.Dp(32))}
			})
		}),
		layout.Rigid(gap(spaceS)),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(th.label(textCaption, fg, q.SenderName).bold().lines(1).userContent().Layout),
				layout.Rigid(th.label(textCaption, muted, line).lines(1).userContent().Layout),
			)
		}),
	)
}

// reacted reports whether I reacted to message k.seq with k.emoji.
func (l *msgList) reacted(st state.State, k chipKey) bool {
	if st.Me == nil {
		return false
	}
	for _, m := range l.msgs {
		if m.Seq != k.seq {
			continue
		}
		for _, r := range m.Reactions {
			if r.Emoji == k.emoji {
				return slices.Contains(r.Users, st.Me.ID)
			}
		}
	}
	return false
}

// reactionChips lays out a message's reactions: an emoji and its count
// each. Pressing my own takes it back; pressing another adds mine.
func (l *msgList) reactionChips(gtx layout.Context, u *UI, st state.State, m state.Message) layout.Dimensions {
	th := u.th
	chips := make([]layout.FlexChild, 0, 2*len(m.Reactions))
	for _, r := range m.Reactions {
		k := chipKey{m.Seq, r.Emoji}
		c := l.chips[k]
		if c == nil {
			c = new(widget.Clickable)
			l.chips[k] = c
		}
		mine := st.Me != nil && slices.Contains(r.Users, st.Me.ID)
		text := fmt.Sprintf("%s %d", r.Emoji, len(r.Users))
		who := l.whoReacted(u, st, r)
		chips = append(chips, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			d := c.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				semantic.Button.Add(gtx.Ops)
				border := th.Border
				if mine {
					border = th.Primary
				}
				return th.surface(gtx, th.SurfaceAlt, border, 10, func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Left: spaceS, Right: spaceS, Top: 2, Bottom: 2}.Layout(gtx,
						th.label(textCaption, th.Fg, text).lines(1).Layout)
				})
			})
			l.chipTip(gtx, u, k, c, who, d.Size, m.Mine)
			return d
		}), layout.Rigid(gap(spaceXS)))
	}
	return layout.Inset{Top: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{}.Layout(gtx, chips...)
	})
}

// callRow is a call of the history, centred like an event: "Voice call ·
// 3:41", "Missed call", "Declined"…, its time, and Call back.
func (l *msgList) callRow(gtx layout.Context, u *UI, st state.State, m state.Message) layout.Dimensions {
	th, t := u.th, u.t()
	var me proto.UserID
	if st.Me != nil {
		me = st.Me.ID
	}
	cb := l.callBacks[m.Seq]
	if cb == nil {
		cb = new(callBack)
		l.callBacks[m.Seq] = cb
	}
	if c := m.Call; c != nil {
		cb.peer = c.Caller
		if c.Caller == me {
			cb.peer = c.Callee
		}
		if c.Group {
			cb.group = m.Conv
		}
	}
	label := t.CallBack
	if cb.group != 0 { // Join the group's call in progress, or call the group
		label = t.CallButton
		if groupCallOf(st, cb.group) != nil {
			label = u.gcw().Join
		}
	}
	text := t.callRow(m.Message, me) + " · " + u.local(m.Time).Format("15:04")
	return layout.Inset{Top: spaceS, Bottom: spaceS, Left: spaceL, Right: spaceL}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(th.label(textCaption, th.FgMuted, text).Layout),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if m.Call == nil || callsOff(st) || cb.group != 0 && inGroupCall(st, cb.group) {
						return layout.Dimensions{}
					}
					b := th.button(&cb.click, ghostButton, label)
					b.small = true
					return b.Layout(gtx)
				}),
			)
		})
	})
}

// menuArea lays out a message row inside a pointer area of its own, so
// that a right-click on it (its buttons still get their clicks) opens its
// context menu.
func (l *msgList) menuArea(gtx layout.Context, m state.Message, w layout.Widget) layout.Dimensions {
	if m.Seq == 0 {
		return w(gtx) // not sent yet
	}
	tag := l.rowTags[m.Seq]
	if tag == nil {
		tag = new(int64)
		l.rowTags[m.Seq] = tag
	}
	rec := op.Record(gtx.Ops)
	d := w(gtx)
	call := rec.Stop()
	area := clip.Rect{Max: d.Size}.Push(gtx.Ops)
	event.Op(gtx.Ops, tag)
	call.Add(gtx.Ops)
	area.Pop()
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: tag, Kinds: pointer.Press})
		if !ok {
			break
		}
		if e, ok := ev.(pointer.Event); ok && e.Buttons.Contain(pointer.ButtonSecondary) {
			l.menu.seq = m.Seq
		}
	}
	return d
}

// menuMessage is the message the menu is open for.
func (l *msgList) menuMessage() (state.Message, bool) {
	for _, m := range l.msgs {
		if m.Seq == l.menu.seq && m.Seq != 0 {
			return m, true
		}
	}
	return state.Message{}, false
}

// menuActions handles the clicks of the open menu.
func (l *msgList) menuActions(gtx layout.Context, u *UI, st state.State) {
	mu := &l.menu
	if mu.seq == 0 {
		return
	}
	m, ok := l.menuMessage()
	if !ok || st.Open == nil {
		mu.seq = 0
		return
	}
	conv := st.Open.ID
	done := false
	for i := range mu.react {
		if mu.react[i].Clicked(gtx) {
			k := chipKey{m.Seq, quickReactions[i]}
			u.emit(React{Conv: conv, Seq: m.Seq, Emoji: k.emoji, Remove: l.reacted(st, k)})
			done = true
		}
	}
	if mu.more.Clicked(gtx) {
		l.emoji.openFor(m.Seq)
		done = true
	}
	if mu.reply.Clicked(gtx) {
		l.picked = &menuPick{msg: m}
		done = true
	}
	if mu.edit.Clicked(gtx) {
		l.picked = &menuPick{msg: m, edit: true}
		done = true
	}
	if mu.copy.Clicked(gtx) {
		gtx.Execute(clipboard.WriteCmd{Type: "application/text", Data: io.NopCloser(strings.NewReader(m.Text))})
		done = true
	}
	if mu.del.Clicked(gtx) {
		u.emit(DeleteMessage{Conv: conv, Seq: m.Seq})
		done = true
	}
	if mu.forMe.Clicked(gtx) {
		u.emit(DeleteMessage{Conv: conv, Seq: m.Seq, ForMe: true})
		done = true
	}
	if mu.pin.Clicked(gtx) {
		u.emit(PinMessage{Conv: conv, Seq: m.Seq, Unpin: m.Pinned})
		done = true
	}
	if l.fwd.item.Clicked(gtx) {
		l.fwd.open(proto.MessageRef{Conv: conv, Seq: m.Seq})
		done = true
	}
	if mu.no.Clicked(gtx) {
		done = true
	}
	if l.scrimClicked(gtx) {
		done = true
	}
	if done {
		mu.seq = 0
	}
}

// scrimClicked reports whether the menu's scrim was pressed.
func (l *msgList) scrimClicked(gtx layout.Context) bool {
	pressed := false
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: &l.menu.scrim, Kinds: pointer.Press})
		if !ok {
			return pressed
		}
		if _, ok := ev.(pointer.Event); ok {
			pressed = true
		}
	}
}

// menuCard draws the open menu over the list (size): a scrim that closes
// it, and a card of the actions this message allows.
func (l *msgList) menuCard(gtx layout.Context, u *UI, st state.State, size image.Point) {
	th, t := u.th, u.t()
	mu := &l.menu
	m, ok := l.menuMessage()
	if !ok {
		return
	}
	mine := st.Me != nil && m.Sender == st.Me.ID
	area := clip.Rect{Max: size}.Push(gtx.Ops)
	paint.ColorOp{Color: withAlpha(th.Fg, 0x30)}.Add(gtx.Ops)
	paint.PaintOp{}.Add(gtx.Ops)
	event.Op(gtx.Ops, &mu.scrim)
	area.Pop()
	l.scrimClicked(gtx) // declares the filter from the frame it shows
	gtx.Constraints = layout.Exact(size)
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min = image.Point{}
		gtx.Constraints.Max.X = min(gtx.Dp(dialogW), size.X-2*gtx.Dp(spaceL))
		return th.surface(gtx, th.Surface, th.Border, radiusL, func(gtx layout.Context) layout.Dimensions {
			return layout.UniformInset(spaceM).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				var items []layout.FlexChild
				item := func(c *widget.Clickable, text string) {
					items = append(items, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Constraints.Max.X
						return th.button(c, ghostButton, text).Layout(gtx)
					}))
				}
				if !m.Deleted && m.Kind != proto.MsgSystem {
					items = append(items, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						var row []layout.FlexChild
						for i := range mu.react {
							row = append(row, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								return th.button(&mu.react[i], ghostButton, quickReactions[i]).Layout(gtx)
							}))
						}
						row = append(row, layout.Rigid(th.iconButton(&mu.more, u.icons.add, u.pw().MoreReactions).Layout))
						return layout.Flex{}.Layout(gtx, row...)
					}))
					item(&mu.reply, t.Reply)
					if forwardable(m) {
						item(&l.fwd.item, t.Receipts.Forward)
					}
					if m.Text != "" {
						item(&mu.copy, t.Copy)
					}
					if editable(st, m, u.now()) {
						item(&mu.edit, t.Edit)
					}
					if mine {
						item(&mu.del, t.DeleteForAll)
					}
				}
				item(&mu.forMe, t.DeleteForMe)
				if !m.Deleted {
					if m.Pinned {
						item(&mu.pin, t.Unpin)
					} else {
						item(&mu.pin, t.Pin)
					}
				}
				item(&mu.no, t.Cancel)
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
			})
		})
	})
}
