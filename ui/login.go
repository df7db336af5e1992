package ui

import (
	"fmt"
	"image"
	"io"
	"strings"
	"time"

	"gioui.org/gesture"
	"gioui.org/io/clipboard"
	"gioui.org/io/key"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/op/clip"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// loginScreen logs in or registers (the seed's login window: a register
// panel, a login panel and the input area).
type loginScreen struct {
	register              bool // the register tab is open
	tabLogin, tabRegister widget.Clickable
	server                *field
	userID, password      *field
	name, newPass         *field
	code                  *field        // the optional registration code (settings_i18n.go words it)
	showPass              gesture.Click // shows or hides the password typed (not in the Tab order)
	submit, copyID        widget.Clickable
	clearCache, useHere   widget.Clickable
	idText                widget.Selectable
	scroll                widget.List

	prefilled  bool           // server address taken from the state once
	registered proto.UserID   // the last new account shown
	copied     proto.UserID   // the ID copied to the clipboard
	cleared    proto.UserID   // the account whose cleared cache was last shown
	problem    string         // a form error found before asking the model
	focusNext  *widget.Editor // focus this editor in the next frame
}

func (l *loginScreen) init() {
	l.server = newField(true)
	l.userID = newField(true)
	l.userID.Filter = "0123456789"
	l.userID.InputHint = key.HintNumeric
	l.password = newField(true)
	l.password.Mask = '•'
	l.name = newField(true)
	l.newPass = newField(true)
	l.newPass.Mask = '•'
	l.code = newField(true)
	l.scroll.Axis = layout.Vertical
	l.focusNext = &l.userID.Editor
}

// loggedIn forgets the passwords typed; the next login screen (after a
// logout) asks for the password of the same ID.
func (l *loginScreen) loggedIn() {
	for _, f := range []*field{l.password, l.newPass} {
		f.SetText("")
		f.Mask = '•'
	}
	l.register, l.problem = false, ""
	l.focusNext = &l.password.Editor
}

// loggedOut fills in the ID of the account just logged out, to log in
// again with its password.
func (l *loginScreen) loggedOut(id proto.UserID) {
	l.register, l.problem = false, ""
	l.userID.SetText(fmt.Sprint(id))
	l.focusNext = &l.password.Editor
}

func (l *loginScreen) update(gtx layout.Context, u *UI, st state.State) {
	if !l.prefilled {
		l.prefilled = true
		if l.server.Text() == "" {
			l.server.SetText(st.Server)
		}
	}
	if r := st.Registered; r != nil && r.ID != l.registered {
		// A new account: back to the login tab with its ID filled in.
		l.registered = r.ID
		l.register = false
		l.userID.SetText(fmt.Sprint(r.ID))
		l.password.SetText("")
		l.focusNext = &l.password.Editor
	}
	if id := st.CacheCleared; id != 0 && id != l.cleared {
		// Its copy was cleared: log in again with the same ID.
		l.cleared = id
		l.register = false
		l.userID.SetText(fmt.Sprint(id))
		l.password.SetText("")
		l.focusNext = &l.password.Editor
	}
	if e := st.AuthError; e != nil && (e.Code == state.CodeCache || e.Code == state.CodeInUse) && len(e.Args) == 1 && l.userID.Text() == "" {
		l.userID.SetText(e.Args[0]) // the account whose copy would not open
	}
	if l.useHere.Clicked(gtx) && !st.Busy {
		u.emit(UseHere{})
	}
	if l.clearCache.Clicked(gtx) && !st.Busy {
		u.emit(ResetCache{})
	}
	switchTab := func(reg bool) {
		if l.register == reg {
			return
		}
		l.register, l.problem = reg, ""
		if st.AuthError != nil {
			u.emit(DismissNotice{ID: st.AuthError.ID})
		}
		if reg {
			l.focusNext = &l.name.Editor
		} else {
			l.focusNext = &l.userID.Editor
		}
	}
	if l.tabLogin.Clicked(gtx) {
		switchTab(false)
	}
	if l.tabRegister.Clicked(gtx) {
		switchTab(true)
	}
	// Enter in any field submits the form.
	submit := l.submit.Clicked(gtx)
	fields := []*field{l.server, l.userID, l.password}
	if l.register {
		fields = []*field{l.server, l.name, l.code, l.newPass}
	}
	for _, f := range fields {
		if f.submitted(gtx) {
			submit = true
		}
	}
	if submit && !st.Busy {
		l.submitForm(u)
	}
	if l.focusNext != nil {
		gtx.Execute(key.FocusCmd{Tag: l.focusNext})
		l.focusNext = nil
	}
}

func (l *loginScreen) submitForm(u *UI) {
	t := u.t()
	l.problem = ""
	server := strings.TrimSpace(l.server.Text())
	if l.register {
		switch {
		case strings.TrimSpace(l.name.Text()) == "":
			l.problem = t.ErrNoName
		case len(l.newPass.Text()) < proto.MinPasswordLen:
			l.problem = t.Errors[proto.CodeWeakPassword]
		}
		if l.problem == "" {
			// Asked once, with Show password to check it (no confirm field).
			pw := l.newPass.Text()
			u.emit(Register{Server: server, Name: strings.TrimSpace(l.name.Text()), Password: pw, Confirm: pw, Code: strings.TrimSpace(l.code.Text())})
		}
		return
	}
	switch {
	case strings.TrimSpace(l.userID.Text()) == "":
		l.problem = t.ErrNoID
	case l.password.Text() == "":
		l.problem = t.ErrNoPassword
	}
	if l.problem == "" {
		u.emit(Login{Server: server, UserID: strings.TrimSpace(l.userID.Text()), Password: l.password.Text()})
	}
}

func (l *loginScreen) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	l.update(gtx, u, st)
	return layout.Stack{}.Layout(gtx,
		layout.Expanded(func(gtx layout.Context) layout.Dimensions {
			viewport := gtx.Constraints.Max
			return l.scroll.Layout(gtx, 1, func(gtx layout.Context, _ int) layout.Dimensions {
				// Centred in the window; scrolls when the window is shorter.
				gtx.Constraints.Min = viewport
				gtx.Constraints.Max.X = viewport.X
				return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						w := min(gtx.Constraints.Max.X, gtx.Dp(420))
						gtx.Constraints.Min.X, gtx.Constraints.Max.X = w, w
						return l.card(gtx, u, st)
					})
				})
			})
		}),
		layout.Stacked(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return layout.NE.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return layout.UniformInset(spaceS).Layout(gtx, u.prefButtons)
			})
		}),
	)
}

func (l *loginScreen) card(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	var items []layout.FlexChild
	add := func(space unit.Dp, w layout.Widget) {
		if space > 0 && len(items) > 0 {
			items = append(items, layout.Rigid(gap(space)))
		}
		items = append(items, layout.Rigid(w))
	}
	add(0, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return logo(gtx, th, 44)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(th.label(textDisplay, th.Fg, t.AppName).bold().Layout),
					layout.Rigid(th.label(textSmall, th.FgMuted, t.Tagline).Layout),
				)
			}),
		)
	})
	add(spaceXL, func(gtx layout.Context) layout.Dimensions {
		return segmented(gtx, th, []segment{
			{&l.tabLogin, t.TabLogin, !l.register},
			{&l.tabRegister, t.TabRegister, l.register},
		})
	})
	if r := st.Registered; r != nil && !l.register {
		add(spaceL, func(gtx layout.Context) layout.Dimensions {
			return l.registeredBanner(gtx, u, *r, u.t().RegisteredHint)
		})
	}
	add(spaceL, func(gtx layout.Context) layout.Dimensions {
		return th.fieldBlock(gtx, t.Server, l.server, t.ServerHint)
	})
	if l.register {
		add(spaceM, func(gtx layout.Context) layout.Dimensions {
			// The name, and beside it the registration code a server may
			// ask for (below it in a narrow window).
			if gtx.Constraints.Max.X < gtx.Dp(340) {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, t.Name, l.name, t.NameHint) }),
					layout.Rigid(gap(spaceM)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return th.fieldBlock(gtx, u.sw().RegCode, l.code, u.sw().RegCodeHint)
					}),
				)
			}
			return layout.Flex{}.Layout(gtx,
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, t.Name, l.name, t.NameHint) }),
				layout.Rigid(gap(spaceM)),
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return th.fieldBlock(gtx, u.sw().RegCode, l.code, u.sw().RegCodeHint)
				}),
			)
		})
		add(spaceM, func(gtx layout.Context) layout.Dimensions { return l.passwordBlock(gtx, u, l.newPass, t.PasswordHint) })
	} else {
		add(spaceM, func(gtx layout.Context) layout.Dimensions {
			return th.fieldBlock(gtx, t.UserID, l.userID, t.UserIDHint)
		})
		add(spaceM, func(gtx layout.Context) layout.Dimensions { return l.passwordBlock(gtx, u, l.password, "") })
	}
	problem := l.problem
	if problem == "" && st.AuthError != nil && !st.Busy {
		problem = t.errorText(*st.AuthError)
	}
	if problem != "" {
		add(spaceM, func(gtx layout.Context) layout.Dimensions {
			return errorLine(gtx, u, problem)
		})
	}
	if l.problem == "" && st.AuthError != nil && !st.Busy && !l.register {
		// What the user can do about a cache that will not open.
		var hint, action string
		var click *widget.Clickable
		kind := secondaryButton
		switch st.AuthError.Code {
		case state.CodeCache:
			hint, action, click = t.ClearCacheHint, t.ClearCache, &l.clearCache
		case state.CodeInUse: // what the user most likely wants: Log in would meet the same error
			hint, action, click, kind = t.UseHereHint, t.UseHere, &l.useHere, primaryButton
		}
		if click != nil {
			add(spaceS, th.label(textSmall, th.FgMuted, hint).Layout)
			add(spaceS, func(gtx layout.Context) layout.Dimensions {
				b := th.button(click, kind, action)
				b.full = true
				return b.Layout(gtx)
			})
		}
	}
	if n, ok := loginNotice(st, u.now().UnixMilli()); ok && st.AuthError == nil && !l.register {
		// Why the login screen is back: logged out, or the session ended.
		if n.Expires != 0 {
			gtx.Execute(op.InvalidateCmd{At: time.UnixMilli(n.Expires)})
		}
		add(spaceM, func(gtx layout.Context) layout.Dimensions {
			return th.surface(gtx, withAlpha(th.Primary, 0x14), withAlpha(th.Primary, 0x40), radiusM, func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx,
					th.label(textBody, th.Fg, u.loginNoticeText(n)).Layout)
			})
		})
	}
	if st.CacheCleared != 0 && st.AuthError == nil && !l.register {
		add(spaceM, func(gtx layout.Context) layout.Dimensions {
			return th.surface(gtx, withAlpha(th.Success, 0x1f), withAlpha(th.Success, 0x66), radiusM, func(gtx layout.Context) layout.Dimensions {
				return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx,
					th.label(textBody, th.Fg, fmt.Sprintf(t.CacheClearedF, fmt.Sprint(st.CacheCleared))).Layout)
			})
		})
	}
	add(spaceL, func(gtx layout.Context) layout.Dimensions {
		text := t.LoginButton
		if l.register {
			text = t.RegisterButton
		}
		if st.Busy {
			text = t.Working
		}
		kind := primaryButton
		if st.AuthError != nil && st.AuthError.Code == state.CodeInUse && !l.register {
			kind = secondaryButton // Use here is the primary action
		}
		b := th.button(&l.submit, kind, text)
		b.full, b.enabled = true, !st.Busy
		return b.Layout(gtx)
	})
	return th.surface(gtx, th.Surface, th.Border, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(spaceXL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
		})
	})
}

// passwordBlock is a password field with a button that shows what was
// typed, so that it can be checked without typing it twice.
func (l *loginScreen) passwordBlock(gtx layout.Context, u *UI, f *field, hint string) layout.Dimensions {
	th, t := u.th, u.t()
	icon, desc := u.icons.visible, t.ShowPassword
	if f.Mask == 0 {
		icon, desc = u.icons.hidden, t.HidePassword
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(th.label(textSmall, th.FgMuted, t.Password).medium().Layout),
		layout.Rigid(gap(6)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Stack{Alignment: layout.E}.Layout(gtx,
				layout.Stacked(func(gtx layout.Context) layout.Dimensions { return th.input(gtx, f, hint, t.Password) }),
				layout.Stacked(func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Right: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						clicked, d := th.mouseIconButton(gtx, &l.showPass, icon, desc, 32, tipEnd)
						if clicked {
							mask := '•'
							if f.Mask != 0 {
								mask = 0
							}
							l.password.Mask, l.newPass.Mask = mask, mask
						}
						return d
					})
				}),
			)
		}),
	)
}

// welcome greets a new account on the main screen with its ID, large and
// copyable: it is how people find the user.
func (l *loginScreen) welcome(gtx layout.Context, u *UI, r proto.User) layout.Dimensions {
	th, t := u.th, u.t()
	gtx.Constraints.Min = gtx.Constraints.Max
	return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			w := min(gtx.Constraints.Max.X, gtx.Dp(420))
			gtx.Constraints.Min.X, gtx.Constraints.Max.X = w, w
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(th.label(textHeadline, th.Fg, fmt.Sprintf(t.WelcomeF, r.Name)).bold().Layout),
				layout.Rigid(gap(spaceM)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions { return l.registeredBanner(gtx, u, r, t.YourIDHint) }),
			)
		})
	})
}

// loginNotice is the newest notice that belongs to the login screen and
// is still shown at now (Unix ms).
func loginNotice(st state.State, now int64) (state.Notice, bool) {
	for i := len(st.Notices) - 1; i >= 0; i-- {
		if n := st.Notices[i]; n.OnLoginScreen() && n.Shown(now) {
			return n, true
		}
	}
	return state.Notice{}, false
}

// registeredBanner shows the new account's ID, selectable and copyable,
// with hint below.
func (l *loginScreen) registeredBanner(gtx layout.Context, u *UI, r proto.User, hint string) layout.Dimensions {
	th, t := u.th, u.t()
	id := fmt.Sprint(r.ID)
	if l.copyID.Clicked(gtx) {
		gtx.Execute(clipboard.WriteCmd{Type: "application/text", Data: io.NopCloser(strings.NewReader(id))})
		l.copied = r.ID
	}
	if l.idText.Text() != id {
		l.idText.SetText(id)
	}
	return th.surface(gtx, withAlpha(th.Success, 0x1f), withAlpha(th.Success, 0x66), radiusM, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				// The full sentence, for screen readers and tests.
				layout.Rigid(th.label(textBody, th.Fg, fmt.Sprintf(t.RegisteredF, id)).medium().Layout),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							m := op.Record(gtx.Ops)
							d := l.idText.Layout(gtx, th.mat.Shaper, fontBold, textDisplay,
								colorMaterial(gtx.Ops, th.Fg), colorMaterial(gtx.Ops, withAlpha(th.Primary, 0x60)))
							call := m.Stop()
							defer clip.Rect{Max: d.Size}.Push(gtx.Ops).Pop()
							semantic.LabelOp(id).Add(gtx.Ops)
							call.Add(gtx.Ops)
							return d
						}),
						layout.Rigid(gap(spaceM)),
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							text := t.Copy
							if l.copied == r.ID {
								text = t.Copied
							}
							b := th.button(&l.copyID, secondaryButton, text)
							b.icon, b.small = u.icons.copy, true
							return b.Layout(gtx)
						}),
					)
				}),
				layout.Rigid(gap(spaceXS)),
				layout.Rigid(th.label(textSmall, th.FgMuted, hint).Layout),
			)
		})
	})
}

func errorLine(gtx layout.Context, u *UI, s string) layout.Dimensions {
	th := u.th
	return th.surface(gtx, th.DangerSoft, color0, radiusM, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(18)
					return u.icons.errorIcon.Layout(gtx, th.Danger)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Flexed(1, th.label(textSmall, th.Danger, s).medium().Layout),
			)
		})
	})
}

// segment is one option of a segmented control.
type segment struct {
	click    *widget.Clickable
	text     string
	selected bool
}

// segmented draws options side by side in a rounded track.
func segmented(gtx layout.Context, th *theme, segs []segment) layout.Dimensions {
	children := make([]layout.FlexChild, len(segs))
	for i, s := range segs {
		children[i] = layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
			return s.click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				semantic.RadioButton.Add(gtx.Ops)
				semantic.SelectedOp(s.selected).Add(gtx.Ops)
				gtx.Constraints.Min.Y = gtx.Dp(32)
				return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					switch {
					case s.selected:
						th.fill(gtx, th.Surface, radiusS)
						th.outline(gtx, th.Border, radiusS, 1)
					case s.click.Hovered():
						th.fill(gtx, hover(th, th.SurfaceAlt), radiusS)
					}
					if gtx.Focused(s.click) {
						th.outline(gtx, th.Primary, radiusS, 2)
					}
					return layout.Dimensions{Size: gtx.Constraints.Min}
				}, func(gtx layout.Context) layout.Dimensions {
					return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						c := th.FgMuted
						if s.selected {
							c = th.Fg
						}
						return layout.Inset{Left: 2, Right: 2}.Layout(gtx,
							th.label(textSmall, c, s.text).medium().lines(1).aligned(text.Middle).Layout)
					})
				})
			})
		})
	}
	return th.surface(gtx, th.SurfaceAlt, color0, radiusM, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(3).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{}.Layout(gtx, children...)
		})
	})
}

// logo is the app mark: a speech bubble in the primary colour.
func logo(gtx layout.Context, th *theme, d unit.Dp) layout.Dimensions {
	s := gtx.Dp(d)
	gtx.Constraints = layout.Exact(image.Pt(s, s))
	th.fill(gtx, th.Primary, d/4)
	return layout.Center.Layout(gtx, th.label(unit.Sp(float32(d)*0.5), th.OnPrimary, "P").bold().Layout)
}
