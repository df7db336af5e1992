package proto

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func TestStringsThatAreNotUTF8AreRefusedWithTheFieldsCode(t *testing.T) {
	// encoding/json would turn these into U+FFFD: members would see
	// something other than what was sent.
	for _, c := range []struct {
		body string
		v    any
		code Code
	}{
		{`{"conv":1,"client_id":"a","text":"hi` + "\xff\xfe" + `"}`, &SendRequest{}, CodeBadText},
		{`{"conv":1,"client_id":"a","text":"hi \ud800 there"}`, &SendRequest{}, CodeBadText}, // a lone surrogate
		{`{"conv":1,"client_id":"a","text":"\udc00"}`, &SendRequest{}, CodeBadText},
		{`{"conv":1,"client_id":"a","text":"\ud83d\u0041"}`, &SendRequest{}, CodeBadText},
		{`{"conv":1,"client_id":"a","TEXT":"` + "\xff" + `"}`, &SendRequest{}, CodeBadText},               // matched as encoding/json does
		{`{"conv":1,"client_id":"a","t\u0065xt":"` + "\xc3" + `"}`, &SendRequest{}, CodeBadText},          // escaped key
		{`{"conv":1,"client_id":"` + "\xff" + `","text":"hi"}`, &SendRequest{}, CodeBadRequest},           // not user-visible, but a key
		{`{"conv":1,"client_id":"a","text":"hi","x":["` + "\xff" + `"]}`, &SendRequest{}, CodeBadRequest}, // an unknown field
		{`{"conv":1,"client_id":"a","text":"hi","` + "\xff" + `":1}`, &SendRequest{}, CodeBadRequest},     // a key
		{`{"name":"` + "Li\xe4\xb8" + `","password":"secret-password"}`, &RegisterRequest{}, CodeInvalidName},
		{`{"name":"Li","password":"` + "secret\xff" + `"}`, &RegisterRequest{}, CodeWeakPassword},
		{`{"user":1000,"password":"` + "secret\xff" + `"}`, &LoginRequest{}, CodeBadCredentials},
		{`{"user":1000,"password":"secret","device":"` + "\xff" + `"}`, &LoginRequest{}, CodeInvalidName},
		{`{"token":"` + "\xff" + `"}`, &ResumeRequest{}, CodeBadToken},
		{`{"name":"` + "\xff" + `"}`, &CreateGroupRequest{}, CodeInvalidName},
		{`{"call":7,"token":"\udfff"}`, &CallMediaRequest{}, CodeBadToken},
		{`{"user":7,"codecs":["` + "\xff" + `"]}`, &CallRequest{}, CodeBadRequest},
		{`["` + "\xff" + `"]`, &SendRequest{}, CodeBadRequest},
		{`{"name":"` + "\xff" + `","size":1,"sha256":"x","conv":1}`, &CreateRequest{}, CodeBadRequest},
		{`{"name":"ok","size":1,"sha256":"x","conv":1,"type":"\ud800"}`, &CreateRequest{}, CodeBadRequest},
		// U+0000, which PostgreSQL cannot store, is refused alike.
		{`{"conv":1,"client_id":"a","text":"hi \u0000 there"}`, &SendRequest{}, CodeBadText},
		{`{"conv":1,"client_id":"\u0000","text":"hi"}`, &SendRequest{}, CodeBadRequest},
		{`{"name":"Li\u0000"}`, &CreateGroupRequest{}, CodeInvalidName},
	} {
		err := DecodeBody(json.RawMessage(c.body), c.v)
		if CodeOf(err) != c.code {
			t.Errorf("DecodeBody(%q) into %T: %v, want %s", c.body, c.v, err, c.code)
		}
		if e, ok := err.(*Error); ok && !utf8.ValidString(e.Message) {
			t.Errorf("error message %q is not valid UTF-8", e.Message)
		}
	}
	// What is valid stays so, escaped or not.
	var req SendRequest
	if err := DecodeBody(json.RawMessage(`{"conv":1,"client_id":"a","text":"大家好 \ud83d\ude00 \u00e9 \\ud800"}`), &req); err != nil ||
		req.Text != "大家好 😀 é \\ud800" {
		t.Fatalf("valid text decodes as %q, %v", req.Text, err)
	}
}

func TestAnIDThatIsNotUTF8CannotBeEchoed(t *testing.T) {
	for _, frame := range []string{
		`{"type":"ping","id":"` + "7\xff" + `"}`,
		`{"type":"ping","id":"\ud800"}`,
		`{"type":"ping","ID":"` + "\xff" + `","body":{"text":"\u00e9"}}`,
	} {
		f, err := DecodeFrame([]byte(frame))
		if CodeOf(err) != CodeBadFrame || f.ID != "" {
			t.Errorf("DecodeFrame(%q) = id %q, %v; want bad_frame and no id", frame, f.ID, err)
		}
	}
	// The id is read whatever else the frame holds; the body is checked
	// when it is decoded.
	f, err := DecodeFrame([]byte(`{"type":"send","id":"7","body":{"text":"` + "\xff" + `"}}`))
	if err != nil || f.ID != "7" || string(f.Body) != `{"text":"`+"\xff"+`"}` {
		t.Fatalf("frame with a bad body: %+v, %v", f, err)
	}
}
