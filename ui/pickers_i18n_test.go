package ui

import (
	"reflect"
	"testing"
)

// The pickers' words are there in every language, and the Chinese ones
// are not the English ones.
func TestThePickersWordsAreTranslated(t *testing.T) {
	en := reflect.ValueOf(pickerCatalog[English])
	for _, lang := range []Lang{English, Chinese} {
		w, ok := pickerCatalog[lang]
		if !ok {
			t.Fatalf("no picker words in %s", lang)
		}
		v := reflect.ValueOf(w)
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			var got, eng []string
			switch f.Kind() {
			case reflect.String:
				got, eng = []string{f.String()}, []string{en.Field(i).String()}
			case reflect.Array:
				for j := range f.Len() {
					got, eng = append(got, f.Index(j).String()), append(eng, en.Field(i).Index(j).String())
				}
			}
			for j := range got {
				if got[j] == "" {
					t.Errorf("%s: %s[%d] is empty", lang, name, j)
				}
				if lang == Chinese && got[j] == eng[j] && name != "NamesSep" {
					t.Errorf("zh-CN %s[%d] is the English %q", name, j, eng[j])
				}
			}
		}
	}
}
