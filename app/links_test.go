package main

import (
	"net/url"
	"os"
	"testing"

	"gioui.org/app"
)

// A parley:// link the system hands over (app.URLEvent) is offered as an
// invite; other URLs and events are not.
func TestALinkTheSystemHandsOverIsAnInvite(t *testing.T) {
	u, _ := url.Parse("parley://chat.example.org/join/AbCdEfGhIjKlMnOpQrStUv")
	if token, ok := linkOf(app.URLEvent{URL: u}); !ok || token != "AbCdEfGhIjKlMnOpQrStUv" {
		t.Fatalf("the invite link gave %q, %v", token, ok)
	}
	other, _ := url.Parse("parley://chat.example.org/settings")
	if _, ok := linkOf(app.URLEvent{URL: other}); ok {
		t.Fatal("a parley:// URL that is no invite was taken for one")
	}
	if _, ok := linkOf(app.DestroyEvent{}); ok {
		t.Fatal("another event was taken for an invite")
	}
}

// Windows starts the app with -gio_launch_url URL (Gio's registration of
// the scheme): the flags take it, and the link is the start's invite.
func TestTheWindowsLaunchFlagIsTakenWithItsLink(t *testing.T) {
	args := []string{"-gio_launch_url", "parley://chat.example.org/join/AbCdEfGhIjKlMnOpQrStUv"}
	if _, err := parseFlags(args); err != nil {
		t.Fatalf("the launch flag is refused: %v", err)
	}
	saved := os.Args
	defer func() { os.Args = saved }()
	os.Args = append([]string{"parley.exe"}, args...)
	if token := startLink(); token != "AbCdEfGhIjKlMnOpQrStUv" {
		t.Fatalf("the start's invite is %q", token)
	}
}
