package units

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// EnvVar is one variable assignment.
type EnvVar struct {
	Name, Value string
}

// validEnvName is systemd's env_name_is_valid: letters, digits and '_',
// not starting with a digit.
func validEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// ParseEnvironment reads the value of an Environment= setting: words as
// systemd splits them (quotes group, C escapes), each NAME=VALUE. "$" has
// no meaning here. A word that is not an assignment is returned in bad:
// systemd skips it with a warning.
func ParseEnvironment(value string) (vars []EnvVar, bad []string, err error) {
	words, err := splitWords(value, unquote|cunescape)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || !validEnvName(k) {
			bad = append(bad, w)
			continue
		}
		vars = append(vars, EnvVar{k, v})
	}
	return vars, bad, nil
}

// ParseEnvironmentFile reads a file named by EnvironmentFile= as systemd's
// load_env_file does: KEY=VALUE lines; '#' and ';' start a comment line;
// whitespace around key and an unquoted value is removed; 'single quotes'
// are literal; in "double quotes" a backslash escapes only " \ ` $ and a
// newline; outside quotes a backslash escapes any character and a
// backslash-newline continues the value; quoted and unquoted parts join
// into one value. A line without '=' or with an invalid name is skipped
// (returned in bad, as "line N").
func ParseEnvironmentFile(r io.Reader) (vars []EnvVar, bad []string, err error) {
	const (
		preKey = iota
		key
		preValue
		value
		valueEscape
		single
		double
		doubleEscape
		comment
		commentEscape
	)
	br := bufio.NewReader(r)
	state := preKey
	var k, v strings.Builder
	lastKeyWS, lastValueWS := -1, -1 // where trailing whitespace starts
	line, keyLine := 1, 1
	push := func() {
		name := k.String()
		if lastKeyWS >= 0 {
			name = name[:lastKeyWS]
		}
		val := v.String()
		if lastValueWS >= 0 {
			val = val[:lastValueWS]
		}
		if validEnvName(name) {
			vars = append(vars, EnvVar{name, val})
		} else {
			bad = append(bad, fmt.Sprintf("line %d: invalid variable name %q", keyLine, name))
		}
		k.Reset()
		v.Reset()
		lastKeyWS, lastValueWS = -1, -1
	}
	isWS := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }
	for {
		c, rerr := br.ReadByte()
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, nil, rerr
		}
		switch state {
		case preKey:
			switch {
			case c == '#' || c == ';':
				state = comment
			case c == '\n' || isWS(c):
			default:
				state, keyLine = key, line
				k.WriteByte(c)
			}
		case key:
			switch {
			case c == '\n':
				bad = append(bad, fmt.Sprintf("line %d: no '=' after %q", keyLine, strings.TrimSpace(k.String())))
				k.Reset()
				lastKeyWS = -1
				state = preKey
			case c == '=':
				state = preValue
			default:
				if isWS(c) {
					if lastKeyWS < 0 {
						lastKeyWS = k.Len()
					}
				} else {
					lastKeyWS = -1
				}
				k.WriteByte(c)
			}
		case preValue:
			switch {
			case c == '\n':
				push()
				state = preKey
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case c == '\\':
				state = valueEscape
			case isWS(c):
			default:
				state = value
				v.WriteByte(c)
			}
		case value:
			switch {
			case c == '\n':
				push()
				state = preKey
			case c == '\\':
				state = valueEscape
				lastValueWS = -1
			default:
				if isWS(c) {
					if lastValueWS < 0 {
						lastValueWS = v.Len()
					}
				} else {
					lastValueWS = -1
				}
				v.WriteByte(c)
			}
		case valueEscape:
			state = value
			if c != '\n' {
				v.WriteByte(c)
				lastValueWS = -1
			}
		case single:
			if c == '\'' {
				state = preValue
			} else {
				v.WriteByte(c)
			}
		case double:
			switch c {
			case '"':
				state = preValue
			case '\\':
				state = doubleEscape
			default:
				v.WriteByte(c)
			}
		case doubleEscape:
			state = double
			switch {
			case strings.IndexByte("\"\\`$", c) >= 0:
				v.WriteByte(c)
			case c == '\n':
			default:
				v.WriteByte('\\')
				v.WriteByte(c)
			}
		case comment:
			switch c {
			case '\\':
				state = commentEscape
			case '\n':
				state = preKey
			}
		case commentEscape:
			state = comment
		}
		if c == '\n' {
			line++
		}
	}
	switch state {
	case preValue, value, valueEscape, single, double, doubleEscape:
		push()
	case key:
		bad = append(bad, fmt.Sprintf("line %d: no '=' after %q", keyLine, strings.TrimSpace(k.String())))
	}
	return vars, bad, nil
}
