package cron

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Entry is one job line of a crontab.
type Entry struct {
	File    string
	Line    int
	Spec    string // the schedule as written: "*/5 * * * *", "@daily", "@every 30s", "@reboot"
	User    string // the user field, or the owner of a user crontab
	Command string
	Stdin   string   // the text after the first unescaped %, with % made newlines
	Env     []string // NAME=value lines above the job, in order (CRON_TZ left out)
	Shell   string   // SHELL, or /bin/sh
	Zone    *time.Location

	spec     *schedule // nil for @every and @reboot
	every    time.Duration
	reboot   bool
	wildcard bool // minute or hour starts with '*': runs by the clock when it steps
}

// ID names the entry in logs and status: file:line.
func (e *Entry) ID() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// LineError is a crontab line that was skipped, or (Line 0) a file that
// was refused as a whole, and why.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// envRE is compiled on first use, not at program start (PID 1's start time).
var envRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`) })

// Crontab is what one file holds.
type Crontab struct {
	Entries []*Entry
	Errors  []LineError
	// MailTo is set when the file has a MAILTO line: exported to the jobs,
	// but no mail is sent.
	MailTo bool
}

// Parse reads a system crontab (/etc/crontab, /etc/cron.d): five time
// fields or an @keyword, a user, a command. zone is the default time zone
// (the container's TZ); userExists checks the user field.
func Parse(file string, r io.Reader, zone *time.Location, userExists func(string) bool) *Crontab {
	return parse(file, r, zone, "", userExists)
}

// ParseUser reads the crontab of user (what `crontab -e` writes): the same
// lines without the user field.
func ParseUser(file string, r io.Reader, zone *time.Location, user string) *Crontab {
	return parse(file, r, zone, user, nil)
}

func parse(file string, r io.Reader, zone *time.Location, owner string, userExists func(string) bool) *Crontab {
	ct := &Crontab{}
	var env []string
	shell := "/bin/sh"
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(format string, args ...any) {
			ct.Errors = append(ct.Errors, LineError{File: file, Line: n, Err: fmt.Errorf(format, args...)})
		}
		if m := envRE().FindStringSubmatch(line); m != nil {
			name, value := m[1], unquote(strings.TrimSpace(m[2]))
			switch name {
			case "MAILTO":
				ct.MailTo = true
			case "CRON_TZ":
				loc, err := time.LoadLocation(value)
				if err != nil {
					bad("CRON_TZ %q: unknown time zone", value)
					continue
				}
				zone = loc
				continue
			case "SHELL":
				shell = value
			}
			env = append(env, name+"="+value)
			continue
		}
		e, err := parseJob(line, zone, owner, userExists)
		if err != nil {
			bad("%v", err)
			continue
		}
		e.File, e.Line, e.Shell, e.Env = file, n, shell, append([]string(nil), env...)
		ct.Entries = append(ct.Entries, e)
	}
	if err := sc.Err(); err != nil {
		ct.Errors = append(ct.Errors, LineError{File: file, Err: err})
	}
	return ct
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// parseJob parses "SCHEDULE USER COMMAND", or "SCHEDULE COMMAND" when
// owner is set (a user crontab).
func parseJob(line string, zone *time.Location, owner string, userExists func(string) bool) (*Entry, error) {
	nTime := 5
	if line[0] == '@' {
		nTime = 1
		if strings.HasPrefix(line, "@every") {
			nTime = 2
		}
	}
	nUser := 1
	want := "five time fields (or @keyword), a user and a command"
	if owner != "" {
		nUser = 0
		want = "five time fields (or @keyword) and a command"
	}
	fields, rest := splitFields(line, nTime+nUser)
	if len(fields) < nTime+nUser {
		return nil, errors.New("want " + want)
	}
	e := &Entry{Spec: strings.Join(fields[:nTime], " "), User: owner, Zone: zone}
	if owner == "" {
		e.User = fields[nTime]
	}
	switch {
	case e.Spec == "@reboot":
		e.reboot = true
	case nTime == 2:
		d, err := time.ParseDuration(fields[1])
		if err != nil || d < time.Second {
			return nil, fmt.Errorf("@every %q: want a duration of 1s or more, e.g. 30s or 5m", fields[1])
		}
		e.every = d
	default:
		s, err := parseSchedule(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %v", e.Spec, err)
		}
		e.spec = s
		e.wildcard = isWildcard(e.Spec)
	}
	if owner == "" && !userExists(e.User) {
		return nil, fmt.Errorf("unknown user %q (not in /etc/passwd)", e.User)
	}
	e.Command, e.Stdin = splitPercent(rest)
	if strings.TrimSpace(e.Command) == "" {
		return nil, errors.New("missing command")
	}
	return e, nil
}

// isWildcard follows Vixie cron: a job whose minute or hour field starts
// with '*' runs by the clock; @hourly is one, @daily is not.
func isWildcard(spec string) bool {
	switch spec {
	case "@hourly":
		return true
	case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight":
		return false
	}
	f := strings.Fields(spec)
	return len(f) >= 2 && (strings.HasPrefix(f[0], "*") || strings.HasPrefix(f[1], "*"))
}

// splitFields returns the first n blank-separated fields of s and the rest
// of s after them, spacing kept.
func splitFields(s string, n int) ([]string, string) {
	var out []string
	for len(out) < n {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out, strings.TrimLeft(s, " \t")
}

// splitPercent applies Vixie's do_command rule: in the command, "\%" is a
// literal % and the first unescaped % ends it; the text after it is the
// job's stdin, where an unescaped % is a newline, "\%" a literal % and
// every other backslash is kept. Nothing is added at the end.
func splitPercent(s string) (command, stdin string) {
	command, rest, found := cutPercent(s)
	if !found {
		return command, ""
	}
	var in strings.Builder
	for found {
		var part string
		part, rest, found = cutPercent(rest)
		in.WriteString(part)
		if found {
			in.WriteByte('\n')
		}
	}
	return command, in.String()
}

// cutPercent copies s up to its first unescaped %, with "\%" made a
// literal % and every other backslash kept; it returns the copy, the text
// after that %, and whether there was one.
func cutPercent(s string) (before, after string, found bool) {
	var b strings.Builder
	escaped := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case escaped:
			if c != '%' {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
			escaped = false
		case c == '\\':
			escaped = true
		case c == '%':
			return b.String(), s[i+1:], true
		default:
			b.WriteByte(c)
		}
	}
	if escaped {
		b.WriteByte('\\')
	}
	return b.String(), "", false
}
