package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// devtools is a small client of the Chrome DevTools Protocol: commands
// over one WebSocket to the browser, sent to one page's session
// (flattened mode), and the page's console kept for failure messages.
type devtools struct {
	ws      *websocket.Conn
	session string
	nextID  atomic.Int64

	mu      sync.Mutex
	pending map[int64]chan cdpReply
	console []string
	err     error
}

type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type cdpMessage struct {
	ID        int64           `json:"id"`
	Method    string          `json:"method"`
	Params    json.RawMessage `json:"params"`
	SessionID string          `json:"sessionId"`
	cdpReply
}

func dialDevTools(ctx context.Context, url string) (*devtools, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial devtools %s: %w", url, err)
	}
	ws.SetReadLimit(64 << 20)
	d := &devtools{ws: ws, pending: map[int64]chan cdpReply{}}
	go d.read()
	return d, nil
}

func (d *devtools) close() { d.ws.Close(websocket.StatusNormalClosure, "") }

// read delivers replies to their callers and keeps console output.
func (d *devtools) read() {
	for {
		_, b, err := d.ws.Read(context.Background())
		if err != nil {
			d.mu.Lock()
			d.err = err
			for id, ch := range d.pending {
				close(ch)
				delete(d.pending, id)
			}
			d.mu.Unlock()
			return
		}
		var m cdpMessage
		if err := json.Unmarshal(b, &m); err != nil {
			continue
		}
		if m.ID != 0 {
			d.mu.Lock()
			ch := d.pending[m.ID]
			delete(d.pending, m.ID)
			d.mu.Unlock()
			if ch != nil {
				ch <- m.cdpReply
			}
			continue
		}
		if line := consoleLine(m); line != "" {
			d.mu.Lock()
			d.console = append(d.console, line)
			d.mu.Unlock()
		}
	}
}

// consoleLine renders a console call or an uncaught exception.
func consoleLine(m cdpMessage) string {
	switch m.Method {
	case "Runtime.consoleAPICalled":
		var p struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(m.Params, &p)
		var parts []string
		for _, a := range p.Args {
			if a.Value != nil {
				parts = append(parts, fmt.Sprint(a.Value))
			} else {
				parts = append(parts, a.Description)
			}
		}
		return p.Type + ": " + strings.Join(parts, " ")
	case "Runtime.exceptionThrown":
		return "exception: " + string(m.Params)
	}
	return ""
}

// Console returns what the page has logged so far.
func (d *devtools) Console() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.console...)
}

// call sends a command (to the attached page once there is one) and
// decodes its result into result, if not nil.
func (d *devtools) call(ctx context.Context, method string, params, result any) error {
	id := d.nextID.Add(1)
	msg := map[string]any{"id": id, "method": method, "params": params}
	if params == nil {
		msg["params"] = struct{}{}
	}
	if d.session != "" && !strings.HasPrefix(method, "Target.") {
		msg["sessionId"] = d.session
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	ch := make(chan cdpReply, 1)
	d.mu.Lock()
	if d.err != nil {
		d.mu.Unlock()
		return fmt.Errorf("%s: %w", method, d.err)
	}
	d.pending[id] = ch
	d.mu.Unlock()
	if err := d.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: devtools connection closed", method)
		}
		if r.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(r.Result, result)
		}
		return nil
	case <-ctx.Done():
		d.mu.Lock()
		delete(d.pending, id)
		d.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// attachPage attaches to the browser's first page; later commands go to
// it.
func (d *devtools) attachPage(ctx context.Context) error {
	var targets struct {
		TargetInfos []struct {
			TargetID string `json:"targetId"`
			Type     string `json:"type"`
		} `json:"targetInfos"`
	}
	if err := d.call(ctx, "Target.getTargets", nil, &targets); err != nil {
		return err
	}
	for _, t := range targets.TargetInfos {
		if t.Type == "page" {
			return d.attach(ctx, t.TargetID)
		}
	}
	return fmt.Errorf("no page among the browser's targets")
}

// attach attaches to the target (a page); later commands go to it.
func (d *devtools) attach(ctx context.Context, target string) error {
	var r struct {
		SessionID string `json:"sessionId"`
	}
	if err := d.call(ctx, "Target.attachToTarget", map[string]any{"targetId": target, "flatten": true}, &r); err != nil {
		return err
	}
	d.session = r.SessionID
	return d.call(ctx, "Runtime.enable", nil, nil)
}

// newPage opens a new tab at url and attaches to it.
func (d *devtools) newPage(ctx context.Context, url string) error {
	var r struct {
		TargetID string `json:"targetId"`
	}
	if err := d.call(ctx, "Target.createTarget", map[string]any{"url": url}, &r); err != nil {
		return err
	}
	return d.attach(ctx, r.TargetID)
}

// eval runs a JavaScript expression in the page, awaiting it if it is a
// promise, and decodes its JSON value into result.
func (d *devtools) eval(ctx context.Context, expr string, result any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := d.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "awaitPromise": true, "returnByValue": true}, &r)
	if err != nil {
		return err
	}
	if e := r.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if result == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, result)
}
