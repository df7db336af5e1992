package platform

import (
	"context"
	"testing"
)

func TestLanguageFollowsPOSIXPrecedence(t *testing.T) {
	for _, c := range []struct {
		all, messages, lang, language string
		want                          string
	}{
		{lang: "zh_CN.UTF-8", want: "zh_CN"},
		{all: "en_GB.UTF-8", lang: "zh_CN.UTF-8", want: "en_GB"},
		{messages: "zh_TW.UTF-8", lang: "en_US.UTF-8", want: "zh_TW"},
		{lang: "C", language: "zh_CN:en", want: "zh_CN"},
	} {
		t.Setenv("LC_ALL", c.all)
		t.Setenv("LC_MESSAGES", c.messages)
		t.Setenv("LANG", c.lang)
		t.Setenv("LANGUAGE", c.language)
		if got := Language(context.Background()); got != c.want {
			t.Errorf("LC_ALL=%q LC_MESSAGES=%q LANG=%q LANGUAGE=%q: got %q, want %q", c.all, c.messages, c.lang, c.language, got, c.want)
		}
	}
}
