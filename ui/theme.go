package ui

import (
	"image"
	"image/color"
	"time"

	"gioui.org/font"
	"gioui.org/gesture"
	"gioui.org/op/paint"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/widget"
	"gioui.org/widget/material"

	"parley/app/state"
)

// Palette holds the colours of one theme. Every colour on screen comes
// from here, so light and dark differ only by palette.
type Palette struct {
	Bg         color.NRGBA // window background
	Surface    color.NRGBA // sidebar, cards, header
	SurfaceAlt color.NRGBA // inputs, hovered and selected rows
	Border     color.NRGBA // hairlines and input outlines
	Fg         color.NRGBA // primary text
	FgMuted    color.NRGBA // secondary text: IDs, times, hints
	Primary    color.NRGBA // buttons, links, focus, my bubbles
	OnPrimary  color.NRGBA // text on Primary
	Selected   color.NRGBA // the open conversation's row
	Bubble     color.NRGBA // other people's bubbles
	Danger     color.NRGBA // errors
	DangerSoft color.NRGBA // error backgrounds
	Success    color.NRGBA // online dots, "sent"
	Warning    color.NRGBA // connecting
	Accept     color.NRGBA // filled "accept call" buttons, the in-call tint
	Reject     color.NRGBA // filled "decline" and "hang up" buttons
}

// LightPalette and DarkPalette are the two themes.
var (
	LightPalette = Palette{
		Bg:         rgb(0xf4f5f7),
		Surface:    rgb(0xffffff),
		SurfaceAlt: rgb(0xeef0f4),
		Border:     rgb(0xdde1e7),
		Fg:         rgb(0x1b1f24),
		FgMuted:    rgb(0x5f6b7a),
		Primary:    rgb(0x2563eb),
		OnPrimary:  rgb(0xffffff),
		Selected:   rgb(0xe3ebfd),
		Bubble:     rgb(0xffffff),
		Danger:     rgb(0xc62828),
		DangerSoft: rgb(0xfdecec),
		Success:    rgb(0x16a34a),
		Warning:    rgb(0xd97706),
		Accept:     rgb(0x16a34a),
		Reject:     rgb(0xdc2626),
	}
	DarkPalette = Palette{
		Bg:         rgb(0x0f1115),
		Surface:    rgb(0x171a21),
		SurfaceAlt: rgb(0x222731),
		Border:     rgb(0x2c323d),
		Fg:         rgb(0xe6e9ee),
		FgMuted:    rgb(0x98a2b3),
		Primary:    rgb(0x4c8dff),
		OnPrimary:  rgb(0xffffff),
		Selected:   rgb(0x1f2b45),
		Bubble:     rgb(0x222731),
		Danger:     rgb(0xf87171),
		DangerSoft: rgb(0x3a1d1f),
		Success:    rgb(0x4ade80),
		Warning:    rgb(0xfbbf24),
		Accept:     rgb(0x16a34a),
		Reject:     rgb(0xdc2626),
	}
)

// The type scale, in sp. Every text on screen uses one of these sizes.
const (
	textCaption  unit.Sp = 12 // times, IDs, status lines
	textSmall    unit.Sp = 13 // previews, labels above fields
	textBody     unit.Sp = 14 // messages, inputs, buttons
	textTitle    unit.Sp = 16 // names in headers and rows
	textHeadline unit.Sp = 20 // screen titles
	textDisplay  unit.Sp = 28 // the app name, the new ID
)

// The spacing scale, in dp. Every gap and padding is one of these.
const (
	spaceXS unit.Dp = 4
	spaceS  unit.Dp = 8
	spaceM  unit.Dp = 12
	spaceL  unit.Dp = 16
	spaceXL unit.Dp = 24
	spaceXX unit.Dp = 32
)

// Corner radii and fixed sizes.
const (
	radiusS      unit.Dp = 6
	radiusM      unit.Dp = 10
	radiusL      unit.Dp = 14
	controlH     unit.Dp = 40 // buttons and single-line inputs
	sidebarW     unit.Dp = 320
	narrowBelow  unit.Dp = 720 // narrower windows show one pane at a time
	bubbleMaxW   unit.Dp = 560
	avatarS      unit.Dp = 28
	avatarM      unit.Dp = 36
	avatarL      unit.Dp = 44
	composerMaxH unit.Dp = 140
	avatarXL     unit.Dp = 72  // the caller in the incoming-call dialog
	dialogW      unit.Dp = 340 // the incoming-call dialog
	fileCardW    unit.Dp = 320 // file messages
	barH         unit.Dp = 4   // progress bars and the level meter
)

// theme is the palette plus the material theme that carries the shaper.
type theme struct {
	Palette
	Dark    bool
	mat     *material.Theme
	corners cornerCache
	// pictures are the profile pictures avatars draw, and picOps their
	// uploaded images (settings_avatar.go).
	pictures      state.Pictures
	groupPictures state.GroupPictures // groups' pictures (settings_avatar.go)
	picOps        map[image.Image]paint.ImageOp
	// hovered holds when the pointer came to rest on each icon button
	// it is on, for tooltips.
	hovered map[any]time.Time
	// hovers are the icon buttons' hover areas, which tooltips read, with
	// the frame each was last drawn in; frame counts frames.
	hovers map[*widget.Clickable]*hoverArea
	frame  uint64
	// clipped, if set, is told the text of every label and hint that
	// does not fit (tests check that none is).
	clipped func(text string)
}

func newTheme(shaper *text.Shaper, dark bool) *theme {
	th := &theme{Dark: dark, mat: material.NewTheme(), corners: cornerCache{}, hovered: map[any]time.Time{}, hovers: map[*widget.Clickable]*hoverArea{}}
	th.mat.Shaper = shaper
	th.setDark(dark)
	return th
}

// hoverArea is an icon button's hover area.
type hoverArea struct {
	gesture.Hover
	frame uint64
}

// endFrame forgets the hover state of buttons this frame did not draw
// (a dismissed notice's, a closed conversation's).
func (th *theme) endFrame() {
	for c, h := range th.hovers {
		if h.frame != th.frame {
			delete(th.hovers, c)
			delete(th.hovered, c)
		}
	}
	th.frame++
}

func (th *theme) setDark(dark bool) {
	th.Dark = dark
	th.Palette = LightPalette
	if dark {
		th.Palette = DarkPalette
	}
	th.mat.Palette = material.Palette{Bg: th.Surface, Fg: th.Fg, ContrastBg: th.Primary, ContrastFg: th.OnPrimary}
	th.mat.TextSize = textBody
}

// Fonts used by the screens: the typeface list puts Go first for Latin
// text; runes Go lacks fall back to the CJK face in the collection.
var (
	fontRegular = font.Font{}
	fontBold    = font.Font{Weight: font.Bold}
	fontMedium  = font.Font{Weight: font.Medium}
)

func rgb(c uint32) color.NRGBA {
	return color.NRGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 0xff}
}

// withAlpha returns c with alpha a (0..255), for hovers and tints.
func withAlpha(c color.NRGBA, a uint8) color.NRGBA {
	c.A = uint8(uint16(c.A) * uint16(a) / 255)
	return c
}
