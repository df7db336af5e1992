package store

import (
	"reflect"
	"testing"
	"unicode/utf8"

	"parley/net/proto"
)

func everyField() proto.Message {
	return proto.Message{
		Conv: 17, Seq: 1 << 40, ClientID: "k-1", Sender: 4821, SenderName: "李华 (Li Hua)", Time: t0,
		Kind: proto.MsgFile, Text: "12:34 见 ñ \x00 : 😀",
		Event:  &proto.Event{Type: proto.EventInvited, Actor: proto.User{ID: 1, Name: "王芳"}, Subject: &proto.User{ID: 2, Name: "x"}},
		File:   &proto.File{ID: "f", Name: "报告.pdf", Size: 1 << 33, SHA256: "ab", Type: "application/pdf"},
		Target: 3, Emoji: "👍🏽", Call: &proto.CallEntry{Caller: 1, Callee: 2, Outcome: proto.CallAnswered, Reason: "hangup", DurationMs: 221000},
		ReplyTo: 2, Reply: &proto.Quote{Seq: 2, Sender: 1, SenderName: "王芳", Text: "hi", FileName: "a.txt", Deleted: true},
		Forwarded: &proto.Forwarded{From: 1, FromName: "王芳"}, Mentions: []proto.UserID{1, 2},
		Edited: t0 + 1, Deleted: true, Reactions: []proto.Reaction{{Emoji: "❤️", Users: []proto.UserID{2, 1}}},
		Pinned: true, Hidden: true,
	}
}

func TestMessageRecordKeepsEveryField(t *testing.T) {
	// The history fields are kept as one JSON field (fold.go's history):
	// a new field of proto.Message trips this.
	if n := reflect.TypeFor[proto.Message]().NumField(); n != messageFields+historyFields ||
		reflect.TypeFor[history]().NumField() != historyFields {
		t.Fatalf("proto.Message has %d fields, its record %d: add the new one to msgcodec.go or history", n, messageFields+historyFields)
	}
	for _, m := range []proto.Message{everyField(), msg(1, 1, ""), {Conv: 1, Seq: 2}} {
		v := encodeMessages(m, m)
		got, rest, err := decodeMessage(v)
		if err != nil || !reflect.DeepEqual(got, m) {
			t.Fatalf("decode(encode(%+v)) = %+v, %v", m, got, err)
		}
		if again, rest, err := decodeMessage(rest); err != nil || rest != "" || !reflect.DeepEqual(again, m) {
			t.Fatalf("second message = %+v, rest %q, %v", again, rest, err)
		}
	}
}

// Records written before format 2 (no history, no fold) still decode,
// also in a bucket that mixes both formats.
func TestMessageRecordReadsFormat1(t *testing.T) {
	old := "2:17" + "1:5" + "3:k-1" + "4:4821" + "2:Li" + "13:1795700002000" + "4:text" + "5:hello" + "0:" + "0:"
	want := proto.Message{Conv: 17, Seq: 5, ClientID: "k-1", Sender: 4821, SenderName: "Li", Time: 1795700002000, Kind: proto.MsgText, Text: "hello"}
	newer := everyField()
	m, fold, rest, err := decodeStored(old + string(appendStored(nil, newer, 99)))
	if err != nil || !reflect.DeepEqual(m, want) || fold != 0 {
		t.Fatalf("format 1 record = %+v, fold %d, %v", m, fold, err)
	}
	m, fold, rest, err = decodeStored(rest)
	if err != nil || rest != "" || !reflect.DeepEqual(m, newer) || fold != 99 {
		t.Fatalf("format 2 record after it = %+v, fold %d, rest %q, %v", m, fold, rest, err)
	}
}

func TestMessageRecordStoresValidUTF8(t *testing.T) {
	m := msg(1, 1, "bad \xff byte")
	got, _, err := decodeMessage(encodeMessages(m))
	if err != nil || got.Text != "bad \uFFFD byte" {
		t.Fatalf("text = %q, %v", got.Text, err)
	}
}

// Any input decodes to an error or to a message that one encoding makes
// valid UTF-8 and the next keeps as it is; none panics.
func FuzzMessageRecord(f *testing.F) {
	f.Add(encodeMessages(everyField()))
	f.Add(encodeMessages(msg(1, 2, "hello"), msg(1, 3, "你好")))
	f.Add("2:17")
	f.Add("99999999999:")
	f.Fuzz(func(t *testing.T, v string) {
		m, _, err := decodeMessage(v)
		if err != nil {
			return
		}
		once := roundTrip(t, m)
		if twice := roundTrip(t, once); !reflect.DeepEqual(twice, once) {
			t.Fatalf("encoded once %+v, twice %+v", once, twice)
		}
		valid := utf8.ValidString(m.ClientID + m.SenderName + m.Kind + m.Text)
		if valid && !reflect.DeepEqual(once, m) {
			t.Fatalf("decoded %+v, encoded and decoded %+v", m, once)
		}
	})
}

func roundTrip(t *testing.T, m proto.Message) proto.Message {
	again, rest, err := decodeMessage(encodeMessages(m))
	if err != nil || rest != "" {
		t.Fatalf("decode(encode(%+v)) = rest %q, %v", m, rest, err)
	}
	return again
}
