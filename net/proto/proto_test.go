package proto

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestEncodedFramesDecodeBack(t *testing.T) {
	m := Message{Conv: 512, Seq: 7, Sender: 4821, SenderName: "李华", Kind: MsgText, Text: "<b>hi</b> \u2028 大家好"}
	push, err := EncodePush(TypeMessage, &m)
	if err != nil {
		t.Fatal(err)
	}
	f, err := DecodeFrame(push)
	if err != nil || f.Type != TypeMessage || f.ID != "" {
		t.Fatalf("push %s decodes as %+v, %v", push, f, err)
	}
	var got Message
	if err := DecodeBody(f.Body, &got); err != nil || !reflect.DeepEqual(got, m) {
		t.Fatalf("push body %+v, %v; want %+v", got, err, m)
	}
	reply, err := EncodeReply("42", SendReply{Message: m, Duplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ = DecodeFrame(reply)
	var sr SendReply
	if err := DecodeBody(f.Body, &sr); err != nil || f.Type != TypeReply || f.ID != "42" || !sr.Duplicate || !reflect.DeepEqual(sr.Message, m) {
		t.Fatalf("reply %s decodes as %+v / %+v, %v", reply, f, sr, err)
	}
	// No body: the field is absent, not null.
	ping, _ := EncodeRequest(TypePing, "1", nil)
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(ping, &raw); err != nil || raw["body"] != nil {
		t.Fatalf("ping without a body encodes as %s", ping)
	}
}

func BenchmarkEncodePush(b *testing.B) {
	m := Message{Conv: 512, Seq: 7, Sender: 4821, SenderName: "李华", Kind: MsgText, Text: "a message of about a hundred bytes, like the load generator sends, 大家好"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodePush(TypeMessage, &m); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRepliesAlwaysCarryAnID(t *testing.T) {
	// docs/protocol.md: a frame whose id cannot be read is answered with
	// "id": "", so every reply has the field; pushes have none.
	failed := EncodeError("", Errorf(CodeBadFrame, "x"))
	ok, err := EncodeReply("", struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range [][]byte{failed, ok} {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil || string(raw["id"]) != `""` {
			t.Errorf("reply to an unreadable id encodes as %s, want \"id\":\"\"", b)
		}
	}
	push, _ := EncodePush(TypeMessage, Message{})
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(push, &raw); err != nil || raw["id"] != nil {
		t.Errorf("push encodes as %s, want no id", push)
	}
}

func TestDecodeFrameKeepsAReadableIDOnError(t *testing.T) {
	for _, c := range []struct{ frame, id string }{
		{`{"id":"7"}`, "7"},                                                           // no type
		{`{"id":"7","type":""}`, "7"},                                                 // empty type
		{`{"type":5,"id":"7"}`, "7"},                                                  // type not a string
		{`{"id":"7","type":"ping","error":5}`, "7"},                                   // error not an object
		{`{"id":"7","type":"ping","body":1,"x":[}`, ""},                               // not JSON: nothing is read
		{`{"id":7,"type":"ping"}`, ""},                                                // id not a string
		{`{"id":"` + strings.Repeat("9", MaxRequestIDLen+1) + `","type":"ping"}`, ""}, // too long to echo
		{`[]`, ""},
	} {
		f, err := DecodeFrame([]byte(c.frame))
		if CodeOf(err) != CodeBadFrame || f.ID != c.id {
			t.Errorf("DecodeFrame(%s) = id %q, %v; want id %q, bad_frame", c.frame, f.ID, err, c.id)
		}
	}
}
