package echo

import (
	"fmt"
	"math"
)

// cfft is a plan for complex FFTs of one size whose prime factors are 2,
// 3 and 5 (the block sizes of 20 ms frames at 4, 16 and 48 kHz are all
// of that form), by the Stockham autosort algorithm: every stage reads
// one buffer and writes the other in natural order, so there is no bit
// reversal. A plan is not safe for concurrent use (it owns its scratch).
type cfft struct {
	n      int
	stages []fftStage
	work   []complex64
}

type fftStage struct {
	radix, m, s int         // this stage splits length radix·m, stride s
	tw          []complex64 // w^(p·k) for p < m, 1 ≤ k < radix, at p·(radix-1)+k-1
}

func newCFFT(n int) (*cfft, error) {
	f := &cfft{n: n, work: make([]complex64, n)}
	rest, s := n, 1
	for rest > 1 {
		r := 0
		for _, c := range []int{4, 2, 3, 5} {
			if rest%c == 0 {
				r = c
				break
			}
		}
		if r == 0 {
			return nil, fmt.Errorf("echo: FFT size %d has a prime factor above 5", n)
		}
		m := rest / r
		st := fftStage{radix: r, m: m, s: s, tw: make([]complex64, m*(r-1))}
		for p := range m {
			for k := 1; k < r; k++ {
				a := -2 * math.Pi * float64(p*k) / float64(rest)
				st.tw[p*(r-1)+k-1] = complex(float32(math.Cos(a)), float32(math.Sin(a)))
			}
		}
		f.stages = append(f.stages, st)
		rest, s = m, s*r
	}
	return f, nil
}

// forward computes the unnormalised DFT of x in place:
// X[k] = Σ x[j]·exp(-2πi·jk/n).
func (f *cfft) forward(x []complex64) {
	x = x[:f.n]
	src, dst := x, f.work
	for i := range f.stages {
		st := &f.stages[i]
		switch st.radix {
		case 2:
			radix2(st, src, dst)
		case 3:
			radix3(st, src, dst)
		case 4:
			radix4(st, src, dst)
		case 5:
			radix5(st, src, dst)
		}
		src, dst = dst, src
	}
	if &src[0] != &x[0] {
		copy(x, src)
	}
}

// inverse computes the inverse DFT of x in place, including the 1/n.
func (f *cfft) inverse(x []complex64) {
	x = x[:f.n]
	for i, v := range x {
		x[i] = complex(real(v), -imag(v))
	}
	f.forward(x)
	scale := 1 / float32(f.n)
	for i, v := range x {
		x[i] = complex(real(v)*scale, -imag(v)*scale)
	}
}

func radix2(st *fftStage, x, y []complex64) {
	m, s := st.m, st.s
	for p := range m {
		w := st.tw[p]
		for q := range s {
			a, b := x[q+s*p], x[q+s*(p+m)]
			y[q+s*2*p] = a + b
			y[q+s*(2*p+1)] = cmul(a-b, w)
		}
	}
}

func radix4(st *fftStage, x, y []complex64) {
	m, s := st.m, st.s
	for p := range m {
		tw := st.tw[3*p : 3*p+3]
		w1, w2, w3 := tw[0], tw[1], tw[2]
		for q := range s {
			a0, a1, a2, a3 := x[q+s*p], x[q+s*(p+m)], x[q+s*(p+2*m)], x[q+s*(p+3*m)]
			t0, t1 := a0+a2, a0-a2
			t2, d := a1+a3, a1-a3
			t3 := complex(imag(d), -real(d)) // -i·(a1-a3)
			o := q + s*4*p
			y[o] = t0 + t2
			y[o+s] = cmul(t1+t3, w1)
			y[o+2*s] = cmul(t0-t2, w2)
			y[o+3*s] = cmul(t1-t3, w3)
		}
	}
}

func radix3(st *fftStage, x, y []complex64) {
	const h = 0.8660254037844386 // sin(2π/3)
	m, s := st.m, st.s
	for p := range m {
		w1, w2 := st.tw[2*p], st.tw[2*p+1]
		for q := range s {
			a0, a1, a2 := x[q+s*p], x[q+s*(p+m)], x[q+s*(p+2*m)]
			sum, dif := a1+a2, a1-a2
			t := a0 - complex(0.5*real(sum), 0.5*imag(sum))
			u := complex(imag(dif)*h, -real(dif)*h) // -i·sin(2π/3)·(a1-a2)
			o := q + s*3*p
			y[o] = a0 + sum
			y[o+s] = cmul(t+u, w1)
			y[o+2*s] = cmul(t-u, w2)
		}
	}
}

func radix5(st *fftStage, x, y []complex64) {
	const (
		c1 = 0.30901699437494745 // cos(2π/5)
		c2 = -0.8090169943749475 // cos(4π/5)
		s1 = 0.9510565162951535  // sin(2π/5)
		s2 = 0.5877852522924731  // sin(4π/5)
	)
	m, s := st.m, st.s
	for p := range m {
		tw := st.tw[4*p : 4*p+4]
		for q := range s {
			a0 := x[q+s*p]
			a1, a2, a3, a4 := x[q+s*(p+m)], x[q+s*(p+2*m)], x[q+s*(p+3*m)], x[q+s*(p+4*m)]
			s14, d14 := a1+a4, a1-a4
			s23, d23 := a2+a3, a2-a3
			r1 := a0 + scale(s14, c1) + scale(s23, c2)
			r2 := a0 + scale(s14, c2) + scale(s23, c1)
			i1 := scale(d14, s1) + scale(d23, s2) // times -i below
			i2 := scale(d14, s2) - scale(d23, s1)
			j1 := complex(imag(i1), -real(i1))
			j2 := complex(imag(i2), -real(i2))
			o := q + s*5*p
			y[o] = a0 + s14 + s23
			y[o+s] = cmul(r1+j1, tw[0])
			y[o+2*s] = cmul(r2+j2, tw[1])
			y[o+3*s] = cmul(r2-j2, tw[2])
			y[o+4*s] = cmul(r1-j1, tw[3])
		}
	}
}

// rfft transforms real blocks of an even size n through a complex FFT of
// n/2 points: spectra are the n/2+1 bins from DC to Nyquist.
type rfft struct {
	n   int
	c   *cfft
	z   []complex64 // n/2 scratch
	rot []complex64 // exp(-2πi·k/n), k < n/2
}

func newRFFT(n int) (*rfft, error) {
	if n%2 != 0 {
		return nil, fmt.Errorf("echo: real FFT size %d is odd", n)
	}
	c, err := newCFFT(n / 2)
	if err != nil {
		return nil, err
	}
	f := &rfft{n: n, c: c, z: make([]complex64, n/2), rot: make([]complex64, n/2)}
	for k := range f.rot {
		a := -2 * math.Pi * float64(k) / float64(n)
		f.rot[k] = complex(float32(math.Cos(a)), float32(math.Sin(a)))
	}
	return f, nil
}

// forward writes the spectrum of x (n samples) to X (n/2+1 bins),
// unnormalised.
func (f *rfft) forward(X []complex64, x []float32) {
	m := f.n / 2
	z := f.z
	for i := range m {
		z[i] = complex(x[2*i], x[2*i+1])
	}
	f.c.forward(z)
	X = X[:m+1]
	X[0] = complex(real(z[0])+imag(z[0]), 0)
	X[m] = complex(real(z[0])-imag(z[0]), 0)
	for k := 1; k < m; k++ {
		a, b := z[k], z[m-k]
		bc := complex(real(b), -imag(b))
		even := scale(a+bc, 0.5)
		d := scale(a-bc, 0.5)
		odd := complex(imag(d), -real(d)) // (a - conj b)/(2i)
		X[k] = even + cmul(f.rot[k], odd)
	}
}

// inverse writes the n real samples whose spectrum is X (n/2+1 bins),
// normalised so that inverse(forward(x)) = x. X is not changed.
func (f *rfft) inverse(x []float32, X []complex64) {
	m := f.n / 2
	z := f.z
	for k := range m {
		a, b := X[k], X[m-k]
		bc := complex(real(b), -imag(b))
		even := scale(a+bc, 0.5)
		r := f.rot[k]
		odd := cmul(scale(a-bc, 0.5), complex(real(r), -imag(r)))
		z[k] = even + complex(-imag(odd), real(odd)) // even + i·odd
	}
	f.c.inverse(z)
	for i, v := range z {
		x[2*i], x[2*i+1] = real(v), imag(v)
	}
}

// cmul and scale multiply in float32: Go multiplies complex64 values
// through float64 (converting every operand and the result), which made
// it the largest cost of the transforms.
func cmul(a, b complex64) complex64 {
	ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
	return complex(ar*br-ai*bi, ar*bi+ai*br)
}

func scale(a complex64, s float32) complex64 { return complex(real(a)*s, imag(a)*s) }
