package main

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"testing"
)

func TestIconIsARoundedSquareWithABubble(t *testing.T) {
	img := Draw(64)
	if a := img.NRGBAAt(0, 0).A; a != 0 {
		t.Errorf("corner alpha = %d, want transparent", a)
	}
	if c := img.NRGBAAt(32, 60); c.A != 0xff || c.B < c.R {
		t.Errorf("bottom middle = %v, want opaque blue", c)
	}
	if c := img.NRGBAAt(12, 28); c != white {
		t.Errorf("inside the bubble = %v, want white", c)
	}
}

func TestICOListsEverySizeAsPNG(t *testing.T) {
	sizes := []int{16, 32, 256}
	ico, err := ICO(sizes)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	if le.Uint16(ico[2:]) != 1 || int(le.Uint16(ico[4:])) != len(sizes) {
		t.Fatalf("header % x: want an icon with %d images", ico[:6], len(sizes))
	}
	for i, s := range sizes {
		entry := ico[6+16*i:]
		n, off := le.Uint32(entry[8:]), le.Uint32(entry[12:])
		img, err := png.Decode(bytes.NewReader(ico[off : off+n]))
		if err != nil {
			t.Fatalf("image %d: %v", i, err)
		}
		if got := img.Bounds().Dx(); got != s || int(entry[0]) != s%256 {
			t.Errorf("image %d is %d px, directory says %d; want %d", i, got, entry[0], s)
		}
	}
	if _, err := ICO([]int{512}); err == nil {
		t.Error("a 512 px image was accepted; .ico holds at most 256")
	}
}
