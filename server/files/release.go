package files

import (
	"context"
	"slices"
	"time"
)

// blobLock is the lock name of a blob, beside the upload IDs in locks
// (an upload ID has no colon).
func blobLock(sha string) string { return "blob:" + sha }

// blobLease is how long a node holds a blob's lock in the database (on
// S3) at most: a node that dies holding it blocks that content's uploads
// and release that long.
const blobLease = 5 * time.Minute

// lockBlob takes the lock of blob sha: in this process, and on S3 also in
// the database, where every node of the cluster takes it (LockBlob),
// waiting for another node's while ctx lasts.
func (s *Service) lockBlob(ctx context.Context, sha string) (func(), error) {
	unlock, err := s.locks.lock(ctx, blobLock(sha))
	if err != nil || s.s3 == nil {
		return unlock, err
	}
	token := newID()
	var b backoff
	for {
		ok, err := s.db.LockBlob(context.WithoutCancel(ctx), sha, token, blobLease)
		if err == nil && !ok {
			err = b.wait(ctx)
		}
		if err != nil {
			unlock()
			return nil, err
		}
		if ok {
			break
		}
	}
	return func() {
		if err := s.db.UnlockBlob(context.WithoutCancel(ctx), sha, token); err != nil {
			s.log.Error("unlock blob", "sha256", sha, "err", err)
		}
		unlock()
	}, nil
}

// ReleaseBlob removes the blob sha256 if no file, verified upload or
// other picture's thumbnail references it any more: a delete for everyone
// of a file message calls it (through the hub) after its commit. It holds
// the blob's lock, which an upload holds from placing its blob to
// publishing its file, so a blob is never removed under a file being
// published. A picture's thumbnails go with it: their record first, under
// the same lock, then their blobs, each released the same way (another
// picture may share one). A failure is logged: the blob stays,
// unreferenced (wasted space, nothing lost).
func (s *Service) ReleaseBlob(ctx context.Context, sha string) {
	for _, t := range s.releaseBlob(ctx, sha) {
		s.ReleaseBlob(ctx, t)
	}
}

// releaseBlob is ReleaseBlob of one blob; it returns the blobs of the
// thumbnails it forgot.
func (s *Service) releaseBlob(ctx context.Context, sha string) []string {
	if !validSHA256(sha) {
		return nil
	}
	unlock, err := s.lockBlob(ctx, sha)
	if err != nil {
		s.log.Warn("release blob", "sha256", sha, "err", err)
		return nil
	}
	defer unlock()
	used, err := s.db.BlobReferenced(ctx, sha)
	if err != nil {
		s.log.Error("release blob", "sha256", sha, "err", err)
		return nil
	}
	if used {
		return nil
	}
	thumbs, err := s.db.DropThumbs(ctx, sha)
	if err != nil {
		s.log.Error("release thumbnails", "sha256", sha, "err", err)
		return nil
	}
	thumbs = slices.DeleteFunc(thumbs, func(t string) bool { return t == sha })
	if err := s.blobs.Remove(ctx, sha); err != nil {
		s.log.Error("remove released blob", "sha256", sha, "err", err)
		return thumbs
	}
	s.log.Info("blob released", "sha256", sha)
	return thumbs
}
