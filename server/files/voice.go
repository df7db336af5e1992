package files

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/thesyncim/gopus/container/ogg"

	"parley/net/proto"
	"parley/server/storage"
)

// Voice messages (docs/protocol.md, "Pictures, voice messages and
// media"). A voice upload declares its duration and waveform; they are
// checked at create, and at completion the bytes must be Ogg Opus (the
// first page a beginning of stream with an OpusHead packet) whose length,
// from the last page's granule position minus the pre-skip at 48 kHz,
// is within VoiceTolerance of the declared duration. Bytes that fail
// this are published as a plain file (no voice field): every byte is
// already verified and stored, and refusing them at the end would leave
// the sender's app retrying an upload that can never succeed.

// VoiceTolerance is how far a voice message's declared duration may be
// from the one its Ogg pages give (a recorder's clock and its encoder's
// padding differ by some milliseconds; a lie is off by seconds).
const VoiceTolerance = 1000 // ms

// VoiceType is the media type of a voice upload.
const VoiceType = "audio/ogg"

// checkVoice checks a voice upload's declared metadata at create.
func checkVoice(v *proto.Voice, typ string) error {
	switch {
	case v == nil:
		return nil
	case typ != VoiceType:
		return proto.Errorf(proto.CodeBadRequest, "a voice message has type %s, not %q", VoiceType, typ)
	case v.DurationMS <= 0 || v.DurationMS > proto.MaxVoiceMS:
		return proto.Errorf(proto.CodeBadRequest, "a voice message lasts 1 to %d ms, not %d", int64(proto.MaxVoiceMS), v.DurationMS)
	case len(v.Waveform) > proto.MaxWaveform:
		return proto.Errorf(proto.CodeBadRequest, "a waveform has at most %d levels, not %d", proto.MaxWaveform, len(v.Waveform))
	}
	return nil
}

// voiceOf returns the voice metadata of a verified voice upload if its
// bytes are Ogg Opus of the declared duration, or nil (a plain file).
func (s *Service) voiceOf(ctx context.Context, u storage.Upload) *proto.Voice {
	f, err := s.blobs.Open(ctx, u.SHA256)
	if err != nil {
		s.log.Error("open blob of voice message", "upload", u.ID, "err", err)
		return nil
	}
	defer f.Close()
	ms, err := OggOpusDuration(f, u.Size)
	if err != nil {
		s.log.Warn("voice message is not Ogg Opus: a plain file", "upload", u.ID, "err", err)
		return nil
	}
	if d := ms - u.Voice.DurationMS; d > VoiceTolerance || d < -VoiceTolerance {
		s.log.Warn("voice message lasts another time than declared: a plain file", "upload", u.ID, "declared_ms", u.Voice.DurationMS, "ogg_ms", ms)
		return nil
	}
	return u.Voice
}

// maxOggPage is the largest Ogg page: a 27-byte header, 255 lacing
// values and 255 segments of 255 bytes.
const maxOggPage = 27 + 255 + 255*255

// OggOpusDuration returns the length in milliseconds of the Ogg Opus
// stream in r (size bytes): the first page must begin an Opus stream
// (OpusHead), and the last page, ending at the end of the file, of the
// same stream, gives the granule position; the duration is that minus the
// pre-skip, at 48 kHz. It reads at most two pages.
func OggOpusDuration(r io.ReaderAt, size int64) (int64, error) {
	head := make([]byte, min(size, maxOggPage))
	if err := readFull(r, head, 0); err != nil {
		return 0, fmt.Errorf("read first page: %w", err)
	}
	first, _, err := ogg.ParsePage(head)
	if err != nil || first.Version != 0 || !first.IsBOS() {
		return 0, errors.New("it does not begin with an Ogg stream")
	}
	// The first packet, alone on the first page.
	pkts := first.Packets()
	if len(pkts) == 0 {
		return 0, errors.New("its first page holds no packet")
	}
	pkt := pkts[0]
	if len(pkt) < 19 || string(pkt[:8]) != "OpusHead" || pkt[8]&0xF0 != 0 || pkt[9] == 0 {
		return 0, errors.New("its first packet is not an OpusHead")
	}
	preSkip := uint64(binary.LittleEndian.Uint16(pkt[10:12]))
	tail := make([]byte, min(size, maxOggPage))
	if err := readFull(r, tail, size-int64(len(tail))); err != nil {
		return 0, fmt.Errorf("read last page: %w", err)
	}
	for p := len(tail) - 27; p >= 0; p-- {
		if string(tail[p:p+4]) != "OggS" {
			continue
		}
		last, n, err := ogg.ParsePage(tail[p:])
		if err != nil || n != len(tail)-p || last.SerialNumber != first.SerialNumber {
			continue
		}
		if last.GranulePos == ^uint64(0) || last.GranulePos < preSkip {
			return 0, fmt.Errorf("its last page has granule position %d", int64(last.GranulePos))
		}
		return int64((last.GranulePos - preSkip) * 1000 / 48000), nil
	}
	return 0, errors.New("it does not end with a page of its stream")
}

// readFull fills p from r at off. A ReaderAt may answer a read that ends
// at the end of its data with io.EOF and every byte (an S3 object does,
// a file does not): that is a full read.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) && errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
