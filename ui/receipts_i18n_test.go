package ui

import (
	"reflect"
	"testing"
)

// The words of receipts, typing and forwarding are there in every
// language.
func TestReceiptWordsAreTranslated(t *testing.T) {
	for lang, c := range catalogs {
		v := reflect.ValueOf(c.Receipts)
		for i := range v.NumField() {
			f, name := v.Field(i), v.Type().Field(i).Name
			if p, ok := f.Interface().(plural); ok {
				if p.One == "" || p.Other == "" {
					t.Errorf("%s: Receipts.%s lacks a form", lang, name)
				}
				continue
			}
			if f.String() == "" {
				t.Errorf("%s: Receipts.%s is empty", lang, name)
			}
		}
	}
}
