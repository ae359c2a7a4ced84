package services

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// HelperArg in argv[1] makes boxinit the exec helper of a service command
// (package sigearly knows it too: the helper catches no signal).
const HelperArg = "boxinit-service-exec"

// processUmask is boxinit's own umask (main sets it first thing): a
// command with another UMask= needs the helper.
const processUmask = 0o022

// helperSpec is what the helper applies before it execs the program.
type helperSpec struct {
	umask  int // -1: leave
	limits []rlimit
	// cred is set after the limits (a raised hard limit needs root) and
	// before the exec; nil: stay root.
	cred *credential
	path string
	argv []string
}

type credential struct {
	uid, gid int
	groups   []int
}

type rlimit struct {
	res        int
	soft, hard uint64
}

// argv builds the helper's command line: self, HelperArg, options, "--",
// the program's path, then its argv (argv[0] included).
func (h helperSpec) args(self string) []string {
	out := []string{self, HelperArg}
	if h.umask >= 0 {
		out = append(out, fmt.Sprintf("umask=%o", h.umask))
	}
	for _, l := range h.limits {
		out = append(out, fmt.Sprintf("rlimit=%d:%d:%d", l.res, l.soft, l.hard))
	}
	if c := h.cred; c != nil {
		gs := make([]string, len(c.groups))
		for i, g := range c.groups {
			gs[i] = strconv.Itoa(g)
		}
		out = append(out, fmt.Sprintf("cred=%d:%d:%s", c.uid, c.gid, strings.Join(gs, ",")))
	}
	out = append(out, "--", h.path)
	return append(out, h.argv...)
}

// parseHelper reads what args built.
func parseHelper(args []string) (helperSpec, error) {
	h := helperSpec{umask: -1}
	for i, a := range args {
		if a == "--" {
			if len(args) < i+3 {
				return h, fmt.Errorf("no program after --")
			}
			h.path, h.argv = args[i+1], args[i+2:]
			return h, nil
		}
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "umask":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil {
				return h, fmt.Errorf("umask %q: %w", v, err)
			}
			h.umask = int(m)
		case "rlimit":
			f := strings.Split(v, ":")
			if len(f) != 3 {
				return h, fmt.Errorf("rlimit %q: want RES:SOFT:HARD", v)
			}
			var l rlimit
			var err1, err2, err3 error
			l.res, err1 = strconv.Atoi(f[0])
			l.soft, err2 = strconv.ParseUint(f[1], 10, 64)
			l.hard, err3 = strconv.ParseUint(f[2], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				return h, fmt.Errorf("rlimit %q: not numbers", v)
			}
			h.limits = append(h.limits, l)
		case "cred":
			f := strings.Split(v, ":")
			if len(f) != 3 {
				return h, fmt.Errorf("cred %q: want UID:GID:GROUPS", v)
			}
			c := &credential{}
			var err1, err2 error
			c.uid, err1 = strconv.Atoi(f[0])
			c.gid, err2 = strconv.Atoi(f[1])
			if err1 != nil || err2 != nil {
				return h, fmt.Errorf("cred %q: not numbers", v)
			}
			for _, g := range strings.Split(f[2], ",") {
				if g == "" {
					continue
				}
				n, err := strconv.Atoi(g)
				if err != nil {
					return h, fmt.Errorf("cred %q: group %q", v, g)
				}
				c.groups = append(c.groups, n)
			}
			h.cred = c
		default:
			return h, fmt.Errorf("unknown helper option %q", a)
		}
	}
	return h, fmt.Errorf("no -- in the helper's arguments")
}

// RunHelperIfAsked plays the exec helper when boxinit was started as one:
// it sets the umask and the resource limits, then execs the program with
// its argv. It only returns when it was not asked; on an error it exits
// 127 (the program's status as systemd would report a failed exec: the
// reason goes to stderr, which is the unit's log).
func RunHelperIfAsked() {
	if len(os.Args) < 2 || os.Args[1] != HelperArg {
		return
	}
	h, err := parseHelper(os.Args[2:])
	if err == nil {
		err = h.apply()
	}
	if err == nil {
		err = unix.Exec(h.path, h.argv, os.Environ())
	}
	fmt.Fprintf(os.Stderr, "boxinit: cannot run %s: %v\n", h.path, err)
	os.Exit(127)
}

func (h helperSpec) apply() error {
	if h.umask >= 0 {
		unix.Umask(h.umask)
	}
	for _, l := range h.limits {
		if err := setrlimitClosest(l); err != nil {
			return err
		}
	}
	if c := h.cred; c != nil {
		if err := unix.Setgroups(c.groups); err != nil {
			return fmt.Errorf("setgroups: %w", err)
		}
		if err := unix.Setgid(c.gid); err != nil {
			return fmt.Errorf("setgid %d: %w", c.gid, err)
		}
		if err := unix.Setuid(c.uid); err != nil {
			return fmt.Errorf("setuid %d: %w", c.uid, err)
		}
	}
	return nil
}

// setrlimitClosest sets a limit as systemd's setrlimit_closest does: when
// raising the hard limit is not allowed (no CAP_SYS_RESOURCE, as in most
// containers), both values are clamped to the current hard limit, and the
// unit's log says so.
func setrlimitClosest(l rlimit) error {
	want := unix.Rlimit{Cur: l.soft, Max: l.hard}
	err := unix.Setrlimit(l.res, &want)
	if !errors.Is(err, unix.EPERM) {
		if err != nil {
			return fmt.Errorf("setrlimit %d %d:%d: %w", l.res, l.soft, l.hard, err)
		}
		return nil
	}
	var cur unix.Rlimit
	if err := unix.Getrlimit(l.res, &cur); err != nil {
		return fmt.Errorf("getrlimit %d: %w", l.res, err)
	}
	got := unix.Rlimit{Cur: min(want.Cur, cur.Max), Max: min(want.Max, cur.Max)}
	if err := unix.Setrlimit(l.res, &got); err != nil {
		return fmt.Errorf("setrlimit %d %d:%d: %w", l.res, got.Cur, got.Max, err)
	}
	fmt.Fprintf(os.Stderr, "boxinit: resource limit %d:%d not allowed (no CAP_SYS_RESOURCE), set %d:%d\n", want.Cur, want.Max, got.Cur, got.Max)
	return nil
}
