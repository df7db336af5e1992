package ui

import (
	"image"
	"time"

	"gioui.org/gesture"
	"gioui.org/io/event"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/layout"
	"gioui.org/op/clip"
	"gioui.org/op/paint"
	"gioui.org/unit"
	"gioui.org/widget"

	"parley/app/state"
)

// Voice message events.
type (
	// StartRecording starts recording a voice message for the open
	// conversation.
	StartRecording struct{}
	// StopRecording ends the recording: Send sends it, else it is
	// discarded.
	StopRecording struct{ Send bool }
)

func (StartRecording) isEvent() {}
func (StopRecording) isEvent()  {}

// recorder is the microphone button of the composer (shown while the
// text is empty) and the recording bar that takes the composer's place
// while recording. Two ways to record:
//
//   - hold: press the button and keep it down; releasing sends, sliding
//     the pointer slideToCancel to the left discards;
//   - click: a press shorter than holdToRecord starts a recording that
//     stays on; the same button, now Send, sends it. From the keyboard,
//     Enter or Space on the focused button does the same, and Escape
//     discards.
//
// Cancel discards in both. The bar shows the length and the live level
// from State.Voice.Recording.
type recorder struct {
	phase   recPhase
	pressAt time.Time
	startX  float32
	seen    bool // the model showed the recording (it started)
	cancel  widget.Clickable
	hover   gesture.Hover // the button's, for its tooltip
}

type recPhase int

const (
	recIdle   recPhase = iota
	recHeld            // the button is held down
	recLocked          // started by a click: records until Send or Cancel
)

const (
	// holdToRecord: a press longer than this is a hold (release sends);
	// a shorter one is a click (the recording stays on).
	holdToRecord = 400 * time.Millisecond
	// slideToCancel: how far left a held pointer goes to discard.
	slideToCancel unit.Dp = 80
)

// escape discards the recording, if there is one (the window's Esc).
func (r *recorder) escape(u *UI) bool {
	if r.phase == recIdle {
		return false
	}
	r.phase, r.seen = recIdle, false
	u.emit(StopRecording{Send: false})
	return true
}

// active says the recording bar shows instead of the composer.
func (r *recorder) active() bool { return r.phase != recIdle }

func (r *recorder) reset() { r.phase, r.seen = recIdle, false }

// update handles the button's pointer and Cancel.
func (r *recorder) update(gtx layout.Context, u *UI, st state.State) {
	stop := func(send bool) {
		r.phase, r.seen = recIdle, false
		u.emit(StopRecording{Send: send})
	}
	for {
		ev, ok := gtx.Event(pointer.Filter{Target: r, Kinds: pointer.Press | pointer.Drag | pointer.Release | pointer.Cancel})
		if !ok {
			break
		}
		e, ok := ev.(pointer.Event)
		if !ok {
			continue
		}
		switch e.Kind {
		case pointer.Press:
			switch r.phase {
			case recIdle:
				if st.NoAudio {
					continue
				}
				r.phase, r.pressAt, r.startX, r.seen = recHeld, gtx.Now, e.Position.X, false
				u.emit(StartRecording{})
			case recLocked: // the button is Send now
				stop(true)
			}
		case pointer.Drag:
			if r.phase == recHeld && r.startX-e.Position.X > float32(gtx.Dp(slideToCancel)) {
				stop(false)
			}
		case pointer.Release:
			if r.phase == recHeld {
				if gtx.Now.Sub(r.pressAt) < holdToRecord {
					r.phase = recLocked
				} else {
					stop(true)
				}
			}
		case pointer.Cancel:
			if r.phase == recHeld {
				stop(false)
			}
		}
	}
	// From the keyboard (Tab to the button): Enter or Space starts a
	// recording that stays on, and sends it (Escape discards: escape).
	for {
		ev, ok := gtx.Event(key.FocusFilter{Target: r}, key.Filter{Focus: r, Name: key.NameReturn}, key.Filter{Focus: r, Name: key.NameSpace})
		if !ok {
			break
		}
		e, ok := ev.(key.Event)
		if !ok || e.State != key.Press {
			continue
		}
		switch {
		case r.phase == recIdle && !st.NoAudio:
			r.phase, r.seen = recLocked, false
			u.emit(StartRecording{})
		case r.phase == recLocked:
			stop(true)
		}
	}
	if r.cancel.Clicked(gtx) && r.phase != recIdle {
		stop(false)
	}
	switch rec := st.Voice.Recording; {
	case rec != nil:
		r.seen = true
	case r.seen: // the model ended it (the device failed, or logout)
		r.phase, r.seen = recIdle, false
	}
}

// button is the microphone button (or, while a clicked recording runs,
// Send). It keeps its place when the bar replaces the composer, so a
// held pointer stays on it.
func (r *recorder) button(gtx layout.Context, u *UI) layout.Dimensions {
	th, w := u.th, u.vw()
	s := gtx.Dp(controlH)
	icon, desc, bg, fg := u.icons.mic, w.Record, th.SurfaceAlt, th.FgMuted
	switch r.phase {
	case recHeld:
		bg, fg = th.Danger, th.OnPrimary
	case recLocked:
		icon, desc, bg, fg = u.icons.send, w.SendVoice, th.Primary, th.OnPrimary
	}
	hovered := r.hover.Update(gtx.Source)
	defer clip.Ellipse{Max: image.Pt(s, s)}.Push(gtx.Ops).Pop()
	r.hover.Add(gtx.Ops)
	event.Op(gtx.Ops, r)
	pointer.CursorPointer.Add(gtx.Ops)
	semantic.Button.Add(gtx.Ops)
	semantic.DescriptionOp(desc).Add(gtx.Ops)
	paint.FillShape(gtx.Ops, bg, clip.Ellipse{Max: image.Pt(s, s)}.Op(gtx.Ops))
	if gtx.Focused(r) {
		paint.FillShape(gtx.Ops, th.Primary, clip.Stroke{Path: clip.Ellipse{Max: image.Pt(s, s)}.Path(gtx.Ops), Width: float32(gtx.Dp(2))}.Op())
	}
	gtx.Constraints = layout.Exact(image.Pt(s, s))
	layout.Center.Layout(gtx, func(gtx layout.Context) layout.Dimensions {
		gtx.Constraints.Min.X = s * 5 / 9
		return icon.Layout(gtx, fg)
	})
	th.tooltip(gtx, r, hovered && r.phase == recIdle, desc, image.Pt(s, s), tipEnd|tipAbove)
	return layout.Dimensions{Size: image.Pt(s, s)}
}

// bar is the recording bar: Cancel, a red dot and the length, the live
// level, what to do next, and the button.
func (r *recorder) bar(gtx layout.Context, u *UI, st state.State) layout.Dimensions {
	th, w := u.th, u.vw()
	var elapsed time.Duration
	var level float64
	full := false
	if rec := st.Voice.Recording; rec != nil {
		elapsed, level, full = rec.Elapsed, rec.Level, rec.Full
	}
	hint := w.SlideToCancel
	switch {
	case full:
		hint = w.LimitReached
	case r.phase == recLocked:
		hint = w.ClickToSend
	}
	return th.band(gtx, th.Surface, layout.Inset{Left: spaceS, Right: spaceM, Top: spaceM, Bottom: spaceM}, func(gtx layout.Context) layout.Dimensions {
		return layout.Flex{Alignment: layout.Middle}.Layout(gtx,
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				b := th.iconButton(&r.cancel, u.icons.close, w.Cancel)
				b.size, b.tip = controlH, tipStart|tipAbove
				return layout.Inset{Right: spaceXS}.Layout(gtx, b.Layout)
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				c := th.Danger
				if full {
					c = th.FgMuted
				}
				return layout.Inset{Left: spaceS, Right: spaceS}.Layout(gtx, func(gtx layout.Context) layout.Dimensions { return dot(gtx, c, 10) })
			}),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions {
				semantic.DescriptionOp(w.Recording).Add(gtx.Ops)
				return th.label(textBody, th.Fg, voiceClock(elapsed)).medium().Layout(gtx)
			}),
			layout.Rigid(gap(spaceM)),
			layout.Flexed(1, func(gtx layout.Context) layout.Dimensions { return recLevel(gtx, th, level) }),
			layout.Rigid(gap(spaceM)),
			layout.Rigid(th.label(textSmall, th.FgMuted, hint).lines(1).Layout),
			layout.Rigid(gap(spaceS)),
			layout.Rigid(func(gtx layout.Context) layout.Dimensions { return r.button(gtx, u) }),
		)
	})
}

// recLevel is the live level across the bar: filled to level (0–1).
func recLevel(gtx layout.Context, th *theme, level float64) layout.Dimensions {
	w, h := gtx.Constraints.Max.X, gtx.Dp(6)
	th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, w, h), h/2, th.Border)
	if fill := int(float64(w) * min(1, max(0, level))); fill > 0 {
		th.corners.fillRRect(gtx.Ops, image.Rect(0, 0, max(fill, h), h), h/2, th.Danger)
	}
	return layout.Dimensions{Size: image.Pt(w, h)}
}

// voiceClock formats a voice message's length or position: "0:07".
func voiceClock(d time.Duration) string { return clock(d.Milliseconds(), false) }
