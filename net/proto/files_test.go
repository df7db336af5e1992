package proto

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSafeNameKeepsOneHarmlessFileName(t *testing.T) {
	for in, want := range map[string]string{
		"report.pdf":                      "report.pdf",
		"李华的报告.docx":                      "李华的报告.docx",
		"../../../../etc/passwd":          "passwd",
		`..\..\Windows\System32\evil.dll`: "evil.dll",
		"/abs/olute.txt":                  "olute.txt",
		"dir/":                            "file",
		"":                                "file",
		".":                               "file",
		"..":                              "file",
		"  .hidden  ":                     "hidden",
		"trailing dots...":                "trailing dots",
		"a<b>c:d\"e|f?g*h.txt":            "a_b_c_d_e_f_g_h.txt",
		"tab\there\x00nul\x7f.txt":        "tabherenul.txt",
		"invoice\u202Efdp.exe":            "invoicefdp.exe",
		"CON":                             "_CON",
		"nul.txt":                         "_nul.txt",
		"com1.log":                        "_com1.log",
		"console.log":                     "console.log",
		"bad\xffutf8.txt":                 "bad\uFFFDutf8.txt",
	} {
		if got := SafeName(in); got != want {
			t.Errorf("SafeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSafeNameTruncatesLongNamesKeepingTheExtension(t *testing.T) {
	long := strings.Repeat("文", 200) + ".tar.gz"
	got := SafeName(long)
	if len(got) > MaxNameBytes || !utf8.ValidString(got) || !strings.HasSuffix(got, ".gz") || !strings.HasPrefix(got, "文文") {
		t.Fatalf("SafeName(200 × 文 .tar.gz) = %q (%d bytes)", got, len(got))
	}
}
