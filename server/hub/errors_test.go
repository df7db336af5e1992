package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"parley/net/proto"
	"parley/server/auth"
	"parley/server/storage"
)

func TestWrappedErrorsKeepTheirCode(t *testing.T) {
	// Handlers and the layers under them wrap errors with context; the
	// client must still get the code inside, not "internal".
	db, err := storage.Open(context.Background(), t.TempDir(), storage.Options{Synchronous: "OFF"})
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{DB: db, Hasher: auth.NewHasher(auth.Params{Memory: 8, Time: 1, Threads: 1}, 1)})
	t.Cleanup(func() { db.Close(); h.Close() })
	c := newConn(h, nil, nil, "test")
	for _, tc := range []struct {
		err  error
		code proto.Code
	}{
		{fmt.Errorf("invite 4821: %w", proto.Errorf(proto.CodeNotMember, "you are not a member of 512")), proto.CodeNotMember},
		{fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", proto.Errorf(proto.CodeBadText, "empty"))), proto.CodeBadText},
		{fmt.Errorf("query: %w", context.Canceled), proto.CodeUnavailable},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), proto.CodeUnavailable},
		{errors.New("disk on fire"), proto.CodeInternal},
	} {
		h.ops["test_error"] = op{count: h.m.requests.With("test_error"), fn: func(context.Context, *conn, json.RawMessage) (any, error) {
			return nil, tc.err
		}}
		h.dispatch(context.Background(), c, []byte(`{"type":"test_error","id":"1"}`))
		out := c.takeQueued()
		if len(out) != 1 {
			t.Fatalf("%v: %d frames, want one reply", tc.err, len(out))
		}
		f, err := proto.DecodeFrame(out[0])
		if err != nil || f.Error == nil || f.Error.Code != tc.code || f.ID != "1" {
			t.Errorf("%v: reply %s, want %s", tc.err, out[0], tc.code)
		}
	}
}
