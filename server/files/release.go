package files

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

// blobLock is the lock name of a blob, beside the upload IDs in locks
// (an upload ID has no colon).
func blobLock(sha string) string { return "blob:" + sha }

// ReleaseBlob removes the blob sha256 if no file and no verified upload
// references it any more: a delete for everyone of a file message calls
// it (through the hub) after its commit. It holds the blob's lock, which
// an upload holds from placing its blob to publishing its file, so a blob
// is never removed under a file being published. A failure is logged:
// the blob stays, unreferenced (wasted space, nothing lost).
func (s *Service) ReleaseBlob(ctx context.Context, sha string) {
	if !validSHA256(sha) {
		return
	}
	unlock, err := s.locks.lock(ctx, blobLock(sha))
	if err != nil {
		s.log.Warn("release blob", "sha256", sha, "err", err)
		return
	}
	defer unlock()
	used, err := s.db.BlobReferenced(ctx, sha)
	if err != nil {
		s.log.Error("release blob", "sha256", sha, "err", err)
		return
	}
	if used {
		return
	}
	if err := os.Remove(s.blobPath(sha)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Error("remove released blob", "sha256", sha, "err", err)
		return
	}
	s.log.Info("blob released", "sha256", sha)
}
