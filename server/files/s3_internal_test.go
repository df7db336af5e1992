package files

import (
	"testing"

	"parley/server/files/blobstore"
)

// An upload's parts are never more than S3 allows: the least part grows
// with the upload beyond 5 MiB × 9,999.
func TestPartMinKeepsUnderS3sMostParts(t *testing.T) {
	for _, size := range []int64{0, 1, 4 << 30, 48 << 30, 50 << 30, 1 << 40, 5 << 40} {
		m := partMin(size)
		if m < blobstore.MinPart {
			t.Errorf("partMin(%d) = %d, under S3's minimum", size, m)
		}
		if parts := (size + m - 1) / m; parts > blobstore.MaxParts {
			t.Errorf("partMin(%d) = %d: %d parts", size, m, parts)
		}
		if size <= 4<<30 && m != blobstore.MinPart {
			t.Errorf("partMin(%d) = %d, want S3's minimum", size, m)
		}
	}
}
