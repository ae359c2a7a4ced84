// Package sigearly catches the stop signals and SIGCHLD while the program
// initialises, before main runs.
//
// A Go program that receives SIGTERM after the runtime has installed its
// handlers but before signal.Notify exits 2, and as PID 1 nothing else
// would have ended it: the kernel drops a signal sent to an init without a
// handler. The runtime installs its handlers first thing; package
// initialisation (crypto, net/http, …) then takes milliseconds. Go
// initialises packages in import-path order as soon as their own imports
// are done, and this one imports only os/signal, so its init runs among the
// first: the window in which an early SIGTERM is lost to exit 2 shrinks to
// what the runtime itself needs. Only the main package of boxinit imports
// it, so no test binary swallows a Ctrl-C.
//
// A run that is no init — `boxinit version`, `status`, `check`, the
// systemctl and journalctl clients, a service's exec helper — catches
// nothing: it ends on SIGTERM like any program, and it does not pay for
// the runtime's signal thread (a third of `boxinit version`'s time).
package sigearly

import (
	"os"
	"os/signal"
	"syscall"
)

var (
	// Stop receives SIGTERM, SIGINT and SIGQUIT (less those ignored at start).
	Stop = make(chan os.Signal, 64)
	// Child receives SIGCHLD; one pending means "reap until done".
	Child = make(chan os.Signal, 1)
)

var stopSignals = []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT}

// caught says whether init registered the signals.
var caught bool

// IsClient says whether argv is a run that is no init: by its first
// argument, or by the name boxinit is called by. Anything else (flags
// first, `boot`, `init`) catches, as the init it may be. A switch, not a
// map: a map literal is built at init, before the signals are caught.
func IsClient(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	switch base(argv[0]) {
	case "systemctl", "journalctl":
		return true
	}
	if len(argv) < 2 {
		return false
	}
	switch argv[1] {
	case "version", "status", "check", "systemctl", "journalctl",
		"boxinit-service-exec": // services.HelperArg
		return true
	}
	return false
}

// base is the last element of a path. Not path/filepath's: Go initialises
// a package only after everything it imports, and path/filepath (whose
// path sorts late) took this init from the 21st place to the 68th.
func base(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[i+1:]
		}
	}
	return path
}

func init() {
	if IsClient(os.Args) {
		return
	}
	caught = true
	for _, sig := range stopSignals {
		// SIGINT ignored at start (a background job of a script) stays
		// ignored, for boxinit and for its children.
		if !signal.Ignored(sig) {
			signal.Notify(Stop, sig)
		}
	}
	signal.Notify(Child, syscall.SIGCHLD)
}

// Release gives the signals back to their defaults, for the commands that
// are not an init (status, check, version): they end on SIGTERM as any
// program does. A stop signal that arrived before is acted on now.
func Release() {
	if !caught {
		return
	}
	caught = false
	signal.Reset(append(stopSignals, syscall.SIGCHLD)...)
	select {
	case sig := <-Stop:
		_ = syscall.Kill(os.Getpid(), sig.(syscall.Signal))
	default:
	}
}
