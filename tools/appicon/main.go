// Command appicon draws Parley's icon: a speech bubble on a rounded blue
// square. It writes the PNG that gogio and the Linux desktop use
// (app/appicon.png, committed) and the Windows .ico (at build time, for the
// exe's resources). The icon is drawn at each size, not scaled, so the
// small sizes stay sharp. It must not depend on anything outside the
// standard library.
//
//	go run ./tools/appicon -png app/appicon.png
//	go run ./tools/appicon -ico bin/parley.ico
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
)

func main() {
	pngPath := flag.String("png", "", "write the icon as a PNG here")
	size := flag.Int("size", 512, "size of the PNG in pixels")
	icoPath := flag.String("ico", "", "write a Windows .ico (16 to 256 px) here")
	flag.Parse()
	if *pngPath == "" && *icoPath == "" {
		fmt.Fprintln(os.Stderr, "appicon: give -png and/or -ico")
		os.Exit(2)
	}
	if *pngPath != "" {
		if err := writePNG(*pngPath, *size); err != nil {
			fmt.Fprintln(os.Stderr, "appicon:", err)
			os.Exit(1)
		}
	}
	if *icoPath != "" {
		if err := writeICO(*icoPath, []int{16, 24, 32, 48, 64, 128, 256}); err != nil {
			fmt.Fprintln(os.Stderr, "appicon:", err)
			os.Exit(1)
		}
	}
}

func writePNG(path string, size int) error {
	var b bytes.Buffer
	if err := png.Encode(&b, Draw(size)); err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write icon: %w", err)
	}
	return nil
}

// writeICO writes an .ico whose images are PNGs (Windows Vista and later
// read those at every size).
func writeICO(path string, sizes []int) error {
	ico, err := ICO(sizes)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, ico, 0o644); err != nil {
		return fmt.Errorf("write icon: %w", err)
	}
	return nil
}

// ICO encodes the icon at each size (at most 256) as one .ico file.
func ICO(sizes []int) ([]byte, error) {
	var images [][]byte
	for _, s := range sizes {
		if s < 1 || s > 256 {
			return nil, fmt.Errorf("ico: size %d: want 1 to 256", s)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, Draw(s)); err != nil {
			return nil, fmt.Errorf("ico: encode %d px: %w", s, err)
		}
		images = append(images, b.Bytes())
	}
	var out bytes.Buffer
	le := binary.LittleEndian
	out.Write(le.AppendUint16(nil, 0)) // reserved
	out.Write(le.AppendUint16(nil, 1)) // type: icon
	out.Write(le.AppendUint16(nil, uint16(len(images))))
	offset := 6 + 16*len(images)
	for i, s := range sizes {
		dim := byte(s)                      // 256 is written as 0
		out.Write([]byte{dim, dim, 0, 0})   // width, height, palette, reserved
		out.Write(le.AppendUint16(nil, 1))  // planes
		out.Write(le.AppendUint16(nil, 32)) // bits per pixel
		out.Write(le.AppendUint32(nil, uint32(len(images[i]))))
		out.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(images[i])
	}
	for _, img := range images {
		out.Write(img)
	}
	return out.Bytes(), nil
}

// Colours of the icon.
var (
	top    = color.NRGBA{0x4f, 0x8c, 0xff, 0xff}
	bottom = color.NRGBA{0x2b, 0x5b, 0xd7, 0xff}
	white  = color.NRGBA{0xff, 0xff, 0xff, 0xff}
	dots   = color.NRGBA{0x2f, 0x66, 0xe0, 0xff}
)

// Draw renders the icon at size×size pixels, antialiased by 4×4
// supersampling of the shapes below (in units of the icon's side).
func Draw(size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	const n = 4
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			var r, g, b, a float64
			for sy := 0; sy < n; sy++ {
				for sx := 0; sx < n; sx++ {
					u := (float64(x) + (float64(sx)+0.5)/n) / float64(size)
					v := (float64(y) + (float64(sy)+0.5)/n) / float64(size)
					c, ok := sample(u, v)
					if !ok {
						continue
					}
					r += float64(c.R)
					g += float64(c.G)
					b += float64(c.B)
					a++
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(x, y, color.NRGBA{
				R: uint8(r / a), G: uint8(g / a), B: uint8(b / a),
				A: uint8(math.Round(255 * a / (n * n))),
			})
		}
	}
	return img
}

// sample is the icon's colour at (u, v) in [0,1]², and false outside it.
func sample(u, v float64) (color.NRGBA, bool) {
	if !inRoundRect(u, v, 0.02, 0.02, 0.98, 0.98, 0.22) {
		return color.NRGBA{}, false
	}
	// The dots of the bubble, then the bubble and its tail.
	for _, cx := range []float64{0.34, 0.5, 0.66} {
		if math.Hypot(u-cx, v-0.47) < 0.055 {
			return dots, true
		}
	}
	if inRoundRect(u, v, 0.18, 0.24, 0.82, 0.70, 0.14) || inTriangle(u, v, 0.30, 0.64, 0.46, 0.64, 0.26, 0.82) {
		return white, true
	}
	return lerp(top, bottom, v), true
}

func inRoundRect(u, v, x0, y0, x1, y1, r float64) bool {
	if u < x0 || u > x1 || v < y0 || v > y1 {
		return false
	}
	cx := math.Max(x0+r, math.Min(u, x1-r))
	cy := math.Max(y0+r, math.Min(v, y1-r))
	return math.Hypot(u-cx, v-cy) <= r
}

func inTriangle(u, v, ax, ay, bx, by, cx, cy float64) bool {
	side := func(px, py, qx, qy float64) float64 { return (qx-px)*(v-py) - (qy-py)*(u-px) }
	d1, d2, d3 := side(ax, ay, bx, by), side(bx, by, cx, cy), side(cx, cy, ax, ay)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}

func lerp(a, b color.NRGBA, t float64) color.NRGBA {
	m := func(x, y uint8) uint8 { return uint8(float64(x) + (float64(y)-float64(x))*t) }
	return color.NRGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 0xff}
}
