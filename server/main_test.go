package main

import (
	"context"
	"net"
	"os"
	"strings"
	"testing"

	"parley/server/files/blobstore"
	"parley/server/node"
	"parley/server/rtc"
)

func TestSizesAreReadWithTheirUnits(t *testing.T) {
	for in, want := range map[string]int64{
		"4GiB": 4 << 30, "500MB": 500e6, "1.5 GiB": 3 << 29, "1024": 1024, "10kB": 10_000, "2TiB": 2 << 40, "7B": 7,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GiB", "4 parsecs", "-1GiB", "4GB GB"} {
		if got, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, got)
		}
	}
}

func TestFileLimitsComeFromFlagsOrEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_MAX_FILE": "1GiB", "PARLEY_QUOTA": "20GiB"}
	o, err := parseFlags([]string{"-max-file", "2GiB"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.maxFile != "2GiB" || o.quota != "20GiB" {
		t.Fatalf("max-file %q, quota %q: the flag wins over the environment, which wins over the default", o.maxFile, o.quota)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.maxFile != "4GiB" || o.quota != "off" {
		t.Fatalf("defaults: max-file %q, quota %q", o.maxFile, o.quota)
	}
}

func TestImagePixelLimitComesFromFlagOrEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_MAX_IMAGE_PIXELS": "1000"}
	if o, err := parseFlags(nil, func(k string) string { return env[k] }); err != nil || o.maxImagePixels != 1000 {
		t.Fatalf("from the environment: %d, %v", o.maxImagePixels, err)
	}
	if o, err := parseFlags([]string{"-max-image-pixels", "2000"}, func(k string) string { return env[k] }); err != nil || o.maxImagePixels != 2000 {
		t.Fatalf("the flag wins: %d, %v", o.maxImagePixels, err)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.maxImagePixels != 50_000_000 {
		t.Fatalf("default %d, want 50 megapixels", o.maxImagePixels)
	}
}

func TestABadTrustedProxyListStopsTheServerWithAReason(t *testing.T) {
	env := map[string]string{"PARLEY_TRUSTED_PROXIES": "127.0.0.1, ::1"}
	o, err := parseFlags(nil, func(k string) string { return env[k] })
	if err != nil || o.trustedProxies != "127.0.0.1, ::1" {
		t.Fatalf("from the environment: %q, %v", o.trustedProxies, err)
	}
	dir := t.TempDir()
	err = run([]string{"-data", dir, "-addr", "127.0.0.1:0", "-trusted-proxies", "127.0.0.1,proxy.example.org"}, func(string) string { return "" }, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "-trusted-proxies") {
		t.Fatalf("run with a host name as a proxy: %v, want a -trusted-proxies error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the data folder was touched before the flags were checked: %d entries", len(entries))
	}
}

func TestConnectionLimitsComeFromFlagsOrEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_LOGIN_TIMEOUT": "1m", "PARLEY_MAX_CONNS_PER_ADDR": "off"}
	o, err := parseFlags([]string{"-max-conns-per-addr", "8"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.loginTimeout != "1m" || o.maxConns != "8" {
		t.Fatalf("login-timeout %q, max-conns-per-addr %q: the flag wins over the environment", o.loginTimeout, o.maxConns)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.loginTimeout != "30s" || o.maxConns != "256" {
		t.Fatalf("defaults: login-timeout %q, max-conns-per-addr %q", o.loginTimeout, o.maxConns)
	}
	if d, err := parseLoginTimeout("off"); err != nil || d >= 0 {
		t.Errorf("login-timeout off = %v, %v; want negative (off)", d, err)
	}
	if n, err := parseConnLimit("off"); err != nil || n >= 0 {
		t.Errorf("max-conns-per-addr off = %v, %v; want negative (off)", n, err)
	}
	for _, bad := range []string{"", "0", "-5", "soon", "0s"} {
		if d, err := parseLoginTimeout(bad); err == nil {
			t.Errorf("login-timeout %q = %v, want an error", bad, d)
		}
		if n, err := parseConnLimit(bad); err == nil {
			t.Errorf("max-conns-per-addr %q = %v, want an error", bad, n)
		}
	}
}

func TestEditWindowComesFromFlagOrEnvironment(t *testing.T) {
	o, err := parseFlags(nil, func(k string) string { return map[string]string{"PARLEY_EDIT_WINDOW": "15m"}[k] })
	if err != nil || o.editWindow != "15m" {
		t.Fatalf("edit-window from the environment = %q, %v; want 15m", o.editWindow, err)
	}
	if o, _ := parseFlags([]string{"-edit-window", "off"}, func(string) string { return "" }); o.editWindow != "off" {
		t.Fatalf("edit-window flag = %q, want off", o.editWindow)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.editWindow != "48h" {
		t.Fatalf("default edit-window = %q, want 48h", o.editWindow)
	}
	dir := t.TempDir()
	err = run([]string{"-data", dir, "-addr", "127.0.0.1:0", "-edit-window", "soon"}, func(string) string { return "" }, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "-edit-window") {
		t.Fatalf("run with -edit-window soon: %v, want an -edit-window error", err)
	}
}

func TestGroupFlagsComeFromFlagOrEnvironment(t *testing.T) {
	o, err := parseFlags([]string{"-join-limit", "3/1m"}, func(k string) string {
		return map[string]string{"PARLEY_JOIN_ADDR_LIMIT": "off", "PARLEY_GROUP_POLICY": "open"}[k]
	})
	if err != nil || o.joinLimit != "3/1m" || o.joinAddrLimit != "off" || o.groupPolicy != "open" {
		t.Fatalf("join-limit %q, join-addr-limit %q, group-policy %q, %v", o.joinLimit, o.joinAddrLimit, o.groupPolicy, err)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.joinLimit != "10/30s" || o.joinAddrLimit != "30/10s" || o.groupPolicy != "ask" {
		t.Fatalf("defaults: join-limit %q, join-addr-limit %q, group-policy %q", o.joinLimit, o.joinAddrLimit, o.groupPolicy)
	}
	for _, args := range [][]string{{"-group-policy", "public"}, {"-join-limit", "often"}} {
		err := run(append([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, os.Stderr)
		if err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("run with %v: %v, want an %s error", args, err, args[0])
		}
	}
}

func TestRegistrationModeComesFromFlagOrEnvironment(t *testing.T) {
	o, err := parseFlags(nil, func(k string) string { return map[string]string{"PARLEY_REGISTRATION": "codes"}[k] })
	if err != nil || o.registration != "codes" {
		t.Fatalf("registration from the environment = %q, %v; want codes", o.registration, err)
	}
	if o, _ := parseFlags([]string{"-registration", "closed"}, func(k string) string { return map[string]string{"PARLEY_REGISTRATION": "codes"}[k] }); o.registration != "closed" {
		t.Fatalf("registration flag = %q, want closed: the flag wins", o.registration)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.registration != "open" {
		t.Fatalf("default registration = %q, want open", o.registration)
	}
	dir := t.TempDir()
	err = run([]string{"-data", dir, "-addr", "127.0.0.1:0", "-registration", "invite"}, func(string) string { return "" }, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "-registration") {
		t.Fatalf("run with -registration invite: %v, want a -registration error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("the data folder was touched before the flags were checked: %d entries", len(entries))
	}
}

func TestUDPComesFromFlagOrEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_UDP": "50000-50100", "PARLEY_UDP_PUBLIC_IP": "203.0.113.7"}
	o, err := parseFlags(nil, func(k string) string { return env[k] })
	if err != nil || o.udp != "50000-50100" || o.udpPublicIP != "203.0.113.7" {
		t.Fatalf("from the environment: %q %q, %v", o.udp, o.udpPublicIP, err)
	}
	if o, _ := parseFlags([]string{"-udp", "50000"}, func(k string) string { return env[k] }); o.udp != "50000" {
		t.Fatalf("the flag wins over the environment: %q", o.udp)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.udp != "auto" || o.udpPublicIP != "" {
		t.Fatalf("defaults: -udp %q, -udp-public-ip %q; want auto and none", o.udp, o.udpPublicIP)
	}
	for flag, args := range map[string][]string{
		"-udp":           {"-udp", "on"},
		"-udp-public-ip": {"-udp", "off", "-udp-public-ip", "server.example.org"},
	} {
		dir := t.TempDir()
		err := run(append([]string{"-data", dir, "-addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, os.Stderr)
		if err == nil || !strings.Contains(err.Error(), flag+":") {
			t.Fatalf("run %v: %v, want a %s error", args, err, flag)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Fatalf("%s: the data folder was touched before the flags were checked", flag)
		}
	}
}

// -udp auto is the HTTP listener's port number and address, on UDP, and
// optional; the other forms are as written and required.
func TestUDPAutoFollowsTheHTTPAddress(t *testing.T) {
	for _, tc := range []struct {
		flag, addr string
		want       rtc.Ports
		optional   bool
	}{
		{"auto", "127.0.0.1:8080", rtc.Ports{Min: 8080, Max: 8080, Host: "127.0.0.1"}, true},
		{"auto", ":8443", rtc.Ports{Min: 8443, Max: 8443}, true},
		{"auto", "0.0.0.0:0", rtc.Ports{}, true},
		{"auto", "[::1]:8080", rtc.Ports{Off: true}, true},
		{"50000", "127.0.0.1:8080", rtc.Ports{Min: 50000, Max: 50000}, false},
		{"off", "127.0.0.1:8080", rtc.Ports{Off: true}, false},
	} {
		got, optional, err := udpPorts(tc.flag, tc.addr)
		if err != nil || got != tc.want || optional != tc.optional {
			t.Errorf("udpPorts(%q, %q) = %+v, %v, %v; want %+v, %v", tc.flag, tc.addr, got, optional, err, tc.want, tc.optional)
		}
	}
}

// With -udp auto, a UDP port someone else holds turns UDP off with a
// warning: the server still starts, and calls use the WebSocket. A port
// given explicitly is required.
func TestATakenAutoUDPPortTurnsUDPOff(t *testing.T) {
	taken, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.LocalAddr().(*net.UDPAddr).Port
	ports := rtc.Ports{Min: port, Max: port, Host: "127.0.0.1"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n, err := node.New(ctx, node.Config{DataDir: t.TempDir(), UDP: &ports, UDPOptional: true})
	if err != nil {
		t.Fatalf("an optional UDP port that is taken: %v, want the server to start", err)
	}
	if p := n.UDPPort(); p != 0 {
		t.Fatalf("UDP port %d, want UDP off", p)
	}
	n.Shutdown(context.Background())
	if _, err := node.New(ctx, node.Config{DataDir: t.TempDir(), UDP: &ports}); err == nil || !strings.Contains(err.Error(), "udp") {
		t.Fatalf("a required UDP port that is taken: %v, want a udp error", err)
	}
}

func TestS3ComesFromFlagOrEnvironmentWithKeysFromTheEnvironment(t *testing.T) {
	env := map[string]string{"PARLEY_S3": "https://s3.example.com:9000/files/parley?region=eu-west-1", "PARLEY_S3_ACCESS_KEY": "key", "PARLEY_S3_SECRET_KEY": "secret"}
	o, err := parseFlags(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c, err := o.s3Config()
	want := blobstore.Config{Endpoint: "s3.example.com:9000", Secure: true, Bucket: "files", Prefix: "parley/", Region: "eu-west-1", AccessKey: "key", SecretKey: "secret"}
	if err != nil || c == nil || *c != want {
		t.Fatalf("PARLEY_S3: %+v %v, want %+v", c, err, want)
	}
	o, _ = parseFlags([]string{"-s3", "http://127.0.0.1:7070/bucket"}, func(k string) string { return env[k] })
	if c, err := o.s3Config(); err != nil || c.Endpoint != "127.0.0.1:7070" || c.Secure || c.Bucket != "bucket" || c.Prefix != "" {
		t.Fatalf("-s3: %+v %v", c, err)
	}
	if o, _ := parseFlags(nil, func(string) string { return "" }); o.s3 != "" {
		t.Fatalf("files go to S3 without -s3: %q", o.s3)
	} else if c, err := o.s3Config(); c != nil || err != nil {
		t.Fatalf("no -s3: %+v %v", c, err)
	}
	for _, bad := range []string{"https://key:secret@s3.example.com/files", "ftp://s3.example.com/files", "https://s3.example.com/", "s3.example.com/files"} {
		o, _ := parseFlags([]string{"-s3", bad}, func(string) string { return "" })
		if _, err := o.s3Config(); err == nil {
			t.Errorf("-s3 %s: no error", bad)
		}
	}
}
