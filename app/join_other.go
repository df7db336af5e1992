//go:build !js

package main

import (
	"os"
	"strings"

	"parley/app/state"
)

// startLink is the invite token of a parley:// or https join link the app
// was started with (the system hands a clicked link over as an
// argument), "" if none.
func startLink() string {
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			continue
		}
		if token, ok := state.JoinToken(a); ok {
			return token
		}
	}
	return ""
}
