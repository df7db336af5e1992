package main

import (
	"context"

	"gioui.org/app"
	"gioui.org/io/event"

	"parley/app/model"
	"parley/app/state"
)

// Invite links handed over by the system while the app runs: on Android,
// iOS, macOS and Windows the parley:// scheme is the app's (gogio's
// -schemes; tools/windows.sh links Gio's scheme list in), and a clicked
// link arrives as an app.URLEvent, on Windows also when it started the
// app (-gio_launch_url). On Linux and in the browser the link comes with
// the start (startLink, join_*.go).

// openedLinks carries the invite tokens of URLEvents to the model; the
// window's run offers each (OfferJoinLink). Buffered: an event at start
// may come before the model is ready.
var openedLinks = make(chan string, 8)

// linkOf is the invite token of an URLEvent, if e is one with a join
// link.
func linkOf(e event.Event) (string, bool) {
	u, ok := e.(app.URLEvent)
	if !ok || u.URL == nil {
		return "", false
	}
	return state.JoinToken(u.URL.String())
}

// appEvents runs Gio's main loop and passes on the invite links it is
// handed (it replaces app.Main).
func appEvents() {
	for e := range app.Events {
		if token, ok := linkOf(e); ok {
			select {
			case openedLinks <- token:
			default: // a burst of clicks: the ones queued are enough
			}
		}
	}
}

// offerLinks offers the model each link handed over, until ctx ends.
func offerLinks(ctx context.Context, m *model.Model) {
	for {
		select {
		case token := <-openedLinks:
			m.OfferJoinLink(token)
		case <-ctx.Done():
			return
		}
	}
}
