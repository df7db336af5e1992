package proto

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// The decoders must give exactly what encoding/json gives, errors
// included. refDecodeFrame and refDecodeBody are DecodeFrame and
// DecodeBody as they were before the scanners: encoding/json alone, and
// the check of strings that are not UTF-8 (utf8.go) before it.

func refDecodeFrame(data []byte) (Frame, error) {
	var f Frame
	err := json.Unmarshal(data, &f)
	if f.ID != "" && !validText(data) && !idValid(data) {
		return Frame{}, Errorf(CodeBadFrame, "request id is not valid UTF-8")
	}
	if err != nil {
		if len(f.ID) > MaxRequestIDLen {
			f.ID = ""
		}
		return Frame{ID: f.ID}, Errorf(CodeBadFrame, "frame is not a JSON object: %v", err)
	}
	if len(f.ID) > MaxRequestIDLen {
		return Frame{}, Errorf(CodeBadFrame, "request id longer than %d bytes", MaxRequestIDLen)
	}
	if f.Type == "" {
		return Frame{ID: f.ID}, Errorf(CodeBadFrame, "frame has no type")
	}
	return f, nil
}

func refDecodeBody(body json.RawMessage, v any) error {
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	if !validText(body) && json.Valid(body) {
		return textError(body, v)
	}
	if err := json.Unmarshal(body, v); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		return Errorf(CodeBadRequest, "malformed body: %v", err)
	}
	return nil
}

// requestBodies is every request type with the body it carries, filled
// in (nil: no body), followed by the other bodies DecodeBody meets.
var requestBodies = []struct {
	typ  string
	body any
}{
	{TypeRegister, RegisterRequest{Name: "李华", Password: "correct horse"}},
	{TypeLogin, LoginRequest{User: 4821, Password: "pw\"\\x", Device: "laptop"}},
	{TypeResume, ResumeRequest{Token: "tok-123"}},
	{TypeLogout, nil},
	{TypeWhoAmI, nil},
	{TypePing, nil},
	{TypeCreateGroup, CreateGroupRequest{Name: "Study Group"}},
	{TypeJoinGroup, JoinGroupRequest{Group: 512}},
	{TypeInvite, InviteRequest{User: 4821, Group: 512}},
	{TypeLeave, LeaveRequest{Conv: 512}},
	{TypeConversations, nil},
	{TypeMembers, MembersRequest{Conv: 512, Unwatch: true}},
	{TypeDirect, DirectRequest{User: 4821}},
	{TypeSend, SendRequest{Conv: 512, ClientID: "c-1", Text: "大家好 <b>\u2028 tab\there"}},
	{TypeSend, SendRequest{Conv: 512, ClientID: "c-2", Text: "re", ReplyTo: 7, Mentions: []UserID{4821, 9}}},
	{TypeSend, SendRequest{Conv: 512, ClientID: "c-3", ForwardOf: &MessageRef{Conv: 9, Seq: 3}}},
	{TypeEdit, EditRequest{Conv: 512, Seq: 7, ClientID: "e-1", Text: "fixed 字"}},
	{TypeDelete, TargetRequest{Conv: 512, Seq: 7, ClientID: "d-1"}},
	{TypeHide, TargetRequest{Conv: 512, Seq: 7, ClientID: "h-1"}},
	{TypeReact, ReactRequest{Conv: 512, Seq: 7, ClientID: "r-1", Emoji: "👍🏽", Remove: true}},
	{TypePin, PinRequest{Conv: 512, Seq: 7, ClientID: "p-1", Unpin: true}},
	{TypePins, PinsRequest{Conv: 512}},
	{TypeHistory, HistoryRequest{Conv: 512, Before: new(int64(90)), Limit: 50}},
	{TypeSync, SyncRequest{Have: map[ConvID]int64{512: 7, 9: 0}, Limit: 10, HiddenAfter: 3}},
	{TypeCall, CallRequest{User: 4821, Codecs: []string{"g722", "pcm"}}},
	{TypeCallAccept, CallAcceptRequest{Call: 4000000000, Codec: "g722"}},
	{TypeCallDecline, CallRef{Call: 7}},
	{TypeCallHangup, CallRef{Call: 7}},
	{TypeCallHangup, CallHangupRequest{Call: 7, Reason: EndNoAudio}},
	{TypeCallMedia, CallMediaRequest{Call: 7, Token: "tok"}},
	{TypeRead, ReadRequest{Conv: 512, Seq: 7}},
	{TypeDelivered, DeliveredRequest{Conv: 512, Seq: 9}},
	{TypeSeenBy, SeenByRequest{Conv: 512, Seq: 3}},
	{TypePrivacy, nil},
	{TypeSetPrivacy, Privacy{ReadReceipts: true}},
	{TypeTyping, TypingRequest{Conv: 512, Stop: true}},
	{TypeSearch, SearchRequest{Query: "大家 hello", Conv: 512, Before: 99, Limit: 20}},
	{TypeLogin, LoginRequest{User: 4821, Password: "pw", Device: "Li's laptop", Platform: "linux"}},
	{TypeSync, SyncRequest{Have: map[ConvID]int64{512: 7}, ProfilesAfter: 12}},
	{TypeDevices, nil},
	{TypeRevokeDevice, RevokeDeviceRequest{ID: "9f2c0d41e7a35b6c8d1e2f30"}},
	{TypeSetPassword, SetPasswordRequest{Current: "old pw", New: "new \"pw\""}},
	{TypeSetProfile, SetProfileRequest{Name: new("李小华"), About: new("学习中"), Picture: new("")}},
	{TypeUserProfile, UserRequest{User: 4821}},
	{TypeDeleteAccount, DeleteAccountRequest{Password: "pw"}},
	{TypeProfile, ProfilePush{User: User{ID: 4821, Name: "李华", About: "hi", Picture: "ab", Deleted: true}}},
	{TypeMessage, Message{Conv: 512, Seq: 7, Sender: 4821, SenderName: "李华", Kind: MsgText, Text: "hi"}},
	{TypeReply, SendReply{Message: Message{Conv: 1, Seq: 2}, Duplicate: true}},
	{TypeCallEnd, CallEnd{Call: 7, Reason: EndHangup, By: 4821, DurationMs: 3000}},
	{TypePresence, Presence{Conv: 1, User: 2, Online: true}},
	{TypeHello, Hello{Version: 1, Server: "parley", MaxTextBytes: 1, MaxFrameBytes: 2}},
}

// variants returns frames around one request: as encoded, and rewritten in
// the ways a client could (spacing, order, escapes, nulls, unknown and
// repeated fields, odd numbers, case) or should not (broken JSON).
func variants(typ string, body any) []string {
	b, err := EncodeRequest(typ, "17", body)
	if err != nil {
		panic(err) // requestBodies holds only values that encode
	}
	enc := string(b)
	bodyJSON := "{}"
	if body != nil {
		bb, _ := json.Marshal(body)
		bodyJSON = string(bb)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(bodyJSON, "{"), "}")
	vs := []string{
		enc,
		" \n\t" + strings.ReplaceAll(strings.ReplaceAll(enc, ":", " : "), ",", " ,\r\n ") + " \n",
		`{"body":` + bodyJSON + `,"id":"17","type":"` + typ + `"}`,
		`{"id":"17","type":"` + typ + `","body":` + bodyJSON + `,"extra":{"a":[1,2.5e-3,true,false,null,"x\u00e9"],"b":{}}}`,
		`{"type":"` + typ + `","id":"17","body":{"zzz":[[[]]],` + inner + `}}`,
		`{"type":"` + typ + `","id":"17","body":{` + inner + `,"zzz":-0.0E+1}}`,
		`{"type":"` + typ + `","id":"17","body":null}`,
		`{"type":"` + typ + `","id":"17"}`,
		`{"type":"` + typ + `","id":"17","body":{}}`,
		`{"type":"` + typ + `","id":"17","body":` + bodyJSON + `,"body":{}}`,
		`{"type":"x","type":"` + typ + `","id":null,"body":` + bodyJSON + `}`,
		`{"Type":"` + typ + `","ID":"17","Body":` + bodyJSON + `}`,
		`{"typ\u0065":"` + typ + `","body":` + bodyJSON + `}`,
		`{"type":"` + typ + `","id":"\u0031\t7","body":` + bodyJSON + `}`,
		`{"type":"` + typ + "\xff" + `","id":"17","body":` + bodyJSON + `}`,
		`{"type":"` + typ + `","id":"17","body":` + bodyJSON + `,"error":{"code":"busy","message":"m"},"error":{"retry_after_ms":5}}`,
		`{"type":"` + typ + `","id":"17","error":null,"body":` + bodyJSON + `}`,
		`{"type":"` + typ + `","id":"17","error":5}`,
		`{"type":"` + typ + `","id":"` + strings.Repeat("9", MaxRequestIDLen+1) + `"}`,
		`{"type":"","id":"17"}`,
		`{"type":7}`,
		`{"type":"` + typ + `","body":` + bodyJSON + `}x`,
		`{"type":"` + typ + `","body":` + bodyJSON,
		`{"type":"` + typ + `","body":{"a":01}}`,
		`{"type":"` + typ + `","body":{"a":"\x"}}`,
		`{"type":"` + typ + `","body":{"a":"` + "\x01" + `"}}`,
		`{"type":"` + typ + `","body":{"a":tru}}`,
		`{"type":"` + typ + `","body":{"a":[1,]}}`,
		`{"type":"` + typ + `","body":{"a" 1}}`,
		`{"type":"` + typ + `","body":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}`,
		`{"type":"` + typ + `","body":{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}}`,
		`[]`, `null`, `"send"`, ``, `{}`, `{"type":"send",}`,
	}
	// Each field of the body, replaced by values of every JSON kind.
	var fields map[string]json.RawMessage
	json.Unmarshal([]byte(bodyJSON), &fields)
	for name := range fields {
		for _, val := range []string{
			`null`, `true`, `false`, `0`, `-0`, `1`, `-1`, `42`, `1.0`, `1e3`, `-5E-1`,
			`255`, `256`, `65536`, `4294967296`, `9223372036854775807`, `9223372036854775808`,
			`-9223372036854775809`, `18446744073709551616`, `""`, `"x"`, `"\u4e2d\ud83d\ude00"`,
			`"\ud800"`, `"\udc00x"`, `"\ud800\ud800"`, `"\ud83d\ude00\udfff"`, `"a\\ud800"`, `"\ud800\u00e9"`,
			`"a\"b\\c\/d\b\f\n\r\t"`, `"` + "\xe4\xb8" + `"`, `"` + "\xc3\xa9" + `"`,
			`[]`, `["a"]`, `{}`, `{"1":2}`,
		} {
			vs = append(vs,
				`{"type":"`+typ+`","id":"1","body":{`+inner+`,"`+name+`":`+val+`}}`,
				`{"type":"`+typ+`","id":"1","body":{"`+name+`":`+val+`,`+inner+`}}`,
				`{"type":"`+typ+`","id":"1","body":{"`+strings.ToUpper(name)+`":`+val+`}}`,
			)
		}
	}
	return vs
}

// prefilled returns a new value of body's type holding body's fields (so
// that a decoder that wrongly clears or keeps a field shows), or nil.
func prefilled(body any) any {
	if body == nil {
		return nil
	}
	p := reflect.New(reflect.TypeOf(body))
	p.Elem().Set(reflect.ValueOf(body))
	return p.Interface()
}

// checkSame decodes data both ways and fails on any difference.
func checkSame(t *testing.T, data []byte, body any) {
	t.Helper()
	got, gotErr := DecodeFrame(data)
	want, wantErr := refDecodeFrame(data)
	if !reflect.DeepEqual(got, want) || !sameError(gotErr, wantErr) {
		t.Fatalf("DecodeFrame(%q)\n got %+v, %v\nwant %+v, %v", data, got, gotErr, want, wantErr)
	}
	if gotErr != nil || body == nil {
		return
	}
	gv, wv := prefilled(body), prefilled(body)
	gotErr, wantErr = DecodeBody(got.Body, gv), refDecodeBody(want.Body, wv)
	if !reflect.DeepEqual(gv, wv) || !sameError(gotErr, wantErr) {
		t.Fatalf("DecodeBody(%q) into %T\n got %+v, %v\nwant %+v, %v", got.Body, body, gv, gotErr, wv, wantErr)
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var ea, eb *Error
	return errors.As(a, &ea) && errors.As(b, &eb) && *ea == *eb
}

func TestDecodeEqualsEncodingJSONForEveryRequestType(t *testing.T) {
	for _, rb := range requestBodies {
		t.Run(rb.typ, func(t *testing.T) {
			for _, v := range variants(rb.typ, rb.body) {
				checkSame(t, []byte(v), rb.body)
			}
		})
	}
}

func TestDecodeEqualsEncodingJSONOnMangledFrames(t *testing.T) {
	// Fuzz-style, bounded and repeatable: every variant above, with bytes
	// replaced, inserted or deleted (JSON's own characters most often).
	rng := rand.New(rand.NewPCG(7, 11))
	const alphabet = `{}[]":,\ -+.0123456789eEtrufalsn` + "\t\n\x00\x1f\x7f\xc3\xa9\xff"
	for _, rb := range requestBodies {
		for _, v := range variants(rb.typ, rb.body) {
			for range 12 {
				b := []byte(v)
				for range 1 + rng.IntN(3) {
					c := alphabet[rng.IntN(len(alphabet))]
					i := 0
					if len(b) > 0 {
						i = rng.IntN(len(b))
					}
					switch rng.IntN(3) {
					case 0:
						if len(b) > 0 {
							b[i] = c
						}
					case 1:
						b = append(b[:i], append([]byte{c}, b[i:]...)...)
					default:
						if len(b) > 0 {
							b = append(b[:i], b[i+1:]...)
						}
					}
				}
				checkSame(t, b, rb.body)
			}
		}
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, rb := range requestBodies[:5] {
		for _, v := range variants(rb.typ, rb.body)[:30] {
			f.Add([]byte(v))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rb := range requestBodies {
			checkSame(t, data, rb.body)
		}
	})
}

func TestDecodeBodyLeavesUnusualTypesToEncodingJSON(t *testing.T) {
	// Types this decoder does not plan for still decode, through
	// encoding/json: nested values, embedded structs, unmarshallers.
	type withText struct {
		When json.Number `json:"when"`
		Raw  json.RawMessage
	}
	type embedded struct {
		User
		Online bool `json:"online"`
	}
	for _, c := range []struct {
		body string
		v    any
	}{
		{`{"when":1.5,"Raw":[1]}`, &withText{}},
		{`{"id":3,"name":"x","online":true}`, &embedded{}},
		{`{"have":{"1":2}}`, &SyncRequest{}},
		{`{"x":1}`, &map[string]int{}},
	} {
		want := reflect.New(reflect.TypeOf(c.v).Elem()).Interface()
		wantErr := refDecodeBody(json.RawMessage(c.body), want)
		if err := DecodeBody(json.RawMessage(c.body), c.v); !sameError(err, wantErr) || !reflect.DeepEqual(c.v, want) {
			t.Errorf("DecodeBody(%s) = %+v, %v; want %+v, %v", c.body, c.v, err, want, wantErr)
		}
	}
}

func BenchmarkDecodeSend(b *testing.B) {
	frame := fmt.Appendf(nil, `{"type":"send","id":"123","body":{"conv":512,"client_id":"a1b2c3d4-123","text":%q}}`,
		"0000000012345678 0000000012345678 a message of about a hundred bytes, like the load generator sends")
	b.Run("proto", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := DecodeFrame(frame)
			if err != nil {
				b.Fatal(err)
			}
			var req SendRequest
			if err := DecodeBody(f.Body, &req); err != nil || req.Conv != 512 {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f, err := refDecodeFrame(frame)
			if err != nil {
				b.Fatal(err)
			}
			var req SendRequest
			if err := refDecodeBody(f.Body, &req); err != nil || req.Conv != 512 {
				b.Fatal(err)
			}
		}
	})
}

func TestCanonicalRequestsDecodeWithoutEncodingJSON(t *testing.T) {
	// What clients send takes the fast path: the envelope of every frame,
	// and every body made of plain fields.
	for _, rb := range requestBodies {
		data, err := EncodeRequest(rb.typ, "17", rb.body)
		if err != nil {
			t.Fatal(err)
		}
		f, ok := scanFrame(data)
		if !ok {
			t.Errorf("%s: the envelope of %s went to encoding/json", rb.typ, data)
			continue
		}
		if rb.body == nil || makePlan(reflect.TypeOf(rb.body)) == nil || setsNested(rb.body) {
			continue // nested fields: encoding/json
		}
		if !decodeBody(f.Body, prefilled(rb.body)) {
			t.Errorf("%s: the body %s went to encoding/json", rb.typ, f.Body)
		}
	}
}

// setsNested reports whether body (a struct) has a nested field that is
// not empty: such a body is encoded with it and goes to encoding/json.
func setsNested(body any) bool {
	v := reflect.ValueOf(body)
	for i := range v.NumField() {
		switch v.Field(i).Kind() {
		case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Struct, reflect.Interface:
			if !v.Field(i).IsZero() {
				return true
			}
		}
	}
	return false
}

func TestPlainSendStaysOnTheFastPath(t *testing.T) {
	// The new optional fields of send must not send a plain send to
	// encoding/json (the durable send rate depends on it).
	if makePlan(reflect.TypeFor[SendRequest]()) == nil {
		t.Fatal("SendRequest has no plan")
	}
	var req SendRequest
	if !decodeBody([]byte(`{"conv":1,"client_id":"a","text":"hi"}`), &req) || req.Text != "hi" {
		t.Fatalf("a plain send went to encoding/json: %+v", req)
	}
	if decodeBody([]byte(`{"conv":1,"client_id":"a","text":"hi","mentions":[2]}`), &req) {
		t.Fatal("a send with mentions took the fast path")
	}
}
