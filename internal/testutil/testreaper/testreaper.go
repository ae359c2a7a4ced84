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
