package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
)

// Receive fetches the whole file d describes (FileID, Name, Size, SHA256)
// into w, checking its SHA-256 as the bytes pass; d's Dir, Temp and Path
// are not used and no file is written. It is for where there is no file
// system (the browser): w is the caller's, and holds the bytes. An
// interrupted Receive does not resume; call it again with a fresh w.
//
// Errors: ErrCorrupt when the bytes do not match SHA256 (w has them
// anyway: discard them), w's own error, not_member and no_such_file from
// the server; Temporary ones are worth trying again.
func (c *Client) Receive(ctx context.Context, d *Download, w io.Writer, h Hooks) error {
	resp, _, err := c.get(ctx, d, 0)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	m := newMeter(c.opts.Now, c.opts.ProgressEvery, h.Progress)
	m.start(Receiving, 0, d.Size)
	sum := sha256.New()
	cw := &errWriter{w: countingWriter{w, m}}
	n, err := Copy(cw, io.LimitReader(resp.Body, d.Size), sum)
	switch {
	case cw.err != nil:
		return fmt.Errorf("receive %s: %w", d.Name, cw.err)
	case err != nil:
		return &NetError{Op: "GET file", Err: err}
	case n < d.Size:
		return &NetError{Op: "GET file", Err: fmt.Errorf("the download ended after %d of %d bytes", n, d.Size)}
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != d.SHA256 {
		return fmt.Errorf("download %s: %w (got %s, want %s)", d.Name, ErrCorrupt, got, d.SHA256)
	}
	return nil
}

// errWriter remembers its writer's error, to tell it from the network's.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
