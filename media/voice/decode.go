package voice

import (
	"errors"
	"fmt"
	"io"

	"github.com/thesyncim/gopus"
	"github.com/thesyncim/gopus/container/ogg"
)

// Decoder reads an Ogg Opus file (any: ours, opusenc's, a browser's) as
// 48 kHz mono PCM: the pre-skip dropped, the end trimmed to the last
// granule position, a stereo file mixed down. Not safe for concurrent use.
type Decoder struct {
	r        *ogg.Reader
	dec      *gopus.Decoder
	channels int
	preskip  int64
	out      int64   // decoded samples so far, counting the pre-skip (the granule position reached)
	drop     int64   // samples still to drop (the pre-skip, or a seek's pre-roll)
	pcm      []int16 // one packet's worth, interleaved
	buf      []int16 // decoded and not yet read (mono)
	pos      int64   // the sample the next Read starts at
	resync   int64   // after a seek: the granule position to start at; -1 otherwise
}

// maxPacketSamples is the longest Opus packet (120 ms at 48 kHz).
const maxPacketSamples = 5760

// NewDecoder reads the headers from r. With an io.ReadSeeker, SeekSample works.
func NewDecoder(r io.Reader) (*Decoder, error) {
	or, err := ogg.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("voice: not an Ogg Opus file: %w", err)
	}
	ch := int(or.Channels())
	if ch < 1 || ch > 2 {
		return nil, fmt.Errorf("voice: %d channels: only mono and stereo are played", ch)
	}
	dec, err := gopus.NewDecoder(gopus.DefaultDecoderConfig(SampleRate, ch))
	if err != nil {
		return nil, fmt.Errorf("voice: new decoder: %w", err)
	}
	d := &Decoder{r: or, dec: dec, channels: ch, preskip: int64(or.PreSkip()), pcm: make([]int16, maxPacketSamples*ch)}
	d.drop, d.resync = d.preskip, -1
	return d, nil
}

// Read fills dst with the next samples; io.EOF at the end.
func (d *Decoder) Read(dst []int16) (int, error) {
	for len(d.buf) == 0 {
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(dst, d.buf)
	d.buf = d.buf[n:]
	d.pos += int64(n)
	return n, nil
}

// next decodes one packet into buf.
func (d *Decoder) next() error {
	packet, granule, err := d.r.ReadPacket()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("voice: read: %w", err)
	}
	n, err := d.dec.DecodeInt16(packet, d.pcm)
	if err != nil {
		return fmt.Errorf("voice: decode: %w", err)
	}
	mono := d.pcm[:n]
	if d.channels == 2 {
		for i := range n {
			mono[i] = int16((int32(d.pcm[2*i]) + int32(d.pcm[2*i+1])) / 2)
		}
	}
	start := d.out
	if d.resync >= 0 { // the first packet after a seek: it ends at its granule
		start = int64(granule) - int64(n)
		d.drop = d.resync - start
		d.resync = -1
	}
	d.out = start + int64(n)
	if granule > 0 && d.out > int64(granule) && int64(granule) >= start { // the end: trim to the granule
		mono = mono[:int64(granule)-start]
		d.out = int64(granule)
	}
	if k := min(d.drop, int64(len(mono))); k > 0 {
		mono = mono[k:]
		d.drop -= k
	}
	d.buf = mono
	return nil
}

// Position is the sample (after the pre-skip) the next Read starts at.
func (d *Decoder) Position() int64 { return d.pos }

// preRoll is what a decoder needs before a seek target to converge
// (RFC 7845, section 4.6: 80 ms).
const preRoll = 3840

// SeekSample moves to sample pos (after the pre-skip); the reader must be an
// io.ReadSeeker. Decoding restarts 80 ms before pos, and what comes
// before pos is dropped.
func (d *Decoder) SeekSample(pos int64) error {
	pos = max(pos, 0)
	from := max(0, pos+d.preskip-preRoll)
	d.buf, d.pos = nil, pos
	err := d.r.SeekGranule(uint64(from))
	if errors.Is(err, io.EOF) { // past the end: the next Read says so
		return nil
	}
	if err != nil {
		return fmt.Errorf("voice: seek: %w", err)
	}
	d.dec.Reset()
	d.resync = d.preskip + pos
	return nil
}

// DecodeAll decodes a whole file.
func DecodeAll(r io.Reader) ([]int16, error) {
	d, err := NewDecoder(r)
	if err != nil {
		return nil, err
	}
	var out []int16
	buf := make([]int16, 4096)
	for {
		n, err := d.Read(buf)
		out = append(out, buf[:n]...)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// Length reads the whole file and returns its length in samples, from the
// last granule position (without decoding).
func Length(r io.Reader) (int64, error) {
	or, err := ogg.NewReader(r)
	if err != nil {
		return 0, fmt.Errorf("voice: not an Ogg Opus file: %w", err)
	}
	var last uint64
	for {
		_, g, err := or.ReadPacket()
		if errors.Is(err, io.EOF) {
			return max(0, int64(last)-int64(or.PreSkip())), nil
		}
		if err != nil {
			return 0, fmt.Errorf("voice: read: %w", err)
		}
		last = max(last, g)
	}
}

// Analyze decodes a whole file and returns its Info, as the encoder
// would have made it: for a voice message whose sender's server did not
// pass the waveform on, or any Ogg Opus file.
func Analyze(r io.Reader) (Info, error) {
	pcm, err := DecodeAll(r)
	if err != nil {
		return Info{}, err
	}
	levels := make([]float64, 0, len(pcm)/FrameSamples+1)
	for i := 0; i < len(pcm); i += FrameSamples {
		levels = append(levels, Level(pcm[i:min(len(pcm), i+FrameSamples)]))
	}
	n := int64(len(pcm))
	return Info{Duration: SamplesToDuration(n), Samples: n, Waveform: Waveform(levels)}, nil
}
