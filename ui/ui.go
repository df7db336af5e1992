package ui

import (
	"fmt"
	"image"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/op"
	"gioui.org/op/clip"

	"gioui.org/layout"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// Options configure a UI.
type Options struct {
	// Shaper shapes all text; see NewShaper and Collection. Required.
	Shaper *text.Shaper
	// Lang is the language of the UI; ParseLang maps a system locale.
	Lang Lang
	// Dark selects the dark theme.
	Dark bool
	// Now and Location give the clock and time zone for times and day
	// separators (time.Now and time.Local when nil); tests pin them.
	Now      func() time.Time
	Location *time.Location
}

// UI is the front end: the widget state of every screen. Use it from the
// UI goroutine only.
type UI struct {
	th    *theme
	lang  Lang
	now   func() time.Time
	loc   *time.Location
	icons iconSet

	langBtn, themeBtn widget.Clickable
	receiptsBtn       widget.Clickable // the read-receipts switch (receipts.go)

	login   loginScreen
	side    sidebar
	conv    convPane
	call    callBar
	set     settingsPane // the Settings screen (settings.go)
	narrow  bool
	events  []Event
	lastUID int64 // the account shown last, to reset per-account state

	offline   bool // the connection was lost and is not back yet
	reconnect widget.Clickable
	dismiss   map[uint64]*widget.Clickable // the notices' close buttons
	toasts    int                          // a tag for the notices' area: clicks on them stop there
}

// New returns a UI.
func New(o Options) *UI {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Lang == "" {
		o.Lang = English
	}
	u := &UI{th: newTheme(o.Shaper, o.Dark), lang: o.Lang, now: o.Now, loc: o.Location, icons: loadIcons(),
		dismiss: map[uint64]*widget.Clickable{}}
	u.login.init()
	u.side.init()
	u.conv.init()
	u.call.init()
	u.set.init()
	return u
}

// Lang is the current language.
func (u *UI) Lang() Lang { return u.lang }

// SetLang switches the language.
func (u *UI) SetLang(l Lang) { u.lang = l }

// Dark reports whether the dark theme is on.
func (u *UI) Dark() bool { return u.th.Dark }

// SetDark switches between the light and dark themes.
func (u *UI) SetDark(dark bool) { u.th.setDark(dark) }

// SetShaper replaces the text shaper, for example with one that also
// knows the system's fonts once they are indexed.
func (u *UI) SetShaper(s *text.Shaper) { u.th.mat.Shaper = s }

// Palette is the current palette (the app paints its window background
// with it).
func (u *UI) Palette() Palette { return u.th.Palette }

// Layout draws st and returns what the user asked for during this frame.
func (u *UI) Layout(gtx layout.Context, st state.State) []Event {
	u.events = nil
	defer u.th.endFrame()
	u.th.pictures = st.Pictures // avatars draw them (settings_avatar.go)
	u.th.groupPictures = st.GroupPictures
	u.handlePrefs(gtx)
	paint.Fill(gtx.Ops, u.th.Bg)
	u.narrow = gtx.Constraints.Max.X < gtx.Dp(narrowBelow)
	if st.Me == nil {
		if u.lastUID != 0 {
			u.login.loggedOut(proto.UserID(u.lastUID))
		}
		u.lastUID = 0
		u.login.layout(gtx, u, st)
		return u.events
	}
	if id := int64(st.Me.ID); id != u.lastUID {
		u.lastUID = id
		u.offline = false
		u.side.reset()
		u.conv.reset()
		u.call.reset()
		u.set.reset()
		u.login.loggedIn()
	}
	u.keys(gtx, st)
	u.call.update(gtx, u, st)
	switch st.Conn {
	case state.Offline:
		u.offline = true
	case state.Online:
		u.offline = false
	}
	if u.reconnect.Clicked(gtx) {
		u.emit(Reconnect{})
	}
	layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if !u.offline {
				return layout.Dimensions{}
			}
			return u.offlineBar(gtx, st)
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return u.mainScreen(gtx, st) }),
	)
	u.notices(gtx, st)
	u.viewerLayout(gtx, st)  // viewer.go
	u.previewLayout(gtx, st) // sendpreview.go
	if c := st.Call; c != nil && c.State == state.CallIncoming {
		u.call.incomingDialog(gtx, u, c, st)
	} else if u.call.dialing {
		u.call.dialDialog(gtx, u)
	} else if u.call.showDevices && hasDevices(st) && !liveCall(st) {
		u.call.devicesDialog(gtx, u, st)
	}
	return u.events
}

func (u *UI) emit(e Event) { u.events = append(u.events, e) }

func (u *UI) t() *catalog { return u.lang.cat() }

func (u *UI) handlePrefs(gtx layout.Context) {
	changed, themed := false, false
	if u.langBtn.Clicked(gtx) {
		changed = true
		if u.lang == Chinese {
			u.lang = English
		} else {
			u.lang = Chinese
		}
	}
	if u.themeBtn.Clicked(gtx) {
		changed, themed = true, true
		u.th.setDark(!u.th.Dark)
	}
	if changed {
		u.emit(Prefs{Lang: u.lang, Dark: u.th.Dark, ThemeSwitched: themed})
	}
}

// prefButtons are the language and theme switches.
func (u *UI) prefButtons(gtx layout.Context) layout.Dimensions {
	return u.prefs(gtx, false)
}

func (u *UI) prefs(gtx layout.Context, compact bool) layout.Dimensions {
	th, t := u.th, u.t()
	themeIcon, themeDesc := u.icons.moon, t.DarkTheme
	if th.Dark {
		themeIcon, themeDesc = u.icons.sun, t.LightTheme
	}
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			if compact {
				return th.iconButton(&u.langBtn, u.icons.translate, t.SwitchLang).Layout(gtx)
			}
			b := th.button(&u.langBtn, ghostButton, t.SwitchLang)
			b.icon, b.small = u.icons.translate, true
			return b.Layout(gtx)
		}),
		layout.Rigid(th.iconButton(&u.themeBtn, themeIcon, themeDesc).Layout),
	)
}

// local converts a Unix-millisecond time to the UI's time zone.
func (u *UI) local(ms int64) time.Time { return time.UnixMilli(ms).In(u.loc) }

func (u *UI) today() time.Time { return u.now().In(u.loc) }

// mainScreen is the sidebar and the conversation pane, side by side on
// wide windows, one at a time on narrow ones.
func (u *UI) mainScreen(gtx layout.Context, st state.State) layout.Dimensions {
	if u.narrow {
		if u.set.open {
			return u.set.layout(gtx, u, st)
		}
		if st.Open != nil {
			return u.conv.layout(gtx, u, st)
		}
		if st.Call == nil {
			return u.side.layout(gtx, u, st)
		}
		// A call stays in sight over the conversation list.
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return u.call.layout(gtx, u, st) }),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return u.side.layout(gtx, u, st) }),
		)
	}
	return layout.Flex{}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			w := gtx.Dp(sidebarW)
			gtx.Constraints.Min.X, gtx.Constraints.Max.X = w, w
			return u.side.layout(gtx, u, st)
		}),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.Y = gtx.Constraints.Max.Y
			return rule(gtx, u.th.Border, true)
		}),
		layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			if u.set.open {
				return u.set.layout(gtx, u, st)
			}
			return u.conv.layout(gtx, u, st)
		}),
	)
}

// keys handles the window's shortcuts: Esc closes the innermost panel or
// question; Ctrl+F (Cmd+F) searches the open conversation, Ctrl+Shift+F
// (or Ctrl+F with none open) goes to the search of all; Page Up and Page Down scroll
// the messages. They run before the widgets, so a focused field does not
// swallow them.
func (u *UI) keys(gtx layout.Context, st state.State) {
	for {
		ev, ok := gtx.Event(
			key.Filter{Name: key.NameEscape},
			key.Filter{Name: "F", Required: key.ModShortcut},
			key.Filter{Name: "F", Required: key.ModShortcut | key.ModShift},
			key.Filter{Name: key.NamePageUp},
			key.Filter{Name: key.NamePageDown},
		)
		if !ok {
			return
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		switch e.Name {
		case key.NameEscape:
			u.escape(st)
		case "F":
			if st.Open != nil && !e.Modifiers.Contain(key.ModShift) {
				u.conv.find.show() // Ctrl+F: within the conversation (find.go)
				continue
			}
			if u.narrow && st.Open != nil {
				u.emit(Open{Conv: 0}) // the list, with search, replaces the conversation
			}
			u.side.focusSearch = true
		case key.NamePageUp:
			u.conv.page(-1)
		case key.NamePageDown:
			u.conv.page(+1)
		}
	}
}

// escape closes the innermost open panel or question, the dialogs first
// ("Call a user ID…", the sound devices): they are over everything. (The
// incoming-call dialog is not one: it asks Accept or Decline, and a key
// should not decline a call.)
func (u *UI) escape(st state.State) {
	switch {
	case u.conv.msgs.pics.view.hide(): // the picture viewer, over the window
	case u.conv.msgs.pics.preview.escape(u, st): // the pictures about to be sent
	case u.call.dialing:
		u.call.dialing = false
	case u.call.showDevices: // a dialog outside a call, over the questions
		u.call.showDevices = false
	case u.conv.rec.escape(u): // a recording (recorder.go)
	case u.conv.msgs.emoji.close(), u.conv.closeMentions(): // the pickers
	case u.conv.extras.closeMenu(): // a conversation's menu (requests.go)
	case u.side.askLogout:
		u.side.askLogout = false
	case u.set.escape(): // the Settings screen's questions, then the screen
	case u.conv.askLeave:
		u.conv.askLeave = false
	case u.conv.media.escape(u, st): // the files and media panel (mediapanel.go)
	case u.conv.settings.hide(u): // the group's settings (groups.go)
	case u.conv.files.open:
		u.conv.files.open = false
	case u.conv.showMembers:
		u.conv.showMembers = false
	case u.conv.cancelStrip(): // a reply or an edit over the composer
	case u.conv.find.open:
		u.conv.find.hide(u)
	case st.Search != nil || u.side.search.Len() > 0:
		u.side.search.SetText("")
		u.side.searched = ""
		u.emit(Search{})
	}
}

// offlineBar says across the window that the connection is lost, when
// the next attempt starts, and offers to retry now.
func (u *UI) offlineBar(gtx layout.Context, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	msg := t.OfflineNow
	if now := u.now().UnixMilli(); st.Conn == state.Offline && st.RetryAt > now {
		secs := (st.RetryAt - now + 999) / 1000
		msg = fmt.Sprintf(t.OfflineRetryF, secs)
		// Redraw when the count goes down.
		gtx.Execute(op.InvalidateCmd{At: time.UnixMilli(st.RetryAt - (secs-1)*1000)})
	}
	return th.band(gtx, th.Danger, layout.Inset{Left: spaceL, Right: spaceS, Top: spaceXS, Bottom: spaceXS}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Dp(18)
				return u.icons.offline.Layout(gtx, th.OnPrimary)
			}),
			layout.Rigid(gap(spaceS)),
			layout.Flexed(1, th.label(textBody, th.OnPrimary, msg).medium().lines(2).Layout),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.button(&u.reconnect, secondaryButton, t.RetryNow)
				b.small, b.enabled = true, st.Conn == state.Offline
				return b.Layout(gtx)
			}),
		)
	})
}

// maxShownNotices bounds the notices on screen; older ones stay in the
// state until they expire or are dismissed.
const maxShownNotices = 3

// notices shows what the last actions did, newest first, floating over
// the bottom of the conversation list (the whole width on narrow
// windows) so that they never move it. They go when they expire.
func (u *UI) notices(gtx layout.Context, st state.State) {
	now := u.now().UnixMilli()
	var ns []state.Notice
	next := int64(0)
	for _, n := range st.Notices {
		if !n.Shown(now) || n.OnLoginScreen() {
			continue
		}
		ns = append(ns, n)
		if n.Expires != 0 && (next == 0 || n.Expires < next) {
			next = n.Expires
		}
	}
	if next != 0 {
		gtx.Execute(op.InvalidateCmd{At: time.UnixMilli(next)})
	}
	live := map[uint64]bool{}
	for _, n := range ns {
		live[n.ID] = true
	}
	for id, c := range u.dismiss {
		if c.Clicked(gtx) {
			u.emit(DismissNotice{ID: id})
		}
		if !live[id] {
			delete(u.dismiss, id)
		}
	}
	if len(ns) > maxShownNotices {
		ns = ns[len(ns)-maxShownNotices:]
	}
	for {
		if _, ok := gtx.Event(pointer.Filter{Target: &u.toasts, Kinds: pointer.Press | pointer.Release}); !ok {
			break
		}
	}
	if len(ns) == 0 {
		return
	}
	children := make([]layout.FlexChild, 0, len(ns))
	for i := len(ns) - 1; i >= 0; i-- { // newest first
		n := ns[i]
		c := u.dismiss[n.ID]
		if c == nil {
			c = new(widget.Clickable)
			u.dismiss[n.ID] = c
		}
		children = append(children, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Inset{Top: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return noticeRow(gtx, u, n, c)
			})
		}))
	}
	area := gtx.Constraints.Max
	bottom := gtx.Dp(spaceS)
	if !u.narrow {
		area.X = gtx.Dp(sidebarW)
	} else if st.Open != nil {
		bottom += gtx.Dp(controlH + 2*spaceM) // clear the composer
	}
	m := op.Record(gtx.Ops)
	ngtx := gtx
	ngtx.Constraints = layout.Constraints{Min: image.Pt(area.X-2*gtx.Dp(spaceS), 0), Max: image.Pt(area.X-2*gtx.Dp(spaceS), area.Y/2)}
	// On a backdrop of the window's colour, so that the list under the
	// gaps does not show through.
	dims := u.th.surface(ngtx, withAlpha(u.th.Bg, 0xf0), color0, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceXS, Right: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx, children...)
		})
	})
	call := m.Stop()
	defer op.Offset(image.Pt(gtx.Dp(spaceS), area.Y-bottom-dims.Size.Y)).Push(gtx.Ops).Pop()
	// A click on the notices stops there, not on the list under them.
	block := clip.Rect{Max: dims.Size}.Push(gtx.Ops)
	event.Op(gtx.Ops, &u.toasts)
	block.Pop()
	call.Add(gtx.Ops)
}

func noticeRow(gtx layout.Context, u *UI, n state.Notice, dismiss *widget.Clickable) layout.Dimensions {
	th, t := u.th, u.t()
	bg, fg, icon := th.Surface, th.Fg, u.icons.info
	iconColor := th.Primary
	border := th.Border
	if n.Kind == state.NoticeError {
		bg, fg, icon, iconColor, border = th.DangerSoft, th.Danger, u.icons.errorIcon, th.Danger, withAlpha(th.Danger, 0x55)
	}
	text := t.notice(n)
	if n.Count > 1 {
		text = fmt.Sprintf(t.RepeatF, text, n.Count)
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	return th.surface(gtx, bg, border, radiusM, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceM, Top: spaceXS, Bottom: spaceXS, Right: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(16)
					return icon.Layout(gtx, iconColor)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Flexed(1, th.label(textSmall, fg, text).lines(3).Layout),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					b := th.iconButton(dismiss, u.icons.close, t.Dismiss)
					b.size, b.tip = 28, tipEnd|tipAbove
					return b.Layout(gtx)
				}),
			)
		})
	})
}
