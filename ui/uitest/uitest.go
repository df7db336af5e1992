// Package uitest drives and renders the ui package without a window, for
// tests and benchmarks: synthetic pointer and key input through a real
// input.Router, the semantic tree to read and find what is on screen,
// frames rendered to images with gpu/headless, the fonts tests use, and
// made-up states to draw.
//
// It never opens a window and never touches the network; the states it
// makes are fixtures, not the model's.
package uitest

import (
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gioui.org/f32"
	"gioui.org/font"
	"gioui.org/gpu/headless"
	"gioui.org/io/input"
	"gioui.org/io/key"
	"gioui.org/io/pointer"
	"gioui.org/io/semantic"
	"gioui.org/io/transfer"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/text"
	"gioui.org/unit"
	"golang.org/x/image/math/fixed"

	"parley/app/state"
	"parley/ui"
)

// The CJK fonts tests use: Debian's fonts-noto-cjk, which the Makefile
// installs. Loading them from their path (with system fonts off) makes
// the result independent of what else the machine has.
const (
	NotoCJKRegular = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	NotoCJKBold    = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
)

// Fonts returns the Go fonts plus Noto Sans CJK SC (regular and bold).
func Fonts(tb testing.TB) []font.FontFace {
	tb.Helper()
	var cjk []font.FontFace
	for _, p := range []string{NotoCJKRegular, NotoCJKBold} {
		f, err := ui.LoadCJKFont(p)
		if err != nil {
			tb.Fatalf("load test font (install fonts-noto-cjk): %v", err)
		}
		cjk = append(cjk, f)
	}
	return ui.Collection(cjk...)
}

// Shaper returns a shaper over Fonts, with system fonts off.
func Shaper(tb testing.TB) *text.Shaper {
	return ui.NewShaper(Fonts(tb), false)
}

// Now is the fixed clock of fixtures: Tuesday 12 March 2024, 15:30 UTC.
var Now = time.Date(2024, 3, 12, 15, 30, 0, 0, time.UTC)

// NewUI returns a UI with the test shaper, the fixed clock and UTC.
func NewUI(tb testing.TB, lang ui.Lang, dark bool) *ui.UI {
	return ui.New(ui.Options{Shaper: Shaper(tb), Lang: lang, Dark: dark, Now: func() time.Time { return Now }, Location: time.UTC})
}

// Driver runs frames of a UI against a router, as a window would.
type Driver struct {
	UI     *ui.UI
	Router input.Router
	Size   image.Point // in pixels
	Metric unit.Metric
	Ops    op.Ops
	Now    time.Time
	// State is the state the last frame drew; Events collects the
	// intents of every frame until Take.
	State  state.State
	Events []ui.Event
}

// NewDriver returns a driver for a window of size pixels at scale 1.
func NewDriver(u *ui.UI, size image.Point) *Driver {
	return &Driver{UI: u, Size: size, Metric: unit.Metric{PxPerDp: 1, PxPerSp: 1}, Now: Now}
}

// Frame lays out one frame of st and returns the user's intents.
func (d *Driver) Frame(st state.State) []ui.Event {
	d.Ops.Reset()
	gtx := layout.Context{
		Ops:         &d.Ops,
		Now:         d.Now,
		Metric:      d.Metric,
		Constraints: layout.Exact(d.Size),
		Source:      d.Router.Source(),
	}
	evs := d.UI.Layout(gtx, st)
	d.Router.Frame(&d.Ops)
	d.State = st
	d.Events = append(d.Events, evs...)
	return evs
}

// Take returns the collected intents and forgets them.
func (d *Driver) Take() []ui.Event {
	evs := d.Events
	d.Events = nil
	return evs
}

// MissingGlyphs counts the runes of s that sh draws as .notdef ("tofu")
// at the given size.
func MissingGlyphs(sh *text.Shaper, s string) int {
	sh.LayoutString(text.Parameters{PxPerEm: fixed.I(16), MaxWidth: 1 << 20}, s)
	missing := 0
	for g, ok := sh.NextGlyph(); ok; g, ok = sh.NextGlyph() {
		gid := uint64(g.ID) & (1<<32 - 1)
		if gid == 0 && g.Flags&text.FlagParagraphBreak == 0 && g.Runes > 0 {
			missing++
		}
	}
	return missing
}

// Nodes returns the semantic tree of the last frame, flattened.
func (d *Driver) Nodes() []input.SemanticNode {
	return d.Router.AppendSemantics(nil)
}

// Screen is what a frame put on screen: its semantic nodes with their
// visible bounds. A Driver's frame gives one (Driver.Screen); so does the
// browser app's automation hook, from the same input.Router semantics.
type Screen []Node

// Screen returns what the last frame put on screen.
func (d *Driver) Screen() Screen { return NewScreen(d.Nodes()) }

// Texts returns every label and description on screen, in tree order.
func (d *Driver) Texts() []string { return d.Screen().Texts() }

// Find returns the visible node whose label or description is s.
func (d *Driver) Find(s string) (Node, bool) { return d.Screen().Find(s) }

// FindContaining returns the first visible node whose label contains s.
func (d *Driver) FindContaining(s string) (Node, bool) { return d.Screen().FindContaining(s) }

// FieldText returns the text of the single-line field described as desc
// (masked fields keep theirs to themselves).
func (d *Driver) FieldText(desc string) (string, bool) { return d.Screen().FieldText(desc) }

// Click queues a primary click on the control labelled or described s:
// a button if there is one, else a tab, else a field. The next Frame
// delivers it.
func (d *Driver) Click(s string) error {
	p, err := d.Screen().ClickPoint(s)
	if err != nil {
		return err
	}
	d.ClickAt(p)
	return nil
}

// Fill clicks the field described as desc, types s into it and runs the
// frames that deliver both, drawing the last state.
func (d *Driver) Fill(desc, s string) error {
	p, err := d.Screen().FieldPoint(desc)
	if err != nil {
		return err
	}
	d.ClickAt(p)
	d.Frame(d.State)
	d.Type(s)
	d.Frame(d.State)
	return nil
}

// Texts returns every label and description, in tree order.
func (sc Screen) Texts() []string {
	var out []string
	for _, n := range sc {
		if n.Desc.Label != "" {
			out = append(out, n.Desc.Label)
		}
		if n.Desc.Description != "" {
			out = append(out, n.Desc.Description)
		}
	}
	return out
}

// Node is a semantic node with its visible bounds (clipped by its
// ancestors) and the class of the nearest ancestor that acts on a click.
type Node struct {
	input.SemanticNode
	Visible image.Rectangle
	Control semantic.ClassOp // Button, RadioButton, Editor, or Unknown
}

// NewScreen works out the visible bounds and controls of a frame's
// semantic nodes (input.Router.AppendSemantics: flattened, parents named
// by ParentID).
func NewScreen(raw []input.SemanticNode) Screen {
	byID := make(map[input.SemanticID]input.SemanticNode, len(raw))
	for _, n := range raw {
		byID[n.ID] = n
	}
	hasEditor := map[input.SemanticID]bool{}
	for _, n := range raw {
		if n.Desc.Class == semantic.Editor {
			hasEditor[n.ParentID] = true
		}
	}
	out := make(Screen, 0, len(raw))
	for _, n := range raw {
		v := Node{SemanticNode: n, Visible: n.Desc.Bounds}
		for p, ok := n, true; ok; p, ok = byID[p.ParentID] {
			v.Visible = v.Visible.Intersect(p.Desc.Bounds)
			if v.Control == semantic.Unknown {
				switch c := p.Desc.Class; c {
				case semantic.Button, semantic.RadioButton, semantic.Editor:
					v.Control = c
				}
			}
			if p.ParentID == 0 {
				break
			}
		}
		if v.Control == semantic.Unknown && hasEditor[n.ID] {
			v.Control = semantic.Editor // a field: its editor is a child
		}
		out = append(out, v)
	}
	return out
}

// Find returns the visible node whose label or description is s.
func (sc Screen) Find(s string) (Node, bool) {
	for _, n := range sc {
		if (n.Desc.Label == s || n.Desc.Description == s) && !n.Visible.Empty() {
			return n, true
		}
	}
	return Node{}, false
}

// FindContaining returns the first visible node whose label contains s.
func (sc Screen) FindContaining(s string) (Node, bool) {
	for _, n := range sc {
		if strings.Contains(n.Desc.Label, s) && !n.Visible.Empty() {
			return n, true
		}
	}
	return Node{}, false
}

// FieldText returns the text of the single-line field described as desc
// (masked fields keep theirs to themselves).
func (sc Screen) FieldText(desc string) (string, bool) {
	for _, n := range sc {
		if n.Desc.Description != desc || n.Visible.Empty() {
			continue
		}
		return n.Desc.Label, true
	}
	return "", false
}

// ClickPoint returns where to click the control labelled or described s:
// a button if there is one, else a tab, else a field.
func (sc Screen) ClickPoint(s string) (image.Point, error) {
	var best *Node
	rank := func(c semantic.ClassOp) int {
		switch c {
		case semantic.Button:
			return 3
		case semantic.RadioButton:
			return 2
		case semantic.Editor:
			return 1
		}
		return 0
	}
	for i, n := range sc {
		if n.Desc.Label != s && n.Desc.Description != s || n.Visible.Empty() {
			continue
		}
		if best == nil || rank(n.Control) > rank(best.Control) {
			best = &sc[i]
		}
	}
	if best == nil || best.Control == semantic.Unknown {
		return image.Point{}, fmt.Errorf("no control labelled %q on screen; have %q", s, sc.Texts())
	}
	return center(best.Visible), nil
}

// FieldPoint returns where to click the field described as desc.
func (sc Screen) FieldPoint(desc string) (image.Point, error) {
	for _, n := range sc {
		if n.Desc.Description == desc && !n.Visible.Empty() {
			return center(n.Visible), nil
		}
	}
	return image.Point{}, fmt.Errorf("no field described as %q on screen; have %q", desc, sc.Texts())
}

func center(r image.Rectangle) image.Point { return r.Min.Add(r.Max).Div(2) }

// ClickAt queues a primary click at p.
func (d *Driver) ClickAt(p image.Point) {
	pos := f32.Pt(float32(p.X), float32(p.Y))
	d.Router.Queue(
		pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: pos},
		pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: pos},
	)
}

// Drag queues a mouse drag with the primary button from one point to
// another (in a few steps), released there.
func (d *Driver) Drag(from, to image.Point) {
	pt := func(p image.Point) f32.Point { return f32.Pt(float32(p.X), float32(p.Y)) }
	d.Router.Queue(pointer.Event{Kind: pointer.Press, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: pt(from)})
	for i := 1; i <= 4; i++ {
		p := from.Add(to.Sub(from).Mul(i).Div(4))
		d.Router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Buttons: pointer.ButtonPrimary, Position: pt(p)})
	}
	d.Router.Queue(pointer.Event{Kind: pointer.Release, Source: pointer.Mouse, Position: pt(to)})
}

// Scroll queues a mouse wheel scroll of dy pixels (negative: up) at p.
func (d *Driver) Scroll(p image.Point, dy float32) {
	pos := f32.Pt(float32(p.X), float32(p.Y))
	d.Router.Queue(
		pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: pos},
		pointer.Event{Kind: pointer.Scroll, Source: pointer.Mouse, Position: pos, Scroll: f32.Pt(0, dy)},
	)
}

// Hover queues the mouse moving to p.
func (d *Driver) Hover(p image.Point) {
	d.Router.Queue(pointer.Event{Kind: pointer.Move, Source: pointer.Mouse, Position: f32.Pt(float32(p.X), float32(p.Y))})
}

// Tab presses Tab (Shift+Tab if back) as a window does: the key goes to
// a handler that asks for it, else the focus moves to the next (or the
// previous) focusable control.
func (d *Driver) Tab(back bool) {
	mods, dir := key.Modifiers(0), key.FocusForward
	if back {
		mods, dir = key.ModShift, key.FocusBackward
	}
	for _, st := range []key.State{key.Press, key.Release} {
		d.Router.WakeupTime() // forget a wakeup the last frame asked for, as a window has
		d.Router.Queue(input.SystemEvent{Event: key.Event{Name: key.NameTab, Modifiers: mods, State: st}})
		if _, handled := d.Router.WakeupTime(); !handled && st == key.Press {
			d.Router.MoveFocus(dir)
		}
	}
}

// Type queues text typed into the focused editor, as an input method
// delivers it: an edit replacing the selection, then the new caret.
func (d *Driver) Type(s string) {
	sel := d.Router.EditorState().Selection.Range
	start := min(sel.Start, sel.End)
	caret := start + utf8.RuneCountInString(s)
	d.Router.Queue(
		key.EditEvent{Range: sel, Text: s},
		key.SelectionEvent{Start: caret, End: caret},
	)
}

// Paste pastes s into the focused editor as a window would: the
// shortcut (Ctrl+V), a frame in which the editor asks for the clipboard,
// then the clipboard's text, delivered in a second frame. Both frames
// draw the last state.
func (d *Driver) Paste(s string) {
	d.Press("V", key.ModShortcut)
	d.Frame(d.State)
	if d.Router.ClipboardRequested() {
		d.Router.Queue(transfer.DataEvent{Type: "application/text", Open: func() io.ReadCloser {
			return io.NopCloser(strings.NewReader(s))
		}})
	}
	d.Frame(d.State)
}

// Press queues a key press and release with modifiers.
func (d *Driver) Press(name key.Name, mods key.Modifiers) {
	d.Router.Queue(
		key.Event{Name: name, Modifiers: mods, State: key.Press},
		key.Event{Name: name, Modifiers: mods, State: key.Release},
	)
}

// Renderer draws frames to images with gpu/headless (EGL; set
// EGL_PLATFORM=surfaceless when there is no display).
type Renderer struct {
	w *headless.Window
}

// NewRenderer returns a renderer for frames of size pixels.
func NewRenderer(size image.Point) (*Renderer, error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("EGL_PLATFORM") == "" {
		// Mesa renders without a display on its surfaceless platform.
		os.Setenv("EGL_PLATFORM", "surfaceless")
	}
	w, err := headless.NewWindow(size.X, size.Y)
	if err != nil {
		return nil, fmt.Errorf("headless window: %w", err)
	}
	return &Renderer{w: w}, nil
}

// Draw renders ops without reading the pixels back.
func (r *Renderer) Draw(ops *op.Ops) error {
	return r.w.Frame(ops)
}

// Sync waits for the GPU to finish the frame by reading back img's
// rectangle of it (one pixel is enough).
func (r *Renderer) Sync(img *image.RGBA) error {
	return r.w.Screenshot(img)
}

// Render renders ops and returns the pixels.
func (r *Renderer) Render(ops *op.Ops) (*image.RGBA, error) {
	if err := r.w.Frame(ops); err != nil {
		return nil, fmt.Errorf("render frame: %w", err)
	}
	img := image.NewRGBA(image.Rectangle{Max: r.w.Size()})
	if err := r.w.Screenshot(img); err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	return img, nil
}

// Release frees the GPU resources.
func (r *Renderer) Release() { r.w.Release() }
