package voice

import "math"

// Stretch plays speech faster without raising its pitch, by WSOLA
// (waveform-similarity overlap-add, Verhelst and Roelands 1993): the
// output is built from 20 ms Hann-windowed pieces of the input laid 10 ms
// apart, and each piece is taken near where the speed says (speed × 10 ms
// further on in the input) but shifted by up to 5 ms to where it best
// continues the previous piece's waveform, so the periods of a voice
// line up instead of beating. Plain resampling (1.5× faster and a fifth
// higher) turns a voice into a cartoon; a phase vocoder smears
// transients and costs FFTs; WSOLA keeps a voice natural at 1.5× and 2×
// for a few million multiply-adds a second (the search runs on a 4×
// decimated signal, then refines at full rate).
//
// At 1× every piece is taken exactly where it was, and the windows sum
// to one: the output is the input, delayed by nothing.
type Stretch struct {
	speed  float64
	buf    []float32 // input, buf[0] is sample base
	base   int64
	origin int64 // input sample where the current speed began
	k      int64 // pieces made at this speed
	prev   int64 // input start of the previous piece; -1 none
	acc    []float32
	out    []int16 // made, not yet pulled
	win    []float32
	ended  bool
}

const (
	wsolaN   = 960 // piece length
	wsolaHop = wsolaN / 2
	wsolaTol = 240 // search ±5 ms
	wsolaDec = 4   // decimation of the coarse search
)

// NewStretch starts at input sample start, at speed (1, 1.5, 2; anything
// from 1 to 4 works).
func NewStretch(start int64, speed float64) *Stretch {
	s := &Stretch{speed: speed, base: start, origin: start, prev: -1, acc: make([]float32, wsolaN), win: make([]float32, wsolaN)}
	for i := range s.win { // periodic Hann: 50 % overlaps sum to 1
		s.win[i] = float32(0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/wsolaN))
	}
	return s
}

// SetSpeed changes the speed from the next piece on.
func (s *Stretch) SetSpeed(speed float64) {
	if speed == s.speed {
		return
	}
	s.origin = s.ideal()
	s.k = 0
	s.speed = speed
}

func (s *Stretch) ideal() int64 {
	return s.origin + int64(math.Round(float64(s.k)*s.speed*wsolaHop))
}

// Position is the input sample being played now: where the piece last
// made was meant to be.
func (s *Stretch) Position() int64 {
	return s.ideal() - int64(math.Round(float64(len(s.out))*s.speed))
}

// Push adds input.
func (s *Stretch) Push(pcm []int16) {
	for _, v := range pcm {
		s.buf = append(s.buf, float32(v))
	}
	s.make()
}

// End says no more input comes: the rest is padded with silence so that
// every input sample gets out.
func (s *Stretch) End() {
	if s.ended {
		return
	}
	s.ended = true
	s.buf = append(s.buf, make([]float32, wsolaN+2*wsolaTol)...)
	s.make()
}

// Pull takes up to len(dst) output samples.
func (s *Stretch) Pull(dst []int16) int {
	n := copy(dst, s.out)
	s.out = s.out[n:]
	if len(s.out) == 0 {
		s.out = s.out[:0:0]
	}
	return n
}

// Available is how many output samples wait.
func (s *Stretch) Available() int { return len(s.out) }

// make cuts as many pieces as the input allows.
func (s *Stretch) make() {
	for {
		ideal := s.ideal()
		lo, hi := ideal-wsolaTol, ideal+wsolaTol
		if s.speed == 1 || s.prev < 0 {
			lo, hi = ideal, ideal
		}
		lo = max(lo, s.base)
		end := s.base + int64(len(s.buf))
		if hi+wsolaN > end || s.prev >= 0 && s.prev+wsolaHop+wsolaN > end {
			return
		}
		p := lo
		if hi > lo {
			p = s.search(lo, hi)
		}
		seg := s.buf[p-s.base : p-s.base+wsolaN]
		for i, v := range seg {
			w := s.win[i]
			if s.prev < 0 && i < wsolaHop { // the first piece starts at full height: nothing fades in
				w = 1
			}
			s.acc[i] += v * w
		}
		for _, v := range s.acc[:wsolaHop] {
			s.out = append(s.out, int16(max(-32768, min(32767, math.Round(float64(v))))))
		}
		copy(s.acc, s.acc[wsolaHop:])
		clear(s.acc[wsolaN-wsolaHop:])
		s.prev = p
		s.k++
		// Keep what the next search or continuation can reach.
		keep := min(s.ideal()-wsolaTol, s.prev+wsolaHop)
		if drop := keep - s.base; drop > 0 {
			s.buf = s.buf[drop:]
			s.base = keep
		}
	}
}

// search finds the start in [lo, hi] whose piece best continues the
// previous piece: the natural continuation is the input right after it,
// at prev + hop. Coarse on every wsolaDec-th sample, then refined.
func (s *Stretch) search(lo, hi int64) int64 {
	nat := s.buf[s.prev+wsolaHop-s.base:]
	score := func(p int64, step int) float64 {
		cand := s.buf[p-s.base:]
		var xy, yy float64
		for i := 0; i < wsolaN; i += step {
			x, y := float64(nat[i]), float64(cand[i])
			xy += x * y
			yy += y * y
		}
		if yy == 0 {
			return 0
		}
		return xy / math.Sqrt(yy)
	}
	best, bestScore := lo, math.Inf(-1)
	for p := lo; p <= hi; p += wsolaDec {
		if sc := score(p, wsolaDec); sc > bestScore {
			best, bestScore = p, sc
		}
	}
	c := best
	bestScore = math.Inf(-1)
	for p := max(lo, c-wsolaDec+1); p <= min(hi, c+wsolaDec-1); p++ {
		if sc := score(p, 1); sc > bestScore {
			best, bestScore = p, sc
		}
	}
	return best
}
