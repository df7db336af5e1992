package ui

import (
	"fmt"
	"image"
	"strings"
	"time"

	"gioui.org/io/event"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
	"parley/net/proto"
)

// Voice message player events.
type (
	// PlayVoice plays the voice message of message Seq of Conv (from
	// where it was paused).
	PlayVoice struct {
		Conv proto.ConvID
		Seq  int64
	}
	// PauseVoice pauses the voice message playing.
	PauseVoice struct{}
	// SeekVoice moves the voice message of message Seq of Conv to
	// Position, playing it if it is not the one playing.
	SeekVoice struct {
		Conv     proto.ConvID
		Seq      int64
		Position time.Duration
	}
	// VoiceSpeed sets the playback speed: 1, 1.5 or 2.
	VoiceSpeed struct{ Speed float64 }
)

func (PlayVoice) isEvent()  {}
func (PauseVoice) isEvent() {}
func (SeekVoice) isEvent()  {}
func (VoiceSpeed) isEvent() {}

// voiceSpeeds is the speed toggle's cycle.
var voiceSpeeds = [...]float64{1, 1.5, 2}

// voiceBubble is one voice message's controls: play or pause, the
// waveform (the played part coloured; a click or a drag seeks), the
// position or length, the speed toggle, and the unplayed dot.
type voiceBubble struct {
	play, speed widget.Clickable
	dragging    bool
	dragFrac    float32
	waveW       int // the waveform's width last frame
}

const (
	waveH   unit.Dp = 28
	waveBar unit.Dp = 2 // a bar's width; bars are 2 apart
)

// voiceBubbles are the bubbles' states, by seq.
type voiceBubbles map[int64]*voiceBubble

func (vb *voiceBubbles) of(seq int64) *voiceBubble {
	if *vb == nil {
		*vb = voiceBubbles{}
	}
	b := (*vb)[seq]
	if b == nil {
		b = new(voiceBubble)
		(*vb)[seq] = b
	}
	return b
}

// current is the playback of m, if m is the message playing or paused.
func current(st state.State, m state.Message) *state.Playback {
	if p := st.Voice.Playing; p != nil && p.Conv == m.Conv && p.Seq == m.Seq {
		return p
	}
	return nil
}

// length is the voice message's length: as the player knows it, or as
// the message says.
func voiceLength(st state.State, m state.Message) time.Duration {
	if p := current(st, m); p != nil && p.Length > 0 {
		return p.Length
	}
	if m.File.Voice != nil {
		return time.Duration(m.File.Voice.DurationMS) * time.Millisecond
	}
	return 0
}

// update handles the bubble's input.
func (b *voiceBubble) update(gtx layout.Context, u *UI, st state.State, m state.Message) {
	p := current(st, m)
	if b.play.Clicked(gtx) {
		if p != nil && p.Playing {
			u.emit(PauseVoice{})
		} else {
			u.emit(PlayVoice{Conv: m.Conv, Seq: m.Seq})
		}
	}
	if b.speed.Clicked(gtx) {
		next := voiceSpeeds[0]
		for i, s := range voiceSpeeds {
			if s == st.Voice.SpeedOr1() {
				next = voiceSpeeds[(i+1)%len(voiceSpeeds)]
			}
		}
		u.emit(VoiceSpeed{Speed: next})
	}
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: b, Kinds: pointer.Press | pointer.Drag | pointer.Release | pointer.Cancel})
		if !ok {
			break
		}
		e, ok := ev.(pointer.Event)
		if !ok || b.waveW <= 0 {
			continue
		}
		frac := min(1, max(0, e.Position.X/float32(b.waveW)))
		switch e.Kind {
		case pointer.Press, pointer.Drag:
			b.dragging, b.dragFrac = true, frac
		case pointer.Release:
			if b.dragging {
				b.dragging = false
				if l := voiceLength(st, m); l > 0 {
					pos := time.Duration(float64(frac) * float64(l))
					if p == nil {
						u.emit(PlayVoice{Conv: m.Conv, Seq: m.Seq})
					}
					u.emit(SeekVoice{Conv: m.Conv, Seq: m.Seq, Position: pos})
				}
			}
		case pointer.Cancel:
			b.dragging = false
		}
	}
}

// voiceCard is the body of a voice message.
func (l *msgList) voiceCard(gtx layout.Context, u *UI, st state.State, m state.Message) layout.Dimensions {
	th, w := u.th, u.vw()
	b := l.voices.of(m.Seq)
	b.update(gtx, u, st, m)
	p := current(st, m)
	length := voiceLength(st, m)
	var frac float32
	pos := time.Duration(0)
	if p != nil && length > 0 {
		pos = p.Position
		frac = float32(float64(p.Position) / float64(length))
	}
	if b.dragging {
		frac = b.dragFrac
		pos = time.Duration(float64(frac) * float64(length))
	}
	bg, border := th.Bubble, th.Border
	if m.Mine {
		bg, border = th.Selected, color0
	}
	if th.Dark {
		border = color0
	}
	wd := min(gtx.Dp(fileCardW), gtx.Constraints.Max.X)
	gtx.Constraints.Min.X, gtx.Constraints.Max.X = wd, wd
	var levels []byte
	if m.File.Voice != nil {
		levels = m.File.Voice.Waveform
	}
	return th.surface(gtx, bg, border, radiusL, func(gtx layout.Context) layout.Dimensions {
		return layout.Inset{Left: spaceS, Right: spaceM, Top: spaceS, Bottom: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
			return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
				layout.Rigid(func(gtx layout.Context) layout.Dimensions {
					icon, desc := u.icons.play, w.Play
					if p != nil && p.Playing {
						icon, desc = u.icons.pause, w.Pause
					}
					ib := th.iconButton(&b.play, icon, desc)
					ib.size, ib.color, ib.bg, ib.tip = controlH, th.OnPrimary, th.Primary, tipStart|tipAbove
					if p != nil && p.Loading {
						ib.bg = th.FgMuted
					}
					return ib.Layout(gtx)
				}),
				layout.Rigid(gap(spaceS)),
				layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
					return layout.Flex{Axis: layout.Vertical}.Layout(gtx,
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							return b.wave(gtx, th, levels, frac, w.Seek)
						}),
						layout.Rigid(gap(2)),
						layout.Rigid(func(gtx layout.Context) layout.Dimensions {
							text := voiceClock(length)
							if p != nil && (p.Playing || pos > 0) || b.dragging {
								text = voiceClock(pos) + " / " + voiceClock(length)
							}
							return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
								layout.Rigid(th.label(textCaption, th.FgMuted, text).Layout),
								layout.Rigid(func(gtx layout.Context) layout.Dimensions {
									if !st.Voice.Unplayed(m) {
										return layout.Dimensions{}
									}
									return layout.Inset{Left: spaceXS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
										semantic.DescriptionOp(w.Unplayed).Add(gtx.Ops)
										return dot(gtx, th.Primary, 8)
									})
								}),
								layout.Flexed(1, func(gtx layout.Context) layout.Dimensions {
									return layout.Dimensions{Size: image.Pt(gtx.Constraints.Min.X, 0)}
								}),
								layout.Rigid(func(gtx layout.Context) layout.Dimensions {
									sb := th.button(&b.speed, ghostButton, speedLabel(st.Voice.SpeedOr1()))
									sb.small = true
									return sb.Layout(gtx)
								}),
							)
						}),
					)
				}),
			)
		})
	})
}

// voicePreview is a voice message in the conversation list.
func (u *UI) voicePreview(f *proto.File) string {
	length := ""
	if f.Voice != nil {
		length = voiceClock(time.Duration(f.Voice.DurationMS) * time.Millisecond)
	}
	return strings.TrimSpace(fmt.Sprintf(u.vw().PreviewF, length))
}

// speedLabel is "1×", "1.5×", "2×".
func speedLabel(s float64) string { return fmt.Sprintf("%g×", s) }

// wave draws the waveform, played part (frac) in the primary colour, and
// takes the pointer for seeking.
func (b *voiceBubble) wave(gtx layout.Context, th *theme, levels []byte, frac float32, desc string) layout.Dimensions {
	w, h := gtx.Constraints.Max.X, gtx.Dp(waveH)
	b.waveW = w
	step := 2 * gtx.Dp(waveBar)
	bars := max(1, w/step)
	played := int(float32(bars)*frac + 0.5)
	for i := range bars {
		lv := byte(40) // no waveform: a flat line
		if len(levels) > 0 {
			lo, hi := i*len(levels)/bars, max(i*len(levels)/bars+1, (i+1)*len(levels)/bars)
			lv = 0
			for _, v := range levels[lo:min(hi, len(levels))] {
				lv = max(lv, v)
			}
		}
		bh := max(gtx.Dp(2), int(float32(h)*float32(lv)/255))
		c := th.FgMuted
		if i < played {
			c = th.Primary
		}
		x := i * step
		y := (h - bh) / 2
		th.corners.fillRRect(gtx.Ops, image.Rect(x, y, x+gtx.Dp(waveBar), y+bh), gtx.Dp(1), c)
	}
	size := image.Pt(w, h)
	defer clip.Rect{Max: size}.Push(gtx.Ops).Pop()
	event.Op(gtx.Ops, b)
	pointer.CursorPointer.Add(gtx.Ops)
	semantic.DescriptionOp(desc).Add(gtx.Ops)
	return layout.Dimensions{Size: size}
}
