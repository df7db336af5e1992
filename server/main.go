// Command server runs a Parley server: `go run ./server`. Every flag has an
// environment equivalent (PARLEY_ADDR for -addr, and so on); a flag given
// on the command line wins over the environment. `server admin …` is the
// operator's command (package admin), which talks to the running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"parley/net/proto"
	"parley/server/admin"
	"parley/server/auth"
	"parley/server/files/blobstore"
	"parley/server/hub"
	"parley/server/node"
	"parley/server/rtc"
	"parley/server/thumbs"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "admin" {
		if err := admin.Command(context.Background(), os.Args[2:], os.Getenv, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "parley-server admin:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "parley server:", err)
		os.Exit(1)
	}
}

type options struct {
	addr, data, db, nats, nodeID, tlsCert, tlsKey string
	logLevel, sync, origins                       string
	argon2                                        string
	queue                                         int
	registerLimit                                 string
	maxFile, quota                                string
	maxImagePixels                                int
	web, webFont, webEmojiFont                    string
	trustedProxies                                string
	loginTimeout, maxConns                        string
	editWindow                                    string
	joinLimit, joinAddrLimit                      string
	groupPolicy                                   string
	registration                                  string
	udp, udpPublicIP                              string
	s3, s3Access, s3Secret                        string
}

func parseFlags(args []string, getenv func(string) string) (options, error) {
	var o options
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&o.addr, "addr", env("PARLEY_ADDR", "127.0.0.1:8080"), "listen address (PARLEY_ADDR)")
	fs.StringVar(&o.data, "data", env("PARLEY_DATA", "./data"), "data folder (PARLEY_DATA)")
	fs.StringVar(&o.nats, "nats", env("PARLEY_NATS", ""), "with -db: the NATS server of a cluster, e.g. nats://10.0.0.5:4222; this node is then one of several sharing the database (PARLEY_NATS)")
	fs.StringVar(&o.nodeID, "node-id", env("PARLEY_NODE_ID", ""), "with -nats: this node's name in the cluster and its logs, e.g. node-1 (default: random) (PARLEY_NODE_ID)")
	fs.StringVar(&o.db, "db", env("PARLEY_DB", ""), "database: empty for SQLite in the data folder, or a PostgreSQL address, e.g. postgres://parley@db.example.com/parley; files and the search index stay in the data folder (PARLEY_DB)")
	fs.StringVar(&o.s3, "s3", env("PARLEY_S3", ""), "keep files in an S3-compatible bucket instead of the data folder: http(s)://HOST[:PORT]/BUCKET[/PREFIX][?region=REGION]; the keys come from PARLEY_S3_ACCESS_KEY and PARLEY_S3_SECRET_KEY (PARLEY_S3)")
	fs.StringVar(&o.tlsCert, "tls-cert", env("PARLEY_TLS_CERT", ""), "TLS certificate file; with -tls-key serves https and wss (PARLEY_TLS_CERT)")
	fs.StringVar(&o.tlsKey, "tls-key", env("PARLEY_TLS_KEY", ""), "TLS key file (PARLEY_TLS_KEY)")
	fs.StringVar(&o.logLevel, "log-level", env("PARLEY_LOG_LEVEL", "info"), "debug, info, warn or error (PARLEY_LOG_LEVEL)")
	fs.StringVar(&o.sync, "sync", env("PARLEY_SYNC", "full"), "durability: full (survives power loss) or normal (survives a crash) (PARLEY_SYNC)")
	fs.StringVar(&o.origins, "origins", env("PARLEY_ORIGINS", ""), "comma-separated extra browser origins allowed, e.g. chat.example.com (PARLEY_ORIGINS)")
	fs.StringVar(&o.argon2, "argon2", env("PARLEY_ARGON2", ""), "password hashing cost m=KiB,t=N,p=N; default OWASP m=19456,t=2,p=1. Lower only for load tests (PARLEY_ARGON2)")
	fs.IntVar(&o.queue, "queue", envInt(getenv, "PARLEY_QUEUE", 1024), "outgoing frames buffered per connection before a slow client is dropped (PARLEY_QUEUE)")
	fs.StringVar(&o.registerLimit, "register-limit", env("PARLEY_REGISTER_LIMIT", "10/1m"), "registrations per address: BURST/INTERVAL, or off (PARLEY_REGISTER_LIMIT)")
	fs.StringVar(&o.joinLimit, "join-limit", env("PARLEY_JOIN_LIMIT", "10/30s"), "attempts to join a group (join_group, join_link) per account: BURST/INTERVAL, or off (PARLEY_JOIN_LIMIT)")
	fs.StringVar(&o.joinAddrLimit, "join-addr-limit", env("PARLEY_JOIN_ADDR_LIMIT", "30/10s"), "attempts to join a group per address: BURST/INTERVAL, or off (PARLEY_JOIN_ADDR_LIMIT)")
	fs.StringVar(&o.groupPolicy, "group-policy", env("PARLEY_GROUP_POLICY", "ask"), "join policy of a group created without one: invite, ask or open (PARLEY_GROUP_POLICY)")
	fs.StringVar(&o.registration, "registration", env("PARLEY_REGISTRATION", hub.RegistrationOpen), "who may register: open, codes (a code from parley-server admin create-code) or closed (PARLEY_REGISTRATION)")
	fs.StringVar(&o.maxFile, "max-file", env("PARLEY_MAX_FILE", "4GiB"), "largest file accepted, e.g. 4GiB or 500MB (PARLEY_MAX_FILE)")
	fs.StringVar(&o.quota, "quota", env("PARLEY_QUOTA", "off"), "bytes each user may share in all, e.g. 20GiB, or off (PARLEY_QUOTA)")
	fs.IntVar(&o.maxImagePixels, "max-image-pixels", envInt(getenv, "PARLEY_MAX_IMAGE_PIXELS", thumbs.DefaultMaxPixels), "most pixels (width × height) of a picture the server decodes for thumbnails; a bigger one is sent as a plain file (PARLEY_MAX_IMAGE_PIXELS)")
	fs.StringVar(&o.web, "web", env("PARLEY_WEB", ""), "serve this folder at / (the browser app that make web builds) (PARLEY_WEB)")
	fs.StringVar(&o.webFont, "web-font", env("PARLEY_WEB_FONT", ""), "font file served at /fonts/cjk for the browser app's Chinese text, e.g. /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc (PARLEY_WEB_FONT)")
	fs.StringVar(&o.webEmojiFont, "web-emoji-font", env("PARLEY_WEB_EMOJI_FONT", ""), "font file served at /fonts/emoji for the browser app's emoji, e.g. /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf (PARLEY_WEB_EMOJI_FONT)")
	fs.StringVar(&o.trustedProxies, "trusted-proxies", env("PARLEY_TRUSTED_PROXIES", ""), "comma-separated reverse proxies (addresses or networks, e.g. 127.0.0.1,10.0.0.0/8) whose X-Forwarded-For gives the client's address for rate limits and logs (PARLEY_TRUSTED_PROXIES)")
	fs.StringVar(&o.editWindow, "edit-window", env("PARLEY_EDIT_WINDOW", "48h"), "how long after sending a message its sender may edit it, e.g. 48h, or off for no limit (PARLEY_EDIT_WINDOW)")
	fs.StringVar(&o.loginTimeout, "login-timeout", env("PARLEY_LOGIN_TIMEOUT", hub.DefaultLoginTimeout.String()), "close a connection that has not logged in this long after it opened, e.g. 30s, or off (PARLEY_LOGIN_TIMEOUT)")
	fs.StringVar(&o.maxConns, "max-conns-per-addr", env("PARLEY_MAX_CONNS_PER_ADDR", strconv.Itoa(hub.DefaultMaxConnsPerAddr)), "open WebSocket connections one client address may hold, or off (PARLEY_MAX_CONNS_PER_ADDR)")
	fs.StringVar(&o.udp, "udp", env("PARLEY_UDP", "auto"), "call audio over UDP: auto (the UDP port of -addr's number, on its address; off with a warning if taken), off, a port (e.g. 50000; one port for every call) or a range MIN-MAX; calls fall back to the WebSocket when it does not connect (PARLEY_UDP)")
	fs.StringVar(&o.udpPublicIP, "udp-public-ip", env("PARLEY_UDP_PUBLIC_IP", ""), "the server's public IP behind a 1:1 NAT, offered to clients for UDP instead of its own addresses (PARLEY_UDP_PUBLIC_IP)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: parley-server [flags]\n       parley-server admin [-data DIR] COMMAND   (the operator's commands: parley-server admin -h)\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.s3Access, o.s3Secret = getenv("PARLEY_S3_ACCESS_KEY"), getenv("PARLEY_S3_SECRET_KEY")
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, errors.New("-tls-cert and -tls-key go together")
	}
	if o.nats != "" && o.db == "" {
		return o, errors.New("-nats needs -db: the nodes of a cluster share a PostgreSQL database")
	}
	return o, nil
}

// s3Config is the bucket of -s3 with the keys of the environment, or nil
// without -s3 (files in the data folder).
func (o options) s3Config() (*blobstore.Config, error) {
	if o.s3 == "" {
		return nil, nil
	}
	c, err := blobstore.ParseURL(o.s3)
	if err != nil {
		return nil, fmt.Errorf("-s3: %w", err)
	}
	c.AccessKey, c.SecretKey = o.s3Access, o.s3Secret
	return &c, nil
}

func envInt(getenv func(string) string, name string, def int) int {
	var n int
	if _, err := fmt.Sscan(getenv(name), &n); err != nil {
		return def
	}
	return n
}

func run(args []string, getenv func(string) string, stderr *os.File) error {
	o, err := parseFlags(args, getenv)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg := node.Config{DataDir: o.data, DB: o.db, NATS: o.nats, NodeID: o.nodeID, Logger: log, QueueLen: o.queue, WebDir: o.web, WebFont: o.webFont, WebEmojiFont: o.webEmojiFont}
	switch strings.ToLower(o.sync) {
	case "full", "normal":
		cfg.Synchronous = strings.ToUpper(o.sync)
	default:
		return fmt.Errorf("-sync: want full or normal, not %q", o.sync)
	}
	if cfg.S3, err = o.s3Config(); err != nil {
		return err
	}
	if o.origins != "" {
		cfg.OriginPatterns = strings.Split(o.origins, ",")
	}
	if o.argon2 != "" {
		if _, err := fmt.Sscanf(o.argon2, "m=%d,t=%d,p=%d", &cfg.Argon2.Memory, &cfg.Argon2.Time, &cfg.Argon2.Threads); err != nil {
			return fmt.Errorf("-argon2: want m=KiB,t=N,p=N: %w", err)
		}
		if cfg.Argon2.Memory < auth.DefaultParams.Memory {
			log.Warn("password hashing is weaker than the OWASP minimum: use this only for load tests", "argon2", o.argon2)
		}
	}
	if cfg.RegisterLimit, err = parseLimit(o.registerLimit); err != nil {
		return fmt.Errorf("-register-limit: %w", err)
	}
	if cfg.JoinUserLimit, err = parseLimit(o.joinLimit); err != nil {
		return fmt.Errorf("-join-limit: %w", err)
	}
	if cfg.JoinAddrLimit, err = parseLimit(o.joinAddrLimit); err != nil {
		return fmt.Errorf("-join-addr-limit: %w", err)
	}
	if !proto.ValidPolicy(o.groupPolicy) {
		return fmt.Errorf("-group-policy: want invite, ask or open, not %q", o.groupPolicy)
	}
	cfg.DefaultPolicy = o.groupPolicy
	if !hub.ValidRegistration(o.registration) {
		return fmt.Errorf("-registration: want open, codes or closed, not %q", o.registration)
	}
	cfg.Registration, cfg.AdminSocket = o.registration, true
	if cfg.TrustedProxies, err = hub.ParseTrustedProxies(o.trustedProxies); err != nil {
		return fmt.Errorf("-trusted-proxies: want addresses or networks like 127.0.0.1,10.0.0.0/8: %w", err)
	}
	if cfg.LoginTimeout, err = parseLoginTimeout(o.loginTimeout); err != nil {
		return fmt.Errorf("-login-timeout: %w", err)
	}
	udp, optional, err := udpPorts(o.udp, o.addr)
	if err != nil {
		return fmt.Errorf("-udp: %w", err)
	}
	cfg.UDPOptional = optional
	if optional && udp.Off {
		log.Warn("call audio over UDP is off: -addr is not an IPv4 address UDP can share; calls use the WebSocket", "addr", o.addr)
	}
	if o.udpPublicIP != "" && net.ParseIP(o.udpPublicIP) == nil {
		return fmt.Errorf("-udp-public-ip: %q is not an IP address", o.udpPublicIP)
	}
	cfg.UDP, cfg.UDPPublicIP = &udp, o.udpPublicIP
	if cfg.EditWindow, err = parseLoginTimeout(o.editWindow); err != nil { // the same form: a duration or off
		return fmt.Errorf("-edit-window: %w", err)
	}
	if cfg.MaxConnsPerAddr, err = parseConnLimit(o.maxConns); err != nil {
		return fmt.Errorf("-max-conns-per-addr: %w", err)
	}
	if cfg.MaxFileSize, err = parseSize(o.maxFile); err != nil || cfg.MaxFileSize <= 0 {
		return fmt.Errorf("-max-file: want a size like 4GiB, not %q", o.maxFile)
	}
	if o.quota != "off" {
		if cfg.FileQuota, err = parseSize(o.quota); err != nil || cfg.FileQuota <= 0 {
			return fmt.Errorf("-quota: want a size like 20GiB, or off, not %q", o.quota)
		}
	}
	if o.maxImagePixels <= 0 {
		return fmt.Errorf("-max-image-pixels: want a positive number of pixels, not %d", o.maxImagePixels)
	}
	cfg.MaxImagePixels = int64(o.maxImagePixels)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	n, err := node.New(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		n.Shutdown(context.Background())
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           n.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	log.Info("listening", "addr", ln.Addr().String(), "scheme", scheme, "data", o.data, "version", node.Version, "udp", o.udp)
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		n.Shutdown(context.Background())
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop() // a second signal stops the process at once
	log.Info("shutting down")
	// HTTP (uploads, downloads), then the WebSocket connections, then
	// storage, each within a budget of its own.
	if err := node.RunStages(context.Background(), log, n.ShutdownStages(node.DefaultShutdownBudgets, srv)...); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// parseLimit reads "BURST/INTERVAL" (e.g. 10/1m) or "off".
func parseLimit(s string) (hub.Limit, error) {
	if s == "off" {
		return hub.Limit{Burst: -1}, nil
	}
	burst, every, ok := strings.Cut(s, "/")
	if !ok {
		return hub.Limit{}, fmt.Errorf("want BURST/INTERVAL or off, not %q", s)
	}
	var l hub.Limit
	if _, err := fmt.Sscan(burst, &l.Burst); err != nil || l.Burst <= 0 {
		return l, fmt.Errorf("burst %q is not a positive number", burst)
	}
	d, err := time.ParseDuration(every)
	if err != nil || d <= 0 {
		return l, fmt.Errorf("interval %q is not a positive duration", every)
	}
	l.Every = d
	return l, nil
}

// parseLoginTimeout reads a positive duration, or "off" (-1, node's off).
func parseLoginTimeout(s string) (time.Duration, error) {
	if s == "off" {
		return -1, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a duration like 30s, or off, not %q", s)
	}
	return d, nil
}

// parseConnLimit reads a positive count, or "off" (-1, node's off).
func parseConnLimit(s string) (int, error) {
	if s == "off" {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive number, or off, not %q", s)
	}
	return n, nil
}

// parseSize reads a byte count: a number with an optional unit, B, kB, MB,
// GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(s)
	}
	mult, ok := map[string]float64{
		"": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	}[strings.TrimSpace(s[i:])]
	v, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || !ok {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return int64(v * mult), nil
}

// udpPorts reads -udp: "auto" is the UDP port of the same number and
// address as the HTTP listener's (-addr; port 0 picks a free one), and
// optional: a taken port turns UDP off with a warning instead of failing.
func udpPorts(flag, addr string) (ports rtc.Ports, optional bool, err error) {
	if strings.TrimSpace(flag) != "auto" {
		ports, err = rtc.ParsePorts(flag)
		return ports, false, err
	}
	a, err := net.ResolveUDPAddr("udp4", addr)
	if err != nil {
		return rtc.Ports{Off: true}, true, nil // an address UDP over IPv4 cannot share: off
	}
	host := ""
	if a.IP != nil && !a.IP.IsUnspecified() {
		host = a.IP.String()
	}
	return rtc.Ports{Min: a.Port, Max: a.Port, Host: host}, true, nil
}
