// Package tmpfiles reads tmpfiles.d(5) files and applies them at boot as
// `systemd-tmpfiles --create --remove --boot` does, under a root
// directory: Debian's packages rely on it for their /run directories
// (postgresql-common's "d /run/postgresql 2775 postgres postgres"), and in
// a pod /run is often an empty tmpfs.
//
// Supported: f, F, w, d, D, e, v, q, Q (as d), L, z, Z, x, X, r, R, with
// the '!', '-', '+' and '~' modifiers and the "~" and ":" mode prefixes.
// Device nodes, FIFOs, copies, attributes and ACLs (c, b, p, C, t, T, h,
// H, a, A) are reported as not supported. Ages are read and not acted on:
// boxinit does not clean directories periodically.
package tmpfiles

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Line is one line of a tmpfiles.d file.
type Line struct {
	Type     byte   // 'd', 'f', 'L', …
	Boot     bool   // '!': only at boot (boxinit applies at boot only)
	IgnoreEr bool   // '-': a failure to create is not an error
	Plus     bool   // '+': replace (L, f) or append (w)
	Path     string // absolute, specifiers expanded
	Mode     uint32
	ModeSet  bool
	ModeKeep bool // "~": keep bits the existing file does not have
	ModeNew  bool // ":": only when the file is made
	User     string
	Group    string
	Age      string
	Arg      string
	Where    string // file:line
}

// LineError is a line that was skipped, and why.
type LineError struct {
	Where string
	Err   error
}

func (e LineError) Error() string { return e.Where + ": " + e.Err.Error() }

// Dirs are where tmpfiles.d files live, in order of precedence: a file in
// an earlier directory hides one of the same name in a later one.
var Dirs = []string{"/etc/tmpfiles.d", "/run/tmpfiles.d", "/usr/local/lib/tmpfiles.d", "/usr/lib/tmpfiles.d", "/lib/tmpfiles.d"}

// Read finds the configuration files under root (by name, the first
// directory wins; a file linked to /dev/null or empty hides the others and
// applies nothing) and parses them in the order of their names. A path
// that two lines name is taken from the first, as systemd-tmpfiles does.
func Read(root string, spec func(string) (string, error)) ([]Line, []LineError, error) {
	files := map[string]string{}
	for _, d := range Dirs {
		des, err := os.ReadDir(filepath.Join(root, d))
		if err != nil {
			continue
		}
		for _, de := range des {
			if !strings.HasSuffix(de.Name(), ".conf") {
				continue
			}
			if _, ok := files[de.Name()]; !ok {
				files[de.Name()] = path.Join(d, de.Name())
			}
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var lines []Line
	var bad []LineError
	seen := map[string]string{}
	for _, n := range names {
		p := files[n]
		f, err := os.Open(filepath.Join(root, p))
		if err != nil {
			return nil, nil, fmt.Errorf("tmpfiles: %w", err)
		}
		ls, errs, err := Parse(f, p, spec)
		f.Close()
		if err != nil {
			return nil, nil, err
		}
		bad = append(bad, errs...)
		for _, l := range ls {
			key := string(l.Type) + " " + l.Path
			if isCreate(l.Type) {
				key = "create " + l.Path
			}
			if first, dup := seen[key]; dup {
				bad = append(bad, LineError{l.Where, fmt.Errorf("duplicate line for %s (first at %s), ignored", l.Path, first)})
				continue
			}
			seen[key] = l.Where
			lines = append(lines, l)
		}
	}
	return lines, bad, nil
}

func isCreate(t byte) bool { return strings.IndexByte("fFwdDevqQLpcbC", t) >= 0 }

const known = "fFwdDevqQLzZxXrRpcbCtThHaA"

// Parse reads one tmpfiles.d file: whitespace separated fields, "-" for a
// default, '#' comments. spec expands %-specifiers (nil: none allowed).
func Parse(r io.Reader, file string, spec func(string) (string, error)) ([]Line, []LineError, error) {
	var out []Line
	var bad []LineError
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, n)
		l, err := parseLine(text, spec)
		if err != nil {
			bad = append(bad, LineError{where, err})
			continue
		}
		l.Where = where
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	return out, bad, nil
}

func parseLine(text string, spec func(string) (string, error)) (Line, error) {
	f, err := fields(text)
	if err != nil {
		return Line{}, err
	}
	if len(f) < 2 {
		return Line{}, fmt.Errorf("%q: want at least a type and a path", text)
	}
	for len(f) < 7 {
		f = append(f, "-")
	}
	var l Line
	t := f[0]
	l.Type = t[0]
	if strings.IndexByte(known, l.Type) < 0 {
		return l, fmt.Errorf("unknown type %q", t)
	}
	base64Arg := false
	for _, c := range t[1:] {
		switch c {
		case '!':
			l.Boot = true
		case '-':
			l.IgnoreEr = true
		case '+':
			l.Plus = true
		case '~':
			base64Arg = true
		case '=', '^':
			return l, fmt.Errorf("type %q: modifier %q is not supported", t, c)
		default:
			return l, fmt.Errorf("type %q: unknown modifier %q", t, c)
		}
	}
	expand := func(s string) (string, error) {
		if spec == nil {
			if strings.Contains(s, "%") {
				return "", fmt.Errorf("%q: specifiers are not supported here", s)
			}
			return s, nil
		}
		return spec(s)
	}
	if l.Path, err = expand(f[1]); err != nil {
		return l, err
	}
	if !path.IsAbs(l.Path) {
		return l, fmt.Errorf("path %q is not absolute", l.Path)
	}
	l.Path = path.Clean(l.Path)
	if m := f[2]; m != "-" {
		if strings.HasPrefix(m, ":") {
			l.ModeNew, m = true, m[1:]
		}
		if strings.HasPrefix(m, "~") {
			l.ModeKeep, m = true, m[1:]
		}
		v, err := strconv.ParseUint(m, 8, 32)
		if err != nil || v > 0o7777 {
			return l, fmt.Errorf("mode %q: not an octal mode", f[2])
		}
		l.Mode, l.ModeSet = uint32(v), true
	}
	if f[3] != "-" {
		l.User = f[3]
	}
	if f[4] != "-" {
		l.Group = f[4]
	}
	if f[5] != "-" {
		l.Age = f[5]
	}
	if len(f) > 6 && f[6] != "-" {
		arg := strings.Join(f[6:], " ")
		if l.Type == 'L' || l.Type == 'f' || l.Type == 'F' || l.Type == 'w' {
			if arg, err = expand(arg); err != nil {
				return l, err
			}
		}
		if base64Arg {
			b, err := base64.StdEncoding.DecodeString(arg)
			if err != nil {
				return l, fmt.Errorf("argument: not base64: %w", err)
			}
			arg = string(b)
		}
		l.Arg = arg
	}
	return l, nil
}

// fields splits a line as systemd-tmpfiles does: on whitespace, with
// "…" and '…' quoting and C escapes; the argument (7th field on) keeps its
// inner spaces when quoted.
func fields(s string) ([]string, error) {
	var out []string
	for i := 0; i < 6; i++ {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return out, nil
		}
		w, rest, err := word(s)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
		s = rest
	}
	s = strings.TrimSpace(s)
	if s != "" {
		out = append(out, s) // the argument: the rest of the line, as written
	}
	return out, nil
}

func word(s string) (string, string, error) {
	var b strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == ' ' || c == '\t'):
			return b.String(), s[i:], nil
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	if quote != 0 {
		return "", "", fmt.Errorf("unbalanced quotes in %q", s)
	}
	return b.String(), "", nil
}
