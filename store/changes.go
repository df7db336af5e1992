package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"parley/net/proto"
)

// PendingChange is a change of history the user asked for (an edit, a
// delete for everyone, a reaction, a pin, a hide: docs/protocol.md,
// "Changing history"), or a forward (a send with forward_of), that the
// server has not answered yet. Like the
// outbox it survives restarts, so that a change made offline is sent
// once, with the client ID it got when the user asked.
type PendingChange struct {
	ClientID string          // the request's client_id; unique in the queue
	Type     string          // the request type: proto.TypeEdit, TypeDelete, TypeReact, TypePin, TypeHide or TypeSend (a forward)
	Body     json.RawMessage // the request body, client_id included
}

// PendingChanges is the queue of history changes, and the newest hide
// ("delete for me") the device holds, which sync asks after
// (proto.SyncRequest.HiddenAfter).
type PendingChanges interface {
	// QueueChange appends a change. ErrExists if its ClientID is queued
	// already; ErrInvalid if it has no client ID, another type, or a body
	// that is not a JSON object.
	QueueChange(ctx context.Context, c PendingChange) error
	// PendingChanges lists queued changes, oldest first.
	PendingChanges(ctx context.Context) ([]PendingChange, error)
	// DropChange removes a change (answered, or refused for good). A
	// change not queued is no error (it was dropped already).
	DropChange(ctx context.Context, clientID string) error
	// HiddenAfter returns the highest hide ID recorded, 0 if none.
	HiddenAfter(ctx context.Context) (int64, error)
	// SetHiddenAfter records a hide ID; one not above the recorded one
	// changes nothing. ErrInvalid if negative.
	SetHiddenAfter(ctx context.Context, id int64) error
}

func validateChange(c PendingChange) error {
	switch c.Type {
	case proto.TypeEdit, proto.TypeDelete, proto.TypeReact, proto.TypePin, proto.TypeHide, proto.TypeSend:
	default:
		return fmt.Errorf("history change of type %q: %w", c.Type, ErrInvalid)
	}
	var obj map[string]json.RawMessage
	if c.ClientID == "" || len(c.ClientID) > proto.MaxClientIDLen || json.Unmarshal(c.Body, &obj) != nil || obj == nil {
		return fmt.Errorf("history change (client id %q, body %.40q): %w", c.ClientID, c.Body, ErrInvalid)
	}
	return nil
}

func validateHiddenAfter(id int64) error {
	if id < 0 {
		return fmt.Errorf("hidden after %d: %w", id, ErrInvalid)
	}
	return nil
}

// ---- Memory ----

// memChange is a queued change with its place in the queue (the durable
// store's key).
type memChange struct {
	n int64
	c PendingChange
}

func (d *memData) changeIndex(clientID string) int {
	return slices.IndexFunc(d.changes, func(x memChange) bool { return x.c.ClientID == clientID })
}

// nextChange is the place of a change queued now.
func (d *memData) nextChange() int64 {
	if len(d.changes) == 0 {
		return 1
	}
	return d.changes[len(d.changes)-1].n + 1
}

func (s *Memory) QueueChange(ctx context.Context, c PendingChange) error {
	if err := validateChange(c); err != nil {
		return err
	}
	return s.with(func(d *memData) error {
		if d.changeIndex(c.ClientID) >= 0 {
			return fmt.Errorf("history change %q: %w", c.ClientID, ErrExists)
		}
		c.Body = slices.Clone(c.Body)
		d.changes = append(d.changes, memChange{n: d.nextChange(), c: c})
		return nil
	})
}

func (s *Memory) PendingChanges(ctx context.Context) ([]PendingChange, error) {
	var out []PendingChange
	err := s.with(func(d *memData) error {
		for _, x := range d.changes {
			c := x.c
			c.Body = slices.Clone(c.Body)
			out = append(out, c)
		}
		return nil
	})
	return out, err
}

func (s *Memory) DropChange(ctx context.Context, clientID string) error {
	return s.with(func(d *memData) error {
		if i := d.changeIndex(clientID); i >= 0 {
			d.changes = slices.Delete(d.changes, i, i+1)
		}
		return nil
	})
}

func (s *Memory) HiddenAfter(ctx context.Context) (int64, error) {
	var id int64
	err := s.with(func(d *memData) error {
		id = d.hiddenAfter
		return nil
	})
	return id, err
}

func (s *Memory) SetHiddenAfter(ctx context.Context, id int64) error {
	if err := validateHiddenAfter(id); err != nil {
		return err
	}
	return s.with(func(d *memData) error {
		d.hiddenAfter = max(d.hiddenAfter, id)
		return nil
	})
}

// ---- The browser's durable store ----
//
//	chg/<n>        a queued history change, n its place in the queue (changeRecord)
//	hidden_after   the highest hide ID held (hiddenAfterRecord)

const (
	prefixChange   = "chg/"
	keyHiddenAfter = "hidden_after"
)

func changeKey(n int64) string { return prefixChange + hex16(n) }

type changeRecord struct {
	ClientID string          `json:"client_id"`
	Type     string          `json:"type"`
	Body     json.RawMessage `json:"body"`
}

type hiddenAfterRecord struct {
	ID int64 `json:"id"`
}

// loadChangeRecord adds a queued change or the hidden-after mark to the
// working set; false if the key is neither.
func (s *durable) loadChangeRecord(key, value string) (bool, error) {
	d := s.mem.d
	switch {
	case key == keyHiddenAfter:
		var r hiddenAfterRecord
		if err := json.Unmarshal([]byte(value), &r); err != nil {
			return true, err
		}
		if r.ID < 0 {
			return true, fmt.Errorf("hidden after %d", r.ID)
		}
		d.hiddenAfter = r.ID
		return true, nil
	case strings.HasPrefix(key, prefixChange):
		n, ok := parseHex16(key[len(prefixChange):])
		var r changeRecord
		if err := json.Unmarshal([]byte(value), &r); err != nil {
			return true, err
		}
		c := PendingChange{ClientID: r.ClientID, Type: r.Type, Body: r.Body}
		if !ok || n <= 0 || validateChange(c) != nil || d.changeIndex(c.ClientID) >= 0 {
			return true, fmt.Errorf("holds history change %q of type %q at %d", r.ClientID, r.Type, n)
		}
		// Keys are scanned in order: n ascending.
		d.changes = append(d.changes, memChange{n: n, c: c})
		return true, nil
	}
	return false, nil
}

// writeChecked is writeOne for a change that depends on the working set:
// plan looks at it (locked) and returns the batch, or why not.
func (s *durable) writeChecked(op string, plan func(d *memData) (*batch, error), apply func(d *memData)) error {
	if err := s.mem.lock(); err != nil {
		return err
	}
	d := s.mem.d
	defer d.mu.Unlock()
	s.mem.mu.Lock()
	closed := s.mem.closed
	s.mem.mu.Unlock()
	if closed {
		return ErrClosed
	}
	b, err := plan(d)
	if err != nil || b == nil {
		return err
	}
	if err := s.kv.Write(b); err != nil {
		return fmt.Errorf("%s: write the local cache: %w", op, err)
	}
	apply(d)
	return nil
}

func (s *durable) QueueChange(ctx context.Context, c PendingChange) error {
	if err := validateChange(c); err != nil {
		return err
	}
	c.Body = slices.Clone(c.Body)
	var n int64
	return s.writeChecked("queue a history change", func(d *memData) (*batch, error) {
		if d.changeIndex(c.ClientID) >= 0 {
			return nil, fmt.Errorf("history change %q: %w", c.ClientID, ErrExists)
		}
		n = d.nextChange()
		// Strict: only this device knows of it.
		b := &batch{Strict: true}
		b.put(changeKey(n), encode(changeRecord{ClientID: c.ClientID, Type: c.Type, Body: c.Body}))
		return b, nil
	}, func(d *memData) { d.changes = append(d.changes, memChange{n: n, c: c}) })
}

func (s *durable) PendingChanges(ctx context.Context) ([]PendingChange, error) {
	return s.mem.PendingChanges(ctx)
}

func (s *durable) DropChange(ctx context.Context, clientID string) error {
	return s.writeChecked("drop a history change", func(d *memData) (*batch, error) {
		i := d.changeIndex(clientID)
		if i < 0 {
			return nil, nil
		}
		b := &batch{}
		b.del(changeKey(d.changes[i].n))
		return b, nil
	}, func(d *memData) {
		if i := d.changeIndex(clientID); i >= 0 {
			d.changes = slices.Delete(d.changes, i, i+1)
		}
	})
}

func (s *durable) HiddenAfter(ctx context.Context) (int64, error) { return s.mem.HiddenAfter(ctx) }

func (s *durable) SetHiddenAfter(ctx context.Context, id int64) error {
	if err := validateHiddenAfter(id); err != nil {
		return err
	}
	return s.writeChecked("record the newest hide", func(d *memData) (*batch, error) {
		if id <= d.hiddenAfter {
			return nil, nil
		}
		b := &batch{}
		b.put(keyHiddenAfter, encode(hiddenAfterRecord{ID: id}))
		return b, nil
	}, func(d *memData) { d.hiddenAfter = id })
}
