// Package quality scores how close a decoded speech signal is to the
// original, for media's benchmarks. Both signals are 48 kHz mono, full
// scale 1. It is for tests and benchmarks only.
//
// The score is the frequency-weighted segmental SNR (fwSNRseg) of Hu and
// Loizou, "Evaluation of objective quality measures for speech
// enhancement" (IEEE TASLP, 2008), as in Loizou's comp_fwseg: 30 ms Hann
// frames every 7.5 ms, magnitude spectra (4096-point FFT) each normalised
// to unit area, 25 Gaussian-shaped critical-band filters (equal area, cut
// at −30 dB), and per frame
//
//	fwSNR = Σ_j W_j·10·log10(C_j² / (C_j − P_j)²) / Σ_j W_j,  W_j = C_j^0.2
//
// where C_j and P_j are the original's and the decoded signal's band
// outputs, clamped to [−10, 35] dB and averaged over frames. Loizou's
// bands stop at 3.6 kHz whatever the sample rate; here they are Zwicker's
// critical bands extended to 20 kHz (the last one 15.5–20 kHz), so that a
// codec that drops the band above 7 kHz loses those bands' share. Frames
// where the original is more than 40 dB below its loudest frame are
// pauses and are skipped (the normalised spectrum of silence means
// nothing). Alongside it, a band log-spectral distance (LSD): the RMS over
// the same 25 bands of the dB difference of the normalised band outputs,
// each floored 50 dB below the original's strongest band, averaged over
// the same frames.
//
// Limits: these are distances between magnitude spectra, not models of
// hearing. The per-frame normalisation makes them blind to loudness (a
// frame played 6 dB too quiet scores as if perfect) and to noise in
// pauses; they do not know masking, so an inaudible difference costs as
// much as an audible one of the same size; the 7.5 ms frames punish a
// time shift the ear forgives. Hu and Loizou found fwSNRseg correlates
// with listeners' overall quality ratings at about 0.84 on noisy,
// enhanced narrowband speech, against 0.89 for PESQ; codec artefacts and
// wideband speech were not part of that test. Read differences of a few
// dB, not absolute values, and never as MOS.
package quality

import (
	"math"

	"parley/media/internal/testsignal"
)

// Rate is the sample rate of every signal here, in Hz.
const Rate = testsignal.Rate

const (
	frameLen   = 30 * Rate / 1000 // 30 ms
	hop        = frameLen / 4     // 75 % overlap
	nfft       = 4096             // 2^nextpow2(2·frameLen), as comp_fwseg
	gamma      = 0.2              // weight exponent
	minSNR     = -10.0            // dB, per frame
	maxSNR     = 35.0             // dB, per frame
	silenceDB  = 40.0             // a frame this far below the loudest is a pause
	lsdFloorDB = 50.0             // LSD floor below the strongest band
)

// MaxFWSNRSeg is the score of a signal identical to the original.
const MaxFWSNRSeg = maxSNR

// edges are the band edges in Hz: Zwicker's 24 critical bands, then one
// from 15.5 to 20 kHz.
var edges = [...]float64{20, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000,
	2320, 2700, 3150, 3700, 4400, 5300, 6400, 7700, 9500, 12000, 15500, 20000}

// band is one critical-band filter over FFT bins from..from+len(w).
type band struct {
	from int
	w    []float64
}

var bands = makeBands()

// makeBands builds the filters as comp_fwseg does: a Gaussian around
// the band's centre bin, exp(−11·((k−f0)/bw)²), scaled by the narrowest
// band's width over this one's (equal area), zero below −30 dB.
func makeBands() []band {
	const binHz = float64(Rate) / nfft
	bwMin := edges[1] - edges[0]
	minFactor := math.Exp(-30 / (2 * 2.303))
	bs := make([]band, len(edges)-1)
	for i := range bs {
		bw := edges[i+1] - edges[i]
		f0 := math.Floor((edges[i] + edges[i+1]) / 2 / binHz)
		bwBins := bw / binHz
		norm := math.Log(bwMin) - math.Log(bw)
		var b band
		for k := range nfft / 2 {
			v := math.Exp(-11*sq((float64(k)-f0)/bwBins) + norm)
			if v <= minFactor {
				if len(b.w) > 0 {
					break
				}
				continue
			}
			if len(b.w) == 0 {
				b.from = k
			}
			b.w = append(b.w, v)
		}
		bs[i] = b
	}
	return bs
}

func sq(x float64) float64 { return x * x }

// Score is how close a signal is to the original.
type Score struct {
	FWSNRSeg float64 // dB: MaxFWSNRSeg when identical, down to −10
	LSD      float64 // dB: 0 when identical
	Frames   int     // frames of speech scored
}

// frame is what one analysis frame measured.
type frame struct{ fw, lsd, energy float64 }

// scorer holds the scratch of one comparison.
type scorer struct {
	win    [frameLen]float64
	z      []complex128
	c, p   []float64
	frames []frame
}

func newScorer() *scorer {
	s := &scorer{z: make([]complex128, nfft), c: make([]float64, nfft/2), p: make([]float64, nfft/2)}
	for n := range s.win {
		s.win[n] = 0.5 * (1 - math.Cos(2*math.Pi*float64(n+1)/(frameLen+1)))
	}
	return s
}

// add scores one frame: ref and deg are frameLen samples each.
func (s *scorer) add(ref, deg []float64) {
	// Both real spectra from one complex FFT: z = ref + i·deg.
	var energy float64
	for n := range s.z {
		if n < frameLen {
			r, d := ref[n]*s.win[n], deg[n]*s.win[n]
			energy += r * r
			s.z[n] = complex(r, d)
		} else {
			s.z[n] = 0
		}
	}
	testsignal.FFT(s.z, false)
	var sc, sp float64
	for k := range nfft / 2 {
		a, b := s.z[k], s.z[(nfft-k)%nfft]
		b = complex(real(b), -imag(b))
		s.c[k] = absC((a + b) / 2)
		s.p[k] = absC((a - b) / 2)
		sc += s.c[k]
		sp += s.p[k]
	}
	if sc == 0 {
		s.frames = append(s.frames, frame{}) // silent: skipped below
		return
	}
	var C, P [len(edges) - 1]float64
	strongest := 0.0
	for j, b := range bands {
		for i, w := range b.w {
			C[j] += s.c[b.from+i] / sc * w
			if sp > 0 {
				P[j] += s.p[b.from+i] / sp * w
			}
		}
		strongest = max(strongest, C[j])
	}
	floor := strongest * math.Pow(10, -lsdFloorDB/20)
	var num, den, lsd float64
	for j := range C {
		w := math.Pow(C[j], gamma)
		num += w * 10 * math.Log10(C[j]*C[j]/max(sq(C[j]-P[j]), 1e-300))
		den += w
		lsd += sq(20 * math.Log10(max(C[j], floor)/max(P[j], floor)))
	}
	s.frames = append(s.frames, frame{
		fw:     min(max(num/den, minSNR), maxSNR),
		lsd:    math.Sqrt(lsd / float64(len(C))),
		energy: energy,
	})
}

func absC(z complex128) float64 { return math.Hypot(real(z), imag(z)) }

// score averages the frames of speech.
func (s *scorer) score() Score {
	loudest := 0.0
	for _, f := range s.frames {
		loudest = max(loudest, f.energy)
	}
	var sc Score
	for _, f := range s.frames {
		if f.energy == 0 || f.energy < loudest*math.Pow(10, -silenceDB/10) {
			continue
		}
		sc.FWSNRSeg += f.fw
		sc.LSD += f.lsd
		sc.Frames++
	}
	if sc.Frames > 0 {
		sc.FWSNRSeg /= float64(sc.Frames)
		sc.LSD /= float64(sc.Frames)
	}
	return sc
}

// Compare scores deg against ref sample for sample, over the length of
// the shorter: the caller has aligned them.
func Compare(ref, deg []float64) Score {
	s := newScorer()
	for at := 0; at+frameLen <= min(len(ref), len(deg)); at += hop {
		s.add(ref[at:at+frameLen], deg[at:at+frameLen])
	}
	return s.score()
}

// Align returns the lag in [lo, hi] at which deg best matches ref, by
// normalised cross-correlation: deg[i+lag] ≈ ref[i]. Samples of deg
// outside its length count as zero.
func Align(ref, deg []float64, lo, hi int) int {
	seg := window(deg, lo, len(ref)+hi-lo) // seg[i+j] = deg[i+lo+j]
	c := testsignal.XCorr(ref, seg)        // c[j] = Σ ref[i]·seg[i+j]
	prefix := make([]float64, len(seg)+1)
	for i, v := range seg {
		prefix[i+1] = prefix[i] + v*v
	}
	best, bestV := 0, math.Inf(-1)
	for j := range c {
		e := prefix[j+len(ref)] - prefix[j]
		if e <= 0 {
			continue
		}
		if v := c[j] / math.Sqrt(e); v > bestV {
			best, bestV = j, v
		}
	}
	return lo + best
}

// window returns n samples of x from index at, zero outside x.
func window(x []float64, at, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		if k := at + i; k >= 0 && k < len(x) {
			w[i] = x[k]
		}
	}
	return w
}

// Measure scores deg, a delayed copy of ref played through a codec and a
// jitter buffer, against ref. It finds the delay over the first 5 s
// (within ±maxLag samples), then again for each second of ref within 40
// ms of the previous second's, so that a frame a jitter buffer dropped
// or inserted shifts the seconds after it and costs only the second
// where it happened; a second of ref too quiet to align on keeps the
// previous delay. Frames are scored within each whole second of ref
// (a last part second is not scored).
func Measure(ref, deg []float64, maxLag int) Score {
	const block, track = Rate, 40 * Rate / 1000
	lag := Align(ref[:min(len(ref), 5*Rate)], deg, -maxLag, maxLag)
	var total float64
	for _, v := range ref {
		total += v * v
	}
	s := newScorer()
	for from := 0; from+block <= len(ref); from += block {
		r := ref[from : from+block]
		var e float64
		for _, v := range r {
			e += v * v
		}
		if e > total/float64(len(ref))*block*1e-3 {
			lag = Align(r, deg, from+lag-track, from+lag+track) - from
		}
		d := window(deg, from+lag, block)
		for at := 0; at+frameLen <= block; at += hop {
			s.add(r[at:at+frameLen], d[at:at+frameLen])
		}
	}
	return s.score()
}
