package proto

import (
	"encoding/json"
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
	if err := DecodeBody(f.Body, &got); err != nil || got != m {
		t.Fatalf("push body %+v, %v; want %+v", got, err, m)
	}
	reply, err := EncodeReply("42", SendReply{Message: m, Duplicate: true})
	if err != nil {
		t.Fatal(err)
	}
	f, _ = DecodeFrame(reply)
	var sr SendReply
	if err := DecodeBody(f.Body, &sr); err != nil || f.Type != TypeReply || f.ID != "42" || !sr.Duplicate || sr.Message != m {
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
