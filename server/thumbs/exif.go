package thumbs

import (
	"bufio"
	"encoding/binary"
	"io"
)

// Orientation reads the EXIF orientation (1 to 8) of a JPEG: the tag 0x0112
// of IFD0 in the first APP1 "Exif" segment before the image data. It
// returns 1 (as stored) for anything else: not a JPEG, no EXIF, a value out
// of range, or a malformed segment. It reads at most the markers before
// the first scan, and at most one APP1 segment (64 KiB) into memory.
func Orientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var soi [2]byte
	if _, err := io.ReadFull(br, soi[:]); err != nil || soi != [2]byte{0xFF, 0xD8} {
		return 1
	}
	for {
		marker, err := nextMarker(br)
		if err != nil {
			return 1
		}
		switch {
		case marker == 0xD8 || marker == 0x01 || 0xD0 <= marker && marker <= 0xD7: // no length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image: no EXIF before
			return 1
		}
		var l [2]byte
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return 1
		}
		n := int(binary.BigEndian.Uint16(l[:])) - 2
		if n < 0 {
			return 1
		}
		if marker != 0xE1 {
			if _, err := br.Discard(n); err != nil {
				return 1
			}
			continue
		}
		seg := make([]byte, n)
		if _, err := io.ReadFull(br, seg); err != nil {
			return 1
		}
		if len(seg) < 6 || string(seg[:6]) != "Exif\x00\x00" {
			continue // XMP or another APP1: the EXIF one may follow
		}
		return tiffOrientation(seg[6:])
	}
}

// OrientationOf reads the EXIF orientation (1 to 8) of a picture of the
// given format: a JPEG's APP1 segment (Orientation), a PNG's eXIf chunk
// before its image data, or a WebP's EXIF chunk. Anything else is 1. It
// reads no more than 64 KiB of metadata into memory.
func OrientationOf(format string, r io.Reader) int {
	switch format {
	case "jpeg":
		return Orientation(r)
	case "png":
		return pngOrientation(r)
	case "webp":
		return webpOrientation(r)
	}
	return 1
}

// maxExif bounds the EXIF data read from a PNG or WebP chunk.
const maxExif = 64 << 10

// pngOrientation finds an eXIf chunk before the first IDAT.
func pngOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var sig [8]byte
	if _, err := io.ReadFull(br, sig[:]); err != nil || string(sig[:]) != "\x89PNG\r\n\x1a\n" {
		return 1
	}
	for {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return 1
		}
		n, typ := binary.BigEndian.Uint32(h[:4]), string(h[4:])
		switch {
		case typ == "IDAT" || typ == "IEND":
			return 1
		case typ == "eXIf" && n <= maxExif:
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return 1
			}
			return tiffOrientation(data)
		}
		if _, err := br.Discard(int(min(n, 1<<31-1)) + 4); err != nil { // the data and its CRC
			return 1
		}
	}
}

// webpOrientation finds the EXIF chunk of an extended WebP (after its
// image data).
func webpOrientation(r io.Reader) int {
	br := bufio.NewReader(r)
	var h [12]byte
	if _, err := io.ReadFull(br, h[:]); err != nil || string(h[:4]) != "RIFF" || string(h[8:]) != "WEBP" {
		return 1
	}
	for {
		var c [8]byte
		if _, err := io.ReadFull(br, c[:]); err != nil {
			return 1
		}
		typ, n := string(c[:4]), binary.LittleEndian.Uint32(c[4:])
		if typ == "EXIF" && n <= maxExif {
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return 1
			}
			if len(data) >= 6 && string(data[:6]) == "Exif\x00\x00" { // some writers keep the JPEG prefix
				data = data[6:]
			}
			return tiffOrientation(data)
		}
		if _, err := br.Discard(int(min(n+n&1, 1<<31-1))); err != nil { // chunks are padded to even sizes
			return 1
		}
	}
}

// nextMarker skips to the next marker (0xFF, any fill 0xFF bytes, then a
// byte that is not 0 or 0xFF) and returns its code.
func nextMarker(br *bufio.Reader) (byte, error) {
	b, err := br.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, io.ErrUnexpectedEOF // not a marker where one belongs
	}
	for {
		b, err = br.ReadByte()
		if err != nil {
			return 0, err
		}
		if b != 0xFF {
			if b == 0 {
				return 0, io.ErrUnexpectedEOF
			}
			return b, nil
		}
	}
}

// tiffOrientation finds the orientation tag in IFD0 of a TIFF header.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 1
	}
	count := int64(bo.Uint16(t[off:]))
	entries := t[off+2:]
	for i := int64(0); i < count && 12*(i+1) <= int64(len(entries)); i++ {
		e := entries[12*i : 12*(i+1)]
		if bo.Uint16(e[0:2]) != 0x0112 {
			continue
		}
		// SHORT (3), count 1: the value sits in the first two bytes of
		// the value field, in the file's byte order.
		if bo.Uint16(e[2:4]) != 3 || bo.Uint32(e[4:8]) != 1 {
			return 1
		}
		if o := int(bo.Uint16(e[8:10])); 1 <= o && o <= 8 {
			return o
		}
		return 1
	}
	return 1
}
