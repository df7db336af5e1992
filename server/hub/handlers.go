package hub

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/metrics"
	"parley/server/storage"
)

// An op handles one request type: fn returns the reply body or an error;
// async (send) replies by itself later and returns only an early error.
type op struct {
	count  *metrics.Counter
	authed bool // requires a logged-in connection
	fn     func(ctx context.Context, c *conn, body json.RawMessage) (reply any, err error)
	async  func(ctx context.Context, c *conn, id string, body json.RawMessage) error
}

// handlers is every request type the hub serves: each feature contributes
// its table (chatOps here; other features in their own files).
func (h *Hub) handlers() map[string]op {
	ops := h.chatOps()
	for _, more := range h.extraOps() {
		for typ, o := range more {
			if _, dup := ops[typ]; dup {
				panic("hub: request type " + typ + " registered twice")
			}
			ops[typ] = o
		}
	}
	for typ, o := range ops {
		o.count = h.m.requests.With(typ)
		ops[typ] = o
	}
	return ops
}

func (h *Hub) chatOps() map[string]op {
	return map[string]op{
		proto.TypeRegister:      {fn: h.register},
		proto.TypeLogin:         {async: h.ringOnLogin(h.login)},
		proto.TypeResume:        {async: h.ringOnLogin(h.resume)},
		proto.TypePing:          {fn: func(context.Context, *conn, json.RawMessage) (any, error) { return struct{}{}, nil }},
		proto.TypeLogout:        {authed: true, fn: h.logout},
		proto.TypeWhoAmI:        {authed: true, fn: h.whoami},
		proto.TypeInvite:        {authed: true, fn: h.invite},
		proto.TypeLeave:         {authed: true, fn: h.leave},
		proto.TypeConversations: {authed: true, fn: h.conversations},
		proto.TypeMembers:       {authed: true, fn: h.members},
		proto.TypeDirect:        {authed: true, fn: h.direct},
		proto.TypeSend:          {authed: true, async: h.send},
		proto.TypeHistory:       {authed: true, fn: h.history},
		proto.TypeSync:          {authed: true, fn: h.sync},
		proto.TypeMedia:         {authed: true, fn: h.media}, // media.go
	}
}

// dispatch decodes one text frame and runs its op.
func (h *Hub) dispatch(ctx context.Context, c *conn, data []byte) {
	f, err := proto.DecodeFrame(data)
	if err != nil {
		c.reply(f.ID, nil, err)
		return
	}
	o, ok := h.ops[f.Type]
	if !ok {
		c.reply(f.ID, nil, proto.Errorf(proto.CodeUnknownType, "unknown request type %q", truncate(f.Type, 32)))
		return
	}
	o.count.Inc()
	h.takeRename(c)
	if o.authed && c.user.ID == 0 {
		c.reply(f.ID, nil, proto.Errorf(proto.CodeUnauthenticated, "log in first"))
		return
	}
	if o.async != nil {
		if err := o.async(ctx, c, f.ID, f.Body); err != nil {
			c.reply(f.ID, nil, err)
		}
		return
	}
	reply, err := o.fn(ctx, c, f.Body)
	c.reply(f.ID, reply, err)
}

// errorBody turns any error into what the client sees: client errors as
// they are, however deeply wrapped, everything else logged once here and
// reported as "internal".
func (h *Hub) errorBody(c *conn, err error) *proto.Error {
	if e, ok := errors.AsType[*proto.Error](err); ok {
		h.m.errors.With(string(e.Code)).Inc()
		return e
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		h.m.errors.With(string(proto.CodeUnavailable)).Inc()
		return proto.Errorf(proto.CodeUnavailable, "the request was cancelled")
	}
	if storage.Unreachable(err) {
		h.m.errors.With(string(proto.CodeUnavailable)).Inc()
		h.log.Warn("request failed: the database is out of reach", "user", c.user.ID, "err", err)
		return &proto.Error{Code: proto.CodeUnavailable, Message: "the server's database cannot be reached; try again", RetryAfterMs: 1000}
	}
	h.m.errors.With(string(proto.CodeInternal)).Inc()
	h.log.Error("request failed", "user", c.user.ID, "remote", c.remote, "err", err)
	return proto.Errorf(proto.CodeInternal, "internal error; it has been logged")
}

func decode[T any](body json.RawMessage) (T, error) {
	var v T
	err := proto.DecodeBody(body, &v)
	return v, err
}

func rateLimited(what string, retry time.Duration) *proto.Error {
	e := proto.Errorf(proto.CodeRateLimited, "too many %s: try again in %d s", what, (retry.Milliseconds()+999)/1000)
	e.RetryAfterMs = max(1, retry.Milliseconds())
	return e
}

func (h *Hub) register(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.RegisterRequest](body)
	if err != nil {
		return nil, err
	}
	name, err := cleanName(req.Name, "name")
	if err != nil {
		return nil, err
	}
	if err := checkPassword(req.Password); err != nil {
		return nil, err
	}
	if err := h.checkRegistration(req.Code); err != nil {
		return nil, err
	}
	if l := h.lims.register; l != nil {
		if ok, retry := l.Take(ctx, c.remote); !ok {
			return nil, rateLimited("registrations from your address", retry)
		}
	}
	hash, err := h.cfg.Hasher.Hash(req.Password)
	if err != nil {
		return nil, err
	}
	u, err := h.createUser(ctx, name, hash, req.Code)
	if err != nil {
		return nil, err
	}
	h.log.Info("user registered", "user", u.ID, "remote", c.remote)
	return proto.RegisterReply{User: u}, nil
}

func (h *Hub) login(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	if c.user.ID != 0 {
		return nil, proto.Errorf(proto.CodeAlreadyAuthed, "this connection is already logged in as %d", c.user.ID)
	}
	req, err := decode[proto.LoginRequest](body)
	if err != nil {
		return nil, err
	}
	if len(req.Password) > proto.MaxPasswordLen {
		return nil, proto.Errorf(proto.CodeBadCredentials, "wrong user ID or password")
	}
	userKey := strconv.FormatInt(int64(req.User), 10)
	if l := h.lims.loginUser; l != nil {
		if ok, retry := l.Allow(ctx, userKey); !ok {
			return nil, rateLimited("wrong passwords for this account", retry)
		}
	}
	if l := h.lims.loginAddr; l != nil {
		if ok, retry := l.Allow(ctx, c.remote); !ok {
			return nil, rateLimited("wrong passwords from your address", retry)
		}
	}
	u, hash, err := h.db.PasswordHash(ctx, req.User)
	ok := false
	if err == nil {
		ok, err = h.cfg.Hasher.Verify(req.Password, hash)
		if err != nil {
			return nil, err
		}
	} else if proto.CodeOf(err) != proto.CodeNoSuchUser {
		return nil, err
	}
	if !ok {
		if l := h.lims.loginUser; l != nil {
			l.Take(ctx, userKey)
		}
		if l := h.lims.loginAddr; l != nil {
			l.Take(ctx, c.remote)
		}
		h.log.Info("login failed", "user", req.User, "remote", c.remote)
		return nil, proto.Errorf(proto.CodeBadCredentials, "wrong user ID or password")
	}
	if l := h.lims.loginUser; l != nil {
		l.Reset(ctx, userKey)
	}
	if err := h.db.CheckEnabled(ctx, u.ID); err != nil {
		return nil, err
	}
	token, tokenHash, err := auth.NewToken()
	if err != nil {
		return nil, err
	}
	device, _ := cleanName(req.Device, "device")
	if h.beforeSession != nil {
		h.beforeSession()
	}
	ns := storage.NewSession{Device: device, Platform: cleanPlatform(req.Platform), Address: c.remote, PasswordHash: hash}
	if err := h.db.StartSession(ctx, tokenHash, u.ID, ns); err != nil {
		return nil, err
	}
	h.bind(c, u, tokenHash)
	if err := h.confirmBound(ctx, c, tokenHash); err != nil {
		if derr := h.db.DeleteSession(ctx, tokenHash); derr != nil {
			h.log.Warn("login: delete the session of a disabled account", "user", u.ID, "err", derr)
		}
		return nil, err
	}
	h.log.Info("login", "user", u.ID, "remote", c.remote)
	return proto.LoginReply{User: u, Token: token}, nil
}

func (h *Hub) resume(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	if c.user.ID != 0 {
		return nil, proto.Errorf(proto.CodeAlreadyAuthed, "this connection is already logged in as %d", c.user.ID)
	}
	req, err := decode[proto.ResumeRequest](body)
	if err != nil {
		return nil, err
	}
	if req.Token == "" || len(req.Token) > 256 {
		return nil, proto.Errorf(proto.CodeBadToken, "the session has ended: log in again")
	}
	hash := auth.HashToken(req.Token)
	u, err := h.db.SessionUser(ctx, hash)
	if err != nil {
		return nil, err
	}
	if h.beforeBind != nil {
		h.beforeBind()
	}
	h.bind(c, u, hash)
	// A revocation that committed after the lookup above closed the
	// user's connections before this one was bound: look again.
	if err := h.confirmBound(ctx, c, hash); err != nil {
		return nil, err
	}
	h.touchSession(hash, c.remote)
	return proto.ResumeReply{User: u}, nil
}

func (h *Hub) logout(ctx context.Context, c *conn, _ json.RawMessage) (any, error) {
	user, hash := c.user, c.tokenHash
	if err := h.db.DeleteSession(ctx, hash); err != nil {
		return nil, err
	}
	h.callConnGone(c) // a device that logs out leaves its call, as one that closes does
	h.unbind(c)
	h.kickToken(user.ID, hash, c)
	h.log.Info("logout", "user", user.ID)
	return struct{}{}, nil
}

func (h *Hub) whoami(_ context.Context, c *conn, _ json.RawMessage) (any, error) {
	return proto.WhoAmIReply{User: c.user}, nil
}

func (h *Hub) invite(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.InviteRequest](body)
	if err != nil {
		return nil, err
	}
	u, _, err := h.db.Invite(ctx, c.user, req.User, req.Group)
	if err != nil {
		return nil, err
	}
	return proto.InviteReply{User: u}, nil
}

func (h *Hub) leave(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.LeaveRequest](body)
	if err != nil {
		return nil, err
	}
	if _, err := h.db.Leave(ctx, c.user, req.Conv); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

func (h *Hub) conversations(ctx context.Context, c *conn, _ json.RawMessage) (any, error) {
	cs, err := h.db.Conversations(ctx, c.user.ID)
	if err != nil {
		return nil, err
	}
	return proto.ConversationsReply{Conversations: nonNil(cs)}, nil
}

func (h *Hub) members(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.MembersRequest](body)
	if err != nil {
		return nil, err
	}
	us, err := h.db.Members(ctx, req.Conv, c.user.ID)
	if err != nil {
		return nil, err
	}
	if req.Unwatch {
		h.watch(c, 0)
	} else {
		h.watch(c, req.Conv)
	}
	hidden := map[proto.UserID]bool{} // keep their presence from me (blocks.go)
	if len(us) == 2 {
		for _, u := range us {
			if u.ID != c.user.ID {
				hides, err := h.db.Hides(ctx, req.Conv, u.ID, c.user.ID)
				if err != nil {
					return nil, err
				}
				hidden[u.ID] = hides != storage.HideNothing
			}
		}
	}
	ms := make([]proto.Member, len(us))
	h.mu.RLock()
	for i, u := range us {
		ms[i] = proto.Member{User: u, Online: h.onlineLocked(u.ID) && !hidden[u.ID]}
	}
	h.mu.RUnlock()
	return proto.MembersReply{Members: ms}, nil
}

func (h *Hub) direct(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.DirectRequest](body)
	if err != nil {
		return nil, err
	}
	conv, err := h.Direct(ctx, c.user, req.User)
	if err != nil {
		return nil, err
	}
	return proto.ConversationReply{Conversation: conv}, nil
}

// Direct returns the direct conversation of me and peer, creating it if
// needed; when it is new, both people learn of it on every device (each
// sees the other's name). The files service opens one this way for a file
// sent to a user.
func (h *Hub) Direct(ctx context.Context, me proto.User, peer proto.UserID) (proto.Conversation, error) {
	r, err := h.db.OpenDirect(ctx, me, peer)
	if err != nil {
		return proto.Conversation{}, err
	}
	conv := r.Conv
	if r.Created || r.Revived {
		mine, _ := proto.EncodePush(proto.TypeConversation, proto.ConversationPush{Conversation: conv, Member: true})
		h.pushTo(mine, me.ID)
	}
	if r.Created {
		// The peer sees it as a request if it waits for them (blocks.go).
		theirs := conv
		theirs.Name, theirs.Peer = me.Name, &me
		theirs.Request, theirs.Notify, theirs.NotifyUntil, theirs.Archived = r.Waiting, "", 0, false
		their, _ := proto.EncodePush(proto.TypeConversation, proto.ConversationPush{Conversation: theirs, Member: true})
		h.pushTo(their, r.Peer.ID)
	}
	return conv, nil
}

// send is asynchronous: the reply goes out when the message has committed,
// so one connection can have many sends in flight, sequenced in order.
func (h *Hub) send(ctx context.Context, c *conn, id string, body json.RawMessage) error {
	req, err := decode[proto.SendRequest](body)
	if err != nil {
		return err
	}
	if req.ClientID == "" || len(req.ClientID) > proto.MaxClientIDLen {
		return proto.Errorf(proto.CodeBadRequest, "client_id must be 1 to %d bytes", proto.MaxClientIDLen)
	}
	if hasExtras(req) { // reply, mentions, forward: events.go
		return h.sendWith(ctx, c, id, req)
	}
	if err := checkText(req.Text); err != nil {
		return err
	}
	select {
	case c.inflight <- struct{}{}:
	case <-c.closed:
		return proto.Errorf(proto.CodeUnavailable, "connection closing")
	}
	start := h.now()
	err = h.db.SendAsync(ctx, c.user, req.Conv, req.ClientID, req.Text, func(m proto.Message, dup bool, err error) {
		if err == nil && !dup {
			h.m.messagesIn.Inc()
			h.m.sendLatency.ObserveDuration(h.now().Sub(start))
		}
		c.reply(id, proto.SendReply{Message: m, Duplicate: dup}, err)
		<-c.inflight // after the reply is queued: a send in flight has none yet
	})
	if err != nil {
		<-c.inflight
	}
	return err
}

func (h *Hub) history(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.HistoryRequest](body)
	if err != nil {
		return nil, err
	}
	if req.Before != nil && req.After != nil {
		return nil, proto.Errorf(proto.CodeBadRequest, "give before or after, not both")
	}
	if req.Before != nil && *req.Before < 0 || req.After != nil && *req.After < 0 || req.Limit < 0 {
		return nil, proto.Errorf(proto.CodeBadRequest, "before, after and limit must not be negative")
	}
	req.Limit = clampLimit(req.Limit, 50)
	ms, more, err := h.db.History(ctx, c.user.ID, req)
	if err != nil {
		return nil, err
	}
	return proto.HistoryReply{Messages: nonNil(ms), More: more}, nil
}

func (h *Hub) sync(ctx context.Context, c *conn, body json.RawMessage) (any, error) {
	req, err := decode[proto.SyncRequest](body)
	if err != nil {
		return nil, err
	}
	if len(req.Have) > proto.MaxSyncConvs {
		return nil, proto.Errorf(proto.CodeTooLarge, "at most %d conversations in one sync", proto.MaxSyncConvs)
	}
	convs, msgs, more, err := h.db.Sync(ctx, c.user.ID, req.Have, clampLimit(req.Limit, proto.MaxHistoryLimit))
	if err != nil {
		return nil, err
	}
	hidden, err := h.db.HiddenAfter(ctx, c.user.ID, req.HiddenAfter)
	if err != nil {
		return nil, err
	}
	profiles, rev, err := h.db.ProfilesAfter(ctx, c.user.ID, req.ProfilesAfter) // people.go
	if err != nil {
		return nil, err
	}
	return proto.SyncReply{Conversations: nonNil(convs), Messages: nonNil(msgs), More: more, Hidden: hidden,
		Profiles: profiles, ProfilesRev: rev}, nil
}

func clampLimit(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, proto.MaxHistoryLimit)
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cleanName trims a display, group or device name and checks it: valid
// UTF-8, 1 to MaxNameRunes code points, no control characters.
func cleanName(s, what string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", proto.Errorf(proto.CodeInvalidName, "%s is not valid UTF-8", what)
	case s == "":
		return "", proto.Errorf(proto.CodeInvalidName, "%s is empty", what)
	case utf8.RuneCountInString(s) > proto.MaxNameRunes:
		return "", proto.Errorf(proto.CodeInvalidName, "%s is longer than %d characters", what, proto.MaxNameRunes)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", proto.Errorf(proto.CodeInvalidName, "%s contains control characters", what)
	}
	return s, nil
}

func checkPassword(p string) error {
	if len(p) < proto.MinPasswordLen || len(p) > proto.MaxPasswordLen {
		return proto.Errorf(proto.CodeWeakPassword, "the password must be %d to %d bytes long", proto.MinPasswordLen, proto.MaxPasswordLen)
	}
	return nil
}

func checkText(t string) error {
	switch {
	case len(t) > proto.MaxTextBytes:
		return proto.Errorf(proto.CodeTooLarge, "a message can hold at most %d bytes of text", proto.MaxTextBytes)
	case !utf8.ValidString(t):
		return proto.Errorf(proto.CodeBadText, "the text is not valid UTF-8")
	case strings.TrimSpace(t) == "":
		return proto.Errorf(proto.CodeBadText, "the message is empty")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
