package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// The mention picker: typing "@" in the composer (at the start, or after
// a space) lists the conversation's members, filtered by what follows the
// @ (a case-insensitive prefix of the name or of a word of it first, then
// any substring, or a prefix of the ID). Up and Down choose, Enter or Tab
// or a click puts "@Name " in place of what was typed and remembers whom
// it names; Esc closes the list and keeps the text. A message is sent
// mentioning the people whose "@Name" it still holds.

// SendMentioning sends Text to Conv mentioning the members Mentions,
// answering message ReplyTo if it is not 0. The composer sends it instead
// of Send or ReplyTo when the text mentions someone.
type SendMentioning struct {
	Conv     proto.ConvID
	ReplyTo  int64
	Text     string
	Mentions []proto.UserID
}

func (SendMentioning) isEvent() {}

// maxMentionQuery bounds what may follow an @ for the list to show.
const maxMentionQuery = 32

// maxMentionRows bounds the list.
const maxMentionRows = 6

type mentionPicker struct {
	at      int // rune offset of the @ the list follows; -1: closed
	caret   int // the caret when the list was last updated
	query   string
	matches []proto.Member
	sel     int
	rows    [maxMentionRows]widget.Clickable
	shut    int // the @ that Esc closed the list for: it stays closed for it
	// picked are the members the composer inserted, per conversation.
	picked map[proto.ConvID][]proto.Member
}

func (mp *mentionPicker) reset() {
	mp.at, mp.shut, mp.matches, mp.query = -1, -1, nil, ""
	mp.picked = map[proto.ConvID][]proto.Member{}
}

// open reports whether the list shows.
func (mp *mentionPicker) open() bool { return mp.at >= 0 && len(mp.matches) > 0 }

// closeMentions closes the list (Esc); it reports whether it was open.
func (p *convPane) closeMentions() bool {
	mp := &p.mention
	if !mp.open() {
		return false
	}
	mp.shut, mp.at = mp.at, -1
	return true
}

// mentionKeyFilters are the keys the open list takes from the composer.
func (p *convPane) mentionKeyFilters() []event.Filter {
	ed := &p.composer.Editor
	return []event.Filter{
		key.Filter{Focus: ed, Name: key.NameUpArrow},
		key.Filter{Focus: ed, Name: key.NameDownArrow},
		key.Filter{Focus: ed, Name: key.NameReturn},
		key.Filter{Focus: ed, Name: key.NameEnter},
		key.Filter{Focus: ed, Name: key.NameTab},
	}
}

// mentionInput handles the open list's keys and clicks, before the
// composer sees them.
func (p *convPane) mentionInput(gtx layout.Context, conv proto.ConvID) {
	mp := &p.mention
	if !mp.open() {
		return
	}
	for i := range mp.rows {
		if mp.rows[i].Clicked(gtx) && i < len(mp.matches) {
			p.insertMention(gtx, conv, mp.matches[i])
			return
		}
	}
	for {
		ev, ok := gtx.Event(p.mentionKeyFilters()...)
		if !ok {
			return
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press || !mp.open() {
			continue
		}
		n := len(mp.matches)
		switch e.Name {
		case key.NameUpArrow:
			mp.sel = (mp.sel + n - 1) % n
		case key.NameDownArrow:
			mp.sel = (mp.sel + 1) % n
		default:
			p.insertMention(gtx, conv, mp.matches[mp.sel])
		}
	}
}

// insertMention puts "@Name " in place of the @ and what follows it up to
// the caret, and remembers m for the send.
func (p *convPane) insertMention(gtx layout.Context, conv proto.ConvID, m proto.Member) {
	mp := &p.mention
	p.composer.SetCaret(mp.at, mp.caret)
	p.composer.Insert("@" + m.Name + " ")
	if !slices.ContainsFunc(mp.picked[conv], func(x proto.Member) bool { return x.ID == m.ID }) {
		mp.picked[conv] = append(mp.picked[conv], m)
	}
	mp.at, mp.matches = -1, nil
	gtx.Execute(key.FocusCmd{Tag: &p.composer.Editor})
}

// followMentions opens, filters or closes the list after the composer's
// text or caret may have changed.
func (p *convPane) followMentions(gtx layout.Context, st state.State, text string) {
	mp := &p.mention
	caret, end := p.composer.Selection()
	at, query := -1, ""
	if caret == end {
		at, query = mentionQuery(text, caret)
	}
	if at != mp.shut {
		mp.shut = -1
	}
	if at < 0 || at == mp.shut || st.Open == nil {
		mp.at, mp.matches = -1, nil
		return
	}
	var me proto.UserID
	if st.Me != nil {
		me = st.Me.ID
	}
	if at != mp.at || query != mp.query {
		mp.sel = 0
	}
	mp.at, mp.caret, mp.query = at, caret, query
	mp.matches = matchMembers(st.Open.Members, me, query)
	mp.sel = min(mp.sel, max(len(mp.matches)-1, 0))
	if mp.open() {
		// Asked for now, so that the next frame's keys come here.
		for {
			if _, ok := gtx.Event(p.mentionKeyFilters()...); !ok {
				break
			}
		}
	}
}

// mentionQuery finds the @ the caret (a rune offset) follows in text: at
// the start or after a space, with no line break and at most
// maxMentionQuery runes between. It returns its rune offset and what
// follows it, or -1.
func mentionQuery(text string, caret int) (int, string) {
	rs := []rune(text)
	if caret > len(rs) {
		return -1, ""
	}
	for i := caret - 1; i >= 0 && caret-i <= maxMentionQuery+1; i-- {
		switch r := rs[i]; {
		case r == '\n':
			return -1, ""
		case r == '@':
			if i > 0 && !unicode.IsSpace(rs[i-1]) {
				return -1, "" // an address: a@b
			}
			return i, string(rs[i+1 : caret])
		}
	}
	return -1, ""
}

// matchMembers are the members other than me that q finds: a prefix of
// the name first, then a prefix of a word of it, then a substring or a
// prefix of the ID; at most maxMentionRows.
func matchMembers(ms []proto.Member, me proto.UserID, q string) []proto.Member {
	q = strings.ToLower(q)
	type ranked struct {
		m    proto.Member
		rank int
	}
	var out []ranked
	for _, m := range ms {
		if m.ID == me {
			continue
		}
		name := strings.ToLower(m.Name)
		rank := -1
		switch {
		case strings.HasPrefix(name, q):
			rank = 0
		case slices.ContainsFunc(strings.Fields(name), func(w string) bool { return strings.HasPrefix(w, q) }):
			rank = 1
		case strings.Contains(name, q), strings.HasPrefix(fmt.Sprint(m.ID), q):
			rank = 2
		}
		if rank >= 0 {
			out = append(out, ranked{m, rank})
		}
	}
	slices.SortStableFunc(out, func(a, b ranked) int { return cmp.Compare(a.rank, b.rank) })
	res := make([]proto.Member, 0, min(len(out), maxMentionRows))
	for _, r := range out[:min(len(out), maxMentionRows)] {
		res = append(res, r.m)
	}
	return res
}

// mentionsIn are the IDs of the members inserted in conv whose "@Name"
// text still holds, in the order the text names them.
func (p *convPane) mentionsIn(conv proto.ConvID, text string) []proto.UserID {
	type at struct {
		id  proto.UserID
		pos int
	}
	var found []at
	for _, m := range p.mention.picked[conv] {
		if i := strings.Index(text, "@"+m.Name); i >= 0 {
			found = append(found, at{m.ID, i})
		}
	}
	slices.SortStableFunc(found, func(a, b at) int { return cmp.Compare(a.pos, b.pos) })
	ids := make([]proto.UserID, 0, len(found))
	for _, f := range found {
		ids = append(ids, f.id)
	}
	return ids
}

// sendComposed emits what Send does with text: a message mentioning
// people, a reply, or a plain message.
func (p *convPane) sendComposed(u *UI, conv proto.ConvID, text string) {
	q, reply := p.replies[conv]
	switch ids := p.mentionsIn(conv, text); {
	case len(ids) > 0:
		u.emit(SendMentioning{Conv: conv, ReplyTo: q.Seq, Text: text, Mentions: ids})
	case reply:
		u.emit(ReplyTo{Conv: conv, Seq: q.Seq, Text: text})
	default:
		u.emit(Send{Conv: conv, Text: text})
	}
	delete(p.replies, conv)
	delete(p.mention.picked, conv)
	p.mention.at, p.mention.matches = -1, nil
}

// mentionList is the open list, over the composer.
func (p *convPane) mentionList(gtx layout.Context, u *UI) layout.Dimensions {
	mp := &p.mention
	if !mp.open() {
		return layout.Dimensions{}
	}
	th := u.th
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceS, Right: spaceS, Top: spaceXS, Bottom: spaceXS}, func(gtx layout.Context) layout.Dimensions {
		var rows []layout.FlexChild
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceS, Bottom: 2}.Layout(gtx, th.label(textCaption, th.FgMuted, u.pw().MentionMember).Layout)
		}))
		for i, m := range mp.matches {
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				return th.clickRow(gtx, &mp.rows[i], i == mp.sel, radiusM, func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, m.Name, int64(m.ID), avatarS) }),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(th.label(textBody, th.Fg, m.Name).medium().lines(1).userContent().Layout),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(th.label(textCaption, th.FgMuted, fmt.Sprintf("ID %d", m.ID)).Layout),
						)
					})
				})
			}))
		}
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
	})
}

// unreadBadge is a conversation's unread counter, with "@" in front when
// an unread message mentions me.
func unreadBadge(gtx layout.Context, th *theme, c state.Conversation) layout.Dimensions {
	if !c.MentionUnread {
		return th.badge(gtx, c.Unread)
	}
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			h := gtx.Dp(20)
			gtx.Constraints.Min.X, gtx.Constraints.Min.Y = h, h
			return th.surface(gtx, th.Primary, color0, 10, func(gtx layout.Context) layout.Dimensions {
				return layout.Center.Layout(gtx, th.label(textCaption, th.OnPrimary, "@").bold().Layout)
			})
		}),
		layout.Rigid(gap(spaceXS)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.badge(gtx, c.Unread) }),
	)
}

// MentionNotification is the title and text of the notification of a
// message that mentions me in conversation c.
func MentionNotification(l Lang, c state.Conversation, m proto.Message) (title, text string) {
	w := pickerCatalog[l]
	if w.MentionedYouF == "" {
		w = pickerCatalog[English]
	}
	title = fmt.Sprintf(w.MentionedYouF, m.SenderName)
	if c.Kind == proto.KindGroup {
		title += " · " + c.Name
	}
	return title, m.Text
}
