package model

import (
	"context"
	"errors"
	"fmt"

	"parley/app/state"
	"parley/net/proto"
	"parley/net/transfer"
	"parley/store"
)

// saveInMemory downloads rec's file into memory, verified, and hands it
// to q.deliver (in the browser, as the page's download). It does not
// resume: an interrupted save starts again from the first byte.
func (q *fileQueue) saveInMemory(ctx context.Context, rec store.Transfer, h transfer.Hooks) error {
	if rec.Size > q.memLimit {
		return tooBigToSave(rec.Name, rec.Size, q.memLimit)
	}
	sink := &memorySink{buf: make([]byte, 0, rec.Size)}
	d := &transfer.Download{FileID: rec.UploadID, Name: rec.Name, Size: rec.Size, SHA256: rec.SHA256}
	if err := q.http().Receive(ctx, d, sink, h); err != nil {
		return err
	}
	if err := q.deliver(rec.Name, sink.buf); err != nil {
		return fmt.Errorf("hand over %s: %w", rec.Name, err)
	}
	return nil
}

func tooBigToSave(name string, size, limit int64) error {
	return badInput(state.InputTooBigToSave, "%s has %s; the browser can save files up to %s", name, proto.FormatSize(size), proto.FormatSize(limit))
}

// errSinkFull is a download that grew past the size it announced.
var errSinkFull = errors.New("more bytes than the file's size")

// memorySink holds a download in a buffer allocated once, at the file's
// size; it refuses to grow past it.
type memorySink struct{ buf []byte }

func (s *memorySink) Write(p []byte) (int, error) {
	if len(s.buf)+len(p) > cap(s.buf) {
		return 0, errSinkFull
	}
	s.buf = append(s.buf, p...)
	return len(p), nil
}
