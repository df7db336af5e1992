package proto

import "testing"

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1 kB", 1500: "1.5 kB", 12_400_000: "12.4 MB",
		999_999: "1 MB", 4 << 30: "4.29 GB", 200 << 20: "210 MB", 734_003_200: "734 MB",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
