package proto

import (
	"bytes"
	"testing"
)

func TestAudioPacketRoundTrip(t *testing.T) {
	p := AudioPacket{Call: 0xDEADBEEF, Seq: 65535, Timestamp: 4294967295, Payload: []byte{1, 2, 3}}
	b := AppendPacket(make([]byte, 0, 64), p)
	want := []byte{0x11, 0xDE, 0xAD, 0xBE, 0xEF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3}
	if !bytes.Equal(b, want) {
		t.Fatalf("wire form % x, want % x", b, want)
	}
	got, err := ParsePacket(b)
	if err != nil || got.Call != p.Call || got.Seq != p.Seq || got.Timestamp != p.Timestamp || !bytes.Equal(got.Payload, p.Payload) {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	if allocs := testing.AllocsPerRun(100, func() { b = AppendPacket(b[:0], p) }); allocs != 0 {
		t.Fatalf("AppendPacket allocates %v times into a buffer with room", allocs)
	}
}

func TestParsePacketRefusesWhatIsNotOne(t *testing.T) {
	ok := AppendPacket(nil, AudioPacket{Call: 1})
	for _, b := range [][]byte{
		nil,
		ok[:PacketHeaderLen-1],          // short header
		append([]byte{0x21}, ok[1:]...), // version 2
		append([]byte{0x12}, ok[1:]...), // kind 2
		AppendPacket(nil, AudioPacket{Payload: make([]byte, MaxPacketPayload+1)}), // too long
		[]byte(`{"type":"ping"}`),
	} {
		if _, err := ParsePacket(b); err != ErrPacket {
			t.Errorf("% x parsed: %v", b, err)
		}
	}
	if p, err := ParsePacket(ok); err != nil || len(p.Payload) != 0 {
		t.Fatalf("an empty (muted) packet: %+v, %v", p, err)
	}
}

func TestLossReportRoundTrip(t *testing.T) {
	b := AppendReport(nil, LossReport{Call: 0xDEADBEEF, Loss: 26})
	if want := []byte{0x12, 0xDE, 0xAD, 0xBE, 0xEF, 26}; !bytes.Equal(b, want) {
		t.Fatalf("wire form % x, want % x", b, want)
	}
	if r, err := ParseReport(b); err != nil || r.Call != 0xDEADBEEF || r.Loss != 26 {
		t.Fatalf("parsed %+v, %v", r, err)
	}
	if _, err := ParsePacket(b); err != ErrPacket {
		t.Errorf("a report parsed as an audio packet: %v", err)
	}
	for _, bad := range [][]byte{nil, b[:5], append(b[:6:6], 0), AppendPacket(nil, AudioPacket{Call: 1})} {
		if _, err := ParseReport(bad); err != ErrPacket {
			t.Errorf("% x parsed as a report: %v", bad, err)
		}
	}
}

func TestPacketCallNamesTheCallOfAudioAndReports(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		id   CallID
		want bool
	}{
		{AppendPacket(nil, AudioPacket{Call: 7, Payload: []byte{1}}), 7, true},
		{AppendReport(nil, LossReport{Call: 9}), 9, true},
		{[]byte{0x12, 0, 0, 0, 9}, 0, false},
		{[]byte{0x13, 0, 0, 0, 9, 0}, 0, false},
		{[]byte(`{"type":"ping"}`), 0, false},
	} {
		if id, ok := PacketCall(tc.b); id != tc.id || ok != tc.want {
			t.Errorf("PacketCall(% x) = %d, %v; want %d, %v", tc.b, id, ok, tc.id, tc.want)
		}
	}
}
