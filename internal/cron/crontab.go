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

	robfig "github.com/robfig/cron/v3"
)

// Entry is one job line of a system crontab.
type Entry struct {
	File    string
	Line    int
	Spec    string // the schedule as written: "*/5 * * * *", "@daily", "@every 30s", "@reboot"
	User    string
	Command string
	Stdin   string   // the text after the first unescaped %, with % made newlines
	Env     []string // NAME=value lines above the job (MAILTO left out)
	Shell   string   // SHELL, or /bin/sh
	Zone    *time.Location

	spec     *robfig.SpecSchedule // nil for @every and @reboot
	every    time.Duration
	reboot   bool
	wildcard bool // minute or hour is '*': runs again when the clock goes back
}

// ID names the entry in logs and status: file:line.
func (e *Entry) ID() string { return fmt.Sprintf("%s:%d", e.File, e.Line) }

// LineError is a crontab line that was skipped, and why.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

// lazyRegexp compiles expr on first use rather than at program start:
// package initialisation runs in every boxinit process, `boxinit version`
// and PID 1 included.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	envRE  = lazyRegexp(`^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)
	parser = robfig.NewParser(robfig.Minute | robfig.Hour | robfig.Dom | robfig.Month | robfig.Dow | robfig.Descriptor)
)

// Crontab is what one file holds.
type Crontab struct {
	Entries []*Entry
	Errors  []LineError
	// MailTo is set when the file has a MAILTO line: accepted, ignored.
	MailTo bool
}

// Parse reads a system crontab (five time fields, a user, a command; or
// @keyword, a user, a command). zone is the default time zone (the
// container's TZ); userExists checks the user field.
func Parse(file string, r io.Reader, zone *time.Location, userExists func(string) bool) *Crontab {
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
				continue
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
		e, err := parseJob(line, zone, userExists)
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

// parseJob parses "SCHEDULE USER COMMAND".
func parseJob(line string, zone *time.Location, userExists func(string) bool) (*Entry, error) {
	nTime := 5
	if line[0] == '@' {
		nTime = 1
		if strings.HasPrefix(line, "@every") {
			nTime = 2
		}
	}
	fields, rest := splitFields(line, nTime+1)
	if len(fields) < nTime+1 {
		return nil, errors.New("want five time fields (or @keyword), a user and a command")
	}
	e := &Entry{Spec: strings.Join(fields[:nTime], " "), User: fields[nTime], Zone: zone}
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
		s, err := parser.Parse(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %v", e.Spec, err)
		}
		spec, ok := s.(*robfig.SpecSchedule)
		if !ok {
			return nil, fmt.Errorf("schedule %q: not a calendar schedule", e.Spec)
		}
		e.spec = spec
		e.wildcard = isWildcard(e.Spec)
	}
	if !userExists(e.User) {
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

// splitPercent applies Vixie's rule: the first unescaped % ends the
// command; the text after it is the job's stdin with every further
// unescaped % a newline. "\%" is a literal %.
func splitPercent(s string) (command, stdin string) {
	var cmd, in strings.Builder
	cur := &cmd
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == '%':
			cur.WriteByte('%')
			i++
		case s[i] == '%' && cur == &cmd:
			cur = &in
		case s[i] == '%':
			in.WriteByte('\n')
		default:
			cur.WriteByte(s[i])
		}
	}
	if cur == &in {
		return cmd.String(), in.String() + "\n"
	}
	return cmd.String(), ""
}
