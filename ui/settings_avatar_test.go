package ui_test

import (
	"image"
	"testing"

	"parley/app/state"
	"parley/ui"
	"parley/ui/uitest"
)

// greenPixels counts the pixels of img that are the test picture's green.
func greenPixels(img *image.RGBA) int {
	n := 0
	for i := 0; i < len(img.Pix); i += 4 {
		if img.Pix[i] < 40 && img.Pix[i+1] > 200 && img.Pix[i+2] < 40 {
			n++
		}
	}
	return n
}

func TestAvatarsDrawProfilePictures(t *testing.T) {
	pic := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(pic.Pix); i += 4 {
		copy(pic.Pix[i:], []uint8{0, 0xff, 0, 0xff})
	}
	st := uitest.Busy()
	_, without := render(t, st, ui.English, false, desktop)
	st.Pictures = state.Pictures{uitest.WangFang.ID: pic}
	_, with := render(t, st, ui.English, false, desktop)
	if n := greenPixels(without); n != 0 {
		t.Fatalf("%d green pixels without the picture", n)
	}
	// Wang's row in the list and her messages in the group: avatars of
	// 36 dp, each about π/4 of its square green; two at least.
	if n := greenPixels(with); n < 2*36*36*3/4 {
		t.Fatalf("only %d green pixels: the avatars do not draw Wang's picture", n)
	}
}
