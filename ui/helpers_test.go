package ui_test

import (
	"bytes"

	"parley/ui/uitest"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// fieldText is the text of the field described as desc: the label of the
// editor inside it.
func fieldText(d *uitest.Driver, desc string) string {
	v, _ := d.FieldText(desc)
	return v
}
