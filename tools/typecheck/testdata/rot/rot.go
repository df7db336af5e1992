// Package rot is a module whose platform files have rotted: the
// typecheck tests check it for each target.
package rot

import (
	"strings"

	"example.com/rotdep"
)

// Hello is fine everywhere.
func Hello() string {
	if !rotdep.Ready() {
		return ""
	}
	return strings.ToUpper("hi")
}
