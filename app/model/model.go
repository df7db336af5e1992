package model

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// Config configures a Model.
type Config struct {
	// DataDir holds one cache database per account (Gio's app.DataDir()
	// joined with "parley" on devices; a temporary folder in tests).
	DataDir string
	// Server is the address offered for the first login, e.g.
	// http://127.0.0.1:8080.
	Server string
	// Invalidate asks the UI to redraw; called after every state change,
	// from any goroutine. It must not block.
	Invalidate func()
	Logger     *slog.Logger
	// Device names this device in the server's session list.
	Device string
	// MinBackoff and MaxBackoff bound reconnect waits (0: the client's
	// defaults). Tests shorten them.
	MinBackoff, MaxBackoff time.Duration
	// OpenStore opens an account's cache (default store.OpenAccount).
	// The model sets opt's TakeOver and OnTaken (a browser tab's claim).
	OpenStore func(root, server string, user proto.UserID, opt store.Options) (store.Store, error)
	// RemoveStore deletes an account's cache that would not open
	// (default store.RemoveAccount).
	RemoveStore func(root, server string, user proto.UserID) error
	Now         func() time.Time

	// Files configures file transfers (transfers.go).
	Files FilesConfig
	// Audio opens the sound devices of calls (calls.go); nil: the system's.
	Audio CallAudio
	// VoiceLimit, if set, stops a voice recording sooner than
	// voice.MaxDuration (tests).
	VoiceLimit time.Duration
	// OpenURL opens a link in the browser (links.go); nil: the system's
	// default browser, or a new tab in the browser app.
	OpenURL func(url string) error

	// syncing, if set, runs as each connection's OnConnect begins, on
	// the resumed connection (tests hold the sync there).
	syncing func(ctx context.Context)
	// nodeDialTimeout bounds a login's or registration's dial of one
	// server address when another follows it (default
	// client.DefaultDialTimeout; tests shorten it).
	nodeDialTimeout time.Duration
}

// Model is the application: it holds the state the UI draws and performs
// the user's actions through the network client and the local store. It
// never imports Gio: it tells the UI to redraw through Config.Invalidate.
//
// Actions block until done and may be called from any goroutine; the UI
// calls them off its own goroutine. State is cheap and safe to call at
// any time.
type Model struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	st      state.State
	notices uint64        // last notice ID
	acct    *account      // nil when logged out
	broken  store.Account // the account whose cache would not open, for ResetCache or UseHere
	inUse   bool          // broken only because another tab has it open

	authMu sync.Mutex // one login, register, logout or cache reset at a time

	calls calls // voice calls (calls.go)

	unfocused atomic.Bool // the window has not the focus (SetFocused, receipts.go)

	pendingLink string // an invite link the app was opened with, previewed once online (groups.go)
}

// NewModel returns a model. If an account was logged in when the app last
// ran, its cached conversations are shown at once and it reconnects in
// the background.
func NewModel(cfg Config) (*Model, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("model: no data folder")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Invalidate == nil {
		cfg.Invalidate = func() {}
	}
	if cfg.OpenStore == nil {
		cfg.OpenStore = store.OpenAccount
	}
	if cfg.RemoveStore == nil {
		cfg.RemoveStore = store.RemoveAccount
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.OpenURL == nil {
		cfg.OpenURL = platformOpenURL
	}
	if cfg.Server == "" {
		cfg.Server = "http://127.0.0.1:8080"
	}
	if cfg.nodeDialTimeout <= 0 {
		cfg.nodeDialTimeout = client.DefaultDialTimeout
	}
	m := &Model{cfg: cfg, log: cfg.Logger}
	m.st.Server = cfg.Server
	last, err := store.LastAccount(cfg.DataDir)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			m.log.Warn("read last account", "err", err)
		}
		return m, nil
	}
	m.st.Server = last.Server
	if last.User == 0 {
		return m, nil
	}
	db, err := m.openCache(last.Server, last.User, false)
	if err != nil {
		// Not fatal: a cache that cannot be opened (corrupt, or the
		// browser refuses its storage) must not leave a window that
		// never opens. The login screen says why and offers to clear
		// it (ResetCache); nothing is deleted unless the user asks.
		m.log.Error("start", "err", err)
		m.authFailed(err)
		return m, nil
	}
	sess, err := db.Session(context.Background())
	if err != nil || sess.Token == "" {
		db.Close()
		return m, nil // logged out last time: show login
	}
	m.startAccount(sess, db)
	return m, nil
}

// State returns the current state. The slices in it are never modified
// afterwards, so the caller may keep it.
func (m *Model) State() state.State {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st
}

// Close disconnects and closes the store; the outbox stays for next time.
func (m *Model) Close() error {
	m.mu.Lock()
	a := m.acct
	m.acct = nil
	m.mu.Unlock()
	if a != nil {
		return a.stop()
	}
	return nil
}

// update changes the state under the lock and asks for a redraw.
func (m *Model) update(f func(st *state.State)) {
	m.mu.Lock()
	f(&m.st)
	m.mu.Unlock()
	m.cfg.Invalidate()
}

// notify adds a notice to the notice bar.
func (m *Model) notify(kind state.NoticeKind, args ...string) {
	m.update(func(st *state.State) { st.Notices = m.appendNotice(st.Notices, m.newNotice(kind, args...)) })
}

func (m *Model) newNotice(kind state.NoticeKind, args ...string) state.Notice {
	m.notices++
	now := m.cfg.Now()
	life := state.NoticeLife
	if kind == state.NoticeError {
		life = state.ErrorNoticeLife
	}
	return state.Notice{ID: m.notices, Kind: kind, Args: args, Time: now.UnixMilli(), Expires: now.Add(life).UnixMilli()}
}

// appendNotice adds n to the notice bar ns: expired notices go, and a
// notice that repeats one still shown replaces it, counted, with n's ID
// and times.
func (m *Model) appendNotice(ns []state.Notice, n state.Notice) []state.Notice {
	now := m.cfg.Now().UnixMilli()
	count := 1
	ns = slices.DeleteFunc(slices.Clone(ns), func(o state.Notice) bool {
		if sameNotice(o, n) && o.Shown(now) {
			count += max(o.Count, 1)
			return true
		}
		return !o.Shown(now)
	})
	if count > 1 {
		n.Count = count
	}
	ns = append(ns, n)
	if len(ns) > state.MaxNotices {
		ns = ns[len(ns)-state.MaxNotices:]
	}
	return ns
}

// sameNotice reports whether a and b say the same thing.
func sameNotice(a, b state.Notice) bool {
	return a.Kind == b.Kind && a.Code == b.Code && a.Detail == b.Detail && a.Text == b.Text && slices.Equal(a.Args, b.Args)
}

// withoutLoginNotices drops the notices that belong to the login screen
// ("Logged out"): once logged in they are obsolete.
func withoutLoginNotices(ns []state.Notice) []state.Notice {
	if !slices.ContainsFunc(ns, state.Notice.OnLoginScreen) {
		return ns
	}
	return slices.DeleteFunc(slices.Clone(ns), state.Notice.OnLoginScreen)
}

// errorNotice turns an error into a notice: server errors keep their code
// and message, the rest are classified.
func (m *Model) errorNotice(err error) state.Notice {
	m.mu.Lock() // newNotice counts under the lock
	defer m.mu.Unlock()
	n := m.newNotice(state.NoticeError)
	var ab *aboutError
	if errors.As(err, &ab) {
		n.Args = []string{ab.id}
	}
	var pe *proto.Error
	switch {
	case errors.Is(err, store.ErrInUse):
		var ce *cacheError
		errors.As(err, &ce)
		n.Code, n.Text = state.CodeInUse, err.Error()
		if ce != nil {
			n.Args = []string{fmt.Sprint(ce.user)}
		}
	case errors.As(err, new(*cacheError)):
		var ce *cacheError
		errors.As(err, &ce)
		n.Code, n.Text, n.Args = state.CodeCache, err.Error(), []string{fmt.Sprint(ce.user)}
	case errors.As(err, &pe):
		n.Code, n.Text = pe.Code, pe.Message
	case errors.Is(err, client.ErrOffline), errors.Is(err, client.ErrClosed), isDialError(err):
		n.Code, n.Text = state.CodeUnreachable, "the server cannot be reached"
	case errors.As(err, new(*inputError)):
		var ie *inputError
		errors.As(err, &ie)
		n.Code, n.Detail, n.Text, n.Args = state.CodeBadInput, ie.detail, ie.msg, ie.args
	default:
		n.Code, n.Text = state.CodeLocal, err.Error()
	}
	return n
}

// fail records err in the notice bar and returns it.
func (m *Model) fail(err error) error {
	if err == nil {
		return nil
	}
	n := m.errorNotice(err)
	m.update(func(st *state.State) { st.Notices = m.appendNotice(st.Notices, n) })
	return err
}

// DismissNotice removes a notice from the bar.
func (m *Model) DismissNotice(id uint64) {
	m.update(func(st *state.State) {
		st.Notices = slices.DeleteFunc(slices.Clone(st.Notices), func(n state.Notice) bool { return n.ID == id })
		if st.AuthError != nil && st.AuthError.ID == id {
			st.AuthError = nil
		}
	})
}

// aboutError names the ID an error is about, so the notice can say "No
// group with ID 999" rather than only "No such group".
type aboutError struct {
	err error
	id  string
}

func (e *aboutError) Error() string { return e.err.Error() }
func (e *aboutError) Unwrap() error { return e.err }

// about attaches id to err (nil stays nil).
func about(err error, id int64) error {
	if err == nil {
		return nil
	}
	return &aboutError{err, fmt.Sprint(id)}
}

// inputError is a form filled in wrongly; it never reaches the network.
// detail is a state.Input* key, so the UI can say it in the user's language.
type inputError struct {
	detail string
	args   []string
	msg    string // English
}

func (e *inputError) Error() string { return e.msg }

// badInput reports the problem detail; format and args are its English
// wording, and args (as text) are also what the UI fills into its own.
func badInput(detail, format string, args ...any) error {
	e := &inputError{detail: detail, msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		e.args = append(e.args, fmt.Sprint(a))
	}
	return e
}

// dialError marks a failure to reach the server at all.
type dialError struct{ err error }

func (e *dialError) Error() string { return "cannot reach the server: " + e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

func isDialError(err error) bool { return errors.As(err, new(*dialError)) }

// serverURLs reads the server field: one address, or several (the nodes
// of one server) separated by commas and/or spaces. It returns their
// WebSocket URLs in order; the first address is the account's canonical
// one (home). Each is checked as wsURL does, and a bad one is named.
func serverURLs(server string) ([]string, error) {
	addrs := serverAddrs(server)
	if len(addrs) == 0 {
		return nil, badInput(state.InputServer, "enter the server address")
	}
	urls := make([]string, 0, len(addrs))
	for _, a := range addrs {
		u, err := wsURL(a)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(urls, u) {
			urls = append(urls, u)
		}
	}
	return urls, nil
}

// serverAddrs splits the server field into its addresses.
func serverAddrs(server string) []string {
	return strings.FieldsFunc(server, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// home is the first address of the server field: the account's
// canonical address, which names its cache (store.AccountPath) and its
// staged files. For one address it is that address, so an account saved
// before several were accepted keeps its cache.
func home(server string) string {
	if addrs := serverAddrs(server); len(addrs) > 0 {
		return addrs[0]
	}
	return strings.TrimSpace(server)
}

// wsURL turns the address a person typed (http://host:port, https://host,
// or host:port) into the WebSocket URL.
func wsURL(server string) (string, error) {
	s := strings.TrimSpace(server)
	if s == "" {
		return "", badInput(state.InputServer, "enter the server address")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", badInput(state.InputServerBad, "%s is not a server address", server)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", badInput(state.InputServerBad, "%s is not a server address", server)
	}
	u.Path = proto.WSPath
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// parseID reads an ID a person typed; detail is state.InputUserID or
// state.InputGroupID.
func parseID(s, detail string) (int64, error) {
	s = strings.TrimSpace(s)
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil || id <= 0 || fmt.Sprint(id) != s {
		what := "a user ID"
		if detail == state.InputGroupID {
			what = "a group ID"
		}
		return 0, badInput(detail, "%s is a number, like 4821", what)
	}
	return id, nil
}
