package ui

import (
	"fmt"
	"image"

	"gioui.org/io/key"
	"gioui.org/layout"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// The preview of files picked together when one is a picture
// (State.Picked): the pictures, the other files by name and size, one
// caption field, Cancel and Send. The caption goes with the first file:
// a message's text sits under its picture, and one caption for a batch
// is what people write (a caption per picture would be a field per
// row for little gain). Enter sends; Esc cancels.
type sendPreview struct {
	shown, done  uint64 // the Picked.ID shown, and the one answered
	caption      *field
	send, cancel widget.Clickable
	scrim        int
	focus        bool
}

// maxPreviewRows is how many files the preview lists: more would push
// its buttons out of a phone's screen.
const maxPreviewRows = 5

// escape cancels the preview shown; false if none is.
func (p *sendPreview) escape(u *UI, st state.State) bool {
	if st.Picked == nil || st.Picked.ID == p.done {
		return false
	}
	p.done = st.Picked.ID
	u.emit(SendPictures{Cancel: true})
	return true
}

// previewLayout draws the preview over the window, if files wait in it.
func (u *UI) previewLayout(gtx layout.Context, st state.State) {
	p := &u.conv.msgs.pics.preview
	pk := st.Picked
	if pk == nil || pk.ID == p.done {
		return
	}
	if p.caption == nil {
		p.caption = newField(true)
	}
	if pk.ID != p.shown {
		p.shown, p.focus = pk.ID, true
		p.caption.SetText("")
	}
	if p.focus {
		p.focus = false
		gtx.Execute(key.FocusCmd{Tag: &p.caption.Editor})
		// Also what a click on the field asks: the browser's text input
		// (Gio's textarea) takes the keys only then, a phone shows its
		// keyboard.
		gtx.Execute(key.SoftKeyboardCmd{Show: true})
	}
	if p.send.Clicked(gtx) || p.caption.submitted(gtx) {
		p.done = pk.ID
		u.emit(SendPictures{Caption: p.caption.Text()})
		return
	}
	if p.cancel.Clicked(gtx) {
		p.done = pk.ID
		u.emit(SendPictures{Cancel: true})
		return
	}
	th, w := u.th, u.picw()
	title := w.SendPictures
	if len(pk.Files) > 1 {
		title = fmt.Sprintf(w.SendPicturesF, len(pk.Files))
	}
	overlayCard(gtx, u, &p.scrim, gtx.Constraints.Max, func(gtx layout.Context) layout.Dimensions {
		rows := []layout.FlexChild{
			layout.Rigid(th.label(textTitle, th.Fg, title).bold().Layout),
			layout.Rigid(gap(spaceM)),
		}
		if len(pk.Files) == 1 && pk.Files[0].Preview != nil {
			f := pk.Files[0]
			rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				box := pictureBox(gtx, f.Width, f.Height, gtx.Constraints.Max.X)
				return layout.Flex{Axis: layout.Vertical, Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						u.conv.msgs.pics.drawCover(gtx, f.Preview, box, gtx.Dp(radiusM))
						return layout.Dimensions{Size: box}
					}),
					layout.Rigid(gap(spaceS)),
					layout.Rigid(th.label(textCaption, th.FgMuted, f.Name+" · "+proto.FormatSize(f.Size)).lines(1).userContent().Layout),
				)
			}))
		} else {
			shown := pk.Files
			if len(shown) > maxPreviewRows {
				shown = shown[:maxPreviewRows-1] // and a line for the rest
			}
			for _, f := range shown {
				rows = append(rows, layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					return layout.Inset{Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
						return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
							layout.Rigid(func(gtx layout.Context) layout.Dimensions {
								if f.Preview == nil {
									return fileTile(gtx, th, u.icons.file, avatarL)
								}
								s := gtx.Dp(avatarL)
								u.conv.msgs.pics.drawCover(gtx, f.Preview, image.Pt(s, s), gtx.Dp(radiusS))
								return layout.Dimensions{Size: image.Pt(s, s)}
							}),
							layout.Rigid(gap(spaceM)),
							layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
								return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
									layout.Rigid(th.label(textBody, th.Fg, f.Name).medium().lines(1).userContent().Layout),
									layout.Rigid(th.label(textCaption, th.FgMuted, proto.FormatSize(f.Size)).Layout),
								)
							}),
						)
					})
				}))
			}
			if more := len(pk.Files) - len(shown); more > 0 {
				rows = append(rows, layout.Rigid(th.label(textSmall, th.FgMuted, fmt.Sprintf(w.MoreF, more)).Layout))
			}
		}
		rows = append(rows,
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return th.input(gtx, p.caption, w.CaptionHint, w.Caption)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				if len(pk.Files) < 2 {
					return layout.Dimensions{}
				}
				return layout.Inset{Top: spaceXS}.Layout(gtx, th.label(textCaption, th.FgMuted, w.CaptionNote).Layout)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				return layout.Flex{Spacing: layout.SpaceStart, Alignment: layout.Middle}.Layout(gtx,
					layout.Rigid(th.button(&p.cancel, secondaryButton, w.CancelSend).Layout),
					layout.Rigid(gap(spaceS)),
					layout.Rigid(func(gtx layout.Context) layout.Dimensions {
						b := th.button(&p.send, primaryButton, w.SendNow)
						b.icon = u.icons.send
						return b.Layout(gtx)
					}),
				)
			}),
		)
		gtx.Constraints.Min.X = gtx.Constraints.Max.X
		return layout.Flex{Axis: layout.Vertical}.Layout(gtx, rows...)
	})
}
