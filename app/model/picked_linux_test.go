package model

import (
	"bytes"
	"errors"
	"testing"

	"parley/net/transfer"
)

// Linux's /dev/full fails every write with ENOSPC: a full disk on demand.
func TestCopyingAPickedFileOntoAFullDiskSaysSo(t *testing.T) {
	_, err := writeStaged(t.TempDir(), "/dev/full", bytes.NewReader(make([]byte, 1<<20)), func(int64) {})
	if !errors.Is(err, transfer.ErrDiskFull) {
		t.Fatalf("err = %v, want ErrDiskFull", err)
	}
}
