package proto

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Fast decoding of the frames that matter for throughput.
//
// encoding/json decodes a request in four passes over its body: it
// validates the whole frame, copies the body out as a RawMessage, then
// validates and decodes the body again, through reflection, field by
// field. The scanners here read the envelope in one pass, validating the
// body as they step over it, and decode a flat body struct (strings,
// integers, booleans) in one more, with a field table built once per type.
// A struct may also have nested fields (slices, maps, pointers): a body
// that holds one of them goes to encoding/json, one without stays here.
//
// They accept only what they decode exactly as encoding/json does: a
// frame or body with anything else (escaped or case-folded keys, numbers
// that are not plain integers, nested values in a body, a type with its
// own unmarshaller, any error at all) falls back to encoding/json, so the
// results, errors included, are encoding/json's (proto's tests check this
// on every request type and on mangled frames).

// maxScanDepth bounds the nesting the scanner steps over; deeper frames
// go to encoding/json, which allows 10000 levels.
const maxScanDepth = 64

// scanner reads JSON from b at i.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next returns the next byte after white space, or 0 at the end.
func (s *scanner) next() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) eat(c byte) bool {
	if s.next() == c {
		s.i++
		return true
	}
	return false
}

// str steps over a string at i and returns its contents (between the
// quotes) and whether they need unescaping (plain false: the bytes are the
// string). A string that is not valid UTF-8, or holds an escaped lone
// surrogate or U+0000, is not ok: encoding/json would replace those with U+FFFD, and
// DecodeFrame and DecodeBody refuse them (see utf8.go).
func (s *scanner) str() (raw []byte, plain, ok bool) {
	if s.next() != '"' {
		return nil, false, false
	}
	s.i++
	start := s.i
	plain = true
	ascii := true
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case plainByte[c]:
			ascii = ascii && c < utf8.RuneSelf
			s.i++
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			if !ascii && !utf8.Valid(raw) {
				return nil, false, false
			}
			return raw, plain, true
		case c < 0x20:
			return nil, false, false
		case c == '\\':
			plain = false
			s.i++
			if s.i >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				r, ok := hex4(s.b[s.i+1:])
				if !ok {
					return nil, false, false
				}
				s.i += 5
				if r == 0 { // U+0000: refused like text that is not UTF-8
					return nil, false, false
				}
				if r >= 0xd800 && r <= 0xdfff { // only as a high+low pair
					lo, ok := rune(0), false
					if r <= 0xdbff && s.i+6 <= len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
						lo, ok = hex4(s.b[s.i+2:])
					}
					if !ok || lo < 0xdc00 || lo > 0xdfff {
						return nil, false, false
					}
					s.i += 6
				}
			default:
				return nil, false, false
			}
		}
	}
	return nil, false, false
}

// plainByte: the bytes that stand for themselves inside a string.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number steps over a number and reports whether it is a plain integer
// (-?(0|[1-9][0-9]*)).
func (s *scanner) number() (raw []byte, integer, ok bool) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	switch {
	case s.i < len(s.b) && s.b[s.i] == '0':
		s.i++
	case s.i < len(s.b) && '1' <= s.b[s.i] && s.b[s.i] <= '9':
		for s.i < len(s.b) && isDigit(s.b[s.i]) {
			s.i++
		}
	default:
		return nil, false, false
	}
	integer = true
	if s.i < len(s.b) && s.b[s.i] == '.' {
		integer = false
		s.i++
		if !s.digits() {
			return nil, false, false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		integer = false
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if !s.digits() {
			return nil, false, false
		}
	}
	return s.b[start:s.i], integer, true
}

func (s *scanner) digits() bool {
	start := s.i
	for s.i < len(s.b) && isDigit(s.b[s.i]) {
		s.i++
	}
	return s.i > start
}

func (s *scanner) literal(word string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// skip steps over one value, checking that it is valid JSON.
func (s *scanner) skip(depth int) bool {
	switch s.next() {
	case '"':
		_, _, ok := s.str()
		return ok
	case '{':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		if s.eat('}') {
			return true
		}
		for {
			if _, _, ok := s.str(); !ok || !s.eat(':') || !s.skip(depth+1) {
				return false
			}
			if s.eat('}') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case '[':
		if depth >= maxScanDepth {
			return false
		}
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		_, _, ok := s.number()
		return ok
	}
}

// end reports whether only white space is left.
func (s *scanner) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// member moves to the next member of an object whose '{' has been
// read: it returns the key's raw bytes (a key that needs unescaping
// fails), with the scanner at the value, or done at the closing '}'.
func (s *scanner) member(first bool) (key []byte, done, ok bool) {
	if s.eat('}') {
		return nil, true, true
	}
	if !first && !s.eat(',') {
		return nil, false, false
	}
	key, plain, ok := s.str()
	if !ok || !plain || !s.eat(':') {
		return nil, false, false
	}
	return key, false, true
}

// stringValue decodes a string value as encoding/json does; null leaves
// the string as it was (set false). intern: the value is probably a frame
// type.
func (s *scanner) stringValue(intern bool) (v string, set, ok bool) {
	if s.next() == 'n' {
		return "", false, s.literal("null")
	}
	start := s.i
	raw, plain, ok := s.str()
	switch {
	case !ok:
		return "", false, false
	case plain && intern:
		return internType(raw), true, true
	case plain:
		return string(raw), true, true
	default: // escapes: encoding/json's own unquoting
		v, ok := unquote(s.b[start:s.i])
		return v, true, ok
	}
}

// stringInto decodes a string value into *dst (null: no change).
func (s *scanner) stringInto(dst *string, intern bool) bool {
	v, set, ok := s.stringValue(intern)
	if set {
		*dst = v
	}
	return ok
}

func unquote(quoted []byte) (string, bool) {
	var v string
	err := json.Unmarshal(quoted, &v)
	return v, err == nil
}

// frameTypes are the type names a frame carries, so that decoding one
// does not allocate a new copy of it.
var frameTypes = map[string]string{}

func init() {
	for _, t := range []string{
		TypeRegister, TypeLogin, TypeResume, TypeLogout, TypeWhoAmI, TypePing,
		TypeCreateGroup, TypeJoinGroup, TypeInvite, TypeLeave, TypeConversations,
		TypeMembers, TypeDirect, TypeSend, TypeHistory, TypeSync,
		TypeReply, TypeHello, TypeMessage, TypeConversation, TypePresence,
		TypeCall, TypeCallAccept, TypeCallDecline, TypeCallHangup, TypeCallMedia,
		TypeCallIncoming, TypeCallAccepted, TypeCallEnd,
		TypeRead, TypeDelivered, TypeSeenBy, TypePrivacy, TypeSetPrivacy, TypeTyping, TypeSearch, TypeReceipt,
		TypeMedia,
	} {
		frameTypes[t] = t
	}
}

func internType(b []byte) string {
	if t, ok := frameTypes[string(b)]; ok {
		return t
	}
	return string(b)
}

var envelopeKeys = [][]byte{[]byte("type"), []byte("id"), []byte("body"), []byte("error")}

// scanFrame decodes a frame's envelope in one pass: the body is
// validated while stepped over, and copied. ok false: leave the frame to
// encoding/json.
func scanFrame(data []byte) (f Frame, ok bool) {
	s := scanner{b: data}
	if !s.eat('{') {
		return Frame{}, false
	}
	for first := true; ; first = false {
		key, done, ok := s.member(first)
		switch {
		case !ok:
			return Frame{}, false
		case done:
			return f, s.end()
		}
		switch string(key) {
		case "type":
			ok = s.stringInto(&f.Type, true)
		case "id":
			ok = s.stringInto(&f.ID, false)
		case "body":
			s.ws()
			start := s.i
			if ok = s.skip(0); ok {
				f.Body = append(f.Body[:0], s.b[start:s.i]...)
			}
		case "error":
			s.ws()
			start := s.i
			if ok = s.skip(0); ok {
				f.Error, ok = decodeError(s.b[start:s.i], f.Error)
			}
		default:
			for _, k := range envelopeKeys {
				if bytes.EqualFold(key, k) {
					return Frame{}, false // encoding/json matches keys case-insensitively
				}
			}
			ok = s.skip(0)
		}
		if !ok {
			return Frame{}, false
		}
	}
}

// decodeError decodes an error body as encoding/json decodes it into a
// Frame's Error field (which may hold one already, from a repeated key).
func decodeError(raw []byte, e *Error) (*Error, bool) {
	err := json.Unmarshal(raw, &e)
	return e, err == nil
}

// ---- Bodies ----

// A bodyPlan says how to decode a flat struct: its fields by JSON name.
type bodyPlan struct {
	fields []bodyField
}

type bodyField struct {
	name  []byte
	index int
	kind  reflect.Kind // reflect.Invalid: nested, left to encoding/json
}

// plans holds a *bodyPlan per struct type, nil for types left to
// encoding/json.
var plans sync.Map // reflect.Type → *bodyPlan

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func planFor(t reflect.Type) *bodyPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*bodyPlan)
	}
	p := makePlan(t)
	plans.Store(t, p)
	return p
}

// makePlan returns the plan of a struct whose every field this decoder
// handles, else nil.
func makePlan(t reflect.Type) *bodyPlan {
	if t.Kind() != reflect.Struct || implementsUnmarshal(t) {
		return nil
	}
	p := &bodyPlan{}
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil // embedded fields: encoding/json's promotion rules
		}
		if !sf.IsExported() {
			continue
		}
		name, opts, _ := cutComma(sf.Tag.Get("json"))
		if name == "-" && opts == "" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if !plainName(name) || hasOption(opts, "string") || implementsUnmarshal(sf.Type) {
			return nil
		}
		kind := sf.Type.Kind()
		switch kind {
		case reflect.String, reflect.Bool,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		default:
			// A nested field (slice, map, pointer, struct): a body that
			// holds it goes to encoding/json; one without it (the plain
			// send) stays on the fast path.
			kind = reflect.Invalid
		}
		folded := string(bytes.ToLower([]byte(name)))
		if seen[folded] {
			return nil // names that differ only in case: encoding/json's rules
		}
		seen[folded] = true
		p.fields = append(p.fields, bodyField{name: []byte(name), index: i, kind: kind})
	}
	return p
}

func implementsUnmarshal(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(jsonUnmarshaler) || pt.Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || pt.Implements(textUnmarshaler)
}

func cutComma(tag string) (name, opts string, found bool) {
	for i := range len(tag) {
		if tag[i] == ',' {
			return tag[:i], tag[i+1:], true
		}
	}
	return tag, "", false
}

func hasOption(opts, want string) bool {
	for opts != "" {
		var o string
		o, opts, _ = cutComma(opts)
		if o == want {
			return true
		}
	}
	return false
}

// plainName: ASCII letters, digits and underscores, as every name in
// proto is.
func plainName(s string) bool {
	for i := range len(s) {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return s != ""
}

// assignment is one decoded field value, applied once the whole body has
// decoded (so that a body left to encoding/json has not been touched).
type assignment struct {
	f   *bodyField
	s   string
	n   int64
	u   uint64
	set bool // false: null, which changes nothing
}

const maxAssignments = 16

// decodeBody decodes body into v, a pointer to a struct with a plan, in
// one pass. ok false: nothing was changed; leave it to encoding/json.
func decodeBody(body []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false
	}
	e := rv.Elem()
	p := planFor(e.Type())
	if p == nil {
		return false
	}
	var as [maxAssignments]assignment
	n := 0
	s := scanner{b: body}
	if !s.eat('{') {
		return false
	}
	for first := true; ; first = false {
		key, done, ok := s.member(first)
		if !ok {
			return false
		}
		if done {
			if !s.end() {
				return false
			}
			break
		}
		f := p.field(key)
		switch {
		case f != nil && f.kind == reflect.Invalid:
			return false // a nested field: encoding/json
		case f != nil && n < len(as):
			as[n], ok = s.fieldValue(f, e.Field(f.index))
			n++
		case f != nil:
			return false
		case p.folds(key):
			return false // matched case-insensitively by encoding/json
		default:
			ok = s.skip(0)
		}
		if !ok {
			return false
		}
	}
	for _, a := range as[:n] {
		if !a.set {
			continue
		}
		fv := e.Field(a.f.index)
		switch a.f.kind {
		case reflect.String:
			fv.SetString(a.s)
		case reflect.Bool:
			fv.SetBool(a.n == 1)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			fv.SetUint(a.u)
		default:
			fv.SetInt(a.n)
		}
	}
	return true
}

// fieldValue decodes the value of field f, checking it against the
// field's type fv as encoding/json would.
func (s *scanner) fieldValue(f *bodyField, fv reflect.Value) (a assignment, ok bool) {
	a.f = f
	if s.next() == 'n' {
		return a, s.literal("null")
	}
	a.set = true
	switch f.kind {
	case reflect.String:
		a.s, _, ok = s.stringValue(false)
		return a, ok
	case reflect.Bool:
		if s.literal("true") {
			a.n = 1
			return a, true
		}
		return a, s.literal("false")
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		raw, integer, ok := s.number()
		if !ok || !integer {
			return a, false
		}
		u, err := strconv.ParseUint(string(raw), 10, 64)
		a.u = u
		return a, err == nil && !fv.OverflowUint(u)
	default: // signed integers
		raw, integer, ok := s.number()
		if !ok || !integer {
			return a, false
		}
		i, err := strconv.ParseInt(string(raw), 10, 64)
		a.n = i
		return a, err == nil && !fv.OverflowInt(i)
	}
}

// folds reports whether key matches a field's name only when case is
// ignored.
func (p *bodyPlan) folds(key []byte) bool {
	for i := range p.fields {
		if bytes.EqualFold(key, p.fields[i].name) {
			return true
		}
	}
	return false
}

func (p *bodyPlan) field(key []byte) *bodyField {
	for i := range p.fields {
		if bytes.Equal(key, p.fields[i].name) {
			return &p.fields[i]
		}
	}
	return nil
}
