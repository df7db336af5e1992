package codec

// This file is the G.722 sub-band ADPCM codec at 16 kHz, 64 kbit/s (mode 1),
// written from ITU-T Recommendation G.722 (09/2012; the algorithm is that of
// the 1988 Blue Book text):
//
//   - clauses 3.1 and 5: the transmit QMF, with the 24 coefficients of
//     Table 11 (qmfEven, qmfOdd);
//   - clauses 3.2–3.6 and 6: the difference signal (SUBTRA), the 6-bit lower
//     and 2-bit higher sub-band adaptive quantizers (QUANTL, QUANTH), the
//     inverse quantizers that feed the predictors (INVQAL, INVQAH), scale
//     factor adaptation (LOGSCL/SCALEL, LOGSCH/SCALEH) and the pole-zero
//     adaptive predictor (PARREC, RECONS, UPZERO, UPPOL2, UPPOL1, DELAYA,
//     FILTEZ, FILTEP, PREDIC);
//   - clauses 4 and 6: the decoder, which runs the same adaptation and
//     outputs the 6-bit lower sub-band reconstruction (INVQBL, mode 1) and
//     the higher one, both limited (LIMIT), through the receive QMF (4.4).
//
// Arithmetic follows the Recommendation's fixed-point rules: 16-bit
// saturating additions, products scaled by 2^-15 and truncated toward minus
// infinity. The encoder and decoder run the same adaptation on the same
// codes, so a decoder tracks its encoder's state exactly.

// Quantizer constants of the lower sub-band (QUANTL, INVQAL, LOGSCL,
// INVQBL).
var (
	// lowDecision[m] is the 6-bit quantizer decision level of QUANTL, to
	// be scaled by DETL/2^12. m runs 1..29; level 0 is the origin; an |EL|
	// beyond level 29 falls in interval 30.
	lowDecision = [30]int32{
		0, 35, 72, 110, 150, 190, 233, 276, 323, 370,
		422, 473, 530, 587, 650, 714, 786, 858, 940, 1023,
		1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919,
	}
	// lowCodeNeg / lowCodePos give the 6-bit code ILN / ILP of quantizer
	// interval m (1..30) for a negative / non-negative difference signal.
	lowCodeNeg = [31]int32{
		0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
		18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4,
	}
	lowCodePos = [31]int32{
		0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
		46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32,
	}
	// lowOutput6[m] is the 6-bit inverse quantizer output level of
	// interval m (INVQBL, the decoder's lower sub-band output).
	lowOutput6 = [31]int32{
		0, 17, 54, 91, 130, 170, 211, 254, 300, 347,
		396, 447, 501, 558, 618, 682, 750, 822, 899, 982,
		1072, 1170, 1279, 1399, 1535, 1689, 1873, 2088, 2376, 2738, 3101,
	}
	// lowInv4[c] is the signed 4-bit inverse quantizer output × 8 for the
	// 4-bit code c = IL >> 2 (INVQAL). It drives the predictor in both
	// encoder and decoder.
	lowInv4 = [16]int32{
		0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
		20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
	}
	// lowLogStep[c] is the log scale factor increment WL of LOGSCL for the
	// 4-bit code c (it depends on the code's magnitude only).
	lowLogStep = [16]int32{
		-60, 3042, 1198, 538, 334, 172, 58, -30,
		3042, 1198, 538, 334, 172, 58, -30, -60,
	}
)

// Quantizer constants of the higher sub-band (QUANTH, INVQAH, LOGSCH).
var (
	// highInv2[c] is the signed 2-bit inverse quantizer output × 8 for
	// code c (INVQAH).
	highInv2 = [4]int32{-7408, -1616, 7408, 1616}
	// highLogStep[c] is the log scale factor increment WH (LOGSCH).
	highLogStep = [4]int32{798, -214, 798, -214}
)

// highDecision is the one decision level of QUANTH, scaled by DETH/2^12.
const highDecision = 564

// scaleMantissa[i] = round(2048 · 2^(i/32)), the ILB table that SCALEL and
// SCALEH use to turn the log scale factor into the linear one.
var scaleMantissa = [32]int32{
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383,
	2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
	2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371,
	3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
}

// qmfEven and qmfOdd are the QMF coefficients of Table 11/G.722: 24 taps
// h0..h23, symmetric (h23-i = hi). qmfEven holds h0, h2, ..., h22 and
// qmfOdd h1, h3, ..., h23, each applied newest sample first.
var (
	qmfEven = [12]int32{3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11}
	qmfOdd  = [12]int32{-11, 53, -156, 362, -805, 3876, 951, -210, 32, 12, -11, 3}
)

// qmfDelay is the end-to-end delay, in 16 kHz samples, of the transmit plus
// receive QMF with the Recommendation's ordering of the two samples of a
// pair (TestQMFDelay measures it).
const qmfDelay = 22

// Bounds of the sub-band scale factors (LOGSCL, LOGSCH).
const (
	lowLogMax  = 18432
	highLogMax = 22528
)

func sat16(x int32) int32 { return min(max(x, -32768), 32767) }

// limit is block LIMIT: the reconstructed sub-band signal and the QMF
// outputs are 15-bit.
func limit(x int32) int32 { return min(max(x, -16384), 16383) }

// mul15 is the Recommendation's (a·b)·2^-15, truncated toward minus
// infinity, saturated to 16 bits.
func mul15(a, b int32) int32 { return sat16(a * b >> 15) }

func clamp(x, lo, hi int32) int32 { return max(lo, min(x, hi)) }

// magnitude is |x| as the Recommendation's quantizers take it: the one's
// complement of a negative value, so -1 and 0 share interval 1.
func magnitude(x int32) int32 {
	if x < 0 {
		return -x - 1
	}
	return x
}

// band is the adaptive state of one sub-band ADPCM coder. Encoder and
// decoder hold identical copies when fed identical codes.
type band struct {
	s   int32    // SL/SH: predicted signal (PREDIC)
	sz  int32    // SZL/SZH: zero-section prediction (FILTEZ)
	r   [3]int32 // RLT/RH: reconstructed signal, r[0] newest
	p   [3]int32 // PLT/PH: partially reconstructed signal, p[0] newest
	a   [3]int32 // AL/AH: pole coefficients a[1], a[2]
	d   [7]int32 // DLT/DH: quantized difference signal, d[0] newest
	b   [7]int32 // BL/BH: zero coefficients b[1]..b[6]
	nb  int32    // NBL/NBH: log scale factor
	det int32    // DETL/DETH: scale factor
}

// The reset states of clause 6: everything zero but the scale factors.
func newLowBand() band  { return band{det: 32} }
func newHighBand() band { return band{det: 8} }

// scale is SCALEL (bias 8) and SCALEH (bias 10): the linear scale factor
// from the log one, 2^(nb/2048) with a 5-bit mantissa table.
func scale(nb, bias int32) int32 {
	m := scaleMantissa[(nb>>6)&31]
	if shift := bias - nb>>11; shift >= 0 {
		m >>= shift
	} else {
		m <<= -shift
	}
	return m << 2
}

// adaptLow runs blocks 3L and 4L for the 6-bit lower sub-band code il:
// INVQAL, LOGSCL, SCALEL, then the predictor update.
func (b *band) adaptLow(il int32) {
	c := il >> 2
	dq := b.det * lowInv4[c] >> 15
	b.nb = clamp(mul15(b.nb, 32512)+lowLogStep[c], 0, lowLogMax)
	b.det = scale(b.nb, 8)
	b.predict(dq)
}

// adaptHigh runs blocks 3H and 4H for the 2-bit higher sub-band code ih.
func (b *band) adaptHigh(ih int32) {
	dq := b.det * highInv2[ih] >> 15
	b.nb = clamp(mul15(b.nb, 32512)+highLogStep[ih], 0, highLogMax)
	b.det = scale(b.nb, 10)
	b.predict(dq)
}

// predict is block 4 (identical for both sub-bands): given the quantized
// difference dq it reconstructs the signal, adapts the 2-pole / 6-zero
// predictor by sign-sign gradient steps with leakage, and computes the next
// prediction b.s.
func (b *band) predict(dq int32) {
	b.d[0] = dq
	b.p[0] = sat16(dq + b.sz) // PARREC
	b.r[0] = sat16(b.s + dq)  // RECONS

	// UPZERO and DELAYA: b(i) ← b(i)(1-2^-8) ± 2^-7·sgn(d0)sgn(di).
	var step int32
	if dq != 0 {
		step = 128
	}
	sg0 := dq >> 15
	for i := 6; i > 0; i-- {
		w := mul15(b.b[i], 32640)
		if b.d[i]>>15 == sg0 {
			b.b[i] = sat16(w + step)
		} else {
			b.b[i] = sat16(w - step)
		}
		b.d[i] = b.d[i-1]
	}

	// UPPOL2: a2 ← a2(1-2^-7) + 2^-7·(sgn(p0)sgn(p2) - f(a1)sgn(p0)sgn(p1)),
	// limited to |a2| ≤ 0.75.
	sp0, sp1, sp2 := b.p[0]>>15, b.p[1]>>15, b.p[2]>>15
	f := sat16(b.a[1] << 2)
	if sp0 == sp1 {
		f = sat16(-f)
	}
	f >>= 7
	w := int32(-128)
	if sp0 == sp2 {
		w = 128
	}
	a2 := clamp(sat16(sat16(f+w)+mul15(b.a[2], 32512)), -12288, 12288)

	// UPPOL1: a1 ← a1(1-2^-8) + 3·2^-8·sgn(p0)sgn(p1), |a1| ≤ 1-2^-4-a2.
	w = -192
	if sp0 == sp1 {
		w = 192
	}
	lim := sat16(15360 - a2)
	a1 := clamp(sat16(w+mul15(b.a[1], 32640)), -lim, lim)
	b.a[1], b.a[2] = a1, a2
	b.p[2], b.p[1] = b.p[1], b.p[0]

	// FILTEZ: the zero section over the delayed difference signal.
	var sz int32
	for i := 6; i > 0; i-- {
		sz = sat16(sz + mul15(sat16(b.d[i]+b.d[i]), b.b[i]))
	}
	b.sz = sz

	// FILTEP and PREDIC: the pole section over the reconstructed signal.
	b.r[2], b.r[1] = b.r[1], b.r[0]
	sp := sat16(mul15(a1, sat16(b.r[1]+b.r[1])) + mul15(a2, sat16(b.r[2]+b.r[2])))
	b.s = sat16(sp + sz)
}

// quantizeLow is QUANTL: the 6-bit code of the lower sub-band difference el.
func quantizeLow(el, det int32) int32 {
	wd := magnitude(el)
	m := 1
	for m < 30 && wd >= lowDecision[m]*det>>12 {
		m++
	}
	if el < 0 {
		return lowCodeNeg[m]
	}
	return lowCodePos[m]
}

// quantizeHigh is QUANTH: the 2-bit code of the higher sub-band difference.
func quantizeHigh(eh, det int32) int32 {
	outer := magnitude(eh) >= highDecision*det>>12
	switch {
	case eh < 0 && outer:
		return 0
	case eh < 0:
		return 1
	case outer:
		return 2
	default:
		return 3
	}
}

// lowInv6 is INVQBL for mode 1: the signed 6-bit inverse quantizer output
// × 8 of each 6-bit code, derived from the code assignment above. Codes
// 0..3 are never sent; the Recommendation decodes them like code 63.
var lowInv6 = func() (t [64]int32) {
	for m := 1; m <= 30; m++ {
		t[lowCodePos[m]] = lowOutput6[m] * 8
		t[lowCodeNeg[m]] = -lowOutput6[m] * 8
	}
	for c := range 4 {
		t[c] = -lowOutput6[1] * 8
	}
	return t
}()

// g722Encoder is the SB-ADPCM encoder at 16 kHz: 2 input samples → 1 byte.
type g722Encoder struct {
	x0, x1 [12]int32 // transmit QMF delay lines: even / odd input samples, newest first
	lo, hi band
}

func newG722Encoder() g722Encoder {
	return g722Encoder{lo: newLowBand(), hi: newHighBand()}
}

// encode appends len(pcm)/2 codes to dst. len(pcm) must be even.
func (e *g722Encoder) encode(dst []byte, pcm []int16) []byte {
	for i := 0; i+1 < len(pcm); i += 2 {
		dst = append(dst, e.encodePair(int32(pcm[i]), int32(pcm[i+1])))
	}
	return dst
}

func (e *g722Encoder) encodePair(first, second int32) byte {
	// Transmit QMF (clause 3.1): split into two 8 kHz sub-bands.
	copy(e.x0[1:], e.x0[:11])
	copy(e.x1[1:], e.x1[:11])
	e.x0[0], e.x1[0] = first, second
	var sumEven, sumOdd int32
	for i := range 12 {
		sumEven += qmfEven[i] * e.x1[i]
		sumOdd += qmfOdd[i] * e.x0[i]
	}
	xl := limit((sumEven + sumOdd) >> 14)
	xh := limit((sumEven - sumOdd) >> 14)

	il := quantizeLow(sat16(xl-e.lo.s), e.lo.det) // SUBTRA, QUANTL
	e.lo.adaptLow(il)
	ih := quantizeHigh(sat16(xh-e.hi.s), e.hi.det) // SUBTRA, QUANTH
	e.hi.adaptHigh(ih)
	return byte(ih<<6 | il)
}

// g722Decoder is the SB-ADPCM decoder at 16 kHz: 1 byte → 2 output samples.
type g722Decoder struct {
	lo, hi   band
	diff, sm [12]int32 // receive QMF delay lines: rl-rh and rl+rh, newest first
}

func newG722Decoder() g722Decoder {
	return g722Decoder{lo: newLowBand(), hi: newHighBand()}
}

// decode appends 2·len(codes) samples to dst.
func (d *g722Decoder) decode(dst []int16, codes []byte) []int16 {
	for _, c := range codes {
		il, ih := int32(c&63), int32(c>>6)
		rl := limit(sat16(d.lo.s + d.lo.det*lowInv6[il]>>15)) // INVQBL, RECONS, LIMIT
		d.lo.adaptLow(il)
		rh := limit(sat16(d.hi.s + d.hi.det*highInv2[ih]>>15)) // INVQAH, RECONS, LIMIT
		d.hi.adaptHigh(ih)

		// Receive QMF (clause 4.4): interpolate and recombine the sub-bands.
		copy(d.diff[1:], d.diff[:11])
		copy(d.sm[1:], d.sm[:11])
		d.diff[0], d.sm[0] = rl-rh, rl+rh
		var first, second int32
		for i := range 12 {
			first += qmfEven[i] * d.diff[i]
			second += qmfOdd[i] * d.sm[i]
		}
		dst = append(dst, int16(sat16(first>>11)), int16(sat16(second>>11)))
	}
	return dst
}
