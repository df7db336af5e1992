package voice

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/thesyncim/gopus"
	"github.com/thesyncim/gopus/container/ogg"
)

// Encoder turns PCM into an Ogg Opus file as it comes: each 20 ms frame
// is encoded when complete and written with its page, so a recording is
// never held raw. Close writes the end of the stream and returns the
// Info to send.
//
// The file's pre-skip is the encoder's lookahead and its last granule
// position counts exactly the samples written, on the last page, which
// carries the end-of-stream flag: any decoder (opusdec, a browser,
// Decoder) gives back as many samples as went in. Pages hold up to a
// second of packets (as opusenc's do), so the container costs about 0.5
// kbit/s rather than 11 for a page per packet. Not safe for concurrent use.
type Encoder struct {
	enc     *gopus.Encoder
	w       io.Writer
	serial  uint32
	seq     uint32 // pages written
	preskip int64
	n       int64   // samples accepted
	limit   int64   // samples; maxSamples but in tests
	frame   []int16 // the frame being filled
	fill    int
	packet  []byte
	page    [][]byte // packets of the page being filled (their own copies)
	granule int64    // end of the packets written or in page
	levels  []float64
	closed  bool
	err     error
}

// pagePackets is how many packets a page holds: one second.
const pagePackets = 50

// NewEncoder starts an Ogg Opus stream on w: the two header pages are
// written now.
func NewEncoder(w io.Writer) (*Encoder, error) {
	enc, err := gopus.NewEncoder(gopus.EncoderConfig{SampleRate: SampleRate, Channels: 1, Application: gopus.ApplicationVoIP})
	if err != nil {
		return nil, fmt.Errorf("voice: new encoder: %w", err)
	}
	if err := enc.SetBitrate(Bitrate); err != nil {
		return nil, fmt.Errorf("voice: bitrate: %w", err)
	}
	if err := enc.SetSignal(gopus.SignalVoice); err != nil {
		return nil, fmt.Errorf("voice: signal: %w", err)
	}
	if err := enc.SetFrameSize(FrameSamples); err != nil {
		return nil, fmt.Errorf("voice: frame size: %w", err)
	}
	var serial [4]byte
	rand.Read(serial[:])
	e := &Encoder{enc: enc, w: w, serial: binary.LittleEndian.Uint32(serial[:]), preskip: int64(enc.Lookahead()),
		limit: maxSamples, frame: make([]int16, FrameSamples), packet: make([]byte, 1500)}
	head := ogg.DefaultOpusHead(SampleRate, 1)
	head.PreSkip = uint16(e.preskip)
	tags := ogg.DefaultOpusTags()
	tags.Vendor = "Parley (gopus)"
	if err := e.writePage(ogg.PageFlagBOS, 0, [][]byte{head.Encode()}); err != nil {
		return nil, err
	}
	if err := e.writePage(0, 0, [][]byte{tags.Encode()}); err != nil {
		return nil, err
	}
	return e, nil
}

// writePage writes one page of whole packets (each under 255 segments'
// worth together: a second of 24 kbit/s packets is about 3 kB).
func (e *Encoder) writePage(flags byte, granule int64, packets [][]byte) error {
	p := ogg.Page{HeaderType: flags, GranulePos: uint64(granule), SerialNumber: e.serial, PageSequence: e.seq}
	for _, pk := range packets {
		p.Segments = append(p.Segments, ogg.BuildSegmentTable(len(pk))...)
		p.Payload = append(p.Payload, pk...)
	}
	if len(p.Segments) > 255 {
		return fmt.Errorf("voice: a page of %d segments", len(p.Segments))
	}
	if _, err := e.w.Write(p.Encode()); err != nil {
		e.err = fmt.Errorf("voice: write: %w", err)
		return e.err
	}
	e.seq++
	return nil
}

// Write encodes pcm (any length). Past MaxDuration it takes what fits and
// returns ErrFull.
func (e *Encoder) Write(pcm []int16) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	if e.closed {
		return 0, fmt.Errorf("voice: write after close")
	}
	take := pcm
	if room := e.limit - e.n; int64(len(take)) > room {
		take = take[:room]
	}
	for i := 0; i < len(take); {
		k := copy(e.frame[e.fill:], take[i:])
		e.fill += k
		e.n += int64(k)
		i += k
		if e.fill == FrameSamples {
			e.levels = append(e.levels, Level(e.frame))
			if err := e.encodeFrame(); err != nil {
				return i, err
			}
		}
	}
	if len(take) < len(pcm) {
		return len(take), ErrFull
	}
	return len(pcm), nil
}

// encodeFrame encodes the frame; a page full of packets is written,
// except the last packets, which Close writes with the end's granule.
func (e *Encoder) encodeFrame() error {
	n, err := e.enc.EncodeInt16(e.frame, e.packet)
	if err != nil {
		e.err = fmt.Errorf("voice: encode: %w", err)
		return e.err
	}
	e.fill = 0
	if len(e.page) == pagePackets {
		if err := e.writePage(0, e.granule, e.page); err != nil {
			return err
		}
		e.page = e.page[:0]
	}
	e.page = append(e.page, append([]byte(nil), e.packet[:n]...))
	e.granule += FrameSamples
	return nil
}

// Samples is how many samples were accepted so far.
func (e *Encoder) Samples() int64 { return e.n }

// Close encodes the rest (the partial frame and the encoder's lookahead,
// padded with silence), ends the stream, and returns the Info of the
// recording. It does not close the writer.
func (e *Encoder) Close() (Info, error) {
	if e.err != nil {
		return Info{}, e.err
	}
	if e.closed {
		return Info{}, fmt.Errorf("voice: closed twice")
	}
	e.closed = true
	if e.fill > 0 {
		e.levels = append(e.levels, Level(e.frame[:e.fill]))
	}
	// The decoder gives input sample i as output sample preskip+i: encode
	// input (the partial frame, then silence) until the end is covered.
	end := e.preskip + e.n
	for e.granule < end {
		clear(e.frame[e.fill:])
		if err := e.encodeFrame(); err != nil {
			return Info{}, err
		}
	}
	// The last page ends at end, not at the last packet's end: decoders
	// trim the rest (RFC 7845, section 4.4).
	if err := e.writePage(ogg.PageFlagEOS, end, e.page); err != nil {
		return Info{}, err
	}
	return Info{Duration: SamplesToDuration(e.n), Samples: e.n, Waveform: Waveform(e.levels)}, nil
}
