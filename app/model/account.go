package model

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
	"parley/store"
)

// account is a logged-in account: its cache, its session to the server,
// and the goroutines that keep them in step. It lives from login (or
// start-up with a saved session) to logout.
type account struct {
	m     *Model
	user  proto.User
	token string
	srv   string
	db    store.Store
	sess  *client.Session

	ctx    context.Context
	cancel context.CancelFunc
	kick   chan struct{} // wakes the outbox flusher
	inbox  inbox         // what the owner goroutine applies (owner.go)
	rf     refreshes     // coalesced refresh requests (owner.go)

	lifeMu   sync.Mutex // guards stopping and wg.Add (spawn)
	stopping bool
	wg       sync.WaitGroup

	flushMu  sync.Mutex   // one outbox flush at a time keeps sends in order
	connects atomic.Int64 // connections made (onConnect runs), for tests

	mentionScan mentionScan // the messages that mention me; the refresher's own (mentions.go)

	mu        sync.Mutex              // guards what follows
	open      proto.ConvID            // the open conversation
	winFrom   int64                   // first seq of the open window
	window    []proto.Message         // the open window, ascending
	prepended int                     // messages the last older page put in front
	winTo     int64                   // last seq of the open window when it stops before the newest (a jump, jump.go); 0: it follows the newest
	focus     int64                   // the message the last jump showed (jump.go)
	focusGen  uint64                  // counts jumps
	highlight string                  // the search query the focused message marks
	pins      pinned                  // the open conversation's pinned messages (pins.go)
	searchGen [2]atomic.Uint64        // counts searches and finds (search.go)
	failed    []state.Message         // sends the server refused, kept for the user
	filling   map[proto.ConvID]bool   // gap fills in flight
	presence  map[proto.UserID]bool   // members' presence in the open conversation
	files     *fileQueue              // uploads and downloads (transfers.go)
	drafts    *drafts                 // drafts and the conversation open last (drafts.go)
	rs        *readState              // read state and receipts (receipts.go)
	ty        *typing                 // my typing (typing.go)
	left      map[proto.ConvID]string // names of groups I am no longer in, for the notice of a removal (groups.go)

	profiles   map[proto.UserID]proto.User // newest profiles learnt since start-up (settings.go)
	profileRev int64                       // the sync's profiles_rev
	pictureIDs map[picKey]string           // the picture fetched or being fetched, per user and group
	thumbs     thumbs                      // thumbnails of picture messages (pictures.go)
	staged     *staged                     // files picked to send, in the preview (sendpreview.go)
	set        *settings                   // my settings of people and conversations (convsettings.go)

	media mediaState // the "Files and media" panel (media.go)
	voice voices     // the voice messages' recorder and player (voice.go)

	gcalls map[proto.ConvID]*state.GroupCall // the groups' calls in progress, under m.mu (groupcalls.go)
}

// Register creates an account on server and logs in to it. The new ID
// stays in State.Registered, for the UI to show it large: it is how
// others find the user, and how the user logs in elsewhere. If the
// account was created but the login failed, the login screen shows the
// ID, pre-filled. confirm is the password typed again (forms that ask
// once pass the password).
func (m *Model) Register(ctx context.Context, server, name, password, confirm string) error {
	return m.RegisterWithCode(ctx, server, name, password, confirm, "")
}

// RegisterWithCode is Register with a registration code, which a server
// in the codes mode needs (docs/protocol.md, "Registration and the admin
// command"); "" sends none.
func (m *Model) RegisterWithCode(ctx context.Context, server, name, password, confirm, code string) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	u, err := m.register(ctx, server, name, password, confirm, strings.TrimSpace(code))
	if err != nil {
		return m.authFailed(err)
	}
	registered := func(st *state.State) {
		st.Server = strings.TrimSpace(server)
		st.Registered = &u
		st.CacheCleared = 0
	}
	if err := m.login(ctx, server, fmt.Sprint(u.ID), password); err != nil {
		m.update(registered)
		return m.authFailed(err)
	}
	m.update(registered)
	return nil
}

func (m *Model) register(ctx context.Context, server, name, password, confirm, code string) (proto.User, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return proto.User{}, badInput(state.InputName, "enter a name")
	case utf8.RuneCountInString(name) > proto.MaxNameRunes:
		return proto.User{}, badInput(state.InputNameLong, "a name has at most %d characters", proto.MaxNameRunes)
	case len(password) < proto.MinPasswordLen:
		return proto.User{}, badInput(state.InputPasswordShort, "a password has at least %d characters", proto.MinPasswordLen)
	case password != confirm:
		return proto.User{}, badInput(state.InputPasswordMismatch, "the passwords do not match")
	}
	c, err := m.dial(ctx, server)
	if err != nil {
		return proto.User{}, err
	}
	defer c.Close()
	return c.RegisterWithCode(ctx, name, password, code)
}

// Login logs in with a user ID and password, opens that account's cache
// and connects.
func (m *Model) Login(ctx context.Context, server, userID, password string) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	if err := m.login(ctx, server, userID, password); err != nil {
		return m.authFailed(err)
	}
	return nil
}

func (m *Model) login(ctx context.Context, server, userID, password string) error {
	id, err := parseID(userID, state.InputUserID)
	if err != nil {
		return err
	}
	if password == "" {
		return badInput(state.InputPassword, "enter your password")
	}
	server = strings.TrimSpace(server)
	c, err := m.dial(ctx, server)
	if err != nil {
		return err
	}
	r, err := c.LoginWith(ctx, proto.LoginRequest{User: proto.UserID(id), Password: password, Device: m.cfg.Device, Platform: platform()})
	if err != nil {
		c.Close()
		return err
	}
	db, err := m.openCache(server, r.User.ID, false)
	if err != nil {
		// The token could not be kept: do not leave it valid on the server.
		if lerr := c.Logout(ctx); lerr != nil {
			m.log.Info("revoke the session the cache could not keep", "err", lerr)
		}
		c.Close()
		return err
	}
	c.Close()
	sess := store.Session{Server: server, User: r.User, Token: r.Token}
	if err := db.SaveSession(ctx, sess); err != nil {
		db.Close()
		return fmt.Errorf("save the session: %w", err)
	}
	if err := store.SetLastAccount(m.cfg.DataDir, store.Account{Server: server, User: r.User.ID}); err != nil {
		m.log.Warn("remember last account", "err", err)
	}
	if old := m.swapAccount(nil); old != nil {
		old.stop()
	}
	m.startAccount(sess, db)
	return nil
}

// cacheError: this device's copy of an account would not open (corrupt,
// or the browser refused its storage). The login screen offers to clear
// it.
type cacheError struct {
	user proto.UserID
	err  error
}

func (e *cacheError) Error() string {
	return fmt.Sprintf("this device's copy of account %d cannot be opened: %v", e.user, e.err)
}
func (e *cacheError) Unwrap() error { return e.err }

// openCache opens an account's cache, remembering it for ResetCache or
// UseHere if it would not open. takeOver takes a browser cache from the
// tab that has it open.
func (m *Model) openCache(server string, user proto.UserID, takeOver bool) (store.Store, error) {
	db, err := m.cfg.OpenStore(m.cfg.DataDir, home(server), user, store.Options{
		TakeOver: takeOver,
		OnTaken:  func() { go m.takenElsewhere(user) },
	})
	m.mu.Lock()
	defer m.mu.Unlock()
	if err != nil {
		m.broken, m.inUse = store.Account{Server: server, User: user}, errors.Is(err, store.ErrInUse)
		return nil, &cacheError{user: user, err: err}
	}
	m.broken, m.inUse = store.Account{}, false
	return db, nil
}

// takenElsewhere stops the account whose cache another browser tab took
// over (UseHere there): this tab shows the login screen saying so, with
// its own Use here. The session stays: the other tab uses it.
func (m *Model) takenElsewhere(user proto.UserID) {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	a := m.account()
	if a == nil || a.user.ID != user {
		return
	}
	m.swapAccount(nil)
	a.stop()
	m.log.Info("the account was opened in another tab", "user", user)
	m.mu.Lock()
	m.broken, m.inUse = store.Account{Server: a.srv, User: user}, true
	m.mu.Unlock()
	n := m.errorNotice(&cacheError{user: user, err: store.ErrInUse})
	m.update(func(st *state.State) {
		*st = state.State{Server: a.srv, AuthError: &n}
	})
}

// unopened is the account whose cache would not open (User 0 if none),
// and whether only because another tab has it.
func (m *Model) unopened() (store.Account, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.broken, m.inUse
}

// UseHere takes the account's cache from the browser tab that has it
// open, and carries on here logged in if the cache holds a session.
func (m *Model) UseHere(ctx context.Context) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	b, inUse := m.unopened()
	if b.User == 0 || !inUse {
		return nil
	}
	db, err := m.openCache(b.Server, b.User, true)
	if err != nil {
		return m.authFailed(err)
	}
	m.update(func(st *state.State) { st.AuthError = nil })
	sess, err := db.Session(ctx)
	if err != nil || sess.Token == "" {
		db.Close()
		return nil // logged out there: log in here
	}
	m.startAccount(sess, db)
	return nil
}

// ResetCache deletes this device's copy of the account whose cache would
// not open, so that the next login starts it afresh from the server.
// Messages that were waiting in it to be sent are lost with it; the
// login screen says so before the user asks.
func (m *Model) ResetCache(ctx context.Context) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	b, inUse := m.unopened()
	if b.User == 0 || inUse { // in use is not damaged: nothing to clear
		return nil
	}
	if err := m.cfg.RemoveStore(m.cfg.DataDir, home(b.Server), b.User); err != nil {
		return m.authFailed(fmt.Errorf("clear this device's copy of account %d: %w", b.User, err))
	}
	m.log.Info("cleared an account's cache that would not open", "user", b.User)
	m.mu.Lock()
	m.broken = store.Account{}
	m.mu.Unlock()
	m.update(func(st *state.State) {
		st.AuthError = nil
		st.CacheCleared = b.User
	})
	return nil
}

// authFailed shows an account action's error inline on the login screen.
func (m *Model) authFailed(err error) error {
	n := m.errorNotice(err)
	m.update(func(st *state.State) { st.AuthError = &n })
	return err
}

// dial connects for a login or a registration: to the first of the
// server's addresses that answers, in order (a dead node does not stop
// a login when another is up). An address with another after it gets
// nodeDialTimeout, so that a node that hangs (paused, or its packets
// dropped) does not spend the whole action's time; the last gets ctx's.
func (m *Model) dial(ctx context.Context, server string) (*client.Conn, error) {
	urls, err := serverURLs(server)
	if err != nil {
		return nil, err
	}
	m.update(func(st *state.State) { st.Busy = true })
	defer m.update(func(st *state.State) { st.Busy = false })
	var errs []error
	for i, u := range urls {
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if i < len(urls)-1 {
			dctx, cancel = context.WithTimeout(ctx, m.cfg.nodeDialTimeout)
		}
		c, err := client.Dial(dctx, u, client.DialOptions{}) // dctx bounds the handshake only
		cancel()
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, &dialError{errors.Join(errs...)}
}

// Logout revokes the session on the server (when reachable), forgets it
// locally and shows the login screen. The account's cache stays on disk.
func (m *Model) Logout(ctx context.Context) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	a := m.swapAccount(nil)
	if a == nil {
		return nil
	}
	if err := a.sess.Logout(ctx); err != nil {
		// Offline: the token stays valid on the server until it expires or
		// is revoked from another device; locally it is gone either way.
		m.log.Info("logout could not reach the server", "err", err)
	}
	err := a.db.ClearSession(ctx)
	a.stop()
	if err2 := store.SetLastAccount(m.cfg.DataDir, store.Account{Server: a.srv}); err2 != nil {
		m.log.Warn("forget last account", "err", err2)
	}
	m.loggedOut(state.NoticeLoggedOut)
	return err
}

func (m *Model) loggedOut(why state.NoticeKind) {
	m.update(func(st *state.State) {
		server := st.Server
		notices := m.appendNotice(st.Notices, m.newNotice(why))
		*st = state.State{Server: server, Notices: notices}
	})
}

func (m *Model) swapAccount(a *account) *account {
	m.mu.Lock()
	defer m.mu.Unlock()
	old := m.acct
	m.acct = a
	return old
}

func (m *Model) account() *account {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.acct
}

// startAccount builds an account, publishes it once it is complete
// (actions may use it from then on), shows its cached data at once and
// starts keeping it connected.
func (m *Model) startAccount(sess store.Session, db store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	a := &account{
		m: m, user: sess.User, token: sess.Token, srv: sess.Server, db: db,
		ctx: ctx, cancel: cancel, kick: make(chan struct{}, 1),
		inbox: newInbox(), rf: newRefreshes(),
		filling: map[proto.ConvID]bool{}, presence: map[proto.UserID]bool{},
		rs: newReadState(), ty: newTyping(), set: newSettings(),
	}
	a.drafts = newDrafts(a)
	urls, _ := serverURLs(sess.Server) // valid when the session was saved
	a.sess = client.NewSession(client.SessionConfig{
		URLs:       urls,
		Token:      func() string { return a.token },
		OnConnect:  a.onConnect,
		OnState:    a.onState,
		OnPush:     a.onPush,
		MinBackoff: m.cfg.MinBackoff,
		MaxBackoff: m.cfg.MaxBackoff,
	})
	a.spawn(a.loop)
	a.spawn(a.refresher)
	a.files = startFiles(a)
	m.swapAccount(a)
	me := sess.User
	m.update(func(st *state.State) {
		st.Me = &me
		st.Server = sess.Server
		st.Registered = nil
		st.CacheCleared = 0
		st.AuthError = nil
		st.Conn = state.Connecting
	})
	a.files.publish()
	a.wantPictures(me)   // settings.go
	a.loadConvSettings() // convsettings.go
	a.refresh()
	a.drafts.start()
	a.loadPlayed() // voice.go
	a.spawn(func() {
		a.sessionRan(a.sess.Run(ctx)) // settings.go
	})
	a.spawn(a.flusher)
	a.spawn(a.reporter)
}

// sessionEnded handles a token the server no longer accepts.
func (a *account) sessionEnded() {
	if a.forget() {
		a.m.loggedOut(state.NoticeSessionEnded)
	}
}

// forget ends an account whose session the server no longer accepts, if
// it is the current one (and reports whether it was): it is no longer
// current, its session is cleared and it stops.
func (a *account) forget() bool {
	m := a.m
	m.mu.Lock()
	current := m.acct == a
	if current {
		m.acct = nil
	}
	m.mu.Unlock()
	if !current {
		return false
	}
	a.db.ClearSession(context.Background())
	go a.stop() // stop may wait for Run, which may be returning now
	return true
}

// stop stops the account's goroutines (spawn refuses new ones from now
// on), waits for them and closes the store.
func (a *account) stop() error {
	a.lifeMu.Lock()
	a.stopping = true
	a.lifeMu.Unlock()
	a.cancel()
	a.stopVoice() // voice.go
	a.wg.Wait()
	a.drafts.stop()
	return a.db.Close()
}

// current reports whether a is still the model's account (not logged out).
func (a *account) current() bool { return a.m.account() == a }

func (a *account) onState(s client.State, err error) {
	if !a.current() {
		return
	}
	var c state.Conn
	switch s {
	case client.Online:
		c = state.Online
	case client.Connecting:
		c = state.Connecting
	default:
		c = state.Offline
	}
	var retryAt int64
	if at := a.sess.RetryAt(); s == client.Offline && !at.IsZero() {
		retryAt = at.UnixMilli()
	}
	a.m.update(func(st *state.State) {
		st.Conn, st.RetryAt = c, retryAt
		// Connecting means logged in: "Logged out" is old news.
		st.Notices = withoutLoginNotices(st.Notices)
	})
	if s != client.Online {
		// The next connection's login pushes the calls still in
		// progress (groupcalls.go).
		a.clearGroupCalls()
	}
	if s == client.Online {
		a.kickFlusher()
		a.files.kickAll()
		a.rs.wake()
	}
}

// onConnect runs after every (re)connect, before the session counts as
// online: sync every conversation from the last seq held, then send what
// the outbox holds. Online shows all of it: it waits for a refresh.
func (a *account) onConnect(ctx context.Context, c *client.Conn) error {
	a.connects.Add(1)
	if a.m.cfg.syncing != nil {
		a.m.cfg.syncing(ctx)
	}
	hello := c.Hello()
	a.m.update(func(st *state.State) {
		st.EditWindow = hello.EditWindowMs
		if browserCalls { // the browser calls only over UDP (calls_js.go)
			st.CallsNeedUDP = !hello.UDP
		}
	})
	if err := a.sync(ctx, c); err != nil {
		return fmt.Errorf("sync: %w", err)
	}
	if err := a.flush(ctx, c); err != nil {
		return fmt.Errorf("send outbox: %w", err)
	}
	a.refreshMembers(ctx, c)
	a.refreshPins(ctx, c)
	a.loadPrivacy(ctx, c)
	a.spawn(func() { a.loadRequests(ctx, c) }) // groups.go
	a.previewPending(ctx, c.LinkInfo)
	a.loadBlocks(ctx, c) // convsettings.go
	a.retryFailed()      // pictures.go
	a.refresh()
	return nil
}

// advanceSynced moves a conversation's synced seq over the contiguous
// messages stored after it, and returns the new value. The owner runs it.
func (a *account) advanceSynced(ctx context.Context, conv proto.ConvID) (int64, error) {
	cv, err := a.db.Conversation(ctx, conv)
	if err != nil {
		return 0, err
	}
	synced := cv.SyncedSeq
	for {
		next, err := a.db.After(ctx, conv, synced, store.MaxLimit)
		if err != nil {
			return 0, err
		}
		moved := false
		for _, msg := range next {
			if msg.Seq != synced+1 {
				break
			}
			synced, moved = msg.Seq, true
		}
		if !moved || len(next) < store.MaxLimit {
			break
		}
	}
	if synced != cv.SyncedSeq {
		if err := a.db.SetSynced(ctx, conv, synced); err != nil {
			return 0, err
		}
	}
	return synced, nil
}

// putMessages stores messages from the server and counts nothing up to
// my newest one among them as unread: I wrote it, on this device or on
// another, after what came before it. My change entries (a reaction to
// an old message, say) do not: they say nothing of what I read. live
// says the messages were pushed (store.PutLive), not a page of history.
func (a *account) putMessages(ctx context.Context, msgs []proto.Message, live bool) error {
	put := a.db.PutMessages
	if live {
		put = a.db.PutLive
	}
	if _, err := put(ctx, msgs); err != nil {
		return err
	}
	a.pinsTouched(msgs)
	mine := map[proto.ConvID]int64{}
	for _, m := range msgs {
		if m.Sender == a.user.ID && !proto.IsChange(m.Kind) {
			mine[m.Conv] = max(mine[m.Conv], m.Seq)
		}
	}
	for conv, seq := range mine {
		if err := a.markRead(ctx, conv, seq); err != nil {
			return err
		}
	}
	return nil
}

// storePushed stores a batch of pushed messages in one transaction, and
// then does what each asks for: acks of my sends, gap fills, read marks
// of the open conversation, notices, member counts. The owner runs it.
func (a *account) storePushed(ctx context.Context, msgs []proto.Message) {
	before := a.lastSeqs(ctx, msgs)
	if err := a.putMessages(ctx, msgs, true); err != nil {
		a.m.log.Error("store pushed messages", "n", len(msgs), "err", err)
		return // the next sync brings them again
	}
	a.unarchive(msgs) // settings.go
	newest := map[proto.ConvID]int64{}
	others := map[proto.ConvID]bool{} // holds messages of others: say they are delivered
	for _, msg := range msgs {
		newest[msg.Conv] = max(newest[msg.Conv], msg.Seq)
		others[msg.Conv] = others[msg.Conv] || msg.Sender != a.user.ID
		if msg.Sender == a.user.ID && msg.ClientID != "" {
			// The push may overtake the send's reply: it is the ack.
			if err := a.db.Ack(ctx, msg.ClientID, msg); err != nil {
				a.m.log.Error("ack from push", "err", err)
			}
		}
	}
	for conv, seq := range newest {
		synced, err := a.advanceSynced(ctx, conv)
		if err != nil {
			a.m.log.Error("advance synced", "err", err)
			continue
		}
		if synced < seq {
			a.fillGap(conv) // a push arrived before ones we missed
		}
		if others[conv] {
			a.queueDelivered(conv, synced)
		}
		if a.viewing(conv) {
			if err := a.markRead(ctx, conv, seq); err != nil {
				a.m.log.Error("mark read", "err", err)
			}
		}
	}
	a.typingEnded(msgs)
	for _, msg := range msgs {
		if ev := msg.Event; ev != nil && ev.Subject != nil && ev.Subject.ID == a.user.ID && ev.Actor.ID != a.user.ID && ev.Type == proto.EventInvited {
			name := ""
			if cv, err := a.db.Conversation(ctx, msg.Conv); err == nil {
				name = cv.Name
			}
			a.m.notify(state.NoticeInvitedMe, ev.Actor.Name, fmt.Sprint(ev.Actor.ID), name, fmt.Sprint(msg.Conv))
		}
		a.files.received(msg)
	}
	a.membershipChanged(ctx, msgs, before)
	a.groupEvents(ctx, msgs) // groups.go
	a.requestRefresh()
}

// conversationPush: I joined or left a conversation, here or on another
// device. The owner runs it.
func (a *account) conversationPush(ctx context.Context, p proto.ConversationPush) {
	if !p.Member {
		a.groupGone(p) // groups.go
		a.set.forget(p.Conversation.ID)
		if err := a.db.DeleteConversation(ctx, p.Conversation.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			a.m.log.Error("forget left conversation", "err", err)
		}
		a.mu.Lock()
		if a.open == p.Conversation.ID {
			a.open, a.window = 0, nil
		}
		a.mu.Unlock()
		a.requestRefresh()
		return
	}
	_, err := a.db.Conversation(ctx, p.Conversation.ID)
	isNew := errors.Is(err, store.ErrNotFound)
	a.askPeerProfile(p.Conversation) // settings.go
	if err := a.db.PutConversations(ctx, p.Conversation); err != nil {
		a.m.log.Error("store conversation", "err", err)
		return
	}
	a.noteSettings(p.Conversation)
	if isNew {
		// History before the event that brought us in is older history.
		start := p.Conversation.LastSeq
		if p.Conversation.Last != nil {
			start = p.Conversation.Last.Seq - 1
		}
		if err := a.db.SetSynced(ctx, p.Conversation.ID, start); err != nil {
			a.m.log.Error("set synced", "err", err)
		}
		// Unread starts with the event that brought us in, not with the
		// group's whole history.
		if err := a.markRead(ctx, p.Conversation.ID, start); err != nil {
			a.m.log.Error("mark read", "err", err)
		}
	}
	a.requestRefresh()
}

// fillGap fetches, in the background, the messages between a
// conversation's synced seq and the newest one.
func (a *account) fillGap(conv proto.ConvID) {
	a.mu.Lock()
	if a.filling[conv] {
		a.mu.Unlock()
		return
	}
	a.filling[conv] = true
	a.mu.Unlock()
	done := func() {
		a.mu.Lock()
		delete(a.filling, conv)
		a.mu.Unlock()
	}
	started := a.spawn(func() {
		defer done()
		ctx := a.ctx
		for ctx.Err() == nil {
			cv, err := a.db.Conversation(ctx, conv)
			if err != nil || cv.SyncedSeq >= cv.LastSeq {
				return
			}
			h, err := a.sess.History(ctx, proto.HistoryRequest{Conv: conv, After: new(cv.SyncedSeq), Limit: proto.MaxHistoryLimit})
			if err != nil {
				return // offline: the next connect syncs
			}
			var synced int64
			err = a.exec(ctx, func() error {
				if err := a.putMessages(ctx, h.Messages, false); err != nil {
					return err
				}
				synced, err = a.advanceSynced(ctx, conv)
				return err
			})
			if err != nil {
				if ctx.Err() == nil {
					a.m.log.Error("store gap", "err", err)
				}
				return
			}
			if synced <= cv.SyncedSeq {
				return
			}
			a.queueDelivered(conv, synced)
			if a.viewing(conv) {
				a.spawn(func() { a.readOpen(ctx) }) // the gap is on screen now
			}
			a.requestRefresh()
		}
	})
	if !started {
		done()
	}
}
