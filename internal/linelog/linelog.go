// Package linelog turns the output of a child process into log lines: one
// call per line, never a line cut in two by another writer, and bounded
// memory however long a line is or however much is written. [Runner] runs
// a command through the reaper that way, masked and bounded in time.
package linelog

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"time"
)

// MaxLine is the longest piece logged as one line; longer lines are split.
const MaxLine = 4096

// Copy calls emit for every line read from r until EOF or an error.
func Copy(r io.Reader, emit func(line string)) {
	br := bufio.NewReaderSize(r, MaxLine)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			emit(strings.TrimRight(string(chunk), "\r\n"))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// Pipe returns the write end to give a child as stdout/stderr, and a wait
// function to call once the child has exited: it waits for the rest of the
// output, but at most grace, since a background grandchild may hold the
// pipe open for ever.
func Pipe(emit func(line string), grace time.Duration) (w *os.File, wait func(), err error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Copy(r, emit)
	}()
	return w, func() {
		_ = r.SetReadDeadline(time.Now().Add(grace))
		<-done
		r.Close()
	}, nil
}
