package units

import (
	"fmt"
	"strconv"
	"strings"
)

// unitTypes are the suffixes systemd knows; a name must end in one.
var unitTypes = []string{"service", "socket", "target", "timer", "path", "mount", "automount", "swap", "slice", "scope", "device"}

// Name is a unit name taken apart: "postgresql@15-main.service" has
// Prefix "postgresql", Instance "15-main", Type "service".
type Name struct {
	Full     string
	Prefix   string
	Instance string // empty for a plain unit and for a template
	Type     string
	Template bool // "foo@.service"
}

// ParseName checks a unit name as systemd's unit_name_is_valid does: at
// most 255 bytes of [A-Za-z0-9:_.\-@], a known type suffix, at most one '@',
// a non-empty prefix, and an instance only after '@'.
func ParseName(s string) (Name, error) {
	if len(s) == 0 || len(s) > 255 {
		return Name{}, fmt.Errorf("unit name %q: must be 1 to 255 bytes", s)
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(":_.\\-@", c) >= 0) {
			return Name{}, fmt.Errorf("unit name %q: character %q not allowed", s, c)
		}
	}
	dot := strings.LastIndexByte(s, '.')
	if dot <= 0 {
		return Name{}, fmt.Errorf("unit name %q: no type suffix (.service, .target, …)", s)
	}
	n := Name{Full: s, Type: s[dot+1:]}
	if !isUnitType(n.Type) {
		return Name{}, fmt.Errorf("unit name %q: unknown type %q", s, n.Type)
	}
	base := s[:dot]
	at := strings.IndexByte(base, '@')
	switch {
	case at < 0:
		n.Prefix = base
	case strings.IndexByte(base[at+1:], '@') >= 0:
		return Name{}, fmt.Errorf("unit name %q: more than one '@'", s)
	case at == 0:
		return Name{}, fmt.Errorf("unit name %q: empty name before '@'", s)
	default:
		n.Prefix, n.Instance, n.Template = base[:at], base[at+1:], at == len(base)-1
	}
	return n, nil
}

func isUnitType(t string) bool {
	for _, u := range unitTypes {
		if u == t {
			return true
		}
	}
	return false
}

// IsInstance reports whether the name is an instance of a template.
func (n Name) IsInstance() bool { return n.Instance != "" }

// TemplateName is "foo@.service" for "foo@bar.service" (and for a template
// itself); "" for a plain unit.
func (n Name) TemplateName() string {
	if n.Instance == "" && !n.Template {
		return ""
	}
	return n.Prefix + "@." + n.Type
}

// Instantiate names the instance inst of template t.
func Instantiate(t Name, inst string) string { return t.Prefix + "@" + inst + "." + t.Type }

// Unescape reverses systemd-escape: "-" is "/", "\xNN" is byte NN
// (unit_name_unescape).
func Unescape(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '-':
			b.WriteByte('/')
		case c == '\\':
			if i+3 >= len(s) || s[i+1] != 'x' {
				return "", fmt.Errorf("unescape %q: bad escape at byte %d", s, i)
			}
			v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
			if err != nil {
				return "", fmt.Errorf("unescape %q: bad escape at byte %d", s, i)
			}
			b.WriteByte(byte(v))
			i += 3
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unescapePath is unit_name_path_unescape: the unescaped string as a path,
// "-" alone being "/".
func unescapePath(s string) (string, error) {
	if s == "-" || s == "" {
		return "/", nil
	}
	u, err := Unescape(s)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(u, "/") {
		u = "/" + u
	}
	return u, nil
}
