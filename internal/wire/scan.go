package wire

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/graphcomms/graphcomms/graph"
)

// syntaxError and kindError build the *graph.DecodeError this package returns for
// every problem with its input (see graph.DecodeError for the kinds).
func syntaxError(offset int, path, reason string) *graph.DecodeError {
	return &graph.DecodeError{Offset: offset, Path: path, Reason: reason}
}

func kindError(offset int, path, want, got string) *graph.DecodeError {
	return &graph.DecodeError{Offset: offset, Path: path, Want: want, Got: got,
		Reason: "cannot decode JSON " + got + " into " + want}
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 256

// scanner walks a JSON text. It validates as it goes and never panics on any input.
type scanner struct {
	data  []byte
	pos   int
	depth int
	path  []pathElem // member path, for error messages only
	// noPath turns path tracking off, for look-ups whose errors are never shown.
	noPath bool
	// budget is what decoding may still allocate, limit what it started with (see
	// Budget); look-ups that only skip values do not use them.
	budget, limit int
}

// pathElem is one step of a member path: a member name, or an array index when name is "".
type pathElem struct {
	name  string
	raw   []byte // the member name as it appears in the input, when name is not set
	index int
}

func (s *scanner) pathString() string {
	var b strings.Builder
	for _, p := range s.path {
		if p.name == "" && p.raw != nil {
			p.name = keyString(p.raw, true)
		}
		if p.name == "" {
			fmt.Fprintf(&b, "[%d]", p.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.name)
	}
	return b.String()
}

func (s *scanner) errorf(format string, args ...any) error {
	return syntaxError(s.pos, s.pathString(), fmt.Sprintf(format, args...))
}

// typeError reports that the next value does not fit want, or that there is no value.
func (s *scanner) typeError(want string) error {
	switch c := s.peek(); {
	case c == '{', c == '[', c == '"', c == 't', c == 'f', c == 'n', c == '-', c >= '0' && c <= '9':
	default:
		return s.noValue()
	}
	return kindError(s.pos, s.pathString(), want, kindName(s.peek()))
}

// noValue reports that the next byte does not start a value (or that the input ended).
func (s *scanner) noValue() error {
	if s.atEnd() {
		return s.errorf("unexpected end of input, expected a value")
	}
	return s.errorf("expected a value, found %s", s.describeNext())
}

func kindName(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

func (s *scanner) skipWS() {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' {
		return // the usual case in compact JSON
	}
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end. A NUL byte in the input also
// gives 0; no JSON token starts with one, so every caller that finds 0 where it expects
// a token reports an error, and atEnd tells the two apart.
func (s *scanner) peek() byte {
	s.skipWS()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// atEnd skips white space and reports whether the input ends there.
func (s *scanner) atEnd() bool {
	s.skipWS()
	return s.pos >= len(s.data)
}

func (s *scanner) describeNext() string {
	if s.pos >= len(s.data) {
		return "end of input"
	}
	c := s.data[s.pos]
	if c == '/' && s.pos+1 < len(s.data) && (s.data[s.pos+1] == '/' || s.data[s.pos+1] == '*') {
		return "a comment (comments are not JSON)"
	}
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (s *scanner) expect(c byte, what string) error {
	if s.peek() != c {
		return s.errorf("expected %s, found %s", what, s.describeNext())
	}
	s.pos++
	return nil
}

// beginObject consumes '{'. It reports whether the object is empty (and consumed '}').
func (s *scanner) beginObject() (empty bool, err error) {
	if s.depth++; s.depth > maxDepth {
		return false, s.errorf("nesting deeper than %d", maxDepth)
	}
	s.pos++ // '{'
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return true, nil
	}
	return false, nil
}

// nextMember reads `"key":` and returns the raw key bytes (still escaped) and whether the
// key had escapes.
func (s *scanner) readKey() (key []byte, escaped bool, err error) {
	if s.peek() != '"' {
		if s.peek() == '}' {
			return nil, false, s.errorf("trailing comma before '}'")
		}
		return nil, false, s.errorf("expected a member name in double quotes, found %s", s.describeNext())
	}
	start := s.pos
	escaped, err = s.skipString()
	if err != nil {
		return nil, false, err
	}
	key = s.data[start+1 : s.pos-1]
	if err := s.expect(':', "':' after member name"); err != nil {
		return nil, false, err
	}
	return key, escaped, nil
}

// endMember consumes ',' or '}' after a member value and reports whether the object ended.
func (s *scanner) endMember() (done bool, err error) {
	switch s.peek() {
	case ',':
		s.pos++
		return false, nil
	case '}':
		s.pos++
		s.depth--
		return true, nil
	default:
		return false, s.errorf("expected ',' or '}' after object member, found %s", s.describeNext())
	}
}

func (s *scanner) beginArray() (empty bool, err error) {
	if s.depth++; s.depth > maxDepth {
		return false, s.errorf("nesting deeper than %d", maxDepth)
	}
	s.pos++ // '['
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return true, nil
	}
	return false, nil
}

func (s *scanner) endElement() (done bool, err error) {
	switch s.peek() {
	case ',':
		s.pos++
		if s.peek() == ']' {
			return false, s.errorf("trailing comma before ']'")
		}
		return false, nil
	case ']':
		s.pos++
		s.depth--
		return true, nil
	default:
		return false, s.errorf("expected ',' or ']' after array element, found %s", s.describeNext())
	}
}

// plainByte marks the bytes a string may contain without a closer look: printable ASCII
// other than '"' and '\\'.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipString consumes a string starting at '"', validating it: escapes, UTF-8 and
// UTF-16 surrogate pairs. escaped reports whether the string needs unquoting (escapes
// or non-ASCII bytes).
//
// Strings must be valid Unicode: invalid UTF-8 and a \u escape of an unpaired
// surrogate (\ud800 alone, or \udc00 without a high surrogate before it) are errors.
// encoding/json would replace either with U+FFFD, so that two different IDs could
// decode to the same string, and what was sent could not be written back; I-JSON (RFC
// 7493) forbids both, and Graph, which writes JSON from .NET strings, sends neither.
func (s *scanner) skipString() (escaped bool, err error) {
	s.pos++ // opening quote
	d := s.data
	for s.pos < len(d) {
		i := s.pos
		for i < len(d) && plainByte[d[i]] {
			i++
		}
		s.pos = i
		if i >= len(d) {
			break
		}
		c := d[i]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(d) {
				return escaped, s.errorf("unterminated string")
			}
			switch d[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(d) {
					return escaped, s.errorf("short \\u escape")
				}
				r, ok := s.hexEscape(s.pos)
				if !ok {
					return escaped, s.errorf("invalid \\u escape")
				}
				switch {
				case r >= 0xd800 && r < 0xdc00: // high surrogate: a low one must follow
					if lo, ok := s.hexEscape(s.pos + 6); !ok || lo < 0xdc00 || lo > 0xdfff {
						return escaped, s.errorf("unpaired UTF-16 surrogate \\u%04x in string", r)
					}
					s.pos += 12
				case r >= 0xdc00 && r <= 0xdfff:
					return escaped, s.errorf("unpaired UTF-16 surrogate \\u%04x in string", r)
				default:
					s.pos += 6
				}
			default:
				return escaped, s.errorf("invalid escape '\\%c' in string", d[s.pos+1])
			}
		case c < 0x20:
			return escaped, s.errorf("control character 0x%02x in string", c)
		default: // non-ASCII
			escaped = true
			r, n := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && n == 1 {
				return escaped, s.errorf("invalid UTF-8 in string (byte 0x%02x)", c)
			}
			s.pos += n
		}
	}
	return escaped, s.errorf("unterminated string")
}

// hexEscape decodes the \uXXXX escape at i, if there is a complete one.
func (s *scanner) hexEscape(i int) (rune, bool) {
	d := s.data
	if i+6 > len(d) || d[i] != '\\' || d[i+1] != 'u' {
		return 0, false
	}
	for _, h := range d[i+2 : i+6] {
		if !isHex(h) {
			return 0, false
		}
	}
	return hex4(d[i+2 : i+6]), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// readString consumes a string and returns its decoded value.
func (s *scanner) readString() (string, error) {
	start := s.pos
	escaped, err := s.skipString()
	if err != nil {
		return "", err
	}
	raw := s.data[start+1 : s.pos-1]
	if !escaped {
		return string(raw), nil
	}
	return unquote(raw), nil
}

// unquote decodes the body of a validated JSON string.
func unquote(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(raw[i:])
			b.WriteRune(r) // invalid bytes become U+FFFD
			i += n
			continue
		}
		if c != '\\' {
			b.WriteByte(c)
			i++
			continue
		}
		switch raw[i+1] {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r := hex4(raw[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(raw[i+2:i+6])); r2 != utf8.RuneError {
						b.WriteRune(r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			b.WriteRune(r)
			continue
		default: // '"', '\\', '/'
			b.WriteByte(raw[i+1])
		}
		i += 2
	}
	return b.String()
}

func hex4(h []byte) rune {
	var r rune
	for _, c := range h {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		default:
			r |= rune(c - 'A' + 10)
		}
	}
	return r
}

// skipNumber consumes a JSON number and returns its text.
func (s *scanner) skipNumber() ([]byte, error) {
	start := s.pos
	d := s.data
	i := s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return nil, s.errorf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			return nil, s.errorf("invalid number: digit expected after '.'")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			s.pos = i
			return nil, s.errorf("invalid number: digit expected in exponent")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	s.pos = i
	return d[start:i], nil
}

func (s *scanner) skipLiteral(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("invalid literal, expected %s", lit)
	}
	s.pos += len(lit)
	return nil
}

// skipValue consumes any JSON value, validating it.
func (s *scanner) skipValue() error {
	switch c := s.peek(); c {
	case '{':
		empty, err := s.beginObject()
		if err != nil || empty {
			return err
		}
		for {
			key, _, err := s.readKey()
			if err != nil {
				return err
			}
			if s.noPath {
				err = s.skipValue()
			} else {
				s.path = append(s.path, pathElem{raw: key})
				err = s.skipValue()
				s.path = s.path[:len(s.path)-1]
			}
			if err != nil {
				return err
			}
			if done, err := s.endMember(); err != nil || done {
				return err
			}
		}
	case '[':
		empty, err := s.beginArray()
		if err != nil || empty {
			return err
		}
		for i := 0; ; i++ {
			var err error
			if s.noPath {
				err = s.skipValue()
			} else {
				s.path = append(s.path, pathElem{index: i})
				err = s.skipValue()
				s.path = s.path[:len(s.path)-1]
			}
			if err != nil {
				return err
			}
			if done, err := s.endElement(); err != nil || done {
				return err
			}
		}
	case '"':
		_, err := s.skipString()
		return err
	case 't':
		return s.skipLiteral("true")
	case 'f':
		return s.skipLiteral("false")
	case 'n':
		return s.skipLiteral("null")
	default:
		if c == '-' || c >= '0' && c <= '9' {
			_, err := s.skipNumber()
			return err
		}
		return s.noValue()
	}
}

// rawValue consumes a value and returns its bytes.
func (s *scanner) rawValue() ([]byte, error) {
	s.skipWS()
	start := s.pos
	if err := s.skipValue(); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

// Valid reports whether data is one well-formed JSON value, and if not, why.
func Valid(data []byte) error {
	s := scanner{data: data}
	if err := s.skipValue(); err != nil {
		return err
	}
	return s.end()
}

// end checks that nothing but white space follows the top-level value.
func (s *scanner) end() error {
	if !s.atEnd() {
		return s.errorf("unexpected %s after the top-level value", s.describeNext())
	}
	return nil
}
