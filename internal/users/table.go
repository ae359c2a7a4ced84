package users

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
)

// table is one of the colon-separated account files (/etc/passwd, group,
// shadow, gshadow). It keeps every line as it was read, so that a file
// written back differs only in the lines boxinit changed: comments, blank
// lines, odd entries and their order survive byte for byte.
type table struct {
	name    string // file name for messages: "/etc/passwd"
	nfields int    // fields per entry: 7, 4, 9 or 4
	lines   []string
	fields  [][]string // split entries, nil for lines that are not entries
	// noFinalNewline is set when the file did not end with a newline.
	noFinalNewline bool
}

// parseTable reads a colon file. Lines that are not entries (comments, NIS
// "+" lines, wrong field counts) are kept but never matched.
func parseTable(name string, fields int, r io.Reader) (*table, error) {
	t := &table{name: name, nfields: fields}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) == 0 {
		return t, nil
	}
	text := string(data)
	if strings.HasSuffix(text, "\n") {
		text = text[:len(text)-1]
	} else {
		t.noFinalNewline = true
	}
	t.lines = strings.Split(text, "\n")
	t.fields = make([][]string, len(t.lines))
	for i, l := range t.lines {
		t.fields[i] = t.split(l)
	}
	return t, nil
}

// entry returns a copy of the fields of line i, or nil when it is not an
// entry.
func (t *table) entry(i int) []string {
	return slices.Clone(t.fields[i])
}

func (t *table) split(l string) []string {
	if l == "" || l[0] == '#' || l[0] == '+' || l[0] == '-' {
		return nil
	}
	f := strings.Split(l, ":")
	if len(f) != t.nfields {
		return nil
	}
	return f
}

// find returns the index and fields of the entry whose field col equals
// value, or -1.
func (t *table) find(col int, value string) (int, []string) {
	for i, f := range t.fields {
		if f != nil && f[col] == value {
			return i, slices.Clone(f)
		}
	}
	return -1, nil
}

// set replaces line i, or appends when i is -1. It reports whether
// anything changed.
func (t *table) set(i int, fields []string) bool {
	line := strings.Join(fields, ":")
	if i < 0 {
		t.lines = append(t.lines, line)
		t.fields = append(t.fields, t.split(line))
		t.noFinalNewline = false // the old last line gets its newline
		return true
	}
	if t.lines[i] == line {
		return false
	}
	t.lines[i] = line
	t.fields[i] = t.split(line)
	return true
}

// bytes renders the file; a file that ended without a newline keeps
// ending without one unless a line was appended.
func (t *table) bytes() []byte {
	var b bytes.Buffer
	for _, l := range t.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	out := b.Bytes()
	if t.noFinalNewline && len(out) > 0 {
		out = out[:len(out)-1]
	}
	return out
}

// Passwd is one /etc/passwd entry.
type Passwd struct {
	Name     string
	UID, GID int
	GECOS    string
	Home     string
	Shell    string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// ParsePasswd returns the entries of a passwd file; lines that are not
// well-formed entries are skipped.
func ParsePasswd(r io.Reader) ([]Passwd, error) {
	t, err := parseTable("passwd", 7, r)
	if err != nil {
		return nil, err
	}
	var out []Passwd
	for i := range t.lines {
		f := t.entry(i)
		if f == nil {
			continue
		}
		uid, err1 := atoiID(f[2])
		gid, err2 := atoiID(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Passwd{Name: f[0], UID: uid, GID: gid, GECOS: f[4], Home: f[5], Shell: f[6]})
	}
	return out, nil
}

// ParseGroup returns the entries of a group file; lines that are not
// well-formed entries are skipped.
func ParseGroup(r io.Reader) ([]Group, error) {
	t, err := parseTable("group", 4, r)
	if err != nil {
		return nil, err
	}
	var out []Group
	for i := range t.lines {
		f := t.entry(i)
		if f == nil {
			continue
		}
		gid, err := atoiID(f[2])
		if err != nil {
			continue
		}
		out = append(out, Group{Name: f[0], GID: gid, Members: splitMembers(f[3])})
	}
	return out, nil
}

func splitMembers(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func atoiID(s string) (int, error) {
	n := 0
	if s == "" || len(s) > 10 {
		return 0, fmt.Errorf("id %q: not a number", s)
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("id %q: not a number", s)
		}
		n = n*10 + int(c-'0')
	}
	if n > 1<<32-1 {
		return 0, fmt.Errorf("id %q: out of range", s)
	}
	return n, nil
}
