package store

import (
	"context"
	"fmt"
	"maps"
	"strings"
)

// VoicePlayed keeps which voice messages were played on this device, by
// file ID: a voice message someone else sent that is not among them shows
// the "unplayed" dot. A file ID names one voice message for good, so the
// set only grows (about 30 bytes a message).
type VoicePlayed interface {
	// MarkPlayed records that the voice message with file ID fileID was
	// played. Marking it again changes nothing.
	MarkPlayed(ctx context.Context, fileID string) error
	// Played returns every file ID marked (none: an empty map).
	Played(ctx context.Context) (map[string]bool, error)
}

func validateFileID(id string) error {
	if id == "" || len(id) > 200 || strings.ContainsAny(id, "/\x00") {
		return fmt.Errorf("file ID %q: %w", id, ErrInvalid)
	}
	return nil
}

// ---- Memory ----

func (d *memData) markPlayed(id string) {
	if d.played == nil {
		d.played = map[string]bool{}
	}
	d.played[id] = true
}

func (s *Memory) MarkPlayed(ctx context.Context, fileID string) error {
	if err := validateFileID(fileID); err != nil {
		return err
	}
	return s.with(func(d *memData) error {
		d.markPlayed(fileID)
		return nil
	})
}

func (s *Memory) Played(ctx context.Context) (map[string]bool, error) {
	out := map[string]bool{}
	err := s.with(func(d *memData) error {
		maps.Copy(out, d.played)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- The browser's durable store ----
//
//	played/<file id>   a voice message played ("{}")

const prefixPlayed = "played/"

// loadVoiceRecord adds a played voice message to the working set; false
// if the key is not one.
func (s *durable) loadVoiceRecord(key string) (bool, error) {
	id, ok := strings.CutPrefix(key, prefixPlayed)
	if !ok {
		return false, nil
	}
	if err := validateFileID(id); err != nil {
		return true, err
	}
	s.mem.d.markPlayed(id)
	return true, nil
}

func (s *durable) MarkPlayed(ctx context.Context, fileID string) error {
	if err := validateFileID(fileID); err != nil {
		return err
	}
	var b batch
	b.put(prefixPlayed+fileID, "{}")
	return s.writeOne("remember a played voice message", &b, func(d *memData) { d.markPlayed(fileID) })
}

func (s *durable) Played(ctx context.Context) (map[string]bool, error) { return s.mem.Played(ctx) }
