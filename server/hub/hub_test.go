package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/node/nodetest"
)

// raw is a protocol-level client: it sends exactly the bytes a test gives
// it, so tests can send what no well-behaved client would.
type raw struct {
	t  *testing.T
	ws *websocket.Conn
	n  int
}

func dialRaw(t *testing.T, s *nodetest.Server) *raw {
	t.Helper()
	return dialWith(t, s, nil)
}

// dialWith dials with extra request headers.
func dialWith(t *testing.T, s *nodetest.Server, header http.Header) *raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.URL, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(4 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	r := &raw{t: t, ws: ws}
	if f := r.next(); f.Type != proto.TypeHello {
		t.Fatalf("first frame is %q, want hello", f.Type)
	}
	return r
}

func (r *raw) next() proto.Frame {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, data, err := r.ws.Read(ctx)
	if err != nil {
		r.t.Fatalf("read: %v", err)
	}
	f, err := proto.DecodeFrame(data)
	if err != nil {
		r.t.Fatalf("server sent a bad frame %q: %v", data, err)
	}
	return f
}

// reply reads frames until the reply to id, skipping pushes.
func (r *raw) reply(id string) proto.Frame {
	r.t.Helper()
	for {
		f := r.next()
		if f.Type == proto.TypeReply && f.ID == id {
			return f
		}
		if f.Type == proto.TypeReply {
			r.t.Fatalf("got reply to %q while waiting for %q", f.ID, id)
		}
	}
}

func (r *raw) sendBytes(data string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageText, []byte(data)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// call sends a request and returns the reply frame.
func (r *raw) call(typ string, body any) proto.Frame {
	r.t.Helper()
	r.n++
	id := fmt.Sprint(r.n)
	b, err := proto.EncodeRequest(typ, id, body)
	if err != nil {
		r.t.Fatal(err)
	}
	r.sendBytes(string(b))
	return r.reply(id)
}

func (r *raw) ok(typ string, body, reply any) {
	r.t.Helper()
	f := r.call(typ, body)
	if f.Error != nil {
		r.t.Fatalf("%s: %v", typ, f.Error)
	}
	if reply != nil {
		if err := json.Unmarshal(f.Body, reply); err != nil {
			r.t.Fatalf("%s reply: %v", typ, err)
		}
	}
}

func wantCode(t *testing.T, f proto.Frame, code proto.Code) {
	t.Helper()
	if f.Error == nil {
		t.Fatalf("got success %s, want error %s", f.Body, code)
	}
	if f.Error.Code != code {
		t.Fatalf("got error %v, want %s", f.Error, code)
	}
	if f.Error.Message == "" {
		t.Fatalf("error %s has no message for people", code)
	}
}

func (r *raw) registerAndLogin(name string) proto.User {
	r.t.Helper()
	var reg proto.RegisterReply
	r.ok(proto.TypeRegister, proto.RegisterRequest{Name: name, Password: "secret-password"}, &reg)
	var login proto.LoginReply
	r.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, &login)
	return login.User
}

func TestMalformedFramesGetErrorsAndChangeNothing(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	cases := []struct {
		frame string
		id    string
		code  proto.Code
	}{
		{`not json`, "", proto.CodeBadFrame},
		{`[1,2,3]`, "", proto.CodeBadFrame},
		{`{"id":"1"}`, "1", proto.CodeBadFrame},
		{`{"type":"nonsense","id":"2"}`, "2", proto.CodeUnknownType},
		{`{"type":"register","id":"3","body":"a string"}`, "3", proto.CodeBadRequest},
		{`{"type":"register","id":"4","body":{"name":"","password":"secret-password"}}`, "4", proto.CodeInvalidName},
		{`{"type":"register","id":"5","body":{"name":"x","password":"short"}}`, "5", proto.CodeWeakPassword},
		{`{"type":"register","id":"6","body":{"name":"` + strings.Repeat("名", proto.MaxNameRunes+1) + `","password":"secret-password"}}`, "6", proto.CodeInvalidName},
		{`{"type":"register","id":"7","body":{"name":"a\u0007b","password":"secret-password"}}`, "7", proto.CodeInvalidName},
		{`{"type":"send","id":"8","body":{"conv":1,"client_id":"x","text":"hi"}}`, "8", proto.CodeUnauthenticated},
		{`{"type":"sync","id":"9"}`, "9", proto.CodeUnauthenticated},
		{`{"type":"resume","id":"10","body":{"token":"forged"}}`, "10", proto.CodeBadToken},
		{`{"type":"login","id":"11","body":{"user":1234,"password":"whatever"}}`, "11", proto.CodeBadCredentials},
	}
	for _, c := range cases {
		r.sendBytes(c.frame)
		wantCode(t, r.reply(c.id), c.code)
	}
	// A binary frame is refused; the connection stays usable.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, r.reply(""), proto.CodeBadFrame)
	r.ok(proto.TypePing, nil, nil)

	// Nothing was created by any of it: the first user registered now is
	// the only one, and they have no conversations.
	u := r.registerAndLogin("Li Hua")
	var convs proto.ConversationsReply
	r.ok(proto.TypeConversations, nil, &convs)
	if len(convs.Conversations) != 0 {
		t.Fatalf("conversations after bad input: %+v", convs.Conversations)
	}
	if u.ID < 1000 {
		t.Fatalf("user ID %d has fewer than 4 digits", u.ID)
	}
}

func TestOversizedFrameClosesOnlyThatConnection(t *testing.T) {
	s := nodetest.Start(t)
	a := dialRaw(t, s)
	a.registerAndLogin("A")
	b := dialRaw(t, s)
	b.sendBytes(`{"type":"ping","id":"1","body":{"pad":"` + strings.Repeat("x", proto.MaxFrameBytes) + `"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _, err := b.ws.Read(ctx)
	if st := websocket.CloseStatus(err); st != websocket.StatusMessageTooBig {
		t.Fatalf("oversized frame: got %v (status %d), want close %d", err, st, websocket.StatusMessageTooBig)
	}
	a.ok(proto.TypePing, nil, nil)
}

func TestTextLimitsAndValidation(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	r.registerAndLogin("王小明")
	var g proto.ConversationReply
	r.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "学习小组"}, &g)
	if g.Conversation.Name != "学习小组" || g.Conversation.ID < 100 {
		t.Fatalf("group: %+v", g.Conversation)
	}
	send := func(text, clientID string) proto.Frame {
		return r.call(proto.TypeSend, proto.SendRequest{Conv: g.Conversation.ID, ClientID: clientID, Text: text})
	}
	wantCode(t, send(strings.Repeat("a", proto.MaxTextBytes+1), "c1"), proto.CodeTooLarge)
	wantCode(t, send("   \n ", "c2"), proto.CodeBadText)
	wantCode(t, send("hi", ""), proto.CodeBadRequest)
	wantCode(t, send("hi", strings.Repeat("k", proto.MaxClientIDLen+1)), proto.CodeBadRequest)
	wantCode(t, r.call(proto.TypeSend, proto.SendRequest{Conv: 999999, ClientID: "c3", Text: "hi"}), proto.CodeNoSuchConv)
	var sent proto.SendReply
	r.ok(proto.TypeSend, proto.SendRequest{Conv: g.Conversation.ID, ClientID: "c4", Text: strings.Repeat("字", proto.MaxTextBytes/3)}, &sent)
	// created (1), then this message (2): the rejected sends took no seq.
	if sent.Message.Seq != 2 {
		t.Fatalf("seq after rejected sends = %d, want 2", sent.Message.Seq)
	}
	wantCode(t, r.call(proto.TypeHistory, proto.HistoryRequest{Conv: g.Conversation.ID, Before: new(int64(5)), After: new(int64(1))}), proto.CodeBadRequest)
	wantCode(t, r.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: g.Conversation.ID}), proto.CodeAlreadyMember)
	wantCode(t, r.call(proto.TypeJoinGroup, proto.JoinGroupRequest{Group: 99}), proto.CodeNoSuchGroup)
	wantCode(t, r.call(proto.TypeLogin, proto.LoginRequest{User: 1, Password: "x"}), proto.CodeAlreadyAuthed)
}

func TestFailedLoginsAreRateLimited(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	var reg proto.RegisterReply
	r.ok(proto.TypeRegister, proto.RegisterRequest{Name: "victim", Password: "right-password"}, &reg)
	var limited proto.Frame
	for i := range 10 {
		f := r.call(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: fmt.Sprint("guess-", i)})
		if f.Error != nil && f.Error.Code == proto.CodeRateLimited {
			limited = f
			break
		}
		wantCode(t, f, proto.CodeBadCredentials)
	}
	if limited.Error == nil {
		t.Fatal("10 wrong passwords in a row were never rate-limited")
	}
	if limited.Error.RetryAfterMs <= 0 {
		t.Fatalf("rate_limited without retry_after_ms: %+v", limited.Error)
	}
	// Even the right password is refused until the limit passes.
	wantCode(t, r.call(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "right-password"}), proto.CodeRateLimited)
}

func TestLogoutRevokesTheToken(t *testing.T) {
	s := nodetest.Start(t)
	a := dialRaw(t, s)
	var reg proto.RegisterReply
	a.ok(proto.TypeRegister, proto.RegisterRequest{Name: "A", Password: "secret-password"}, &reg)
	var login proto.LoginReply
	a.ok(proto.TypeLogin, proto.LoginRequest{User: reg.User.ID, Password: "secret-password"}, &login)
	if len(login.Token) < 43 { // 32 bytes in base64url
		t.Fatalf("token %q is shorter than 256 bits", login.Token)
	}
	b := dialRaw(t, s)
	b.ok(proto.TypeResume, proto.ResumeRequest{Token: login.Token}, nil)
	var who proto.WhoAmIReply
	b.ok(proto.TypeWhoAmI, nil, &who)
	if who.User != reg.User {
		t.Fatalf("whoami = %+v, want %+v", who.User, reg.User)
	}
	a.ok(proto.TypeLogout, nil, nil)
	wantCode(t, a.call(proto.TypeWhoAmI, nil), proto.CodeUnauthenticated)
	c := dialRaw(t, s)
	wantCode(t, c.call(proto.TypeResume, proto.ResumeRequest{Token: login.Token}), proto.CodeBadToken)
	// b, which used the same token, has been disconnected.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := b.ws.Read(ctx); err != nil {
			if ctx.Err() != nil {
				t.Fatal("connection with the revoked token stayed open")
			}
			break
		}
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	r.registerAndLogin("metrics")
	for path, want := range map[string]string{
		"/healthz": "ok",
		"/readyz":  "ready",
		"/metrics": "parley_connections 1",
	} {
		body := httpGet(t, s.HTTPURL+path)
		if !strings.Contains(body, want) {
			t.Errorf("%s does not contain %q:\n%s", path, want, body)
		}
	}
	body := httpGet(t, s.HTTPURL+"/metrics")
	for _, name := range []string{"parley_messages_in_total", "parley_messages_out_total", "parley_fanout_seconds_bucket", "parley_db_commit_seconds_bucket", `parley_requests_total{type="login"} 1`} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}

// dialAs dials with the X-Forwarded-For a reverse proxy on 127.0.0.1
// would add.
func dialAs(t *testing.T, s *nodetest.Server, forwardedFor string) *raw {
	t.Helper()
	return dialWith(t, s, http.Header{"X-Forwarded-For": {forwardedFor}})
}

func TestRegistrationLimitIsPerClientBehindATrustedProxy(t *testing.T) {
	register := func(r *raw, name string) proto.Frame {
		return r.call(proto.TypeRegister, proto.RegisterRequest{Name: name, Password: "secret-password"})
	}
	oneEach := nodetest.WithConfig(func(c *node.Config) { c.RegisterLimit = hub.Limit{Burst: 1, Every: time.Hour} })

	// Behind a proxy on 127.0.0.1 that the server trusts: two clients,
	// one registration each.
	trusted, err := hub.ParseTrustedProxies("127.0.0.1,::1")
	if err != nil {
		t.Fatal(err)
	}
	s := nodetest.Start(t, oneEach, nodetest.WithConfig(func(c *node.Config) { c.TrustedProxies = trusted }))
	if f := register(dialAs(t, s, "203.0.113.7"), "a"); f.Error != nil {
		t.Fatalf("first client: %+v", f.Error)
	}
	if f := register(dialAs(t, s, "203.0.113.8"), "b"); f.Error != nil {
		t.Fatalf("second client, another address: %+v", f.Error)
	}
	wantCode(t, register(dialAs(t, s, "203.0.113.7"), "a again"), proto.CodeRateLimited)
	// A client cannot dodge its limit by adding an address of its own.
	wantCode(t, register(dialAs(t, s, "198.51.100.1, 203.0.113.7"), "a in disguise"), proto.CodeRateLimited)

	// Without the setting, the header is nobody's word: everyone is the proxy.
	plain := nodetest.Start(t, oneEach)
	if f := register(dialAs(t, plain, "203.0.113.7"), "a"); f.Error != nil {
		t.Fatalf("first client: %+v", f.Error)
	}
	wantCode(t, register(dialAs(t, plain, "203.0.113.8"), "b"), proto.CodeRateLimited)
}

func TestHistoryPagesInEveryDocumentedMode(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	r.registerAndLogin("Li")
	var g proto.ConversationReply
	r.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "g"}, &g)
	conv := g.Conversation.ID
	for i := range 9 { // seq 1 is the created event: seqs 1..10
		r.ok(proto.TypeSend, proto.SendRequest{Conv: conv, ClientID: fmt.Sprint("c", i), Text: "m"}, nil)
	}
	page := func(fields string) (seqs []int64, more bool) {
		t.Helper()
		r.n++
		id := fmt.Sprint(r.n)
		r.sendBytes(fmt.Sprintf(`{"type":"history","id":%q,"body":{"conv":%d,"limit":3%s}}`, id, conv, fields))
		f := r.reply(id)
		if f.Error != nil {
			t.Fatalf("history%s: %v", fields, f.Error)
		}
		var h proto.HistoryReply
		if err := json.Unmarshal(f.Body, &h); err != nil {
			t.Fatal(err)
		}
		for _, m := range h.Messages {
			seqs = append(seqs, m.Seq)
		}
		return seqs, h.More
	}
	for _, c := range []struct {
		fields string
		want   string
		more   bool
	}{
		{``, "[8 9 10]", true},                            // neither: the newest page
		{`,"after":0`, "[1 2 3]", true},                   // the first page
		{`,"after":3`, "[4 5 6]", true},                   // just above 3
		{`,"after":8`, "[9 10]", false},                   // the last, short
		{`,"after":10`, "[]", false},                      // nothing above the newest
		{`,"before":11`, "[8 9 10]", true},                // just below 11
		{`,"before":4`, "[1 2 3]", false},                 // down to the first
		{`,"before":1`, "[]", false},                      // nothing below the first
		{`,"before":0`, "[]", false},                      // nothing below 0
		{`,"after":null,"before":null`, "[8 9 10]", true}, // null is absent
	} {
		seqs, more := page(c.fields)
		if got := fmt.Sprint(seqs); got != c.want && !(c.want == "[]" && seqs == nil) || more != c.more {
			t.Errorf("history%s: seqs %v more %v, want %s more %v", c.fields, seqs, more, c.want, c.more)
		}
	}
	for _, fields := range []string{`"after":0,"before":5`, `"after":1,"before":0`, `"after":-1`, `"before":-1`, `"limit":-1`} {
		r.n++
		id := fmt.Sprint(r.n)
		r.sendBytes(fmt.Sprintf(`{"type":"history","id":%q,"body":{"conv":%d,%s}}`, id, conv, fields))
		wantCode(t, r.reply(id), proto.CodeBadRequest)
	}
}

func TestRepliesEchoTheIDTheyCouldRead(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	for _, c := range []struct{ frame, id string }{
		{`{"id":"7"}`, `"7"`},            // readable id, no type
		{`{"id":"8","type":9}`, `"8"`},   // readable id, type not a string
		{`not json`, `""`},               // nothing readable
		{`{"id":5,"type":"ping"}`, `""`}, // id not a string
		{`{"type":"ping","id":"` + strings.Repeat("i", proto.MaxRequestIDLen+1) + `"}`, `""`},
	} {
		r.sendBytes(c.frame)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, data, err := r.ws.Read(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Type  string
			ID    json.RawMessage
			Error *proto.Error
		}
		if err := json.Unmarshal(data, &got); err != nil || got.Type != proto.TypeReply || string(got.ID) != c.id ||
			got.Error == nil || got.Error.Code != proto.CodeBadFrame {
			t.Errorf("%s: reply %s, want bad_frame with \"id\":%s", c.frame, data, c.id)
		}
	}
}

func TestTextThatIsNotUTF8IsRefusedNotRepaired(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	r.registerAndLogin("Li")
	var g proto.ConversationReply
	r.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "g"}, &g)
	conv := g.Conversation.ID
	for _, c := range []struct {
		frame string
		code  proto.Code
	}{
		{fmt.Sprintf(`{"type":"send","id":"1","body":{"conv":%d,"client_id":"c1","text":"hi `+"\xff\xfe"+`"}}`, conv), proto.CodeBadText},
		{fmt.Sprintf(`{"type":"send","id":"2","body":{"conv":%d,"client_id":"c2","text":"hi \ud800"}}`, conv), proto.CodeBadText},
		{fmt.Sprintf(`{"type":"send","id":"3","body":{"conv":%d,"client_id":"c3`+"\xff"+`","text":"hi"}}`, conv), proto.CodeBadRequest},
		{`{"type":"create_group","id":"4","body":{"name":"g` + "\xff" + `"}}`, proto.CodeInvalidName},
		{`{"type":"register","id":"5","body":{"name":"` + "\xe4\xb8" + `","password":"secret-password"}}`, proto.CodeInvalidName},
	} {
		r.sendBytes(c.frame)
		wantCode(t, r.reply(c.frame[strings.Index(c.frame, `"id":"`)+6:][:1]), c.code)
	}
	// Nothing was stored: the group holds only its created event.
	var h proto.HistoryReply
	r.ok(proto.TypeHistory, proto.HistoryRequest{Conv: conv}, &h)
	var convs proto.ConversationsReply
	r.ok(proto.TypeConversations, nil, &convs)
	if len(h.Messages) != 1 || len(convs.Conversations) != 1 {
		t.Fatalf("after refused input: %d messages, %d conversations; want 1, 1", len(h.Messages), len(convs.Conversations))
	}
}

func TestADuplicateSendIsFlaggedInTheReplyBodyAndPushesNothing(t *testing.T) {
	s := nodetest.Start(t)
	r := dialRaw(t, s)
	r.registerAndLogin("Li")
	var g proto.ConversationReply
	r.ok(proto.TypeCreateGroup, proto.CreateGroupRequest{Name: "g"}, &g)
	conv := g.Conversation.ID
	// readUntil reads frames until the reply to id and the push of seq
	// have both come, and returns the reply's body and the other pushes.
	readUntil := func(id string, seq int64) (body map[string]json.RawMessage, others []proto.Frame) {
		t.Helper()
		for body == nil || seq != 0 {
			f := r.next()
			switch {
			case f.Type == proto.TypeReply && f.ID == id:
				if f.Error != nil {
					t.Fatalf("reply %s: %v", id, f.Error)
				}
				if err := json.Unmarshal(f.Body, &body); err != nil {
					t.Fatal(err)
				}
			case f.Type == proto.TypeMessage && seq != 0:
				var m proto.Message
				json.Unmarshal(f.Body, &m)
				if m.Seq == seq {
					seq = 0
					continue
				}
				others = append(others, f)
			default:
				others = append(others, f)
			}
		}
		return body, others
	}
	r.sendBytes(fmt.Sprintf(`{"type":"send","id":"a","body":{"conv":%d,"client_id":"k1","text":"first"}}`, conv))
	first, _ := readUntil("a", 2)
	if _, ok := first["duplicate"]; ok || first["message"] == nil {
		t.Fatalf("first send's reply body %v, want a message and no duplicate field", first)
	}
	r.sendBytes(fmt.Sprintf(`{"type":"send","id":"b","body":{"conv":%d,"client_id":"k1","text":"retried"}}`, conv))
	r.sendBytes(fmt.Sprintf(`{"type":"send","id":"c","body":{"conv":%d,"client_id":"k2","text":"next"}}`, conv))
	// The replies to b and c and the push of seq 3 may come in any order;
	// nothing else may come (no push for the duplicate).
	var again map[string]json.RawMessage
	var others []proto.Frame
	for gotC, pushed3 := false, false; again == nil || !gotC || !pushed3; {
		f := r.next()
		var m proto.Message
		switch {
		case f.Type == proto.TypeReply && f.ID == "b":
			if f.Error != nil {
				t.Fatalf("reply b: %v", f.Error)
			}
			if err := json.Unmarshal(f.Body, &again); err != nil {
				t.Fatal(err)
			}
		case f.Type == proto.TypeReply && f.ID == "c" && f.Error == nil:
			gotC = true
		case f.Type == proto.TypeMessage && json.Unmarshal(f.Body, &m) == nil && m.Seq == 3:
			pushed3 = true
		default:
			others = append(others, f)
		}
	}
	var m proto.Message
	if string(again["duplicate"]) != "true" || json.Unmarshal(again["message"], &m) != nil || m.Seq != 2 || m.Text != "first" {
		t.Fatalf("duplicate reply body %v, want the original message beside \"duplicate\": true", again)
	}
	if len(others) != 0 {
		t.Fatalf("frames pushed around the duplicate: %v", others)
	}
}
