package searchtext

import (
	"slices"
	"testing"
)

func TestIndexTokens(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"大家你好啊", []string{"大家", "家你", "你好", "好啊", "啊"}},
		{"你", []string{"你"}},
		{"say Hello, World!", []string{"say", "hello", "world"}},
		{"给你发了report.pdf文件", []string{"给你", "你发", "发了", "了", "report", "pdf", "文件", "件"}},
		{"コーヒー", []string{"コー", "ーヒ", "ヒー", "ー"}},
		{"한국어 메시지", []string{"한국", "국어", "어", "메시", "시지", "지"}},
		{"Straße café", []string{"straße", "café"}},
		{"snake_case x-y", []string{"snake", "case", "x", "y"}},
		{"今天很好。明天？", []string{"今天", "天很", "很好", "好", "明天", "天"}},
		{"", nil},
		{"，。！ ...", nil},
	}
	for _, tc := range tests {
		if got := IndexTokens(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("IndexTokens(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestParseQueryAndFTSQuery(t *testing.T) {
	tests := []struct {
		q, fts string
	}{
		{"你好", `"你好"`},
		{"大家你好", `"大家 家你 你好"`},
		{"你", `"你"*`},
		{"Hello world", `"hello"* "world"*`},
		{`"你好" OR hello*`, `"你好" "or"* "hello"*`},
		{"发了report", `"发了" "report"*`},
		{"", ""},
		{"。！", ""},
	}
	for _, tc := range tests {
		if got := FTSQuery(ParseQuery(tc.q)); got != tc.fts {
			t.Errorf("FTSQuery(ParseQuery(%q)) = %s, want %s", tc.q, got, tc.fts)
		}
	}
}

// Every substring of two or more CJK characters is found in its text, and
// every single character too.
func TestEveryCJKSubstringMatches(t *testing.T) {
	text := []rune("会议改到明天下午三点请大家准时")
	doc := IndexTokens(string(text))
	for i := range text {
		for j := i + 1; j <= len(text); j++ {
			q := string(text[i:j])
			if !Matches(doc, ParseQuery(q)) {
				t.Errorf("%q does not find its substring %q", string(text), q)
			}
		}
	}
	for _, q := range []string{"会明", "点请大家准时到", "三点钟"} {
		if Matches(doc, ParseQuery(q)) {
			t.Errorf("%q finds %q, which it does not contain", string(text), q)
		}
	}
}
