package proto

import (
	"strconv"
	"strings"
)

// FormatSize writes a byte count the way people read it, in SI units with
// three significant digits: "999 B", "12.4 MB", "1.5 kB", "4.29 GB".
func FormatSize(n int64) string {
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	v := float64(n)
	unit := 0
	for v >= 999.5 && unit < 6 {
		v /= 1000
		unit++
	}
	prec := 2
	switch {
	case v >= 99.95:
		prec = 0
	case v >= 9.995:
		prec = 1
	}
	num := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(num, ".") {
		num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	}
	return num + " " + [...]string{"B", "kB", "MB", "GB", "TB", "PB", "EB"}[unit]
}
