package proto

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Text that is not UTF-8.
//
// encoding/json turns bytes that are not UTF-8, and \u escapes of lone
// surrogates ("\ud800"), into U+FFFD without an error: a message, a name
// or a token would silently become something other than what was sent.
// So a body holding such a string anywhere is refused before it is
// decoded, with the code that the field it is in declares in its
// `badutf8` tag (the code that field's other faults get), or bad_request.
// So is U+0000 (the escape \u0000): PostgreSQL cannot store it in text,
// and a server must not keep one string on SQLite that it refuses on
// PostgreSQL.

// validText reports whether every string in b, which is valid JSON (or
// the inside of one string), is valid UTF-8 without a lone surrogate
// escape, and without U+0000. Outside strings, valid JSON is ASCII without backslashes.
func validText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := bytes.IndexByte(b, '\\'); i >= 0; i = bytes.IndexByte(b, '\\') {
		if i+1 >= len(b) {
			return false
		}
		if b[i+1] != 'u' { // \" \\ \/ \b \f \n \r \t
			b = b[i+2:]
			continue
		}
		r, ok := hex4(b[i+2:])
		if !ok {
			return false
		}
		b = b[i+6:]
		switch {
		case r == 0:
			return false
		case r >= 0xdc00 && r <= 0xdfff: // a low surrogate on its own
			return false
		case r >= 0xd800 && r <= 0xdbff: // a high one: a low one must follow
			if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
				return false
			}
			if lo, ok := hex4(b[2:]); !ok || lo < 0xdc00 || lo > 0xdfff {
				return false
			}
			b = b[6:]
		}
	}
	return true
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// textError is the error for body (valid JSON that fails validText),
// decoded into v: the code of the first top-level field whose value holds
// the bad string, else bad_request (an unknown field, a key).
func textError(body []byte, v any) *Error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				break
			}
			if key, _ := tok.(string); !validText(val) {
				if code, ok := textCode(v, key); ok {
					return Errorf(code, "%s is not valid UTF-8, or holds U+0000", key)
				}
				break
			}
		}
	}
	return Errorf(CodeBadRequest, "the body holds a string that is not valid UTF-8, or holds U+0000")
}

// textCode returns the code a field of v's struct type declares with its
// badutf8 tag, matching key to the field as encoding/json does (exactly,
// else ignoring case); ok false: key is no field of v.
func textCode(v any, key string) (code Code, ok bool) {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "", false
	}
	var folded *reflect.StructField
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := cutComma(sf.Tag.Get("json"))
		if !sf.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if name == key {
			folded = &sf
			break
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &sf
		}
	}
	if folded == nil {
		return "", false
	}
	if c := folded.Tag.Get("badutf8"); c != "" {
		return Code(c), true
	}
	return CodeBadRequest, true
}
