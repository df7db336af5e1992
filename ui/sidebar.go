package ui

import (
	"fmt"
	"strings"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/text"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"parley/app/state"
	"parley/net/proto"
	"parley/ui/markup"
)

// The sidebar's action forms (the seed's create, join and invite panels,
// plus direct chats).
const (
	formCreate = iota
	formJoin
	formInvite
	formDirect
	numForms
)

// sidebar is the profile card, the action forms, the notice bar, search
// and the conversation list.
type sidebar struct {
	logout        widget.Clickable
	askLogout     bool // the log-out confirmation is showing
	focusSearch   bool // Ctrl+F: focus the search field when it is drawn
	confirmLogout widget.Clickable
	cancelLogout  widget.Clickable
	formTabs      [numForms]widget.Clickable
	form          int
	groupName     *field
	groupID       *field
	inviteUser    *field
	inviteGroup   *field
	directUser    *field
	formSubmit    widget.Clickable
	search        *field
	clearSearch   widget.Clickable
	list          widget.List
	rows          map[proto.ConvID]*widget.Clickable
	results       []widget.Clickable
	searched      string       // the query of the shown results
	policy        policyChoice // the new group's join policy (groups.go)
	linkCard      linkCard     // what a pasted invite link leads to
	linkShown     string       // the token of the card shown last
	folders       folders      // requests and the archive, apart (requests.go)
	badgeIcons    *reqIcons    // the muted bell of rows (requests.go)
}

func (s *sidebar) init() {
	s.groupName = newField(true)
	s.groupName.MaxLen = proto.MaxNameRunes
	s.groupID = newField(true)
	s.inviteUser = newField(true)
	s.inviteGroup = newField(true)
	s.directUser = newField(true)
	for _, f := range []*field{s.inviteUser, s.inviteGroup, s.directUser} {
		f.Filter = "0123456789"
	}
	s.search = newField(true)
	s.list.Axis = layout.Vertical
	s.reset()
}

// reset forgets per-account state.
func (s *sidebar) reset() {
	s.askLogout = false
	s.rows = map[proto.ConvID]*widget.Clickable{}
	s.search.SetText("")
	s.searched = ""
	s.list.Position = layout.Position{}
}

func (s *sidebar) update(gtx layout.Context, u *UI, st state.State) {
	if s.logout.Clicked(gtx) {
		s.askLogout = !s.askLogout
	}
	if s.cancelLogout.Clicked(gtx) {
		s.askLogout = false
	}
	if s.confirmLogout.Clicked(gtx) {
		s.askLogout = false
		u.emit(Logout{})
	}
	for i := range s.formTabs {
		if s.formTabs[i].Clicked(gtx) {
			s.form = i
		}
	}
	if p := st.LinkPreview; p != nil && p.Token != s.linkShown {
		s.form = formJoin // an invite link to look at (groups.go)
	}
	s.linkShown = ""
	if st.LinkPreview != nil {
		s.linkShown = st.LinkPreview.Token
	}
	s.policy.update(gtx)
	s.linkCard.update(gtx, u, st)
	submit := s.formSubmit.Clicked(gtx)
	for _, f := range s.formFields() {
		if f.submitted(gtx) {
			submit = true
		}
	}
	if submit {
		s.submitForm(u)
	}
	if s.search.submitted(gtx) {
		q := strings.TrimSpace(s.search.Text())
		s.searched = q
		u.emit(Search{Query: q})
	}
	if s.clearSearch.Clicked(gtx) {
		s.search.SetText("")
		s.searched = ""
		u.emit(Search{})
	}
	for id, c := range s.rows {
		if c.Clicked(gtx) {
			u.emit(Open{Conv: id})
		}
	}
	s.folders.update(gtx)
	if st.Search != nil {
		for i := range s.results {
			if i < len(st.Search.Results) && s.results[i].Clicked(gtx) {
				// Open at the message, its matches marked (jump.go).
				m := st.Search.Results[i]
				u.emit(JumpTo{Conv: m.Conv, Seq: m.Seq, Highlight: st.Search.Query})
			}
		}
	}
}

func (s *sidebar) formFields() []*field {
	switch s.form {
	case formCreate:
		return []*field{s.groupName}
	case formJoin:
		return []*field{s.groupID}
	case formInvite:
		return []*field{s.inviteUser, s.inviteGroup}
	}
	return []*field{s.directUser}
}

func (s *sidebar) submitForm(u *UI) {
	trim := func(f *field) string { return strings.TrimSpace(f.Text()) }
	switch s.form {
	case formCreate:
		if trim(s.groupName) != "" {
			u.emit(CreateGroup{Name: trim(s.groupName), Policy: s.policy.value()})
			s.groupName.SetText("")
		}
	case formJoin:
		switch id := trim(s.groupID); {
		case isGroupID(id):
			u.emit(JoinGroup{GroupID: id})
			s.groupID.SetText("")
		case id != "":
			u.emit(JoinByText{Text: id}) // an invite link (groups.go)
			s.groupID.SetText("")
		}
	case formInvite:
		if trim(s.inviteUser) != "" {
			u.emit(Invite{UserID: trim(s.inviteUser), GroupID: trim(s.inviteGroup)})
			s.inviteUser.SetText("")
		}
	case formDirect:
		if trim(s.directUser) != "" {
			u.emit(OpenDirect{UserID: trim(s.directUser)})
			s.directUser.SetText("")
		}
	}
}

func (s *sidebar) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	s.update(gtx, u, st)
	if s.focusSearch {
		s.focusSearch = false
		gtx.Execute(key.FocusCmd{Tag: &s.search.Editor})
	}
	th := u.th
	gtx.Constraints.Min = gtx.Constraints.Max
	paint := func(gtx layout.Context) layout.Dimensions { return th.fill(gtx, th.Surface, 0) }
	return layout.Background{}.Layout(gtx, paint, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.profile(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !s.askLogout {
					return layout.Dimensions{}
				}
				return s.logoutBar(gtx, u, st)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.actions(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return s.searchBox(gtx, u, st)
				})
			}),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				if st.Search != nil {
					return s.searchResults(gtx, u, st)
				}
				return s.conversations(gtx, u, st)
			}),
		)
	})
}

// profile is the seed's personal panel: name, ID, connection, logout.
func (s *sidebar) profile(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	me := st.Me
	return layout.Inset{Left: spaceL, Right: spaceS, Top: spaceM, Bottom: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, me.Name, int64(me.ID), avatarL) }),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(th.label(textTitle, th.Fg, me.Name).bold().lines(1).userContent().Layout),
					layout.Rigid(gap(2)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf("ID %d", me.ID)).Layout),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.connStatus(gtx, u, st.Conn) }),
						)
					}),
				)
			}),
			// The language and the theme are in Settings (settings.go).
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.set.gearButton(gtx, u, st) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&s.logout, u.icons.logout, t.Logout)
				b.tip = tipEnd
				if s.askLogout {
					b.color, b.bg = th.Danger, th.DangerSoft
				}
				return b.Layout(gtx)
			}),
		)
	})
}

// logoutBar asks before logging out: logging back in takes the ID and
// the password, which there is no way to recover.
func (s *sidebar) logoutBar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	return th.band(gtx, th.DangerSoft, layout.Inset{Left: spaceL, Right: spaceL, Top: spaceS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(th.label(textSmall, th.Danger, fmt.Sprintf(t.LogoutAskF, fmt.Sprint(st.Me.ID))).medium().Layout),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle, Spacing: layout.SpaceStart}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&s.cancelLogout, ghostButton, t.Cancel)
						b.small = true
						return b.Layout(gtx)
					}),
					layout.Rigid(gap(spaceS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&s.confirmLogout, rejectButton, t.Logout)
						b.small = true
						return b.Layout(gtx)
					}),
				)
			}),
		)
	})
}

func (s *sidebar) connStatus(gtx layout.Context, u *UI, c state.Conn) layout.Dimensions {
	th, t := u.th, u.t()
	col, text := th.Success, t.ConnOnline
	switch c {
	case state.Connecting:
		col, text = th.Warning, t.ConnConnecting
	case state.Offline:
		col, text = th.Danger, t.ConnOffline
	}
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return dot(gtx, col, 8) }),
		layout.Rigid(gap(spaceXS)),
		layout.Rigid(th.label(textSmall, th.FgMuted, text).lines(1).Layout),
	)
}

// actions are the create / join / invite / direct forms.
func (s *sidebar) actions(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	names := [numForms]string{t.NewGroup, t.JoinGroup, t.Invite, t.Direct}
	segs := make([]segment, numForms)
	for i := range segs {
		segs[i] = segment{&s.formTabs[i], names[i], s.form == i}
	}
	button := [numForms]string{t.Create, t.Join, t.InviteButton, t.Chat}[s.form]
	submit := func(gtx layout.Context) layout.Dimensions {
		b := th.button(&s.formSubmit, primaryButton, button)
		return b.Layout(gtx)
	}
	row := func(f *field, hint string, withButton bool) layout.Widget {
		return func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return th.input(gtx, f, hint, hint) }),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if !withButton {
						return layout.Dimensions{}
					}
					return layout.Inset{Left: spaceS}.Layout(gtx, submit)
				}),
			)
		}
	}
	var form []layout.FlexChild
	switch s.form {
	case formCreate:
		form = append(form, layout.Rigid(row(s.groupName, t.GroupName, true)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if s.groupName.Len() == 0 { // who can join, once there is a group to make
					return layout.Dimensions{}
				}
				return layout.Inset{Top: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions { return s.policy.layout(gtx, u) })
			}))
	case formJoin:
		form = append(form, layout.Rigid(row(s.groupID, u.gw().JoinHint, true)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.linkCard.layout(gtx, u, st) }))
	case formInvite:
		form = append(form, layout.Rigid(row(s.inviteUser, t.FriendID, false)),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(row(s.inviteGroup, t.GroupIDOpen, true)))
	case formDirect:
		form = append(form, layout.Rigid(row(s.directUser, t.FriendID, true)))
	}
	return layout.Inset{Left: spaceL, Right: spaceL, Top: spaceM, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return segmented(gtx, th, segs) }),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx, form...)
			}),
		)
	})
}

func (s *sidebar) searchBox(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	return layout.Stack{Alignment: layout.E}.Layout(gtx,
		layout.Stacked(func(gtx layout.Context) layout.Dimensions {
			return th.input(gtx, s.search, t.SearchHint, t.SearchHint)
		}),
		layout.Stacked(func(gtx layout.Context) layout.Dimensions {
			if st.Search == nil {
				return layout.Inset{Right: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(18)
					return u.icons.search.Layout(gtx, th.FgMuted)
				})
			}
			b := th.iconButton(&s.clearSearch, u.icons.close, t.ClearSearch)
			b.size, b.tip = 32, tipEnd
			return layout.Inset{Right: spaceXS}.Layout(gtx, b.Layout)
		}),
	)
}

// conversations is the seed's group list, with direct chats, unread
// counts and previews, most recent activity first.
func (s *sidebar) conversations(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	shown, requests, archived := s.folders.split(st)
	heads := s.folders.heads(requests, archived)
	if s.badgeIcons == nil {
		s.badgeIcons = newReqIcons()
	}
	live := make(map[proto.ConvID]bool, len(st.Conversations))
	for _, c := range st.Conversations {
		live[c.ID] = true
		if s.rows[c.ID] == nil {
			s.rows[c.ID] = new(widget.Clickable)
		}
	}
	for id := range s.rows {
		if !live[id] {
			delete(s.rows, id)
		}
	}
	var open proto.ConvID
	if st.Open != nil {
		open = st.Open.ID
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceL, Right: spaceS, Top: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				heading := strings.ToUpper(t.Conversations)
				room := gtx.Constraints.Max.X - th.textWidth(gtx, fontMedium, textCaption, heading) - gtx.Dp(spaceS)
				if hasDevices(st) && !liveCall(st) {
					room -= gtx.Dp(36 + spaceXS)
				}
				room -= gtx.Dp(36 + spaceXS) // the read-receipts switch
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, th.label(textCaption, th.FgMuted, heading).medium().lines(1).Layout),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.dialButton(gtx, u, st, room) }),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.idleDevicesButton(gtx, u, st) }),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.receiptsSwitch(gtx, st) }),
				)
			})
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			if len(shown) == 0 && len(heads) == 0 {
				return emptyState(gtx, u, u.icons.chat, t.NoConversations)
			}
			l := material.List(th.mat, &s.list)
			l.AnchorStrategy = material.Overlay
			return l.Layout(gtx, len(heads)+len(shown), func(gtx layout.Context, i int) layout.Dimensions {
				if i < len(heads) {
					return s.folders.head(gtx, u, heads[i], requests, archived)
				}
				c := shown[i-len(heads)]
				return layout.Inset{Left: spaceS, Right: spaceS, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return th.clickRow(gtx, s.rows[c.ID], c.ID == open, radiusM, func(gtx layout.Context) layout.Dimensions {
						return convRow(gtx, u, st, c, s.badgeIcons)
					})
				})
			})
		}),
	)
}

func convRow(gtx layout.Context, u *UI, st state.State, c state.Conversation, ic *reqIcons) layout.Dimensions {
	th, t := u.th, u.t()
	avatarID := int64(c.ID)
	if c.Peer != nil {
		avatarID = int64(c.Peer.ID)
	}
	idText := fmt.Sprintf(t.GroupIF, c.ID)
	if c.Kind == proto.KindDirect && c.Peer != nil {
		idText = fmt.Sprintf("ID %d", c.Peer.ID)
	}
	preview, stamp := "", ""
	if m := c.Last; m != nil {
		preview = previewText(u, st, c, *m)
		stamp = t.stamp(u.local(m.Time), u.today())
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	return layout.Inset{Left: spaceS, Right: spaceS, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if c.Peer == nil {
					return th.groupAvatar(gtx, c.Name, avatarID, avatarM)
				}
				return th.avatar(gtx, c.Name, avatarID, avatarM)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
							layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
								return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
									layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
										gtx.Constraints.Min.X = 0
										return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
											layout.Flexed(1, th.label(textBody, th.Fg, c.Name).bold().lines(1).userContent().Layout),
										)
									}),
									layout.Rigid(gap(spaceXS)),
									layout.Rigid(th.label(textCaption, th.FgMuted, idText).lines(1).Layout),
								)
							}),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(th.label(textCaption, th.FgMuted, stamp).Layout),
						)
					}),
					layout.Rigid(gap(3)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Flexed(1, th.label(textSmall, th.FgMuted, preview).lines(1).userContent().Layout),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions { return listMarker(gtx, u, c) }), // groupcalls.go
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								return convBadge(gtx, u, c, ic) // grey when muted (requests.go)
							}),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions { return requestsBadge(gtx, u, st, c.ID) }), // groups.go
						)
					}),
				)
			}),
		)
	})
}

// previewText is a conversation's last message on one line.
func previewText(u *UI, st state.State, c state.Conversation, m proto.Message) string {
	t := u.t()
	if m.Kind == proto.MsgSystem || m.Kind == proto.MsgGroupEvent {
		return u.eventText(m)
	}
	if m.Kind == proto.MsgCall {
		var me proto.UserID
		if st.Me != nil {
			me = st.Me.ID
		}
		return t.callRow(m, me)
	}
	text := strings.Join(strings.Fields(markup.Shown(m.Text)), " ")
	switch {
	case m.Deleted:
		text = t.MessageDeleted
	case m.Kind == proto.MsgFile && state.IsVoice(m.File):
		text = u.voicePreview(m.File) // voice.go
	case m.Kind == proto.MsgFile && m.File != nil:
		text = fmt.Sprintf(t.FilePreviewF, m.File.Name)
	}
	switch {
	case st.Me != nil && m.Sender == st.Me.ID:
		return t.You + ": " + text
	case c.Kind == proto.KindGroup:
		return m.SenderName + ": " + text
	}
	return text
}

func (s *sidebar) searchResults(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	sr := st.Search
	if n := len(sr.Results); len(s.results) < n {
		s.results = append(s.results, make([]widget.Clickable, n-len(s.results))...)
	}
	names := make(map[proto.ConvID]string, len(st.Conversations))
	for _, c := range st.Conversations {
		names[c.ID] = c.Name
	}
	var head string
	switch {
	case sr.Running:
		head = fmt.Sprintf(t.SearchingF, sr.Query)
	case len(sr.Results) == 0:
		head = fmt.Sprintf(t.NoResultsF, sr.Query)
	default:
		head = t.ResultsN.format(len(sr.Results), sr.Query)
	}
	head += remoteNote(u, sr)
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Left: spaceL, Right: spaceL, Top: spaceXS, Bottom: spaceS}.Layout(gtx,
				th.label(textSmall, th.FgMuted, head).medium().Layout)
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			l := material.List(th.mat, &s.list)
			l.AnchorStrategy = material.Overlay
			return l.Layout(gtx, len(sr.Results), func(gtx layout.Context, i int) layout.Dimensions {
				m := sr.Results[i]
				return layout.Inset{Left: spaceS, Right: spaceS, Bottom: 2}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return th.clickRow(gtx, &s.results[i], false, radiusM, func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Constraints.Max.X
						return layout.UniformInset(spaceS).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
								layout.Rigid(func(gtx layout.Context) layout.Dimensions {
									return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
										layout.Flexed(1, th.label(textSmall, th.Fg, names[m.Conv]+" · "+m.SenderName).bold().lines(1).userContent().Layout),
										layout.Rigid(th.label(textCaption, th.FgMuted, t.stamp(u.local(m.Time), u.today())).Layout),
									)
								}),
								layout.Rigid(gap(2)),
								layout.Rigid(th.label(textSmall, th.FgMuted, strings.Join(strings.Fields(m.Text), " ")).lines(2).userContent().Layout),
							)
						})
					})
				})
			})
		}),
	)
}

// emptyState is a centred icon and sentence.
func emptyState(gtx layout.Context, u *UI, icon *widget.Icon, s string) layout.Dimensions {
	th := u.th
	gtx.Constraints.Min = gtx.Constraints.Max
	return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Max.X = min(gtx.Constraints.Max.X, gtx.Dp(280))
		return layout.UniformInset(spaceXL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(40)
					return icon.Layout(gtx, withAlpha(th.FgMuted, 0x90))
				}),
				layout.Rigid(gap(spaceM)),
				layout.Rigid(th.label(textBody, th.FgMuted, s).aligned(text.Middle).Layout),
			)
		})
	})
}
