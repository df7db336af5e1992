//go:build js

package filecache

import (
	_ "embed"
	"os"
	"syscall/js"
	"testing"
)

// Node.js has no Cache Storage: the tests install the stand-in of
// testdata/fake_caches.js, and so run the real binding against it.
//
//go:embed testdata/fake_caches.js
var fakeCachesJS string

func TestMain(m *testing.M) {
	js.Global().Call("eval", fakeCachesJS)
	os.Exit(m.Run())
}
