package model

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"parley/app/state"
	"parley/net/client"
	"parley/net/proto"
)

// Typing (docs/protocol.md, "Typing"): the composer tells the model at
// every keystroke (Typing) and when it empties or sends (stop); the model
// sends typing at most once per proto.TypingIntervalMs per conversation,
// and a stop only after a typing. Others' typing pushes go into
// State.Typing, each shown until TypingTTLMs after it arrived (by this
// device's clock), a stop, or a message from that person; the UI hides
// expired entries (state.Typists) and redraws when the next one expires.

// typing is what this device last told the server.
type typing struct {
	mu   sync.Mutex
	sent map[proto.ConvID]time.Time // conversations with a typing not stopped, and when it was sent
}

func newTyping() *typing { return &typing{sent: map[proto.ConvID]time.Time{}} }

// Typing says that I type in conv (stop: I stopped: sent, or emptied the
// composer). It sends only what the rate limit allows and does nothing
// offline.
func (m *Model) Typing(ctx context.Context, conv proto.ConvID, stop bool) error {
	a := m.account()
	if a == nil || conv <= 0 {
		return nil
	}
	if !a.ty.allow(conv, stop, m.cfg.Now()) {
		return nil
	}
	if a.sess.State() != client.Online {
		return nil
	}
	if err := a.sess.Call(ctx, proto.TypeTyping, proto.TypingRequest{Conv: conv, Stop: stop}, nil); err != nil {
		m.log.Debug("typing", "conv", conv, "stop", stop, "err", err)
	}
	return nil
}

// allow says whether a typing (or stop) for conv may be sent at now, and
// if so records it.
func (ty *typing) allow(conv proto.ConvID, stop bool, now time.Time) bool {
	ty.mu.Lock()
	defer ty.mu.Unlock()
	last, active := ty.sent[conv]
	switch {
	case stop && !active:
		return false
	case stop:
		delete(ty.sent, conv)
	case active && now.Sub(last) < proto.TypingIntervalMs*time.Millisecond:
		return false
	default:
		ty.sent[conv] = now
	}
	return true
}

// typingPush shows or ends someone's typing.
func (a *account) typingPush(body json.RawMessage) {
	var p proto.TypingPush
	if err := json.Unmarshal(body, &p); err != nil {
		a.m.log.Error("typing push", "err", err)
		return
	}
	now := a.m.cfg.Now().UnixMilli()
	a.m.update(func(st *state.State) {
		list := slices.DeleteFunc(slices.Clone(st.Typing[p.Conv]), func(t state.Typist) bool {
			return t.User == p.User || t.Until <= now
		})
		if !p.Stop {
			list = append(list, state.Typist{User: p.User, Name: p.Name, Until: now + proto.TypingTTLMs})
		}
		st.Typing = withTypists(st.Typing, p.Conv, list)
	})
}

// typingEnded ends the typing of the senders of msgs: their message is
// there.
func (a *account) typingEnded(msgs []proto.Message) {
	st := a.m.State()
	if len(st.Typing) == 0 {
		return
	}
	found := false
	for _, msg := range msgs {
		if slices.ContainsFunc(st.Typing[msg.Conv], func(t state.Typist) bool { return t.User == msg.Sender }) {
			found = true
		}
	}
	if !found {
		return
	}
	a.m.update(func(st *state.State) {
		for _, msg := range msgs {
			list := st.Typing[msg.Conv]
			if !slices.ContainsFunc(list, func(t state.Typist) bool { return t.User == msg.Sender }) {
				continue
			}
			list = slices.DeleteFunc(slices.Clone(list), func(t state.Typist) bool { return t.User == msg.Sender })
			st.Typing = withTypists(st.Typing, msg.Conv, list)
		}
	})
}

// withTypists returns a copy of ts with conv's list replaced (published
// maps are never changed).
func withTypists(ts map[proto.ConvID][]state.Typist, conv proto.ConvID, list []state.Typist) map[proto.ConvID][]state.Typist {
	out := make(map[proto.ConvID][]state.Typist, len(ts)+1)
	for c, l := range ts {
		out[c] = l
	}
	if len(list) == 0 {
		delete(out, conv)
	} else {
		out[conv] = list
	}
	return out
}
