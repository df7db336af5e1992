package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"parley/net/proto"
)

// Message records are not JSON: decoding JSON was most of the time a page
// load took (BenchmarkDurableOpen). A message is its fields in a fixed
// order, each written <length>:<bytes> (a netstring without the comma),
// numbers in decimal, Event and File as JSON or empty when nil. Format 2,
// written since the client folds history changes, starts with the field
// "v2" and adds two fields:
//
//	v2 conv seq client_id sender sender_name time kind text event file history fold
//
// history is the history-change fields as JSON (fold.go), empty for most
// messages; fold is the seq the message is folded up to. Format 1 records
// (no "v2": they start with the conv number) still decode, with no history
// and fold 0; a bucket may mix both. "2:17" is conv 17. Decoding slices
// the record: no escapes, no reflection, and the strings share the
// record's memory. Strings are stored as valid UTF-8 (invalid bytes become
// U+FFFD, as encoding/json does), so that their lengths survive the trip
// through JavaScript's UTF-16 strings.

// messageFields is how many fields of proto.Message a format 1 record has;
// the others are historyFields (fold.go). A new field of proto.Message
// needs a place here, and a new format number.
const messageFields = 10

// format2 opens a format 2 record.
const format2 = "v2"

func appendField(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, ':')
	return append(b, s...)
}

func appendIntField(b []byte, n int64) []byte {
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], n, 10)
	b = strconv.AppendInt(b, int64(len(d)), 10)
	b = append(b, ':')
	return append(b, d...)
}

func appendJSONField(b []byte, v any, isNil bool) []byte {
	if isNil {
		return appendField(b, "")
	}
	return appendField(b, encode(v))
}

// appendMessage appends the encoding of m, folded up to nothing.
func appendMessage(b []byte, m proto.Message) []byte { return appendStored(b, m, 0) }

// appendStored appends the format 2 encoding of m, folded up to seq fold.
func appendStored(b []byte, m proto.Message, fold int64) []byte {
	b = appendField(b, format2)
	b = appendIntField(b, int64(m.Conv))
	b = appendIntField(b, m.Seq)
	b = appendField(b, m.ClientID)
	b = appendIntField(b, int64(m.Sender))
	b = appendField(b, m.SenderName)
	b = appendIntField(b, m.Time)
	b = appendField(b, m.Kind)
	b = appendField(b, m.Text)
	b = appendJSONField(b, m.Event, m.Event == nil)
	b = appendJSONField(b, m.File, m.File == nil)
	b = appendField(b, encodeHistory(m))
	return appendIntField(b, fold)
}

var errTruncated = errors.New("truncated")

// nextField splits the first field off v.
func nextField(v string) (field, rest string, err error) {
	colon := strings.IndexByte(v, ':')
	if colon <= 0 || colon > 10 {
		return "", "", errors.New("no field length")
	}
	n, err := strconv.Atoi(v[:colon])
	if err != nil || n < 0 {
		return "", "", fmt.Errorf("field length %q", v[:colon])
	}
	v = v[colon+1:]
	if n > len(v) {
		return "", "", errTruncated
	}
	return v[:n], v[n:], nil
}

// decodeMessage decodes one message from the front of v and returns the
// rest.
func decodeMessage(v string) (proto.Message, string, error) {
	m, _, rest, err := decodeStored(v)
	return m, rest, err
}

// decodeStored decodes one message record of either format from the
// front of v: the message, the seq it is folded up to, and the rest.
func decodeStored(v string) (m proto.Message, fold int64, rest string, err error) {
	first, after, err := nextField(v)
	if err != nil {
		return proto.Message{}, 0, "", fmt.Errorf("message field 1: %w", err)
	}
	n := messageFields
	var f [messageFields + 2]string
	if first == format2 {
		n += 2
		v = after
	}
	for i := range n {
		if f[i], v, err = nextField(v); err != nil {
			return proto.Message{}, 0, "", fmt.Errorf("message field %d: %w", i+1, err)
		}
	}
	m, err = decodeFields(f)
	if err != nil {
		return proto.Message{}, 0, "", err
	}
	if n > messageFields {
		if err := decodeHistory(f[10], &m); err != nil {
			return proto.Message{}, 0, "", fmt.Errorf("message history: %w", err)
		}
		if fold, err = strconv.ParseInt(f[11], 10, 64); err != nil {
			return proto.Message{}, 0, "", fmt.Errorf("message fold %q", f[11])
		}
	}
	return m, fold, v, nil
}

// decodeFields decodes the fields that both formats have.
func decodeFields(f [messageFields + 2]string) (proto.Message, error) {
	var err error
	var m proto.Message
	var nums [4]int64
	for i, s := range []string{f[0], f[1], f[3], f[5]} {
		if nums[i], err = strconv.ParseInt(s, 10, 64); err != nil {
			return proto.Message{}, fmt.Errorf("message number %q", s)
		}
	}
	m.Conv, m.Seq, m.Sender, m.Time = proto.ConvID(nums[0]), nums[1], proto.UserID(nums[2]), nums[3]
	m.ClientID, m.SenderName, m.Kind, m.Text = f[2], f[4], f[6], f[7]
	if f[8] != "" {
		m.Event = new(proto.Event)
		if err := json.Unmarshal([]byte(f[8]), m.Event); err != nil {
			return proto.Message{}, fmt.Errorf("message event: %w", err)
		}
	}
	if f[9] != "" {
		m.File = new(proto.File)
		if err := json.Unmarshal([]byte(f[9]), m.File); err != nil {
			return proto.Message{}, fmt.Errorf("message file: %w", err)
		}
	}
	return m, nil
}
