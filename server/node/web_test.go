package node_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	font := filepath.Join(fonts, "cjk.ttc")
	if err := os.WriteFile(font, []byte("ttcf"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.WebDir, c.WebFont = web, font }))

	if code, body, _ := get(t, "GET", srv.HTTPURL+"/"); code != 200 || !strings.Contains(body, "<title>Parley") {
		t.Errorf("GET / = %d %q, want the app's index.html", code, body)
	}
	if code, _, h := get(t, "GET", srv.HTTPURL+"/parley.wasm"); code != 200 || h.Get("Content-Type") != "application/wasm" {
		t.Errorf("GET /parley.wasm = %d %q, want application/wasm (instantiateStreaming needs it)", code, h.Get("Content-Type"))
	}
	if code, body, _ := get(t, "GET", srv.HTTPURL+node.WebFontPath); code != 200 || body != "ttcf" {
		t.Errorf("GET %s = %d %q, want the font file", node.WebFontPath, code, body)
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
	if code, _, _ := get(t, "GET", srv.HTTPURL+node.WebFontPath); code != 404 {
		t.Errorf("GET %s = %d without a font, want 404", node.WebFontPath, code)
	}
}

func TestAWebFolderWithoutIndexIsRefusedAtStart(t *testing.T) {
	_, err := node.New(t.Context(), node.Config{DataDir: t.TempDir(), WebDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "index.html") {
		t.Fatalf("New with an empty web folder: err = %v, want one naming index.html", err)
	}
}
