package ui

import "strconv"

// composerWords are the composer's words about long texts, in each
// language (kept beside the composer rather than in the main catalog).
type composerWords struct {
	// CountF shows the bytes used of a message's limit, from 90 % of it:
	// "14,950 / 16,384 bytes".
	CountF string
	// LeftF follows the count below the limit: "1,434 left".
	LeftF string
	// TooLong follows the count when over: "too long for one message".
	TooLong string
	// RefusedF says why Send did nothing: the limit, the text's size.
	RefusedF string
	// SendAsFile sends the text as a .txt file instead.
	SendAsFile string
	// NoFileF is a mistyped path in the file bar.
	NoFileF string
}

var composerCatalog = map[Lang]composerWords{
	English: {
		CountF:     "%s / %s bytes",
		LeftF:      "%s left",
		TooLong:    "too long for one message",
		RefusedF:   "Not sent: a message holds at most %s bytes and this text has %s. Shorten it, or send it as a file.",
		SendAsFile: "Send as a file",
		NoFileF:    "No file at %s — check the path",
	},
	Chinese: {
		CountF:     "%s / %s 字节",
		LeftF:      "还剩 %s",
		TooLong:    "超出单条消息的长度",
		RefusedF:   "未发送：一条消息最多 %s 字节，这段文字有 %s 字节。请缩短，或作为文件发送。",
		SendAsFile: "作为文件发送",
		NoFileF:    "%s 处没有文件，请检查路径",
	},
}

func (u *UI) cw() composerWords {
	if w, ok := composerCatalog[u.lang]; ok {
		return w
	}
	return composerCatalog[English]
}

// thousands formats n with thousands separators: 16,384.
func thousands(n int) string {
	d := strconv.Itoa(n)
	var b []byte
	for i := range len(d) {
		if i > 0 && (len(d)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, d[i])
	}
	return string(b)
}
