package units

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// The value parsers of the settings: each reads one value as systemd's
// config_parse_* function of that setting does.

func deps(field func(*Unit) *[]string) setter {
	return func(u *Unit, a Assignment, v string) error {
		ws, err := splitWords(v, 0)
		if err != nil {
			return err
		}
		for _, w := range ws {
			if _, err := ParseName(w); err != nil {
				return err
			}
			*field(u) = appendNew(*field(u), w)
		}
		return nil // systemd never resets a dependency list: an empty value adds nothing
	}
}

func execList(field func(*Service) *[]ExecCommand) setter {
	return func(u *Unit, a Assignment, v string) error {
		f := field(u.Service)
		if strings.TrimSpace(v) == "" {
			*f = nil
			return nil
		}
		cmds, err := ParseExec(v)
		if err != nil {
			return err
		}
		for i := range cmds {
			cmds[i].Where = a.Where()
		}
		*f = append(*f, cmds...)
		return nil
	}
}

func resettable(list *[]string, v string, unescape bool) error {
	if strings.TrimSpace(v) == "" {
		*list = nil
		return nil
	}
	var f wordFlags
	if unescape {
		f = unquote | cunescape
	}
	ws, err := splitWords(v, f)
	if err != nil {
		return err
	}
	*list = appendNew(*list, ws...)
	return nil
}

func boolean(field func(*Unit) *bool) setter {
	return func(u *Unit, _ Assignment, v string) error { return parseBool(field(u), v) }
}

// parseBool reads a boolean as systemd's parse_boolean does.
func parseBool(b *bool, v string) error {
	switch strings.ToLower(v) {
	case "1", "yes", "y", "true", "t", "on":
		*b = true
	case "0", "no", "n", "false", "f", "off":
		*b = false
	default:
		return fmt.Errorf("%q is not a boolean", v)
	}
	return nil
}

func oneOf(dst *string, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			*dst = v
			return nil
		}
	}
	return fmt.Errorf("%q: want one of %s", v, strings.Join(allowed, ", "))
}

// duration parses a time span; for the start and stop timeouts 0 means no
// limit, as in systemd.
func duration(dst *time.Duration, v string, zeroIsInfinity bool) error {
	d, err := ParseDuration(v)
	if err != nil {
		return err
	}
	if d == 0 && zeroIsInfinity {
		d = Infinity
	}
	*dst = d
	return nil
}

// signal reads a signal as a name ("SIGTERM", "TERM") or a number.
func signal(dst *int, v string) error {
	if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65 {
		*dst = n
		return nil
	}
	name := v
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if s := unix.SignalNum(name); s != 0 {
		*dst = int(s)
		return nil
	}
	return fmt.Errorf("%q is not a signal", v)
}

// exitStatus reads a SuccessExitStatus=-like list: exit codes 0–255 and
// signal names; an empty value resets the list.
func exitStatus(set *ExitStatusSet, v string) error {
	if strings.TrimSpace(v) == "" {
		*set = ExitStatusSet{}
		return nil
	}
	for _, w := range strings.Fields(v) {
		if n, err := strconv.Atoi(w); err == nil {
			if n < 0 || n > 255 {
				return fmt.Errorf("exit status %d: want 0 to 255", n)
			}
			set.Codes = append(set.Codes, n)
			continue
		}
		if n, ok := exitStatusNames[w]; ok {
			set.Codes = append(set.Codes, n)
			continue
		}
		var sig int
		if err := signal(&sig, w); err != nil {
			return fmt.Errorf("%q is neither an exit status nor a signal", w)
		}
		set.Signals = append(set.Signals, sig)
	}
	return nil
}

func dirs(kind DirKind) setter {
	return svc(func(s *Service, _ Assignment, v string) error {
		if strings.TrimSpace(v) == "" {
			delete(s.Directories, kind)
			return nil
		}
		for _, w := range strings.Fields(v) {
			w, _, _ = strings.Cut(w, ":") // "dir:symlink" (systemd 250+): the symlink is not made
			if path.IsAbs(w) || path.Clean(w) != w || w == "." || strings.HasPrefix(w, "..") {
				return fmt.Errorf("%q: must be a relative path without \".\" or \"..\"", w)
			}
			s.Directories[kind] = appendNew(s.Directories[kind], w)
		}
		return nil
	})
}

func dirMode(kind DirKind) setter {
	return svc(func(s *Service, _ Assignment, v string) error {
		m, err := strconv.ParseUint(v, 8, 32)
		if err != nil || m > 0o7777 {
			return fmt.Errorf("%q: not an octal mode", v)
		}
		s.DirectoryMode[kind] = uint32(m)
		return nil
	})
}

// Mode returns the mode a directory of kind is made with (0755 unless set).
func (s *Service) Mode(kind DirKind) uint32 {
	if m, ok := s.DirectoryMode[kind]; ok {
		return m
	}
	return 0o755
}

// exitStatusNames are the exit status names systemd accepts
// (systemd.exec(5), "Process exit codes"): the LSB ones and sysexits.h's.
var exitStatusNames = map[string]int{
	"INVALIDARGUMENT": 2, "NOTIMPLEMENTED": 3, "NOPERMISSION": 4, "NOTINSTALLED": 5,
	"NOTCONFIGURED": 6, "NOTRUNNING": 7,
	"USAGE": 64, "DATAERR": 65, "NOINPUT": 66, "NOUSER": 67, "NOHOST": 68, "UNAVAILABLE": 69,
	"SOFTWARE": 70, "OSERR": 71, "OSFILE": 72, "CANTCREAT": 73, "IOERR": 74, "TEMPFAIL": 75,
	"PROTOCOL": 76, "NOPERM": 77, "CONFIG": 78,
}
