package ui

import (
	"reflect"
	"testing"
)

func TestGroupsAreWordedInBothLanguages(t *testing.T) {
	en, zh := reflect.ValueOf(groupCatalog[English]), reflect.ValueOf(groupCatalog[Chinese])
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		if en.Field(i).String() == "" || zh.Field(i).String() == "" {
			t.Errorf("%s is empty in a language", name)
		}
		if en.Field(i).String() == zh.Field(i).String() {
			t.Errorf("zh-CN %s is the English text %q", name, en.Field(i).String())
		}
	}
	for _, words := range []map[Lang]map[string]string{groupInputs} {
		if len(words[English]) != len(words[Chinese]) {
			t.Errorf("inputs: %d English, %d Chinese", len(words[English]), len(words[Chinese]))
		}
	}
	if len(groupNotices[English]) != len(groupNotices[Chinese]) || len(groupErrors[English]) != len(groupErrors[Chinese]) {
		t.Errorf("notices or errors differ in number between the languages")
	}
	for k := range groupNotices[English] {
		if groupNotices[Chinese][k] == "" {
			t.Errorf("no Chinese for notice %q", k)
		}
	}
	for k := range groupErrors[English] {
		if groupErrors[Chinese][k] == "" {
			t.Errorf("no Chinese for error %q", k)
		}
	}
}
