//go:build !js

package store

import (
	"context"
	"testing"

	"parley/net/proto"
)

func TestSQLiteKeepsTheFileOfFileMessages(t *testing.T) {
	s, err := OpenSQLite(t.TempDir()+"/x.db", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	f := proto.File{ID: "abc", Name: "report.pdf", Size: 12, SHA256: "ff"}
	if _, err := s.PutMessages(ctx, []proto.Message{{Conv: 1, Seq: 1, Kind: proto.MsgFile, File: &f}}); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Latest(ctx, 1, 10)
	if err != nil || len(ms) != 1 || ms[0].File == nil || *ms[0].File != f {
		t.Fatalf("%+v %v", ms, err)
	}
}
