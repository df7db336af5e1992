//go:build !js

package rtcmedia

import (
	"bytes"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"parley/net/proto"
)

func TestGroupPacketsMapToSlotsBothWays(t *testing.T) {
	const call proto.CallID = 77
	// Server → client: a group packet of slot 9 goes out on m-line 9 with
	// the speaker's sequence number and timestamp...
	out, err := FromPacket(proto.AppendGroupPacket(nil, proto.GroupAudioPacket{
		AudioPacket: proto.AudioPacket{Call: call, Seq: 4242, Timestamp: 960 * 7, Payload: []byte("opus")}, Slot: 9,
	}))
	if err != nil || !out.Group || out.Report || out.Slot != 9 {
		t.Fatalf("FromPacket(group audio) = %+v, %v", out, err)
	}
	if h := out.RTP.Header; h.PayloadType != OpusPT || h.SequenceNumber != 4242 || h.Timestamp != 960*7 || string(out.RTP.Payload) != "opus" {
		t.Fatalf("its RTP: %+v", out.RTP)
	}
	// ...and the client makes the same group packet of what m-line 9 gave it.
	back, err := AppendGroupAudio(nil, call, 9, &out.RTP)
	if err != nil {
		t.Fatal(err)
	}
	p, err := proto.ParseGroupPacket(back)
	if err != nil || p.Slot != 9 || p.Call != call || p.Seq != 4242 || p.Timestamp != 960*7 || !bytes.Equal(p.Payload, []byte("opus")) {
		t.Fatalf("AppendGroupAudio gave %+v, %v", p, err)
	}
	if _, err := AppendGroupAudio(nil, call, Slots, &rtp.Packet{}); err == nil {
		t.Error("a 17th m-line made a group packet")
	}

	// Client → server: a group loss report about slot 4 is a PRLY about m-line 4's stream.
	out, err = FromPacket(proto.AppendGroupReport(nil, proto.GroupLossReport{Call: call, Slot: 4, Loss: 30}))
	if err != nil || !out.Group || !out.Report || out.Slot != 4 || out.Loss != 30 {
		t.Fatalf("FromPacket(group report) = %+v, %v", out, err)
	}
	const ssrc4, ssrc5 = 0x4444, 0x5555
	reports := AppendGroupReports(nil, call, 4, ssrc4, []rtcp.Packet{
		Report(ssrc5, 1), &rtcp.ReceiverReport{SSRC: ssrc4}, Report(ssrc4, out.Loss),
	})
	if len(reports) != 1 {
		t.Fatalf("%d reports from one about m-line 4's stream", len(reports))
	}
	if r, err := proto.ParseGroupReport(reports[0]); err != nil || r != (proto.GroupLossReport{Call: call, Slot: 4, Loss: 30}) {
		t.Fatalf("the report: %+v, %v", r, err)
	}

	// The 1:1 forms stay as they are.
	if out, err := FromPacket(proto.AppendPacket(nil, proto.AudioPacket{Call: call, Seq: 1})); err != nil || out.Group || out.Report {
		t.Errorf("FromPacket(audio) = %+v, %v", out, err)
	}
	if out, err := FromPacket(proto.AppendReport(nil, proto.LossReport{Call: call, Loss: 5})); err != nil || out.Group || !out.Report || out.Loss != 5 {
		t.Errorf("FromPacket(report) = %+v, %v", out, err)
	}
}

func TestAudioMidsAreInMLineOrder(t *testing.T) {
	sdp := "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:a\r\n" +
		"m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:d\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:b\r\n"
	mids, err := AudioMids(sdp)
	if err != nil || len(mids) != 2 || mids[0] != "a" || mids[1] != "b" {
		t.Fatalf("AudioMids = %q, %v", mids, err)
	}
	if _, err := AudioMids("not sdp"); err == nil {
		t.Error("AudioMids of garbage: no error")
	}
}
