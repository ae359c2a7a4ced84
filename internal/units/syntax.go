package units

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Assignment is one KEY=VALUE line of a unit file, after continuation lines
// were joined and whitespace around key and value was removed.
type Assignment struct {
	Section string
	Key     string
	Value   string
	File    string
	Line    int // the line the assignment starts on
}

// Where names the assignment's origin as file:line.
func (a Assignment) Where() string { return fmt.Sprintf("%s:%d", a.File, a.Line) }

// Severity says how much a [Diag] matters.
type Severity int

const (
	// Info is a setting boxinit ignores on purpose (sandboxing a container
	// cannot give): the unit runs without it.
	Info Severity = iota
	// Warning is a line or setting systemd would also ignore or that boxinit
	// does not support: the unit may behave differently than under systemd.
	Warning
	// Error means the unit cannot be started as written.
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	}
	return "error"
}

// Diag is a problem found in a unit file, with the place to look at.
type Diag struct {
	File     string
	Line     int // 0 when the problem is not one line's
	Severity Severity
	Msg      string
}

func (d Diag) String() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s: %s", d.File, d.Line, d.Severity, d.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", d.File, d.Severity, d.Msg)
}

// maxLine is systemd's LONG_LINE_MAX: a longer (joined) line is an error.
const maxLine = 1 << 20

// ParseFile reads a unit file or drop-in as systemd.syntax(7) defines it:
// "[Section]" headers; "Key=Value" assignments with whitespace around key
// and value removed; lines starting with '#' or ';' are comments, also
// between continuation lines; a line ending in an unescaped backslash goes
// on with the next line, the backslash replaced by a space. Lines systemd
// ignores (an assignment outside a section, one with no '=') are reported
// as warnings and skipped, as systemd skips them; a broken section header
// is an error and the assignments under it are dropped until the next
// valid header.
func ParseFile(r io.Reader, file string) ([]Assignment, []Diag, error) {
	var (
		out     []Assignment
		diags   []Diag
		section string
		badSect bool
		cont    strings.Builder
		inCont  bool
		start   int
	)
	handle := func(line string, start int) {
		if line == "" {
			return
		}
		if line[0] == '[' {
			if line[len(line)-1] != ']' || len(line) < 3 {
				diags = append(diags, Diag{file, start, Error, fmt.Sprintf("invalid section header %q: its settings are ignored", line)})
				section, badSect = "", true
				return
			}
			section, badSect = line[1:len(line)-1], false
			return
		}
		if badSect {
			return
		}
		if section == "" {
			diags = append(diags, Diag{file, start, Warning, "assignment outside of a section, ignored"})
			return
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			diags = append(diags, Diag{file, start, Warning, fmt.Sprintf("missing '=' in %q, line ignored", line)})
			return
		}
		k = strings.Trim(k, whitespace)
		if k == "" {
			diags = append(diags, Diag{file, start, Warning, "assignment with no key, ignored"})
			return
		}
		out = append(out, Assignment{Section: section, Key: k, Value: strings.Trim(v, whitespace), File: file, Line: start})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine+1)
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Text()
		if n == 1 {
			raw = strings.TrimPrefix(raw, "\uFEFF")
		}
		if l := strings.TrimLeft(raw, " \t\n\r"); l != "" && (l[0] == '#' || l[0] == ';') {
			continue // a comment, even inside a continuation
		}
		if !inCont {
			start = n
		}
		cont.WriteString(raw)
		if cont.Len() > maxLine {
			return nil, nil, fmt.Errorf("%s:%d: line longer than %d bytes", file, start, maxLine)
		}
		if endsEscaped(cont.String()) {
			s := cont.String()
			cont.Reset()
			cont.WriteString(s[:len(s)-1])
			cont.WriteByte(' ')
			inCont = true
			continue
		}
		line := strings.Trim(cont.String(), " \t\n\r")
		cont.Reset()
		inCont = false
		handle(line, start)
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, nil, fmt.Errorf("%s:%d: line longer than %d bytes", file, n+1, maxLine)
	} else if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", file, err)
	}
	if inCont { // the file ends in a backslash: systemd parses what it has
		handle(strings.Trim(cont.String(), " \t\n\r"), start)
	}
	return out, diags, nil
}

// endsEscaped reports whether s ends in a backslash that is not itself
// escaped ("a\\" does not continue, "a\\\" does).
func endsEscaped(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
