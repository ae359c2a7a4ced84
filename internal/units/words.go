package units

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// wordFlags follow systemd's extract_first_word flags that unit settings use.
type wordFlags uint8

const (
	unquote       wordFlags = 1 << iota // '…' and "…" group, anywhere in a word
	cunescape                           // C escapes: \n \t \x41 \101 \u00e9 \s …
	unescapeRelax                       // an unknown escape keeps its backslash
)

const whitespace = " \t\n\r"

var errUnbalanced = errors.New("unbalanced quotes")

// nextWord takes the first word off s as systemd's extract_first_word
// does with the given flags; ok is false when s holds no more words.
func nextWord(s string, f wordFlags) (word, rest string, ok bool, err error) {
	s = strings.TrimLeft(s, whitespace)
	if s == "" {
		return "", "", false, nil
	}
	var b strings.Builder
	var quote byte
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case quote == 0 && strings.IndexByte(whitespace, c) >= 0:
			return b.String(), s[i:], true, nil
		case quote != 0 && c == quote:
			quote = 0
			i++
		case quote == 0 && f&unquote != 0 && (c == '\'' || c == '"'):
			quote = c
			i++
		case c == '\\':
			i++
			if i == len(s) {
				if f&unescapeRelax != 0 && quote == 0 {
					b.WriteByte('\\')
					return b.String(), "", true, nil
				}
				return "", "", false, errors.New("trailing backslash")
			}
			if f&cunescape == 0 {
				b.WriteByte(s[i])
				i++
				continue
			}
			n, err := cunescapeOne(s[i:], &b)
			if err != nil {
				if f&unescapeRelax == 0 {
					return "", "", false, err
				}
				b.WriteByte('\\')
				b.WriteByte(s[i])
				n = 1
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	if quote != 0 {
		return "", "", false, errUnbalanced
	}
	return b.String(), "", true, nil
}

// splitWords returns every word of s.
func splitWords(s string, f wordFlags) ([]string, error) {
	var out []string
	for {
		w, rest, ok, err := nextWord(s, f)
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		out = append(out, w)
		s = rest
	}
}

// cunescapeOne decodes the escape after a backslash at the start of s
// (systemd's cunescape_one), writes it to b and returns how many bytes of s
// it used.
var simpleEscapes = map[byte]byte{'a': '\a', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v',
	'\\': '\\', '"': '"', '\'': '\'', 's': ' '}

func cunescapeOne(s string, b *strings.Builder) (int, error) {
	simple := simpleEscapes
	c := s[0]
	if r, ok := simple[c]; ok {
		b.WriteByte(r)
		return 1, nil
	}
	hex := func(n int) (rune, error) {
		if len(s) < 1+n {
			return 0, fmt.Errorf("short \\%c escape", c)
		}
		v, err := strconv.ParseUint(s[1:1+n], 16, 32)
		if err != nil {
			return 0, fmt.Errorf("bad \\%c escape %q", c, s[:1+n])
		}
		return rune(v), nil
	}
	switch c {
	case 'x':
		v, err := hex(2)
		if err != nil {
			return 0, err
		}
		if v == 0 {
			return 0, errors.New(`\x00 is not allowed`)
		}
		b.WriteByte(byte(v))
		return 3, nil
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		v, err := hex(n)
		if err != nil {
			return 0, err
		}
		if v == 0 || !utf8.ValidRune(v) {
			return 0, fmt.Errorf("bad \\%c escape %q", c, s[:1+n])
		}
		b.WriteRune(v)
		return 1 + n, nil
	case '0', '1', '2', '3', '4', '5', '6', '7':
		if len(s) < 3 {
			return 0, errors.New("short octal escape")
		}
		v, err := strconv.ParseUint(s[:3], 8, 16)
		if err != nil || v == 0 || v > 255 {
			return 0, fmt.Errorf("bad octal escape %q", s[:3])
		}
		b.WriteByte(byte(v))
		return 3, nil
	}
	return 0, fmt.Errorf("unknown escape \\%c", c)
}
