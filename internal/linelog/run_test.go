package linelog

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
)

// sh is a command in its own session, as users.Command builds them.
func sh(script string) *reaper.Cmd {
	return &reaper.Cmd{Args: []string{"/bin/sh", "-c", script}, Sys: &syscall.SysProcAttr{Setsid: true}}
}

func runner(t *testing.T, log *testutil.SyncBuffer) Runner {
	return Runner{Start: testreaper.Get(t), Log: slog.New(slog.NewTextHandler(log, nil)).With("job", "j1")}
}

func TestRunner_LogsEveryLineInOrderWithTheCallersAttributesMaskedAndBounded(t *testing.T) {
	var log testutil.SyncBuffer
	r := runner(t, &log)
	r.Mask = NewRedactor([]string{"s3cr3t-token"}).Redact
	var started int
	r.Started = func(p *reaper.Proc) { started = p.Pid }
	p, err := r.Run(context.Background(), sh(`echo "token is s3cr3t-token"; echo oops >&2; head -c 5000 /dev/zero | tr '\0' y; echo; exit 3`))
	require.NoError(t, err)
	assert.Equal(t, 3, p.ExitCode())
	assert.Equal(t, p.Pid, started, "Started saw the process")
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	require.Len(t, lines, 4, log.String())
	assert.Contains(t, lines[0], `msg="token is [redacted]" job=j1`)
	assert.Contains(t, lines[1], `msg=oops job=j1`, "stderr shares the pipe, in the order written, with no stream=")
	assert.Contains(t, lines[2], "msg="+strings.Repeat("y", MaxLine)+" job=j1", "a line longer than MaxLine is cut")
	assert.Contains(t, lines[3], "msg="+strings.Repeat("y", 5000-MaxLine)+" job=j1")
	assert.NotContains(t, log.String(), "s3cr3t")
}

func TestRunner_StreamsLogsStdoutAndStderrApartAndFeedsStdin(t *testing.T) {
	var log testutil.SyncBuffer
	r := runner(t, &log)
	r.Streams, r.Stdin = true, "line one\nline two\n"
	p, err := r.Run(context.Background(), sh(`cat; echo oops >&2`))
	require.NoError(t, err)
	assert.Equal(t, 0, p.ExitCode())
	assert.Contains(t, log.String(), `msg="line one" job=j1 stream=stdout`)
	assert.Contains(t, log.String(), `msg="line two" job=j1 stream=stdout`)
	assert.Contains(t, log.String(), `msg=oops job=j1 stream=stderr`)
}

func TestRunner_ACommandPastItsTimeoutGetsSIGTERMThenSIGKILL(t *testing.T) {
	var log testutil.SyncBuffer
	r := runner(t, &log)
	r.Timeout, r.KillAfter = 200*time.Millisecond, 10*time.Second
	start := time.Now()
	p, err := r.Run(context.Background(), sh(`trap 'echo term; exit 5' TERM; sleep 600 & wait`))
	var te *TimeoutError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "still running after 200ms: stopped", err.Error())
	assert.Equal(t, 5, p.ExitCode(), "SIGTERM first: the trap ran")
	assert.Contains(t, log.String(), "msg=term job=j1")
	assert.Contains(t, log.String(), `msg="command still running at its timeout: stopping it" job=j1`)
	assert.Less(t, time.Since(start), 5*time.Second, "not the 10s of KillAfter")

	r.KillAfter = 0 // SIGKILL at once
	p, err = r.Run(context.Background(), sh(`trap '' TERM; while :; do sleep 0.05; done`))
	require.ErrorAs(t, err, &te)
	assert.Equal(t, unix.SIGKILL, p.Wait().Signal())
}

func TestRunner_AnEndedContextReturnsAtOnceAndLeavesTheCommandToTheShutdown(t *testing.T) {
	var log testutil.SyncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p, err := runner(t, &log).Run(ctx, sh(`sleep 600`))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotNil(t, p)
	select {
	case <-p.Done():
		t.Fatal("the command was stopped; the shutdown's job")
	default:
	}
	require.NoError(t, unix.Kill(-p.Pid, unix.SIGKILL))
	<-p.Done()
}

func TestRunner_ACommandThatCannotStartIsAStartError(t *testing.T) {
	var log testutil.SyncBuffer
	p, err := runner(t, &log).Run(context.Background(), &reaper.Cmd{Args: []string{"/nonexistent/program"}})
	assert.Nil(t, p)
	var se *reaper.StartError
	require.True(t, errors.As(err, &se), "%v", err)
	assert.Equal(t, 127, se.ExitCode())
}
