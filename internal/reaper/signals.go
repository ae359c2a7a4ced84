package reaper

import (
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Signals holds the channels that [Catch] registered. SIGCHLD has a channel
// of its own so that a storm of child exits can never crowd out a SIGTERM.
type Signals struct {
	chld  chan os.Signal // capacity 1: SIGCHLDs coalesce, one means "reap until done"
	other chan os.Signal
	all   chan struct{} // closed once every signal is registered
}

// Catch registers a handler for every signal that can be caught, except
// SIGURG (the Go runtime's preemption signal, never forwarded). Call it first
// thing in main: until it has run, a SIGTERM makes a Go program exit 2.
//
// The runtime enables signals one at a time, each a round trip to its
// signal thread (~0.1 ms here, 6 ms for all of them), so Catch registers
// the stop signals and SIGCHLD before it returns and the others meanwhile
// in the background: they only matter once there is a main command to
// forward them to, and the main command waits for them (see Supervise).
//
// SIGTTIN and SIGTTOU are caught and dropped rather than set to SIG_IGN: an
// ignored signal stays ignored across exec, a caught one is reset to the
// default, so the main command starts with the dispositions it expects.
//
// SIGHUP and SIGINT that boxinit was started with ignored (nohup; a
// background job of a script) stay ignored, as tini keeps them: boxinit
// neither acts on them nor forwards them, and every child inherits the
// SIG_IGN. For other signals the Go runtime installs its handler before
// any of boxinit's code runs, so an inherited SIG_IGN is not known.
func Catch() *Signals {
	s := &Signals{
		chld:  make(chan os.Signal, 1),
		other: make(chan os.Signal, 64),
		all:   make(chan struct{}),
	}
	signal.Notify(s.other, keepIgnored(unix.SIGTERM, unix.SIGINT, unix.SIGQUIT)...)
	signal.Notify(s.chld, unix.SIGCHLD)
	go func() {
		defer close(s.all)
		var rest []os.Signal
		for n := 1; n <= 64; n++ {
			switch sig := syscall.Signal(n); sig {
			case unix.SIGKILL, unix.SIGSTOP, unix.SIGCHLD, unix.SIGURG, unix.SIGTERM, unix.SIGINT, unix.SIGQUIT:
			default:
				if n < 32 || n >= 34 { // 32 and 33 belong to the C library
					rest = append(rest, sig)
				}
			}
		}
		signal.Notify(s.other, keepIgnored(rest...)...)
	}()
	return s
}

// keepIgnored leaves out the signals that were ignored when boxinit started
// (only SIGHUP and SIGINT are ever reported so: see Catch).
func keepIgnored(sigs ...os.Signal) []os.Signal {
	out := sigs[:0:0]
	for _, sig := range sigs {
		if !signal.Ignored(sig) {
			out = append(out, sig)
		}
	}
	return out
}

// isShutdownSignal reports whether receiving sig starts the shutdown sequence.
func isShutdownSignal(sig syscall.Signal) bool {
	return sig == unix.SIGTERM || sig == unix.SIGINT || sig == unix.SIGQUIT
}

// neverForwarded reports whether sig concerns boxinit itself, unless
// --rewrite names it: SIGCHLD (a child of boxinit's ended), SIGURG (the Go
// runtime's preemption; it never reaches boxinit's code), SIGTTIN and SIGTTOU
// (the terminal stopping boxinit's own reads and writes) and SIGPIPE (a
// write of boxinit's to a closed pipe).
func neverForwarded(sig syscall.Signal) bool {
	switch sig {
	case unix.SIGCHLD, unix.SIGURG, unix.SIGTTIN, unix.SIGTTOU, unix.SIGPIPE:
		return true
	}
	return false
}

// ParseSignal accepts a signal name with or without "SIG" in any case
// ("TERM", "sigterm") or a number ("15"). "0" is allowed: it means no signal.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 || n > 64 {
			return 0, fmt.Errorf("signal %q: number out of range 0-64", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("signal %q: unknown name", s)
}

// SignalName returns "SIGTERM" for 15, or the number for signals without a name.
func SignalName(sig syscall.Signal) string {
	if name := unix.SignalName(sig); name != "" {
		return name
	}
	return strconv.Itoa(int(sig))
}

// Rewrite maps a received signal to the one forwarded; 0 drops the signal.
type Rewrite map[syscall.Signal]syscall.Signal

// ParseRewrite parses dumb-init style FROM:TO pairs, e.g. "TERM:QUIT" or "15:3".
func ParseRewrite(pairs []string) (Rewrite, error) {
	rw := Rewrite{}
	for _, p := range pairs {
		from, to, ok := strings.Cut(p, ":")
		if !ok {
			return nil, fmt.Errorf("rewrite %q: want FROM:TO, e.g. TERM:QUIT", p)
		}
		f, err := ParseSignal(from)
		if err != nil {
			return nil, fmt.Errorf("rewrite %q: %w", p, err)
		}
		switch f {
		case 0, unix.SIGKILL, unix.SIGSTOP, unix.SIGCHLD:
			return nil, fmt.Errorf("rewrite %q: %s cannot be rewritten", p, SignalName(f))
		case unix.SIGURG:
			return nil, fmt.Errorf("rewrite %q: SIGURG is the Go runtime's own signal and never reaches boxinit", p)
		}
		t, err := ParseSignal(to)
		if err != nil {
			return nil, fmt.Errorf("rewrite %q: %w", p, err)
		}
		rw[f] = t
	}
	return rw, nil
}

// apply returns the signal to forward for a received one, and false when the
// rewrite drops it.
func (rw Rewrite) apply(sig syscall.Signal) (syscall.Signal, bool) {
	if to, ok := rw[sig]; ok {
		return to, to != 0
	}
	return sig, true
}
