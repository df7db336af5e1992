package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"gioui.org/app"
	"gioui.org/layout"
	"gioui.org/op"
	"gioui.org/text"
	"gioui.org/unit"
	"gioui.org/x/explorer"
	"gioui.org/x/notify"

	"parley/android"
	"parley/app/model"
	"parley/app/state"
	"parley/media/audio"
	"parley/net/proto"
	"parley/ui"
	"parley/ui/platform"
)

// defaultSize is the window's first size in dp (-size changes it). Gio
// does not tell the app the screen's size, so it is one that fits the
// smallest common laptop screen at the largest common scaling: 1280×800
// at 150 % is 853×533 dp, less a title bar and a panel.
var defaultSize = image.Pt(840, 480)

// run opens the window and runs it until it is closed.
func run(o options, log *slog.Logger, start time.Time) error {
	if err := os.MkdirAll(o.data, 0o700); err != nil && !errors.Is(err, errors.ErrUnsupported) { // js has no file system; the store is in memory there
		return fmt.Errorf("create the data folder: %w", err)
	}
	w := new(app.Window)
	w.Option(app.Title("Parley"), app.Size(unit.Dp(o.size.X), unit.Dp(o.size.Y)), app.MinSize(320, 480))

	// Fonts load while the model opens its cache and the window opens.
	type fontSet struct {
		faces []ui.FontFace
		cjk   int
	}
	fonts := make(chan fontSet, 1)
	go func() {
		faces, cjk := startFonts(o.server, log)
		fonts <- fontSet{faces, cjk}
	}()

	perms := android.NewPermissions() // Android's runtime prompts; nothing to ask elsewhere
	changed := make(chan struct{}, 1)
	m, err := model.NewModel(model.Config{
		DataDir: o.data,
		Server:  o.server,
		Invalidate: func() {
			w.Invalidate()
			select {
			case changed <- struct{}{}:
			default:
			}
		},
		Logger: log,
		Device: deviceName(),
		Audio:  model.SystemAudio(audio.Config{Null: o.audio == "null", RequestMicrophone: perms.RequestMicrophone}),
		Files:  model.FilesConfig{Downloads: o.downloads},
	})
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	defer m.Close()
	model.MarkNoAudio(m)
	m.OfferJoinLink(startLink()) // an invite link the app was opened with (join_*.go)
	log.Debug("model ready", "since_start", time.Since(start))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go offerLinks(ctx, m) // the links the system hands over while the app runs (links.go)
	f := <-fonts
	win := newWindow(ctx, w, m, o, log, f.faces, f.cjk)
	win.perms = perms
	go func() {
		if err := perms.RequestNotifications(ctx); err != nil {
			log.Info("no notifications", "err", err)
		}
	}()
	log.Debug("fonts and UI ready", "since_start", time.Since(start))
	go win.notifications(ctx, changed)
	return win.loop(start)
}

// window joins the Gio window, the UI and the model.
type window struct {
	ctx     context.Context
	w       *app.Window
	m       *model.Model
	ui      *ui.UI
	log     *slog.Logger
	prefs   prefsFile
	focused atomic.Bool
	lanes   map[string]*lane // ordered queues of actions
	// notifier opens the platform's notifications (notify.NewNotifier);
	// tests pass their own.
	notifier func() (notify.Notifier, error)
	shaper   chan *text.Shaper
	fonts    *shapers
	late     func() // fetches the fonts that follow the first frame (the browser's)
	system   chan systemPrefs
	lang     atomic.Value // ui.Lang, for notifications

	// The platform's file picker (nil in tests: no picker); choose opens
	// it (nil: there is none; tests set their own) and blocks until the
	// user chooses; what it picked goes to the UI goroutine, which redraw
	// wakes.
	explorer *explorer.Explorer
	choose   func(ctx context.Context, many bool) ([]io.ReadCloser, error)
	picking  atomic.Bool
	picks    chan pickResult
	redraw   func()
	// perms shows Android's permission prompts over the window's view
	// (nil in tests).
	perms *android.Permissions
	// automation publishes the screen's semantics for the browser
	// end-to-end test (a no-op elsewhere and without ?automation).
	automation *automation
	// What the log said last about the call and the transfers.
	loggedCall      callKey
	loggedTransfers map[string]state.TransferState
	loggedNotice    uint64
}

// callKey is what the log says about a call.
type callKey struct {
	present bool
	id      proto.CallID
	state   state.CallState
	peer    proto.UserID
}

// pickResult is a file chosen in the picker for target: a path, or a
// stream (phones, the browser); or why there is none. more are the
// others chosen with it (the picker's several files).
type pickResult struct {
	path, target string
	stream       *model.Stream
	err          error
	more         []model.Pick
}

type systemPrefs struct {
	dark bool
	ok   bool // the system said
}

func newWindow(ctx context.Context, w *app.Window, m *model.Model, o options, log *slog.Logger, faces []ui.FontFace, cjk int) *window {
	win := &window{ctx: ctx, w: w, m: m, log: log, prefs: prefsFile{path: filepath.Join(o.data, "ui.json")},
		lanes: map[string]*lane{}, shaper: make(chan *text.Shaper, 1), system: make(chan systemPrefs, 1),
		notifier: platformNotifier(o.data, log), picks: make(chan pickResult, 1), redraw: w.Invalidate,
		automation: newAutomation()}
	win.explorer = explorer.NewExplorer(w)
	win.choose = platformChooser(win.explorer)
	win.watchDrops() // pasted pictures and dropped files (drop_js.go)
	win.focused.Store(true)
	saved := win.prefs.load(log)
	saved.apply(m)

	if cjk == 0 {
		log.Warn("no Chinese font found; using the system's fonts")
	}
	win.fonts = &shapers{faces: faces, out: win.shaper, wake: w.Invalidate}
	go win.fonts.addSystem()
	win.late = func() { lateFonts(o.server, log, win.fonts.add) }

	// Language and theme: a flag, else the user's last choice, else the
	// system's. The language is quick to read; the theme may need a
	// D-Bus round trip, so it follows in the background.
	var lang ui.Lang
	dark := saved.Theme == "dark"
	switch {
	case o.lang != "":
		lang = ui.ParseLang(o.lang)
	case saved.Lang != "":
		lang = ui.ParseLang(saved.Lang)
	default:
		lctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		lang = ui.ParseLang(platform.Language(lctx))
		cancel()
	}
	if o.theme != "" {
		dark = o.theme == "dark"
	}
	win.ui = ui.New(ui.Options{Shaper: ui.NewShaper(faces, cjk == 0), Lang: lang, Dark: dark})
	win.lang.Store(lang)
	if o.theme == "" && saved.Theme == "" {
		go func() {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			var p systemPrefs
			p.dark, p.ok = platform.DarkMode(ctx)
			win.system <- p
			w.Invalidate()
		}()
	}
	return win
}

// loadFonts loads the Go fonts and the platform's Chinese faces (regular
// and bold) in parallel: tens of milliseconds, before the first frame.
// The full system font index follows in the background.
func loadFonts(log *slog.Logger) (faces []ui.FontFace, cjk int) {
	reg, bold, ok := ui.FindCJKFont()
	paths := []string{reg, bold}
	loaded := make([]*ui.FontFace, len(paths))
	var wg sync.WaitGroup
	for i, p := range paths {
		if !ok || p == "" {
			continue
		}
		wg.Go(func() {
			f, err := ui.LoadCJKFont(p)
			if err != nil {
				log.Warn("load CJK font", "err", err)
				return
			}
			loaded[i] = &f
		})
	}
	var extra []ui.FontFace
	goFaces := ui.Collection()
	wg.Wait()
	for _, f := range loaded {
		if f != nil {
			extra = append(extra, *f)
		}
	}
	return append(goFaces, extra...), len(extra)
}

func (win *window) loop(start time.Time) error {
	var ops op.Ops
	first := true
	for {
		e := win.w.Event()
		win.explorer.ListenEvents(e)
		if win.perms != nil {
			win.perms.ListenEvents(e)
		}
		switch e := e.(type) {
		case app.DestroyEvent:
			return e.Err
		case app.ConfigEvent:
			win.focused.Store(e.Config.Focused)
			win.m.SetFocused(e.Config.Focused) // the open conversation is read only with the focus
		case app.FrameEvent:
			if first {
				win.log.Debug("first frame event", "since_start", time.Since(start))
			}
			select {
			case s := <-win.shaper:
				win.ui.SetShaper(s)
			default:
			}
			select {
			case p := <-win.system:
				if p.ok {
					win.ui.SetDark(p.dark)
				}
			default:
			}
			win.applyPicks()
			gtx := app.NewContext(&ops, e)
			st := win.m.State()
			events := win.ui.Layout(gtx, st)
			if first {
				win.log.Debug("first layout", "since_start", time.Since(start))
			}
			e.Frame(gtx.Ops)
			// After the window's router has the frame: a test that
			// sees it published may click on it at once.
			win.automation.frame(gtx, func(gtx layout.Context) { win.ui.Layout(gtx, st) })
			if first {
				first = false
				win.log.Info("first frame", "since_start", time.Since(start).Round(time.Millisecond))
				if win.late != nil {
					go win.late()
				}
			}
			win.lang.Store(win.ui.Lang())
			win.logChanges(st)
			for _, ev := range events {
				win.dispatch(ev)
			}
		}
	}
}

// actionTimeout bounds one action; the model reports failures itself.
const actionTimeout = time.Minute

// dispatch performs an intent on the model off the UI goroutine. Sends
// keep their order, and so do navigation actions; the rest run at once.
func (win *window) dispatch(ev ui.Event) {
	m := win.m
	do := func(lane string, f func(ctx context.Context) error) { win.perform(lane, fmt.Sprintf("%T", ev), f) }
	if win.settingsEvent(ev) { // settings.go
		return
	}
	switch ev := ev.(type) {
	case ui.Login:
		do("account", func(ctx context.Context) error { return m.Login(ctx, ev.Server, ev.UserID, ev.Password) })
	case ui.Register:
		do("account", func(ctx context.Context) error {
			return m.RegisterWithCode(ctx, ev.Server, ev.Name, ev.Password, ev.Confirm, ev.Code)
		})
	case ui.Logout:
		do("account", m.Logout)
	case ui.ResetCache:
		do("account", m.ResetCache)
	case ui.UseHere:
		do("account", m.UseHere)
	case ui.CreateGroup:
		do("", func(ctx context.Context) error { return m.CreateGroupWith(ctx, ev.Name, ev.Policy) })
	case ui.JoinGroup:
		do("", func(ctx context.Context) error { return m.JoinGroup(ctx, ev.GroupID) })
	case ui.Invite:
		do("", func(ctx context.Context) error { return m.Invite(ctx, ev.UserID, ev.GroupID) })
	case ui.Leave:
		do("", func(ctx context.Context) error { return m.Leave(ctx, ev.Conv) })
	case ui.OpenDirect:
		do("nav", func(ctx context.Context) error { return m.OpenDirect(ctx, ev.UserID) })
	case ui.Open:
		do("nav", func(ctx context.Context) error { return m.Open(ctx, ev.Conv) })
	case ui.LoadOlder:
		do("nav", m.LoadOlder)
	case ui.Send:
		do("send", func(ctx context.Context) error { return m.SendTo(ctx, ev.Conv, ev.Text) })
	case ui.Draft:
		m.SetDraft(ev.Conv, ev.Text) // quick: memory; the model writes it later, off this goroutine
		// Typing follows the composer: the model sends what the rate allows.
		do("typing", func(ctx context.Context) error { return m.Typing(ctx, ev.Conv, ev.Text == "") })
	case ui.AtBottom:
		m.SetAtBottom(ev.Conv, ev.AtBottom) // quick: a flag
	case ui.ShowSeenBy:
		do("", func(ctx context.Context) error { return m.SeenBy(ctx, ev.Conv, ev.Seq) })
	case ui.SetReadReceipts:
		do("", func(ctx context.Context) error { return m.SetReadReceipts(ctx, ev.On) })
	case ui.Forward:
		do("send", func(ctx context.Context) error { return m.Forward(ctx, ev.From, ev.To) })
	case ui.React:
		do("send", func(ctx context.Context) error {
			if ev.Remove {
				return m.Unreact(ctx, ev.Conv, ev.Seq, ev.Emoji)
			}
			return m.React(ctx, ev.Conv, ev.Seq, ev.Emoji)
		})
	case ui.ReplyTo:
		do("send", func(ctx context.Context) error { return m.Reply(ctx, ev.Conv, ev.Seq, ev.Text) })
	case ui.SendMentioning:
		do("send", func(ctx context.Context) error {
			return m.SendMentioning(ctx, ev.Conv, ev.ReplyTo, ev.Text, ev.Mentions)
		})
	case ui.EditMessage:
		do("send", func(ctx context.Context) error { return m.Edit(ctx, ev.Conv, ev.Seq, ev.Text) })
	case ui.DeleteMessage:
		do("send", func(ctx context.Context) error {
			if ev.ForMe {
				return m.DeleteForMe(ctx, ev.Conv, ev.Seq)
			}
			return m.Delete(ctx, ev.Conv, ev.Seq)
		})
	case ui.PinMessage:
		do("send", func(ctx context.Context) error { return m.Pin(ctx, ev.Conv, ev.Seq, !ev.Unpin) })
	case ui.SendAsFile:
		do("files", func(ctx context.Context) error { return m.SendAsFile(ctx, ev.Conv, ev.Text) })
	case ui.Search:
		do("search", func(ctx context.Context) error { return m.Search(ctx, ev.Query) })
	case ui.Find:
		do("find", func(ctx context.Context) error { return m.Find(ctx, ev.Conv, ev.Query) })
	case ui.JumpTo:
		do("nav", func(ctx context.Context) error { return m.JumpTo(ctx, ev.Conv, ev.Seq, ev.Highlight) })
	case ui.LoadNewer:
		do("nav", m.LoadNewer)
	case ui.AcceptRequest:
		do("", func(ctx context.Context) error { return m.AcceptRequest(ctx, ev.Conv) })
	case ui.DeleteRequest:
		do("", func(ctx context.Context) error { return m.DeleteRequest(ctx, ev.Conv) })
	case ui.Block:
		do("", func(ctx context.Context) error { return m.Block(ctx, ev.User) })
	case ui.Unblock:
		do("", func(ctx context.Context) error { return m.Unblock(ctx, ev.User) })
	case ui.SetNotify:
		do("", func(ctx context.Context) error { return m.SetNotify(ctx, ev.Conv, ev.Level, ev.For) })
	case ui.Archive:
		do("", func(ctx context.Context) error { return m.Archive(ctx, ev.Conv, ev.Archived) })
	case ui.DismissNotice:
		m.DismissNotice(ev.ID) // quick: state only
	case ui.Reconnect:
		m.Reconnect()
	case ui.Call:
		do("", func(ctx context.Context) error { return m.Call(ctx, ev.UserID) })
	case ui.GroupCall:
		do("", func(ctx context.Context) error { return m.GroupCall(ctx, ev.Conv) })
	case ui.AcceptCall:
		do("", m.Accept)
	case ui.DeclineCall:
		do("", m.Decline)
	case ui.HangUp:
		do("", m.Hangup)
	case ui.Mute:
		m.Mute(ev.Muted) // quick: state and a flag
	case ui.DismissCall:
		m.DismissCall()
	case ui.ListAudioDevices:
		do("devices", func(context.Context) error { return m.ListAudioDevices() })
	case ui.SelectDevices:
		do("devices", func(context.Context) error { return m.SelectDevices(ev.Input, ev.Output) })
		do("prefs", func(context.Context) error {
			p := win.prefs.load(win.log)
			p.Input, p.Output = ev.Input, ev.Output
			return win.prefs.save(p)
		})
	case ui.SetEchoCancelling:
		m.SetEchoCancelling(ev.On) // quick: a flag
		do("prefs", func(context.Context) error {
			p := win.prefs.load(win.log)
			p.EchoOff = !ev.On
			return win.prefs.save(p)
		})
	case ui.PickFile:
		win.pickFile(ev.Target)
	case ui.SendFile:
		do("files", func(ctx context.Context) error { return m.SendFile(ctx, ev.Path, ev.Target) })
	case ui.SaveFile:
		do("files", func(ctx context.Context) error { return m.SaveFile(ctx, ev.Conv, ev.Seq) })
	case ui.WantThumb:
		m.WantThumb(ev.ID) // quick: the fetch runs in the background
	case ui.ViewFull:
		m.ViewFull(ev.File, ev.Transfer)
	case ui.SendPictures:
		if ev.Cancel {
			m.CancelPicked()
		} else {
			do("files", func(ctx context.Context) error { return m.SendPicked(ctx, ev.Caption) })
		}
	case ui.PauseTransfer:
		do("files", func(ctx context.Context) error { return m.PauseTransfer(ctx, ev.ID) })
	case ui.ResumeTransfer:
		do("files", func(ctx context.Context) error { return m.ResumeTransfer(ctx, ev.ID) })
	case ui.CancelTransfer:
		do("files", func(ctx context.Context) error { return m.CancelTransfer(ctx, ev.ID) })
	case ui.DismissTransfer:
		do("files", func(ctx context.Context) error { return m.DismissTransfer(ctx, ev.ID) })
	case ui.OpenFile:
		do("", func(ctx context.Context) error { return m.OpenFile(ctx, ev.ID) })
	case ui.ShowInFolder:
		do("", func(ctx context.Context) error { return m.ShowInFolder(ctx, ev.ID) })
	case ui.OpenLink:
		do("", func(ctx context.Context) error { return m.OpenLink(ctx, ev.URL) })
	case ui.Prefs:
		do("prefs", func(context.Context) error {
			p := win.prefs.load(win.log)
			p.Lang = string(ev.Lang)
			if ev.ThemeSwitched {
				p.Theme = "light"
				if ev.Dark {
					p.Theme = "dark"
				}
			}
			return win.prefs.save(p)
		})
	default:
		if win.dispatchGroups(ev) || win.dispatchVoice(ev) { // groups.go, voice.go
			return
		}
		if win.dispatchMedia(ev) { // media.go
			return
		}
		win.log.Warn("unknown intent", "type", fmt.Sprintf("%T", ev))
	}
}

// perform runs an action off the UI goroutine: at once if lane is "",
// else after the earlier actions of its lane. Call it on the UI
// goroutine.
func (win *window) perform(lane, action string, f func(ctx context.Context) error) {
	run := func() {
		ctx, cancel := context.WithTimeout(win.ctx, actionTimeout)
		defer cancel()
		if err := f(ctx); err != nil {
			win.log.Debug("action failed", "action", action, "err", err)
		}
	}
	if lane == "" {
		go run()
		return
	}
	l := win.lanes[lane]
	if l == nil {
		l = newLane(win.ctx)
		win.lanes[lane] = l
	}
	l.push(run)
}

// pickFile opens the platform's file picker off the UI goroutine (it
// blocks until the user chooses); the choice comes back through
// applyPicks. One picker at a time.
func (win *window) pickFile(target string) {
	if !win.picking.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer win.picking.Store(false)
		r := pickResult{target: target}
		var rcs []io.ReadCloser
		err := explorer.ErrNotAvailable
		if win.choose != nil {
			// Several files to send; one for my picture.
			rcs, err = win.choose(win.ctx, target != pictureTarget)
		}
		switch {
		case errors.Is(err, explorer.ErrUserDecline):
			return
		case err != nil:
			r.err = err
		case len(rcs) == 0:
			return
		default:
			r.path, r.stream = model.PickedFile(rcs[0])
			for _, rc := range rcs[1:] {
				path, s := model.PickedFile(rc)
				r.more = append(r.more, model.Pick{Path: path, Stream: s})
			}
		}
		select {
		case win.picks <- r:
		case <-win.ctx.Done():
			if r.stream != nil {
				r.stream.Close()
			}
			for _, p := range r.more {
				if p.Stream != nil {
					p.Stream.Close()
				}
			}
			return
		}
		win.redraw()
	}()
}

// applyPicks sends what the picker chose, or tells the UI that there is
// no picker. Call it on the UI goroutine.
func (win *window) applyPicks() {
	for {
		select {
		case r := <-win.picks:
			if win.pickedPicture(r) { // settings.go
				continue
			}
			if r.err != nil {
				win.log.Info("no file picker; the path field remains", "err", r.err)
				win.ui.PickerFailed()
				continue
			}
			// Several files, or a picture: the preview first (Stage
			// sends the others at once, as before).
			picks := append([]model.Pick{{Path: r.path, Stream: r.stream}}, r.more...)
			if len(picks) > 1 || model.IsPictureName(picks[0].Name()) {
				target := r.target
				win.perform("files", "Stage", func(ctx context.Context) error { return win.m.Stage(ctx, target, picks) })
				continue
			}
			if r.stream != nil {
				s, target := *r.stream, r.target
				win.perform("files", "SendStream", func(ctx context.Context) error { return win.m.SendStream(ctx, s, target) })
				continue
			}
			win.dispatch(ui.SendFile{Path: r.path, Target: r.target})
		default:
			return
		}
	}
}

// logChanges logs what happens to calls and transfers, and the notices,
// as drawn: a line per change, not per frame.
func (win *window) logChanges(st state.State) {
	for _, n := range st.Notices {
		if n.ID > win.loggedNotice {
			win.loggedNotice = n.ID
			win.log.Info("notice", "kind", string(n.Kind), "code", string(n.Code))
		}
	}
	var now callKey
	if c := st.Call; c != nil {
		now = callKey{true, c.ID, c.State, c.Peer.ID}
	}
	if now != win.loggedCall {
		win.loggedCall = now
		if c := st.Call; c == nil {
			win.log.Info("call", "state", "none")
		} else {
			win.log.Info("call", "state", c.State.String(), "id", c.ID, "peer", c.Peer.ID, "outgoing", c.Outgoing, "reason", c.EndReason)
		}
	}
	if win.loggedTransfers == nil {
		win.loggedTransfers = map[string]state.TransferState{}
	}
	for _, tr := range st.Transfers {
		if win.loggedTransfers[tr.ID] != tr.State {
			win.loggedTransfers[tr.ID] = tr.State
			win.log.Info("transfer", "name", tr.Name, "direction", string(tr.Direction), "state", string(tr.State))
		}
	}
}

// lane runs actions one at a time, in order, off the UI goroutine.
// push never blocks.
type lane struct {
	mu   sync.Mutex
	q    []func()
	wake chan struct{}
}

func newLane(ctx context.Context) *lane {
	l := &lane{wake: make(chan struct{}, 1)}
	go l.run(ctx)
	return l
}

func (l *lane) push(f func()) {
	l.mu.Lock()
	l.q = append(l.q, f)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lane) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		for {
			l.mu.Lock()
			if len(l.q) == 0 {
				l.mu.Unlock()
				break
			}
			f := l.q[0]
			l.q = l.q[1:]
			l.mu.Unlock()
			f()
		}
	}
}

// notifications announces new messages from other people while the
// window is not focused. It follows the model's state changes rather than
// frames, which a hidden window does not get.
func (win *window) notifications(ctx context.Context, changed <-chan struct{}) {
	n := &newsNotifier{open: win.notifier, log: win.log, lang: func() ui.Lang { return win.lang.Load().(ui.Lang) }}
	for {
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		n.update(win.m.State(), win.focused.Load())
	}
}

// newsNotifier turns new messages and incoming calls in the state into
// notifications.
type newsNotifier struct {
	open     func() (notify.Notifier, error)
	log      *slog.Logger
	lang     func() ui.Lang // nil: English
	n        notify.Notifier
	disabled bool // the platform has no notifications
	me       proto.UserID
	seen     map[proto.ConvID]int64 // newest seq seen per conversation
	// shown are the notifications of messages per conversation, until it
	// is read: then they are withdrawn.
	shown   map[proto.ConvID][]notify.Notification
	ringing notify.Notification // the incoming call's, until it stops ringing
	rang    proto.CallID        // the last call notified
	// mentioned is the newest message mentioning me notified per
	// conversation (mentions.go).
	mentioned map[proto.ConvID]int64
	// now is the clock a conversation's notification level is read by
	// (a mute "for 1 hour" ends by it); nil: time.Now.
	now func() time.Time
}

// nowMs is the notifier's clock in Unix ms.
func (n *newsNotifier) nowMs() int64 {
	if n.now == nil {
		return time.Now().UnixMilli()
	}
	return n.now().UnixMilli()
}

// update notifies the messages from others that are newer than the last
// state seen, and a call that starts ringing, unless the window has the
// focus.
func (n *newsNotifier) update(st state.State, focused bool) {
	if st.Me == nil {
		n.me, n.seen = 0, nil
		n.stopRinging()
		n.withdraw(func(proto.ConvID) bool { return true })
		return
	}
	n.updateCall(st.Call, focused)
	fresh := st.Me.ID != n.me // first look at this account: nothing is new
	if fresh {
		n.withdraw(func(proto.ConvID) bool { return true })
		n.me, n.seen, n.mentioned = st.Me.ID, map[proto.ConvID]int64{}, map[proto.ConvID]int64{}
	}
	unread := make(map[proto.ConvID]bool, len(st.Conversations))
	for _, c := range st.Conversations {
		unread[c.ID] = c.Unread > 0
	}
	n.withdraw(func(conv proto.ConvID) bool { return !unread[conv] }) // read, or left
	for _, c := range st.Conversations {
		if c.Last == nil {
			continue
		}
		prev, known := n.seen[c.ID]
		n.seen[c.ID] = max(prev, c.Last.Seq)
		viewing := focused && st.Open != nil && st.Open.ID == c.ID
		if n.mention(c, fresh, viewing) {
			continue // a mention says more than the newest message
		}
		if fresh || c.Last.Seq <= prev || !known && c.Unread == 0 {
			continue
		}
		if focused || c.Last.Sender == n.me {
			continue
		}
		if !c.Rings(*c.Last, n.me, n.nowMs()) {
			continue // a request, or muted (docs/protocol.md, "Blocking, requests and muting")
		}
		text := c.Last.Text
		switch {
		case c.Last.Kind == proto.MsgFile && c.Last.File != nil:
			text = ui.FileNotification(n.language(), *c.Last.File)
		case c.Last.Kind != proto.MsgText:
			continue
		}
		title := c.Last.SenderName
		if c.Kind == proto.KindGroup {
			title = c.Last.SenderName + " · " + c.Name
		}
		if shown := n.show(title, text); shown != nil {
			if n.shown == nil {
				n.shown = map[proto.ConvID][]notify.Notification{}
			}
			n.shown[c.ID] = append(n.shown[c.ID], shown)
		}
	}
}

// withdraw takes away the message notifications of the conversations
// done says are read.
func (n *newsNotifier) withdraw(done func(proto.ConvID) bool) {
	for conv, ns := range n.shown {
		if !done(conv) {
			continue
		}
		for _, shown := range ns {
			if err := shown.Cancel(); err != nil {
				n.log.Info("withdraw a message's notification", "err", err)
			}
		}
		delete(n.shown, conv)
	}
}

// updateCall notifies a call once when it starts ringing here, and takes
// the notification away when it stops.
func (n *newsNotifier) updateCall(c *state.Call, focused bool) {
	if c == nil || c.State != state.CallIncoming {
		n.stopRinging()
		return
	}
	if focused || c.ID == n.rang {
		return // the dialog asks; or this call was announced already
	}
	n.rang = c.ID
	title, text := ui.CallNotification(n.language(), *c)
	n.ringing = n.show(title, text)
}

func (n *newsNotifier) stopRinging() {
	if n.ringing != nil {
		if err := n.ringing.Cancel(); err != nil {
			n.log.Info("withdraw the call's notification", "err", err)
		}
		n.ringing = nil
	}
}

func (n *newsNotifier) language() ui.Lang {
	if n.lang == nil {
		return ui.English
	}
	return n.lang()
}

// show shows a notification; nil if the platform has none.
func (n *newsNotifier) show(title, text string) notify.Notification {
	if n.disabled {
		return nil
	}
	if n.n == nil {
		nn, err := n.open()
		if err != nil {
			n.log.Info("notifications unavailable", "err", err)
			n.disabled = true
			return nil
		}
		n.n = nn
	}
	shown, err := n.n.CreateNotification(title, text)
	if err != nil {
		n.log.Info("notify", "err", err)
		return nil
	}
	return shown
}

// uiPrefs are the user's choices of language, theme, echo cancellation
// and sound devices, kept between runs.
type uiPrefs struct {
	Lang    string `json:"lang,omitempty"`
	Theme   string `json:"theme,omitempty"`    // "light" or "dark"; "" follows the system
	EchoOff bool   `json:"echo_off,omitempty"` // echo cancellation switched off (a headset)
	// Input and Output are the chosen microphone and speaker ("" the
	// system's); a call falls back to the system's if they are gone.
	Input  string `json:"input,omitempty"`
	Output string `json:"output,omitempty"`
	// VoiceSpeed is the playback speed of voice messages chosen last (1.5
	// or 2; 0 is 1).
	VoiceSpeed float64 `json:"voice_speed,omitempty"`
}

// apply gives the model the choices it keeps (the UI's are read where
// they are drawn).
func (p uiPrefs) apply(m *model.Model) {
	if p.EchoOff {
		m.SetEchoCancelling(false)
	}
	if p.Input != "" || p.Output != "" {
		m.SelectDevices(p.Input, p.Output) // no call yet: just the choice
	}
	if p.VoiceSpeed != 0 {
		m.SetVoiceSpeed(p.VoiceSpeed)
	}
}

type prefsFile struct{ path string }

func (p prefsFile) load(log *slog.Logger) uiPrefs {
	var v uiPrefs
	b, err := readPrefs(p.path)
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("read ui prefs", "err", err)
	}
	return v
}

func (p prefsFile) save(v uiPrefs) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode ui prefs: %w", err)
	}
	if err := writePrefs(p.path, b); err != nil {
		return fmt.Errorf("write ui prefs: %w", err)
	}
	return nil
}

// deviceName names this device in the server's session list.
func deviceName() string {
	host, _ := os.Hostname()
	if host == "" {
		return "Parley desktop"
	}
	return "Parley on " + host
}
