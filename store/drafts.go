package store

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"parley/net/proto"
)

// Drafts keeps what the user typed in each conversation and has not
// sent, and which conversation was open last, across restarts. A draft
// belongs to the account, not to a cached conversation: it is kept until
// it is replaced (or saved as ""), whatever the cache learns meanwhile.
type Drafts interface {
	// SaveDraft replaces a conversation's draft; "" deletes it.
	SaveDraft(ctx context.Context, conv proto.ConvID, text string) error
	// Drafts returns every saved draft (none: an empty map).
	Drafts(ctx context.Context) (map[proto.ConvID]string, error)
	// SetLastOpen records the conversation open last; 0: none.
	SetLastOpen(ctx context.Context, conv proto.ConvID) error
	// LastOpen returns what SetLastOpen recorded last, 0 if nothing.
	LastOpen(ctx context.Context) (proto.ConvID, error)
}

func validateDraftConv(conv proto.ConvID) error {
	if conv <= 0 {
		return fmt.Errorf("draft of conversation %d: %w", conv, ErrInvalid)
	}
	return nil
}

// ---- Memory ----

func (d *memData) setDraft(conv proto.ConvID, text string) {
	if text == "" {
		delete(d.drafts, conv)
		return
	}
	if d.drafts == nil {
		d.drafts = map[proto.ConvID]string{}
	}
	d.drafts[conv] = text
}

func (s *Memory) SaveDraft(ctx context.Context, conv proto.ConvID, text string) error {
	if err := validateDraftConv(conv); err != nil {
		return err
	}
	return s.with(func(d *memData) error {
		d.setDraft(conv, text)
		return nil
	})
}

func (s *Memory) Drafts(ctx context.Context) (map[proto.ConvID]string, error) {
	out := map[proto.ConvID]string{}
	err := s.with(func(d *memData) error {
		maps.Copy(out, d.drafts)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Memory) SetLastOpen(ctx context.Context, conv proto.ConvID) error {
	if conv < 0 {
		return fmt.Errorf("last open conversation %d: %w", conv, ErrInvalid)
	}
	return s.with(func(d *memData) error {
		d.lastOpen = conv
		return nil
	})
}

func (s *Memory) LastOpen(ctx context.Context) (proto.ConvID, error) {
	var conv proto.ConvID
	err := s.with(func(d *memData) error {
		conv = d.lastOpen
		return nil
	})
	return conv, err
}

// ---- The browser's durable store ----
//
//	draft/<conv>   a draft (draftRecord)
//	last_open      the conversation open last (lastOpenRecord)

const (
	prefixDraft = "draft/"
	keyLastOpen = "last_open"
)

func draftKey(id proto.ConvID) string { return prefixDraft + hex16(int64(id)) }

type draftRecord struct {
	Conv proto.ConvID `json:"conv"`
	Text string       `json:"text"`
}

type lastOpenRecord struct {
	Conv proto.ConvID `json:"conv"`
}

// loadDraftRecord adds a draft or the last open conversation to the
// working set; false if the key is neither.
func (s *durable) loadDraftRecord(key, value string) (bool, error) {
	d := s.mem.d
	switch {
	case key == keyLastOpen:
		var r lastOpenRecord
		if err := json.Unmarshal([]byte(value), &r); err != nil {
			return true, err
		}
		d.lastOpen = r.Conv
		return true, nil
	case len(key) > len(prefixDraft) && key[:len(prefixDraft)] == prefixDraft:
		id, ok := parseHex16(key[len(prefixDraft):])
		var r draftRecord
		if err := json.Unmarshal([]byte(value), &r); err != nil {
			return true, err
		}
		if !ok || r.Conv != proto.ConvID(id) || id <= 0 {
			return true, fmt.Errorf("holds the draft of conversation %d", r.Conv)
		}
		d.setDraft(r.Conv, r.Text)
		return true, nil
	}
	return false, nil
}

// writeOne writes a batch known in advance, then applies the same change
// to the working set: nothing to undo if the backend refuses it.
func (s *durable) writeOne(op string, b *batch, apply func(d *memData)) error {
	return s.writeChecked(op, func(*memData) (*batch, error) { return b, nil }, apply)
}

func (s *durable) SaveDraft(ctx context.Context, conv proto.ConvID, text string) error {
	if err := validateDraftConv(conv); err != nil {
		return err
	}
	var b batch
	if text == "" {
		b.del(draftKey(conv))
	} else {
		b.put(draftKey(conv), encode(draftRecord{Conv: conv, Text: text}))
	}
	return s.writeOne("save draft", &b, func(d *memData) { d.setDraft(conv, text) })
}

func (s *durable) Drafts(ctx context.Context) (map[proto.ConvID]string, error) {
	return s.mem.Drafts(ctx)
}

func (s *durable) SetLastOpen(ctx context.Context, conv proto.ConvID) error {
	if conv < 0 {
		return fmt.Errorf("last open conversation %d: %w", conv, ErrInvalid)
	}
	var b batch
	b.put(keyLastOpen, encode(lastOpenRecord{Conv: conv}))
	return s.writeOne("remember the open conversation", &b, func(d *memData) { d.lastOpen = conv })
}

func (s *durable) LastOpen(ctx context.Context) (proto.ConvID, error) { return s.mem.LastOpen(ctx) }
