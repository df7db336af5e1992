package ui

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// The Settings screen's events.
type (
	// OpenSettings asks for the account's devices and blocked people:
	// the Settings screen opened.
	OpenSettings struct{}
	// SetProfile changes my name and about line.
	SetProfile struct{ Name, About string }
	// ChoosePicture opens the file picker for my profile picture.
	ChoosePicture struct{}
	// RemovePicture clears my profile picture.
	RemovePicture struct{}
	// ChangePassword changes my password (the model checks the form).
	ChangePassword struct{ Current, New, Confirm string }
	// RevokeDevice signs another device of the account out.
	RevokeDevice struct{ ID string }
	// Unblock lifts a block.
	Unblock struct{ User proto.UserID }
	// DeleteAccount deletes my account.
	DeleteAccount struct{ Password string }
)

func (OpenSettings) isEvent()   {}
func (SetProfile) isEvent()     {}
func (ChoosePicture) isEvent()  {}
func (RemovePicture) isEvent()  {}
func (ChangePassword) isEvent() {}
func (RevokeDevice) isEvent()   {}
func (Unblock) isEvent()        {}
func (DeleteAccount) isEvent()  {}

// settingsPane is the Settings screen: my profile, language and
// appearance, the password, the devices, the blocked people and deleting
// the account. It takes the conversation pane's place (the whole window
// when narrow); Back or Esc closes it.
type settingsPane struct {
	open        bool
	gear, back  widget.Clickable
	list        widget.List
	name, about *field
	curPass     *field
	newPass     *field
	confirmPass *field
	delPass     *field

	choosePic, removePic, saveProfile, savePassword widget.Clickable
	langEN, langZH, light, dark, receipts, sound    widget.Clickable

	revoke                      map[string]*widget.Clickable
	askRevoke                   string // the device whose sign-out is asked
	confirmRevoke, cancelRevoke widget.Clickable
	unblock                     map[proto.UserID]*widget.Clickable
	askDelete                   bool
	deleteBtn, confirmDelete    widget.Clickable
	cancelDelete                widget.Clickable

	done    uint64 // the Settings.Done handled
	savedIn string // the section that says it saved
}

func (s *settingsPane) init() {
	s.name = newField(true)
	s.name.MaxLen = proto.MaxNameRunes
	s.about = newField(true)
	s.about.MaxLen = proto.MaxAboutRunes
	s.curPass, s.newPass, s.confirmPass, s.delPass = newField(true), newField(true), newField(true), newField(true)
	for _, f := range []*field{s.curPass, s.newPass, s.confirmPass, s.delPass} {
		f.Mask = '•'
	}
	s.list.Axis = layout.Vertical
	s.reset()
}

// reset forgets per-account state, and closes the screen.
func (s *settingsPane) reset() {
	s.open, s.askRevoke, s.askDelete, s.savedIn = false, "", false, ""
	s.revoke = map[string]*widget.Clickable{}
	s.unblock = map[proto.UserID]*widget.Clickable{}
	for _, f := range []*field{s.curPass, s.newPass, s.confirmPass, s.delPass} {
		f.SetText("")
	}
	s.list.Position = layout.Position{}
}

// show opens the screen with my profile filled in.
func (s *settingsPane) show(u *UI, st state.State) {
	s.open, s.askRevoke, s.askDelete, s.savedIn = true, "", false, ""
	s.done = st.Settings.Done
	if st.Me != nil {
		s.name.SetText(st.Me.Name)
		s.about.SetText(st.Me.About)
	}
	s.list.Position = layout.Position{}
	u.emit(OpenSettings{})
}

// escape closes the innermost question, then the screen; false if the
// screen is not open.
func (s *settingsPane) escape() bool {
	switch {
	case !s.open:
		return false
	case s.askRevoke != "":
		s.askRevoke = ""
	case s.askDelete:
		s.askDelete = false
	default:
		s.open = false
	}
	return true
}

func (s *settingsPane) update(gtx layout.Context, u *UI, st state.State) {
	set := st.Settings
	if set.Done != s.done {
		s.done = set.Done
		s.savedIn = set.DoneIn
		if set.DoneIn == state.SectionPassword {
			for _, f := range []*field{s.curPass, s.newPass, s.confirmPass} {
				f.SetText("")
			}
		}
	}
	if s.back.Clicked(gtx) {
		s.open = false
	}
	idle := set.Busy == ""
	if (s.saveProfile.Clicked(gtx) || s.name.submitted(gtx) || s.about.submitted(gtx)) && idle {
		s.savedIn = ""
		u.emit(SetProfile{Name: s.name.Text(), About: s.about.Text()})
	}
	if s.choosePic.Clicked(gtx) && idle {
		s.savedIn = ""
		u.emit(ChoosePicture{})
	}
	if s.removePic.Clicked(gtx) && idle {
		s.savedIn = ""
		u.emit(RemovePicture{})
	}
	submitPass := s.savePassword.Clicked(gtx)
	for _, f := range []*field{s.curPass, s.newPass, s.confirmPass} {
		if f.submitted(gtx) {
			submitPass = true
		}
	}
	if submitPass && idle {
		s.savedIn = ""
		u.emit(ChangePassword{Current: s.curPass.Text(), New: s.newPass.Text(), Confirm: s.confirmPass.Text()})
	}
	if s.langEN.Clicked(gtx) {
		u.setLang(English)
	}
	if s.langZH.Clicked(gtx) {
		u.setLang(Chinese)
	}
	if s.light.Clicked(gtx) && u.th.Dark {
		u.th.setDark(false)
		u.emit(Prefs{Lang: u.lang, Dark: false, ThemeSwitched: true})
	}
	if s.dark.Clicked(gtx) && !u.th.Dark {
		u.th.setDark(true)
		u.emit(Prefs{Lang: u.lang, Dark: true, ThemeSwitched: true})
	}
	if s.receipts.Clicked(gtx) {
		u.emit(SetReadReceipts{On: st.ReceiptsOff})
	}
	if s.sound.Clicked(gtx) {
		u.call.showDevices = true
		u.emit(ListAudioDevices{})
	}
	for id, c := range s.revoke {
		if c.Clicked(gtx) {
			s.askRevoke = id
		}
	}
	if s.cancelRevoke.Clicked(gtx) {
		s.askRevoke = ""
	}
	if s.confirmRevoke.Clicked(gtx) && s.askRevoke != "" && idle {
		u.emit(RevokeDevice{ID: s.askRevoke})
		s.askRevoke = ""
	}
	for id, c := range s.unblock {
		if c.Clicked(gtx) && idle {
			u.emit(Unblock{User: id})
		}
	}
	if (s.deleteBtn.Clicked(gtx) || s.delPass.submitted(gtx)) && idle {
		s.askDelete = true
	}
	if s.cancelDelete.Clicked(gtx) {
		s.askDelete = false
	}
	if s.confirmDelete.Clicked(gtx) && s.askDelete && idle {
		s.askDelete = false
		u.emit(DeleteAccount{Password: s.delPass.Text()})
		s.delPass.SetText("")
	}
}

// setLang switches the language from the Settings screen.
func (u *UI) setLang(l Lang) {
	if l == u.lang {
		return
	}
	u.lang = l
	u.emit(Prefs{Lang: u.lang, Dark: u.th.Dark})
}

// settingsMaxW is the width of the screen's column on wide windows.
const settingsMaxW unit.Dp = 640

func (s *settingsPane) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	s.update(gtx, u, st)
	th, w := u.th, u.sw()
	gtx.Constraints.Min = gtx.Constraints.Max
	sections := []func(gtx layout.Context) layout.Dimensions{
		func(gtx layout.Context) layout.Dimensions { return s.profile(gtx, u, st) },
		func(gtx layout.Context) layout.Dimensions { return s.appearance(gtx, u, st) },
		func(gtx layout.Context) layout.Dimensions { return s.password(gtx, u, st) },
		func(gtx layout.Context) layout.Dimensions { return s.devices(gtx, u, st) },
		func(gtx layout.Context) layout.Dimensions { return s.blocked(gtx, u, st) },
		func(gtx layout.Context) layout.Dimensions { return s.deletion(gtx, u, st) },
	}
	return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions { return th.fill(gtx, th.Bg, 0) },
		func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return th.band(gtx, th.Surface, layout.Inset{Left: spaceS, Right: spaceL, Top: spaceS, Bottom: spaceS}, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(th.iconButton(&s.back, u.icons.back, w.Back).Layout),
							layout.Rigid(gap(spaceS)),
							layout.Flexed(1, th.label(textHeadline, th.Fg, w.Settings).bold().lines(1).Layout),
						)
					})
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return s.list.Layout(gtx, len(sections), func(gtx layout.Context, i int) layout.Dimensions {
						in := layout.Inset{Left: spaceL, Right: spaceL, Top: spaceL}
						if i == len(sections)-1 {
							in.Bottom = spaceXL
						}
						return in.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
							return layout.N.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
								cw := min(gtx.Constraints.Max.X, gtx.Dp(settingsMaxW))
								gtx.Constraints.Min.X, gtx.Constraints.Max.X = cw, cw
								return sections[i](gtx)
							})
						})
					})
				}),
			)
		})
}

// card is one section: a heading, an optional hint, and its body.
func (s *settingsPane) card(gtx layout.Context, u *UI, title, hint string, danger bool, body layout.Widget) layout.Dimensions {
	th := u.th
	border, col := th.Border, th.Fg
	if danger {
		border, col = withAlpha(th.Danger, 0x66), th.Danger
	}
	return th.surface(gtx, th.Surface, border, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(spaceL).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(th.label(textTitle, col, title).bold().Layout),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if hint == "" {
						return layout.Dimensions{}
					}
					return layout.Inset{Top: spaceXS}.Layout(gtx, th.label(textSmall, th.FgMuted, hint).Layout)
				}),
				layout.Rigid(gap(spaceM)),
				layout.Rigid(body),
			)
		})
	})
}

// outcome is the inline result of section: its error, or that it saved.
func (s *settingsPane) outcome(gtx layout.Context, u *UI, st state.State, section, saved string) layout.Dimensions {
	set := st.Settings
	switch {
	case set.Error != nil && set.ErrorIn == section && set.Busy == "":
		return layout.Inset{Top: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return errorLine(gtx, u, u.t().errorText(*set.Error))
		})
	case set.Busy == section && section != state.SectionDevices:
		return layout.Inset{Top: spaceM}.Layout(gtx, u.th.label(textSmall, u.th.FgMuted, u.sw().Saving).Layout)
	case s.savedIn == section && saved != "":
		th := u.th
		return layout.Inset{Top: spaceM}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					gtx.Constraints.Min.X = gtx.Dp(18)
					return u.icons.done.Layout(gtx, th.Success)
				}),
				layout.Rigid(gap(spaceXS)),
				layout.Flexed(1, th.label(textSmall, th.Success, saved).medium().Layout),
			)
		})
	}
	return layout.Dimensions{}
}

func (s *settingsPane) profile(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w, t := u.th, u.sw(), u.t()
	me := st.Me
	idle := st.Settings.Busy == ""
	return s.card(gtx, u, w.Profile, "", false, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, me.Name, int64(me.ID), 64) }),
					layout.Rigid(gap(spaceL)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textTitle, th.Fg, me.Name).bold().lines(1).userContent().Layout),
							layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf("ID %d", me.ID)).Layout),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
									layout.Rigid(func(gtx layout.Context) layout.Dimensions {
										b := th.button(&s.choosePic, secondaryButton, w.ChoosePicture)
										b.small, b.enabled = true, idle
										return b.Layout(gtx)
									}),
									layout.Rigid(func(gtx layout.Context) layout.Dimensions {
										if me.Picture == "" {
											return layout.Dimensions{}
										}
										return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
											b := th.button(&s.removePic, ghostButton, w.RemovePicture)
											b.small, b.enabled = true, idle
											return b.Layout(gtx)
										})
									}),
								)
							}),
						)
					}),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return s.outcome(gtx, u, st, state.SectionPicture, "")
			}),
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, t.Name, s.name, t.NameHint) }),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, w.About, s.about, w.AboutHint) }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return s.outcome(gtx, u, st, state.SectionProfile, w.Saved)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.E.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					b := th.button(&s.saveProfile, primaryButton, w.Save)
					b.enabled = idle && strings.TrimSpace(s.name.Text()) != ""
					return b.Layout(gtx)
				})
			}),
		)
	})
}

// choice is a labelled control: the caption above it.
func choice(gtx layout.Context, th *theme, caption string, w layout.Widget) layout.Dimensions {
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(th.label(textSmall, th.FgMuted, caption).medium().Layout),
		layout.Rigid(gap(6)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Max.X = min(gtx.Constraints.Max.X, gtx.Dp(320))
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return w(gtx)
		}),
	)
}

func (s *settingsPane) appearance(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.sw()
	items := []layout.FlexChild{
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return choice(gtx, th, w.Language, func(gtx layout.Context) layout.Dimensions {
				return segmented(gtx, th, []segment{{&s.langEN, "English", u.lang == English}, {&s.langZH, "中文", u.lang == Chinese}})
			})
		}),
		layout.Rigid(gap(spaceL)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return choice(gtx, th, w.Theme, func(gtx layout.Context) layout.Dimensions {
				return segmented(gtx, th, []segment{{&s.light, w.Light, !th.Dark}, {&s.dark, w.Dark, th.Dark}})
			})
		}),
		layout.Rigid(gap(spaceL)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return switchRow(gtx, u, &s.receipts, w.ReadReceipts, w.ReadReceiptsHint, !st.ReceiptsOff)
		}),
	}
	if desktop() && !st.NoAudio {
		items = append(items,
			layout.Rigid(gap(spaceL)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Flexed(1, th.label(textSmall, th.FgMuted, w.SoundDevicesHint).Layout),
					layout.Rigid(gap(spaceM)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&s.sound, secondaryButton, w.SoundDevices)
						b.icon, b.small = u.icons.devices, true
						return b.Layout(gtx)
					}),
				)
			}))
	}
	return s.card(gtx, u, w.Appearance, "", false, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, items...)
	})
}

// switchRow is a setting that is on or off: its name and hint, and a
// switch.
func switchRow(gtx layout.Context, u *UI, click *widget.Clickable, name, hint string, on bool) layout.Dimensions {
	th := u.th
	return click.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		semantic.Switch.Add(gtx.Ops)
		semantic.SelectedOp(on).Add(gtx.Ops)
		semantic.DescriptionOp(name).Add(gtx.Ops)
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(th.label(textBody, th.Fg, name).medium().Layout),
					layout.Rigid(gap(2)),
					layout.Rigid(th.label(textSmall, th.FgMuted, hint).Layout),
				)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return toggle(gtx, th, on, gtx.Focused(click)) }),
		)
	})
}

// toggle draws a switch, on or off.
func toggle(gtx layout.Context, th *theme, on, focused bool) layout.Dimensions {
	wd, ht := gtx.Dp(40), gtx.Dp(22)
	track := th.Border
	if on {
		track = th.Primary
	}
	rr := ht / 2
	paint.FillShape(gtx.Ops, track, clip.UniformRRect(image.Rect(0, 0, wd, ht), rr).Op(gtx.Ops))
	if focused {
		paint.FillShape(gtx.Ops, th.Primary, clip.Stroke{Path: clip.UniformRRect(image.Rect(-2, -2, wd+2, ht+2), rr+2).Path(gtx.Ops), Width: 2}.Op())
	}
	k := ht - gtx.Dp(4)
	x := gtx.Dp(2)
	if on {
		x = wd - k - gtx.Dp(2)
	}
	paint.FillShape(gtx.Ops, color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}, clip.Ellipse{Min: image.Pt(x, gtx.Dp(2)), Max: image.Pt(x+k, gtx.Dp(2)+k)}.Op(gtx.Ops))
	return layout.Dimensions{Size: image.Pt(wd, ht)}
}

func (s *settingsPane) password(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.sw()
	return s.card(gtx, u, w.Password, w.PasswordHint, false, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.fieldBlock(gtx, w.CurrentPassword, s.curPass, "")
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, w.NewPassword, s.newPass, "") }),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.fieldBlock(gtx, w.ConfirmPassword, s.confirmPass, "")
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return s.outcome(gtx, u, st, state.SectionPassword, w.PasswordChanged)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.E.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					b := th.button(&s.savePassword, primaryButton, w.ChangePassword)
					b.enabled = st.Settings.Busy == ""
					return b.Layout(gtx)
				})
			}),
		)
	})
}

// platformName is how a device's platform reads.
func platformName(p string) string {
	switch p {
	case "linux":
		return "Linux"
	case "windows":
		return "Windows"
	case "macos":
		return "macOS"
	case "android":
		return "Android"
	case "ios":
		return "iOS"
	case "web":
		return "Web"
	}
	return p
}

func (s *settingsPane) devices(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.sw()
	devs := st.Settings.Devices
	return s.card(gtx, u, w.Devices, w.DevicesHint, false, func(gtx layout.Context) layout.Dimensions {
		if !st.Settings.Loaded {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(th.label(textSmall, th.FgMuted, w.Loading).Layout),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.outcome(gtx, u, st, state.SectionDevices, "") }),
			)
		}
		rows := make([]layout.FlexChild, 0, 2*len(devs)+1)
		for i, d := range devs {
			if i > 0 {
				rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) })
				}))
			}
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.deviceRow(gtx, u, st, d) }))
		}
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.outcome(gtx, u, st, state.SectionDevices, "") }))
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
	})
}

func (s *settingsPane) deviceRow(gtx layout.Context, u *UI, st state.State, d proto.Device) layout.Dimensions {
	th, w, t := u.th, u.sw(), u.t()
	name := d.Name
	if name == "" {
		name = w.UnnamedDevice
	}
	var details []string
	if p := platformName(d.Platform); p != "" {
		details = append(details, p)
	}
	if d.Address != "" {
		details = append(details, d.Address)
	}
	if d.Online || d.Current {
		details = append(details, w.OnlineNow)
	} else if d.LastActive > 0 {
		details = append(details, fmt.Sprintf(w.LastActiveF, t.stamp(u.local(d.LastActive), u.today())))
	}
	click := s.revoke[d.ID]
	if click == nil {
		click = new(widget.Clickable)
		s.revoke[d.ID] = click
	}
	row := func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				sz := gtx.Dp(36)
				gtx.Constraints = layout.Exact(image.Pt(sz, sz))
				return th.surface(gtx, th.SurfaceAlt, color0, 18, func(gtx layout.Context) layout.Dimensions {
					return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Min.X = gtx.Dp(20)
						col := th.FgMuted
						if d.Online || d.Current {
							col = th.Success
						}
						icon := u.icons.computer
						switch d.Platform {
						case "android", "ios":
							icon = u.icons.phone
						case "web":
							icon = u.icons.web
						}
						return icon.Layout(gtx, col)
					})
				})
			}),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Flexed(1, th.label(textBody, th.Fg, name).medium().lines(1).userContent().Layout),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								if !d.Current {
									return layout.Dimensions{}
								}
								return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
									return th.surface(gtx, withAlpha(th.Primary, 0x1f), color0, 8, func(gtx layout.Context) layout.Dimensions {
										return layout.Inset{Left: 6, Right: 6, Top: 1, Bottom: 1}.Layout(gtx,
											th.label(textCaption, th.Primary, w.ThisDevice).medium().lines(1).Layout)
									})
								})
							}),
						)
					}),
					layout.Rigid(gap(2)),
					layout.Rigid(th.label(textSmall, th.FgMuted, strings.Join(details, " · ")).lines(2).Layout),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if d.Current {
					return layout.Dimensions{}
				}
				return layout.Inset{Left: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					b := th.button(click, secondaryButton, w.Revoke)
					b.small, b.enabled = true, st.Settings.Busy == ""
					return b.Layout(gtx)
				})
			}),
		)
	}
	if s.askRevoke != d.ID {
		return row(gtx)
	}
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(row),
		layout.Rigid(gap(spaceS)),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return confirmBox(gtx, u, fmt.Sprintf(w.RevokeAskF, name), &s.cancelRevoke, &s.confirmRevoke, w.RevokeYes)
		}),
	)
}

// confirmBox asks before something that cannot be undone.
func confirmBox(gtx layout.Context, u *UI, ask string, cancel, yes *widget.Clickable, yesText string) layout.Dimensions {
	th, t := u.th, u.t()
	return th.surface(gtx, th.DangerSoft, color0, radiusM, func(gtx layout.Context) layout.Dimensions {
		return layout.UniformInset(spaceM).Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			gtx.Constraints.Min.X = gtx.Constraints.Max.X
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(th.label(textSmall, th.Danger, ask).medium().Layout),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Middle, Spacing: layout.SpaceStart}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							b := th.button(cancel, ghostButton, t.Cancel)
							b.small = true
							return b.Layout(gtx)
						}),
						layout.Rigid(gap(spaceS)),
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							b := th.button(yes, rejectButton, yesText)
							b.small = true
							return b.Layout(gtx)
						}),
					)
				}),
			)
		})
	})
}

func (s *settingsPane) blocked(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.sw()
	users := st.Settings.Blocked
	return s.card(gtx, u, w.Blocked, w.BlockedHint, false, func(gtx layout.Context) layout.Dimensions {
		if !st.Settings.Loaded {
			return th.label(textSmall, th.FgMuted, w.Loading).Layout(gtx)
		}
		rows := make([]layout.FlexChild, 0, 2*len(users)+2)
		if len(users) == 0 {
			rows = append(rows, layout.Rigid(th.label(textBody, th.FgMuted, w.NoneBlocked).Layout))
		}
		for i, b := range users {
			click := s.unblock[b.ID]
			if click == nil {
				click = new(widget.Clickable)
				s.unblock[b.ID] = click
			}
			if i > 0 {
				rows = append(rows, layout.Rigid(gap(spaceS)))
			}
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.avatar(gtx, b.Name, int64(b.ID), 36) }),
					layout.Rigid(gap(spaceM)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
							layout.Rigid(th.label(textBody, th.Fg, b.Name).medium().lines(1).userContent().Layout),
							layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf("ID %d", b.ID)).Layout),
						)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						bt := th.button(click, secondaryButton, w.Unblock)
						bt.small, bt.enabled = true, st.Settings.Busy == ""
						return bt.Layout(gtx)
					}),
				)
			}))
		}
		rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.outcome(gtx, u, st, state.SectionBlocked, "") }))
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
	})
}

func (s *settingsPane) deletion(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w, t := u.th, u.sw(), u.t()
	return s.card(gtx, u, w.DeleteAccount, w.DeleteHint, true, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return th.fieldBlock(gtx, t.Password, s.delPass, "") }),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return s.outcome(gtx, u, st, state.SectionDelete, "") }),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if s.askDelete {
					return confirmBox(gtx, u, w.DeleteAsk, &s.cancelDelete, &s.confirmDelete, w.DeleteYes)
				}
				return layout.E.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					b := th.button(&s.deleteBtn, rejectButton, w.DeleteButton)
					b.enabled = st.Settings.Busy == "" && s.delPass.Text() != ""
					return b.Layout(gtx)
				})
			}),
		)
	})
}

// gearButton opens the Settings screen (in the profile card).
func (s *settingsPane) gearButton(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	if s.gear.Clicked(gtx) {
		if s.open {
			s.open = false
		} else {
			s.show(u, st)
		}
	}
	b := u.th.iconButton(&s.gear, u.icons.settings, u.sw().Settings)
	if s.open {
		b.color = u.th.Primary
	}
	return b.Layout(gtx)
}
