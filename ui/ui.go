package ui

import (
	"time"

	"gioui.org/layout"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/widget"

	"parley/app/state"
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

	login   loginScreen
	side    sidebar
	conv    convPane
	call    callBar
	narrow  bool
	events  []Event
	lastUID int64 // the account shown last, to reset per-account state
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
	u := &UI{th: newTheme(o.Shaper, o.Dark), lang: o.Lang, now: o.Now, loc: o.Location, icons: loadIcons()}
	u.login.init()
	u.side.init()
	u.conv.init()
	u.call.init()
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
	u.handlePrefs(gtx)
	paint.Fill(gtx.Ops, u.th.Bg)
	u.narrow = gtx.Constraints.Max.X < gtx.Dp(narrowBelow)
	if st.Me == nil {
		u.lastUID = 0
		u.login.layout(gtx, u, st)
		return u.events
	}
	if id := int64(st.Me.ID); id != u.lastUID {
		u.lastUID = id
		u.side.reset()
		u.conv.reset()
		u.call.reset()
		u.login.loggedIn()
	}
	u.call.update(gtx, u, st)
	u.mainScreen(gtx, st)
	if c := st.Call; c != nil && c.State == state.CallIncoming {
		u.call.incomingDialog(gtx, u, c, st.NoAudio)
	} else if u.call.dialing {
		u.call.dialDialog(gtx, u)
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

// compactPrefs are the switches as icons only.
func (u *UI) compactPrefs(gtx layout.Context) layout.Dimensions {
	return u.prefs(gtx, true)
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
			return u.conv.layout(gtx, u, st)
		}),
	)
}
