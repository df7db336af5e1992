package node_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
)

func get(t *testing.T, method, url string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func TestServerServesTheBrowserAppAndItsFont(t *testing.T) {
	web, fonts := t.TempDir(), t.TempDir()
	for name, body := range map[string]string{"index.html": "<title>Parley</title>", "parley.wasm": "\x00asm"} {
		if err := os.WriteFile(filepath.Join(web, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("\x00asm"))
	zw.Close()
	font, emoji := filepath.Join(fonts, "cjk.ttc"), filepath.Join(fonts, "emoji.ttf")
	for name, body := range map[string]string{font: "ttcf", emoji: "\x00\x01\x00\x00", web + "/parley.wasm.gz": gz.String()} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.WebDir, c.WebFont, c.WebEmojiFont = web, font, emoji }))

	if code, body, _ := get(t, "GET", srv.HTTPURL+"/"); code != 200 || !strings.Contains(body, "<title>Parley") {
		t.Errorf("GET / = %d %q, want the app's index.html", code, body)
	}
	if code, _, h := get(t, "GET", srv.HTTPURL+"/parley.wasm"); code != 200 || h.Get("Content-Type") != "application/wasm" {
		t.Errorf("GET /parley.wasm = %d %q, want application/wasm (instantiateStreaming needs it)", code, h.Get("Content-Type"))
	}
	if code, body, _ := get(t, "GET", srv.HTTPURL+node.WebFontPath); code != 200 || body != "ttcf" {
		t.Errorf("GET %s = %d %q, want the font file", node.WebFontPath, code, body)
	}
	if code, body, _ := get(t, "GET", srv.HTTPURL+node.WebEmojiFontPath); code != 200 || body != "\x00\x01\x00\x00" {
		t.Errorf("GET %s = %d %q, want the emoji font file", node.WebEmojiFontPath, code, body)
	}
	// The precompressed sibling, to a client that accepts it (Go's
	// transport asks for gzip itself, and decodes only what it asked for:
	// this request asks explicitly and sees the body as sent).
	req, _ := http.NewRequest("GET", srv.HTTPURL+"/parley.wasm", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != gz.String() || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Type") != "application/wasm" {
		t.Errorf("GET /parley.wasm accepting gzip = %q %q %q, want the .gz file as application/wasm", b, resp.Header.Get("Content-Encoding"), resp.Header.Get("Content-Type"))
	}
	if code, _, _ := get(t, "POST", srv.HTTPURL+"/index.html"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /index.html = %d, want 405", code)
	}
	if code, body, _ := get(t, "GET", srv.HTTPURL+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q: the app's folder must not hide the server's routes", code, body)
	}
}

func TestServerWithoutAWebFolderServesItsBanner(t *testing.T) {
	srv := nodetest.Start(t)
	if code, body, _ := get(t, "GET", srv.HTTPURL+"/"); code != 200 || !strings.Contains(body, "Parley server") {
		t.Errorf("GET / = %d %q, want the banner", code, body)
	}
	for _, p := range []string{node.WebFontPath, node.WebEmojiFontPath} {
		if code, _, _ := get(t, "GET", srv.HTTPURL+p); code != 404 {
			t.Errorf("GET %s = %d without a font, want 404", p, code)
		}
	}
}

func TestAWebFolderWithoutIndexIsRefusedAtStart(t *testing.T) {
	_, err := node.New(t.Context(), node.Config{DataDir: t.TempDir(), WebDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Fatalf("New with an empty web folder: err = %v, want one naming index.html", err)
	}
}

func TestAMissingWebFontIsRefusedAtStart(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.ttf")
	for _, c := range []node.Config{{WebFont: missing}, {WebEmojiFont: missing}} {
		c.DataDir = t.TempDir()
		_, err := node.New(t.Context(), c)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("New with font %q: err = %v, want one naming the file", missing, err)
		}
	}
}

// An invite link's page names the group and opens the app's link; a link
// that cannot be used gets a 404 that says so. The token is in the
// address, so the page sends no referrer and is not cached.
func TestJoinPageOpensTheLinkInTheApp(t *testing.T) {
	web := t.TempDir()
	if err := os.WriteFile(filepath.Join(web, "index.html"), []byte("<title>Parley</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.WebDir = web }))
	li := s.NewUser(t, "Li Hua")
	ctx := context.Background()
	g, err := li.Conn.CreateGroupWith(ctx, proto.CreateGroupRequest{Name: "Study <Group>", Policy: proto.PolicyAsk})
	if err != nil {
		t.Fatal(err)
	}
	l, err := li.Conn.CreateLink(ctx, proto.CreateLinkRequest{Group: g.ID})
	if err != nil {
		t.Fatal(err)
	}
	status, body, h := get(t, http.MethodGet, s.HTTPURL+l.Path)
	host := strings.TrimPrefix(s.HTTPURL, "http://")
	for _, want := range []string{"Study &lt;Group&gt;", `href="parley://` + host + "/join/" + l.Token + `"`, `href="/?join=` + l.Token + `"`, "answer requests"} {
		if !strings.Contains(body, want) {
			t.Errorf("the join page lacks %q:\n%s", want, body)
		}
	}
	if status != http.StatusOK || h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("join page: %d, headers %v", status, h)
	}
	if err := li.Conn.RevokeLink(ctx, g.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{l.Path, "/join/nonsense", "/join/%22%3E%3Cscript%3E"} {
		status, body, _ := get(t, http.MethodGet, s.HTTPURL+path)
		if status != http.StatusNotFound || !strings.Contains(body, "cannot be used") || strings.Contains(body, "Study") || strings.Contains(body, "<script>") {
			t.Errorf("%s: %d\n%s", path, status, body)
		}
	}
}
