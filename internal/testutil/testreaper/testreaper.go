// Package testreaper gives a test process its one owner of wait4: tests
// that start children through the reaper share one, created on first use
// (the process becomes a subreaper; nothing here runs the shutdown
// sequence, so nothing outside the test's own children is signalled).
// A test process that has it must start every child through it: a
// second waiter (os/exec) could lose its child's status to the reap loop.
package testreaper

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"

	"github.com/boxinit/boxinit/internal/reaper"
)

var (
	once sync.Once
	r    *reaper.Reaper
	err  error
)

// Get returns the test process's reaper.
func Get(t testing.TB) *reaper.Reaper {
	t.Helper()
	once.Do(func() { r, err = reaper.New(slog.New(slog.NewTextHandler(io.Discard, nil)), reaper.Catch()) })
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Run runs c through the test process's reaper to its end and returns what
// it printed (stdout and stderr, unless c sets them) and its exit code. A
// test process that has the reaper must run every child so: os/exec's own
// wait races the reap loop ("waitid: no child processes").
func Run(t testing.TB, c *reaper.Cmd) (output string, code int) {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if c.Stdout == nil {
		c.Stdout = out
	}
	if c.Stderr == nil {
		c.Stderr = out
	}
	p, err := Get(t).Start(c)
	if err != nil {
		t.Fatal(err)
	}
	code = p.ExitCode()
	b, err := os.ReadFile(out.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b), code
}
