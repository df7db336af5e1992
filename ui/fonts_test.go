package ui

import (
	"testing"

	"golang.org/x/image/font/gofont/goregular"
)

func TestLoadCJKFontBytesTakesTheOnlyFaceOfASingleFont(t *testing.T) {
	f, err := LoadCJKFontBytes(goregular.TTF, "goregular")
	if err != nil {
		t.Fatalf("LoadCJKFontBytes: %v", err)
	}
	if f.Font.Typeface != "Go" {
		t.Errorf("typeface = %q, want Go", f.Font.Typeface)
	}
	if f.Face == nil || f.Face.Face() == nil {
		t.Error("no face to shape with")
	}
}

func TestLoadCJKFontBytesRejectsWhatIsNotAFont(t *testing.T) {
	if _, err := LoadCJKFontBytes([]byte("<html>not found</html>"), "page"); err == nil {
		t.Error("an HTML page loaded as a font")
	}
}
