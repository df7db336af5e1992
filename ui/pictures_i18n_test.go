package ui

import (
	"reflect"
	"testing"
)

func TestPicturesAreWordedInBothLanguages(t *testing.T) {
	en, zh := reflect.ValueOf(pictureCatalog[English]), reflect.ValueOf(pictureCatalog[Chinese])
	for i := range en.NumField() {
		name := en.Type().Field(i).Name
		if en.Field(i).String() == "" || zh.Field(i).String() == "" {
			t.Errorf("%s is empty in a language", name)
		}
		if en.Field(i).String() == zh.Field(i).String() {
			t.Errorf("zh-CN %s is the English text %q", name, en.Field(i).String())
		}
	}
}
