package ui

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// fileBar is the seed's file bar, above the composer: a button that opens
// the platform's file picker, a path field (desktop), and the target: the
// open conversation, or a user ID. The composer's paper clip opens it.
type fileBar struct {
	open                       bool
	path, target               *field
	attach, choose, send, shut widget.Clickable
	pickerFailed, focusPath    bool
	// sent is the path sent last and sentAt state.PathsSent then: the
	// field is cleared once the model accepts it, and keeps it when the
	// model says what is wrong (state.PathError), until it is edited
	// (hidden is that error's ID).
	sent           string
	sentAt, hidden uint64
}

func (f *fileBar) init() {
	f.path = newField(true)
	f.target = newField(true)
	f.target.Filter = "0123456789"
}

func (f *fileBar) reset() {
	f.open, f.pickerFailed, f.focusPath = false, false, false
	f.sent = ""
	f.path.SetText("")
	f.target.SetText("")
}

func (f *fileBar) update(gtx layout.Context, u *UI, st state.State) {
	if st.PathsSent != f.sentAt && f.sent != "" {
		if strings.TrimSpace(f.path.Text()) == f.sent {
			f.path.SetText("") // on its way
		}
		f.sent = ""
	}
	if e := st.PathError; e != nil && e.ID > f.hidden && !f.open {
		f.open = true // a picked path that failed: say so where the field is
	}
	if f.attach.Clicked(gtx) {
		f.open = !f.open
		f.focusPath = f.open && desktop()
	}
	if f.shut.Clicked(gtx) {
		f.open, f.pickerFailed = false, false
	}
	target := strings.TrimSpace(f.target.Text())
	if f.choose.Clicked(gtx) {
		u.emit(PickFile{Target: target})
	}
	send := f.send.Clicked(gtx)
	for {
		ev, ok := f.path.Update(gtx)
		if !ok {
			break
		}
		switch ev.(type) {
		case widget.SubmitEvent:
			send = true
		case widget.ChangeEvent:
			if st.PathError != nil {
				f.hidden = st.PathError.ID // being fixed
			}
		}
	}
	if f.target.submitted(gtx) {
		send = true
	}
	if send {
		if p := strings.TrimSpace(f.path.Text()); p != "" {
			u.emit(SendFile{Path: p, Target: target})
			// The path stays until the model takes it: a mistyped one
			// is to be fixed, not typed again.
			f.sent, f.sentAt = p, st.PathsSent
			if st.PathError != nil {
				f.hidden = st.PathError.ID
			}
			f.pickerFailed = false
		} else if desktop() {
			f.focusPath = true
		}
	}
	if f.focusPath {
		f.focusPath = false
		gtx.Execute(key.FocusCmd{Tag: &f.path.Editor})
	}
}

// pathError words what is wrong with a path sent from the file bar.
func (u *UI) pathError(n state.Notice) string {
	if n.Detail == state.InputNoSuchFile && len(n.Args) == 1 {
		return fmt.Sprintf(u.cw().NoFileF, n.Args[0])
	}
	return u.t().notice(n)
}

// PickerFailed tells the UI that the file picker could not be opened:
// the file bar says so and puts the cursor in its path field. Call it on
// the UI goroutine, like Layout.
func (u *UI) PickerFailed() {
	f := &u.conv.files
	f.open, f.pickerFailed, f.focusPath = true, true, desktop()
}

func (f *fileBar) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, t := u.th, u.t()
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	note, noteColor := fmt.Sprintf(t.GoesToF, st.Open.Name), th.FgMuted
	if id := strings.TrimSpace(f.target.Text()); id != "" {
		note = fmt.Sprintf(t.GoesToUserF, id)
	}
	if f.pickerFailed {
		note, noteColor = t.NoPicker, th.Warning
	}
	if e := st.PathError; e != nil && e.ID > f.hidden {
		note, noteColor = u.pathError(*e), th.Danger
	}
	choose := func(gtx layout.Context) layout.Dimensions {
		b := th.button(&f.choose, secondaryButton, t.ChooseFile)
		b.icon = u.icons.attach
		return b.Layout(gtx)
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceL, Right: spaceM, Top: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !desktop() {
					return layout.Dimensions{}
				}
				return layout.Inset{Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
						layout.Rigid(choose),
						layout.Rigid(gap(spaceS)),
						layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
							return th.input(gtx, f.path, t.FilePathHint, t.FilePath)
						}),
					)
				})
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if desktop() {
							return layout.Dimensions{}
						}
						return layout.Inset{Right: spaceS}.Layout(gtx, choose)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						gtx.Constraints.Max.X = min(gtx.Constraints.Max.X/2, gtx.Dp(240))
						gtx.Constraints.Min.X = gtx.Constraints.Max.X
						return th.input(gtx, f.target, t.SendToHint, t.SendTo)
					}),
					layout.Rigid(gap(spaceM)),
					layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
						if u.narrow {
							return layout.Dimensions{Size: image.Pt(gtx.Constraints.Min.X, 0)}
						}
						return th.label(textSmall, noteColor, note).lines(2).Layout(gtx)
					}),
					layout.Rigid(gap(spaceS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						if !desktop() {
							return layout.Dimensions{}
						}
						b := th.button(&f.send, primaryButton, t.SendFile)
						b.icon = u.icons.upload
						return b.Layout(gtx)
					}),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Inset{Left: spaceXS}.Layout(gtx, th.iconButton(&f.shut, u.icons.close, t.CloseFiles).Layout)
					}),
				)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if !u.narrow {
					return layout.Dimensions{}
				}
				return layout.Inset{Top: spaceXS}.Layout(gtx, th.label(textSmall, noteColor, note).lines(2).Layout)
			}),
		)
	})
}

// transferList is the strip of transfer rows, between the messages and
// the composer: the open conversation's transfers that are moving,
// paused or failed, or finished while it was open; and those of other
// conversations while they move (a file sent to a user ID from here goes
// to their direct chat), named by their conversation.
type transferList struct {
	list   layout.List
	rows   map[string]*transferRow
	conv   proto.ConvID
	old    map[string]bool // finished before this visit of the conversation: not shown
	seen   map[string]bool // seen unfinished during this visit
	hidden map[string]bool // finished rows the user closed
}

// transferRow holds one row's buttons and what they act on.
type transferRow struct {
	pause, resume, cancel, retry, open, show, dismiss widget.Clickable
	state                                             state.TransferState
}

func (l *transferList) init() {
	l.list.Axis = layout.Vertical
	l.rows, l.old, l.seen, l.hidden = map[string]*transferRow{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
}

func (l *transferList) reset() {
	l.conv = 0
	clear(l.rows)
	clear(l.old)
	clear(l.seen)
	clear(l.hidden)
}

func finished(s state.TransferState) bool {
	return s == state.TransferDone || s == state.TransferCanceled
}

// visible lists the transfers to show while conversation conv is open.
func (l *transferList) visible(st state.State) []state.Transfer {
	conv := st.Open.ID
	if conv != l.conv {
		l.conv = conv
		clear(l.old)
		clear(l.seen)
		clear(l.hidden)
		for _, tr := range st.Transfers {
			if finished(tr.State) {
				l.old[tr.ID] = true
			}
		}
	}
	var out []state.Transfer
	for _, tr := range st.Transfers {
		if l.old[tr.ID] || l.hidden[tr.ID] {
			continue
		}
		if !finished(tr.State) {
			l.seen[tr.ID] = true
		}
		if tr.Conv == conv || l.seen[tr.ID] {
			out = append(out, tr)
		}
	}
	return out
}

func (l *transferList) update(gtx layout.Context, u *UI) {
	for id, r := range l.rows {
		if r.pause.Clicked(gtx) {
			u.emit(PauseTransfer{ID: id})
		}
		if r.resume.Clicked(gtx) || r.retry.Clicked(gtx) {
			u.emit(ResumeTransfer{ID: id})
		}
		if r.cancel.Clicked(gtx) {
			u.emit(CancelTransfer{ID: id})
		}
		if r.open.Clicked(gtx) {
			u.emit(OpenFile{ID: id})
		}
		if r.show.Clicked(gtx) {
			u.emit(ShowInFolder{ID: id})
		}
		if r.dismiss.Clicked(gtx) {
			if r.state == state.TransferDone {
				// The record stays: the file message opens the file
				// through it.
				l.hidden[id] = true
			} else {
				u.emit(DismissTransfer{ID: id})
			}
		}
	}
}

// maxTransferRows is how many rows the strip shows before it scrolls.
const maxTransferRows = 3

func (l *transferList) layout(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	trs := l.visible(st)
	live := make(map[string]bool, len(trs))
	for _, tr := range trs {
		live[tr.ID] = true
		if l.rows[tr.ID] == nil {
			l.rows[tr.ID] = new(transferRow)
		}
		l.rows[tr.ID].state = tr.State
	}
	for id := range l.rows {
		if !live[id] {
			delete(l.rows, id)
		}
	}
	if len(trs) == 0 {
		return layout.Dimensions{}
	}
	th := u.th
	return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
		layout.Rigid(func(gtx layout.Context) layout.Dimensions { return rule(gtx, th.Border, false) }),
		layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			return layout.Background{}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
				return th.fill(gtx, th.Surface, 0)
			}, func(gtx layout.Context) layout.Dimensions {
				gtx.Constraints.Min.X = gtx.Constraints.Max.X
				gtx.Constraints.Max.Y = min(gtx.Constraints.Max.Y, gtx.Dp(64)*maxTransferRows+gtx.Dp(spaceS))
				return layout.Inset{Top: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
					return l.list.Layout(gtx, len(trs), func(gtx layout.Context, i int) layout.Dimensions {
						where := ""
						if c := trs[i].Conv; c != st.Open.ID {
							where = fmt.Sprintf(u.t().GroupIF, c)
							for _, cv := range st.Conversations {
								if cv.ID == c {
									where = cv.Name
								}
							}
						}
						return transferRowLayout(gtx, u, trs[i], where, l.rows[trs[i].ID])
					})
				})
			})
		}),
	)
}

// transferStatus says where a transfer stands: "Sending · 45% · 3.2 MB/s ·
// 12 s left", "Paused · 4.1 MB of 12.4 MB", "Saved to …".
func (c *catalog) transferStatus(tr state.Transfer) (string, bool) {
	verb := c.Uploading
	if tr.Direction == state.Download {
		verb = c.Downloading
	}
	pct := ""
	if tr.Size > 0 {
		pct = fmt.Sprintf("%d%%", min(tr.Done*100/tr.Size, 100))
	}
	parts := []string{}
	switch tr.State {
	case state.TransferQueued:
		parts = append(parts, c.Waiting)
		if tr.Error != nil {
			parts = append(parts, c.errorText(*tr.Error))
		}
	case state.TransferActive:
		switch {
		case tr.Preparing:
			// Copying the picked file into the app (or memory): the
			// size may be unknown, so say how much is copied.
			parts = append(parts, c.Preparing)
			if tr.Done > 0 {
				parts = append(parts, proto.FormatSize(tr.Done))
			}
			return strings.Join(parts, " · "), false
		case tr.Checking:
			verb = c.Checking
		}
		parts = append(parts, verb, pct)
		if tr.Speed > 0 && !tr.Checking {
			parts = append(parts, fmt.Sprintf(c.SpeedF, proto.FormatSize(int64(tr.Speed))))
		}
		if tr.ETA >= 0 && tr.Speed > 0 {
			parts = append(parts, fmt.Sprintf(c.LeftF, c.left(tr.ETA)))
		}
	case state.TransferPaused:
		parts = append(parts, c.Paused, fmt.Sprintf(c.OfF, proto.FormatSize(tr.Done), proto.FormatSize(tr.Size)))
	case state.TransferFailed:
		s := c.TransferFailed
		if tr.Error != nil {
			s += " — " + c.errorText(*tr.Error)
		}
		return s, true
	case state.TransferDone:
		if tr.Direction == state.Download {
			if tr.Path == "" { // handed to the browser
				return c.Saved, false
			}
			return fmt.Sprintf(c.SavedToF, tr.Path), false
		}
		return c.Uploaded, false
	case state.TransferCanceled:
		return c.Canceled, false
	}
	return strings.Join(parts, " · "), false
}

// transferRowLayout is one transfer: its name and size, a progress bar,
// where it stands, and what can be done with it. where names its
// conversation when that is not the open one.
func transferRowLayout(gtx layout.Context, u *UI, tr state.Transfer, where string, r *transferRow) layout.Dimensions {
	th, t := u.th, u.t()
	status, failed := t.transferStatus(tr)
	if where != "" {
		status = where + " · " + status
	}
	statusColor := th.FgMuted
	if failed {
		statusColor = th.Danger
	}
	icon := u.icons.upload
	if tr.Direction == state.Download {
		icon = u.icons.download
	}
	var buttons []layout.FlexChild
	button := func(c *widget.Clickable, ic *widget.Icon, desc string) {
		buttons = append(buttons, layout.Rigid(th.iconButton(c, ic, desc).Layout))
	}
	switch tr.State {
	case state.TransferQueued, state.TransferActive:
		if !tr.Preparing { // a copy being made can be cancelled, not paused
			button(&r.pause, u.icons.pause, t.Pause)
		}
		button(&r.cancel, u.icons.close, t.CancelTransfer)
	case state.TransferPaused:
		button(&r.resume, u.icons.play, t.Resume)
		button(&r.cancel, u.icons.close, t.CancelTransfer)
	case state.TransferFailed:
		button(&r.retry, u.icons.retry, t.Retry)
		button(&r.dismiss, u.icons.close, t.RemoveTransfer)
	case state.TransferDone:
		if tr.Path != "" { // the browser keeps no local file
			button(&r.open, u.icons.openFile, t.OpenFile)
			button(&r.show, u.icons.folder, t.ShowInFolder)
		}
		button(&r.dismiss, u.icons.close, t.RemoveTransfer)
	default:
		button(&r.dismiss, u.icons.close, t.RemoveTransfer)
	}
	bar := th.Primary
	switch tr.State {
	case state.TransferPaused, state.TransferQueued:
		bar = th.Warning
	case state.TransferFailed:
		bar = th.Danger
	case state.TransferDone:
		bar = th.Success
	}
	gtx.Constraints.Min.X = gtx.Constraints.Max.X
	return layout.Inset{Left: spaceL, Right: spaceS, Top: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		children := []layout.FlexChild{
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return fileTile(gtx, th, icon, avatarM) }),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Baseline}.Layout(gtx,
							layout.Flexed(1, th.label(textBody, th.Fg, tr.Name).medium().lines(1).userContent().Layout),
							layout.Rigid(gap(spaceS)),
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								if tr.Size == 0 && tr.Preparing {
									return layout.Dimensions{} // not known until it is copied
								}
								return th.label(textCaption, th.FgMuted, proto.FormatSize(tr.Size)).Layout(gtx)
							}),
						)
					}),
					layout.Rigid(gap(6)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						frac := float32(1)
						if tr.Size > 0 && tr.State != state.TransferDone {
							frac = float32(tr.Done) / float32(tr.Size)
						}
						return progressBar(gtx, th, frac, bar)
					}),
					layout.Rigid(gap(spaceXS)),
					layout.Rigid(th.label(textCaption, statusColor, status).lines(2).Layout),
				)
			}),
			layout.Rigid(gap(spaceS)),
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, append(children, buttons...)...)
	})
}

// progressBar is a thin bar, frac of it filled with c.
func progressBar(gtx layout.Context, th *theme, frac float32, c color.NRGBA) layout.Dimensions {
	w, h := gtx.Constraints.Max.X, gtx.Dp(barH)
	th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, w, h), h/2, th.SurfaceAlt)
	if fill := int(float32(w) * min(max(frac, 0), 1)); fill > 0 {
		th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, max(fill, h), h), h/2, c)
	}
	return layout.Dimensions{Size: image.Pt(w, h)}
}

// fileTile is a file's icon on a tinted rounded square.
func fileTile(gtx layout.Context, th *theme, icon *widget.Icon, d unit.Dp) layout.Dimensions {
	s := gtx.Dp(d)
	gtx.Constraints = layout.Exact(image.Pt(s, s))
	th.fill(gtx, blend(th.Surface, th.Primary, 0x24), radiusS)
	return layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = s * 5 / 9
		return icon.Layout(gtx, th.Primary)
	})
}

// fileButtons are the actions of one file message.
type fileButtons struct {
	save, open, show widget.Clickable
	transfer         string // the transfer Open and Show in folder act on
}

// fileActions finds, for each file message, the transfer that saved or
// sent it: a download of its file, or my upload (the upload's ID is the
// message's client ID).
type fileActions struct {
	downloads map[string]state.Transfer // by file ID, the newest
	uploads   map[string]state.Transfer // by transfer ID
}

func newFileActions(trs []state.Transfer) fileActions {
	fa := fileActions{downloads: map[string]state.Transfer{}, uploads: map[string]state.Transfer{}}
	for _, tr := range trs {
		if tr.Direction == state.Download {
			fa.downloads[tr.FileID] = tr
		} else {
			fa.uploads[tr.ID] = tr
		}
	}
	return fa
}

// transferOf is the transfer of message m, if any.
func (fa fileActions) transferOf(m state.Message) (state.Transfer, bool) {
	if tr, ok := fa.downloads[m.File.ID]; ok && tr.State != state.TransferCanceled {
		return tr, true
	}
	if m.Mine && m.ClientID != "" {
		if tr, ok := fa.uploads[m.ClientID]; ok && tr.State == state.TransferDone {
			return tr, true
		}
	}
	return state.Transfer{}, false
}

// fileCard is the body of a file message: the file's name and size, its
// caption, and Save, or the download's progress, or Open and Show in
// folder.
func (l *msgList) fileCard(gtx layout.Context, u *UI, m state.Message, fb *fileButtons) layout.Dimensions {
	th := u.th
	f := m.File
	tr, haveTr := l.actions.transferOf(m)
	fb.transfer = ""
	if haveTr {
		fb.transfer = tr.ID
	}
	bg, border := th.Bubble, th.Border
	if m.Mine {
		bg, border = th.Selected, color0
	}
	if th.Dark {
		border = color0
	}
	w := min(gtx.Dp(fileCardW), gtx.Constraints.Max.X)
	gtx.Constraints.Min.X, gtx.Constraints.Max.X = w, w
	return th.surface(gtx, bg, border, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceM, Right: spaceM, Top: spaceM, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions { return fileTile(gtx, th, u.icons.file, avatarL) }),
						layout.Rigid(gap(spaceM)),
						layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
							return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
								layout.Rigid(th.label(textBody, th.Fg, f.Name).medium().lines(2).Layout),
								layout.Rigid(gap(2)),
								layout.Rigid(th.label(textCaption, th.FgMuted, proto.FormatSize(f.Size)).Layout),
							)
						}),
					)
				}),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					if strings.TrimSpace(m.Text) == "" {
						return layout.Dimensions{}
					}
					return layout.Inset{Top: spaceS}.Layout(gtx, th.label(textBody, th.Fg, m.Text).Layout)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return l.fileFooter(gtx, u, tr, haveTr, fb)
				}),
			)
		})
	})
}

func (l *msgList) fileFooter(gtx layout.Context, u *UI, tr state.Transfer, haveTr bool, fb *fileButtons) layout.Dimensions {
	th, t := u.th, u.t()
	small := func(c *widget.Clickable, label string, icon *widget.Icon) layout.FlexChild {
		return layout.Rigid(func(gtx layout.Context) layout.Dimensions {
			b := th.button(c, ghostButton, label)
			b.small, b.icon = true, icon
			return b.Layout(gtx)
		})
	}
	switch {
	case haveTr && tr.State == state.TransferDone && tr.Path != "":
		// Where the two do not fit with their words (a narrow card), they
		// are icons with tooltips.
		open, show := th.button(&fb.open, ghostButton, t.Open), th.button(&fb.show, ghostButton, t.ShowInFolder)
		open.small, open.icon, show.small, show.icon = true, u.icons.openFile, true, u.icons.folder
		if open.width(gtx)+show.width(gtx) > gtx.Constraints.Max.X {
			icon := func(c *widget.Clickable, ic *widget.Icon, desc string) layout.FlexChild {
				return layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					b := th.iconButton(c, ic, desc)
					b.color = th.Primary
					return b.Layout(gtx)
				})
			}
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				icon(&fb.open, u.icons.openFile, t.Open),
				icon(&fb.show, u.icons.folder, t.ShowInFolder),
			)
		}
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx, layout.Rigid(open.Layout), layout.Rigid(show.Layout))
	case haveTr && tr.State != state.TransferFailed && tr.State != state.TransferDone:
		status, _ := t.transferStatus(tr)
		return layout.Inset{Top: spaceXS, Bottom: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					frac := float32(0)
					if tr.Size > 0 {
						frac = float32(tr.Done) / float32(tr.Size)
					}
					return progressBar(gtx, th, frac, th.Primary)
				}),
				layout.Rigid(gap(spaceXS)),
				layout.Rigid(th.label(textCaption, th.FgMuted, status).lines(2).Layout),
			)
		})
	}
	return layout.Flex{Alignment: layout.Middle}.Layout(gtx, small(&fb.save, t.Save, u.icons.download))
}
