package files

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"parley/server/storage"
)

// Expire deletes the unfinished uploads that received nothing for
// ExpireAfter, with their partial files, and forgets done uploads as old
// (their files stay). An upload that a request holds is left for the next
// sweep. It returns how many uploads it removed.
func (s *Service) Expire(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.cfg.ExpireAfter).UnixMilli()
	us, err := s.db.UploadsUpdatedBefore(ctx, cutoff, false)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, u := range us {
		unlock, ok := s.locks.tryLock(u.ID)
		if !ok {
			continue
		}
		u, err := s.db.Upload(ctx, u.ID) // it may have moved on before the lock
		if err == nil && u.Updated < cutoff {
			err = s.expireLocked(ctx, u)
			if err == nil {
				n++
			}
		}
		unlock()
		if err != nil && !storage.IsNoSuchUpload(err) {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// expireLocked removes an upload whose time is up; a verified one is
// published instead, since all its bytes are safe.
func (s *Service) expireLocked(ctx context.Context, u storage.Upload) error {
	if u.State == storage.UploadVerified {
		return s.finishRecovered(ctx, u)
	}
	s.log.Info("upload expired", "upload", u.ID, "state", u.State, "received", u.Received, "size", u.Size)
	return s.discard(ctx, u)
}

func (s *Service) finishRecovered(ctx context.Context, u storage.Upload) error {
	sender, err := s.db.User(ctx, u.User)
	if err != nil {
		return err
	}
	_, err = s.finish(ctx, u, sender)
	return err
}

// recoverUploads runs before the service serves: it publishes the uploads a crash
// left verified and removes partial files (and on S3 chunk objects) that
// have no upload any more.
func (s *Service) recoverUploads(ctx context.Context) error {
	verified, err := s.db.UploadsUpdatedBefore(ctx, 0, true)
	if err != nil {
		return fmt.Errorf("files: list uploads to recover: %w", err)
	}
	for _, u := range verified {
		if u.State != storage.UploadVerified {
			continue
		}
		if err := s.finishRecovered(ctx, u); err != nil {
			s.log.Error("finish verified upload after restart", "upload", u.ID, "err", err)
		}
	}
	var chunked []string // listed before the uploads: an upload has a record before any chunk
	if s.s3 != nil {
		if chunked, err = s.s3.ChunkUploads(ctx); err != nil {
			return fmt.Errorf("files: %w", err)
		}
	}
	ids, err := s.db.UploadIDs(ctx)
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	for _, id := range chunked {
		// Chunks of an upload that was cancelled or expired while a
		// PATCH of it was storing one.
		if validID(id) && !ids[id] {
			if err := s.s3.RemoveChunks(ctx, id); err != nil {
				s.log.Warn("remove orphaned chunks", "upload", id, "err", err)
			}
		}
	}
	entries, err := os.ReadDir(s.uploadsDir)
	if err != nil {
		return fmt.Errorf("files: list partial uploads: %w", err)
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".part")
		if ok && validID(id) && !ids[id] {
			if err := os.Remove(s.partPath(id)); err != nil {
				s.log.Warn("remove orphaned partial upload", "file", e.Name(), "err", err)
			}
		}
	}
	return nil
}

// sweep calls Expire every period until Close.
func (s *Service) sweep(every time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if n, err := s.Expire(context.Background()); err != nil {
				s.log.Error("expire uploads", "err", err)
			} else if n > 0 {
				s.log.Info("expired uploads", "count", n)
			}
		}
	}
}
