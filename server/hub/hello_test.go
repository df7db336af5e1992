package hub_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"

	"parley/net/proto"
	"parley/server/node"
	"parley/server/node/nodetest"
	"parley/server/rtc"
)

// helloBody dials s and decodes the first frame's body, as raw JSON
// fields and as a Hello.
func helloBody(t *testing.T, s *nodetest.Server) (map[string]json.RawMessage, proto.Hello) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, s.URL, &websocket.DialOptions{Subprotocols: []string{proto.Subprotocol}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer ws.CloseNow()
	_, data, err := ws.Read(ctx)
	if err != nil {
		t.Fatalf("read hello: %v", err)
	}
	f, err := proto.DecodeFrame(data)
	if err != nil || f.Type != proto.TypeHello {
		t.Fatalf("first frame %q (%v), want hello", data, err)
	}
	var fields map[string]json.RawMessage
	var h proto.Hello
	if err := json.Unmarshal(f.Body, &fields); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(f.Body, &h); err != nil {
		t.Fatal(err)
	}
	return fields, h
}

// The hello tells clients the edit window, so that they offer Edit only
// while the server would take it: 48 h by default, the -edit-window the
// operator set, and nothing when there is no bound.
func TestHelloCarriesTheEditWindow(t *testing.T) {
	for _, c := range []struct {
		name   string
		window time.Duration
		want   string // the field's JSON, "" when absent
	}{
		{"default", 0, "172800000"},
		{"set", 90 * time.Minute, "5400000"},
		{"off", -1, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := nodetest.Start(t, nodetest.WithConfig(func(cfg *node.Config) { cfg.EditWindow = c.window }))
			fields, h := helloBody(t, s)
			if got := string(fields["edit_window_ms"]); got != c.want {
				t.Fatalf("hello's edit_window_ms is %q, want %q (hello: %+v)", got, c.want, h)
			}
			if h.Version != proto.Version || h.MaxTextBytes != proto.MaxTextBytes {
				t.Fatalf("hello %+v lost its other fields", h)
			}
		})
	}
}

// The hello says whether the server carries call audio over UDP, so that
// a browser (which calls only over UDP) knows before it calls.
func TestHelloSaysWhetherUDPIsOn(t *testing.T) {
	off, _ := helloBody(t, nodetest.Start(t))
	if v, ok := off["udp"]; ok {
		t.Errorf("a server with UDP off says udp %s; want the field omitted", v)
	}
	on := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) { c.UDP, c.UDPPublicIP = &rtc.Ports{}, "127.0.0.1" }))
	if _, h := helloBody(t, on); !h.UDP {
		t.Error("a server with UDP on does not say so")
	}
}
