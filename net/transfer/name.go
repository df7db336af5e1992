package transfer

import (
	"path"
	"strconv"

	"parley/net/proto"
)

// MaxNameBytes bounds a sanitised file name (see proto.SafeName).
const MaxNameBytes = proto.MaxNameBytes

// SafeName is proto.SafeName: the rule the server applies to the names it
// is sent, which the client applies to the names it saves.
func SafeName(name string) string { return proto.SafeName(name) }

// numbered returns name with " (n)" before its extension: "report (2).pdf".
func numbered(name string, n int) string {
	ext := path.Ext(name)
	if ext == name {
		ext = ""
	}
	suffix := " (" + strconv.Itoa(n) + ")"
	stem := proto.TruncateName(name[:len(name)-len(ext)], MaxNameBytes-len(ext)-len(suffix))
	return stem + suffix + ext
}
