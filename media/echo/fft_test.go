package echo

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

func naiveDFT(x []complex128) []complex128 {
	n := len(x)
	out := make([]complex128, n)
	for k := range n {
		for j, v := range x {
			out[k] += v * cmplx.Exp(complex(0, -2*math.Pi*float64(j*k)/float64(n)))
		}
	}
	return out
}

func TestComplexFFTMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 3, 4, 5, 8, 12, 15, 40, 80, 120, 240, 320, 480, 960} {
		f, err := newCFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]complex64, n)
		ref := make([]complex128, n)
		for i := range x {
			x[i] = complex(float32(rng.NormFloat64()), float32(rng.NormFloat64()))
			ref[i] = complex128(x[i])
		}
		want := naiveDFT(ref)
		f.forward(x)
		var worst float64
		for k := range x {
			worst = max(worst, cmplx.Abs(complex128(x[k])-want[k]))
		}
		if worst > 1e-4*math.Sqrt(float64(n)) {
			t.Errorf("n=%d: largest error %.2g", n, worst)
		}
		f.inverse(x)
		for i := range x {
			if d := cmplx.Abs(complex128(x[i]) - ref[i]); d > 1e-5 {
				t.Fatalf("n=%d: inverse(forward(x))[%d] off by %.2g", n, i, d)
			}
		}
	}
	if _, err := newCFFT(14); err == nil {
		t.Error("a size with the factor 7 was accepted")
	}
}

func TestRealFFTMatchesTheDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, n := range []int{2, 8, 160, 480, 640, 960} {
		f, err := newRFFT(n)
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n)
		ref := make([]complex128, n)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
			ref[i] = complex(float64(x[i]), 0)
		}
		want := naiveDFT(ref)
		X := make([]complex64, n/2+1)
		f.forward(X, x)
		for k := range X {
			if d := cmplx.Abs(complex128(X[k]) - want[k]); d > 1e-4*math.Sqrt(float64(n)) {
				t.Fatalf("n=%d bin %d: %v, want %v", n, k, X[k], want[k])
			}
		}
		back := make([]float32, n)
		f.inverse(back, X)
		for i := range back {
			if d := math.Abs(float64(back[i] - x[i])); d > 1e-5 {
				t.Fatalf("n=%d: inverse(forward(x))[%d] = %v, want %v", n, i, back[i], x[i])
			}
		}
	}
}
