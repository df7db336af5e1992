// Package rot is a module whose platform files have rotted: the
// typecheck tests check it for each target.
package rot

import "strings"

// Hello is fine everywhere.
func Hello() string { return strings.ToUpper("hi") }
