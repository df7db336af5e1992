// Command app is the Parley client: the Gio window (package ui) over the
// application model (package app/model), which talks to the server
// (net/client) and keeps the local cache (store). `go run ./app` opens it.
//
// This package is only the shell: flags, the window loop, running the
// user's intents on the model off the UI goroutine, fonts, pickers,
// preferences and notifications. The model never imports Gio (a test in
// app/model holds that); the ui package never touches the network.
package main

import (
	"flag"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gioui.org/app"
)

// options are the command line of the app.
type options struct {
	server string // default server address
	data   string // data folder
	lang   string // "", "en" or "zh-CN"
	theme  string // "", "light" or "dark"
	size   image.Point
	level  slog.Level
	// audio selects the sound system of calls: "" the machine's, "null"
	// none (silent microphone, discarded sound: for machines without a
	// sound card, and tests).
	audio     string
	downloads string // where saved files go ("": the platform's downloads folder)
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("parley", flag.ContinueOnError)
	fs.StringVar(&o.server, "server", envOr("PARLEY_SERVER", "http://127.0.0.1:8080"), "server address offered on the login screen; several nodes of one server: comma- or space-separated, the first is the account's own")
	fs.StringVar(&o.data, "data", os.Getenv("PARLEY_DATA"), "data folder (default: the platform's app data folder)")
	fs.StringVar(&o.lang, "lang", "", `language: "en" or "zh-CN" (default: the system's, or the last choice)`)
	fs.StringVar(&o.theme, "theme", "", `"light" or "dark" (default: the system's, or the last choice)`)
	fs.StringVar(&o.audio, "audio", os.Getenv("PARLEY_AUDIO"), `sound for calls: "" (the system's) or "null" (no sound card)`)
	fs.StringVar(&o.downloads, "downloads", os.Getenv("PARLEY_DOWNLOADS"), "folder for saved files (default: the platform's downloads folder)")
	size := fs.String("size", fmt.Sprintf("%dx%d", defaultSize.X, defaultSize.Y), "initial window size in dp, WxH")
	verbose := fs.Bool("v", false, "log debug messages")
	// Gio starts the Windows app with the parley:// link clicked as
	// -gio_launch_url URL; it hands the link over itself (links.go).
	fs.String("gio_launch_url", "", "an invite link the system opened the app with (Windows)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	w, h, ok := strings.Cut(*size, "x")
	x, err1 := strconv.Atoi(w)
	y, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || x <= 0 || y <= 0 {
		return o, fmt.Errorf("-size %q: want WxH, like 1100x720", *size)
	}
	o.size = image.Pt(x, y)
	if o.theme != "" && o.theme != "light" && o.theme != "dark" {
		return o, fmt.Errorf(`-theme %q: want "light" or "dark"`, o.theme)
	}
	if o.audio != "" && o.audio != "null" {
		return o, fmt.Errorf(`-audio %q: want "null", or nothing for the system's sound`, o.audio)
	}
	if *verbose {
		o.level = slog.LevelDebug
	}
	if o.data == "" {
		dir, err := app.DataDir()
		if err != nil {
			return o, fmt.Errorf("find the data folder: %w", err)
		}
		o.data = filepath.Join(dir, "parley")
	}
	return o, nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func main() {
	start := time.Now()
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// What C libraries print goes to the log at debug level (-v shows it).
	stderr, forward := quietStderr()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.level}))
	forward(logger)
	go func() {
		if err := run(o, logger, start); err != nil {
			logger.Error("parley stopped", "err", err)
			os.Exit(1)
		}
		os.Exit(0)
	}()
	appEvents() // app.Main, with the links clicked while the app runs (links.go)
}
