//go:build linux && !android

package main

import (
	"context"
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"

	"parley/app/state"
	"parley/net/proto"
	"parley/server/node/nodetest"
)

// What C libraries print on a machine without a sound card or a Wayland
// session stays off the terminal; -v shows it, in the log.
func TestThirdPartyNoiseStaysOffTheTerminalUnlessVerbose(t *testing.T) {
	bin := appBinary(t)
	srv := nodetest.Start(t)
	x := startXvfb(t, image.Pt(800, 600))
	noise := []string{"XDG_RUNTIME_DIR", "ALSA lib"}
	// No session directory (libwayland complains, the app uses X11), and
	// no sound: PulseAudio unreachable, ALSA's default card missing.
	env := []string{"XDG_RUNTIME_DIR=", "PULSE_SERVER=unix:/nonexistent/parley-test", "ALSA_CARD=ParleyTestNoSuchCard"}
	for _, verbose := range []bool{false, true} {
		t.Run(fmt.Sprintf("verbose=%v", verbose), func(t *testing.T) {
			data := t.TempDir()
			me := seedUser(t, srv, data, "李华")
			wang := seedUser(t, srv, t.TempDir(), "王芳")
			g := me.group("学习小组", wang)
			me.m.Close() // the app resumes this account
			args := []string{"-server", srv.HTTPURL, "-data", data, "-size", "800x600", "-lang", "en"}
			if verbose {
				args = append(args, "-v")
			}
			a := startAppEnv(t, bin, x, env, args...)
			defer a.stop()
			if err := wang.m.Open(context.Background(), g); err != nil {
				t.Fatal(err)
			}
			wang.until("李华's app online", func(st state.State) bool {
				return st.Open != nil && slices.ContainsFunc(st.Open.Members, func(m proto.Member) bool { return m.ID == me.me.ID && m.Online })
			})
			// A call rings: the app opens the speaker for the ring tone,
			// which fails here after ALSA has had its say.
			if err := wang.m.Call(context.Background(), fmt.Sprint(me.me.ID)); err != nil {
				t.Fatal(err)
			}
			a.waitLog(t, 0, "no ring tone")
			if verbose {
				// The pipe's reader logs C's lines as it reads them,
				// perhaps after the ring tone's failure was logged.
				a.waitLog(t, 0, `level=DEBUG msg=stderr line="ALSA lib`)
			}
			logs := a.logs.String()
			for _, n := range noise {
				if got := strings.Contains(logs, n); got != verbose {
					t.Errorf("%q on the terminal: %v, want %v; the terminal:\n%s", n, got, verbose, logs)
				}
			}
			if verbose && !strings.Contains(logs, `level=DEBUG msg=stderr line="ALSA lib`) {
				t.Errorf("with -v, ALSA's lines are not in the log:\n%s", logs)
			}
			if err := wang.m.Hangup(context.Background()); err != nil {
				t.Log(err)
			}
		})
	}
}
