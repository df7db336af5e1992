package ui

import (
	"reflect"
	"testing"
)

func TestVoiceIsWordedInBothLanguages(t *testing.T) {
	en, zh := reflect.ValueOf(voiceCatalog[English]), reflect.ValueOf(voiceCatalog[Chinese])
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		if en.Field(i).String() == "" || zh.Field(i).String() == "" {
			t.Errorf("%s is empty in a language", name)
		}
		if en.Field(i).String() == zh.Field(i).String() {
			t.Errorf("zh-CN %s is the English text %q", name, en.Field(i).String())
		}
	}
	if len(voiceInputs[English]) != len(voiceInputs[Chinese]) {
		t.Errorf("inputs: %d English, %d Chinese", len(voiceInputs[English]), len(voiceInputs[Chinese]))
	}
	for k := range voiceInputs[English] {
		if voiceInputs[Chinese][k] == "" {
			t.Errorf("no Chinese for input problem %q", k)
		}
	}
}
