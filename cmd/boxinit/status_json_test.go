package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/cron"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/status"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

// fixedInputs fills every field of the status document, each with a value
// that is not its zero, so that a renamed or dropped field shows in the
// golden file.
func fixedInputs() docInputs {
	t0 := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	code := 3
	return docInputs{
		pid: 1, isInit: true, started: t0, state: status.Ready, ready: t0.Add(2 * time.Second),
		boot: []boot.Result{
			{Step: "hostname", Outcome: boot.Warning, Duration: 1200 * time.Microsecond, Message: "sethostname: not permitted"},
			{Step: "user", Outcome: boot.Changed, Duration: 8 * time.Millisecond},
		},
		running:    &boot.Running{Step: "hooks", Command: "20-migrate-db", PID: 77, Since: t0.Add(time.Minute), Timeout: 10 * time.Minute},
		certExpiry: t0.Add(200 * 24 * time.Hour),
		main:       &reaper.MainStatus{Argv: []string{"/usr/sbin/sshd", "-D", "-e"}, PID: 42, Started: t0.Add(2 * time.Second), ExitCode: &code},
		children:   3, orphans: 17,
		services: []services.Status{
			{Name: "nginx.service", ActiveState: services.Active, SubState: "running", Result: "success", MainPID: 51,
				Since: t0.Add(3 * time.Second), Restarts: 2, LastExit: &services.Exit{Signal: 9, Known: true}},
			{Name: "redis-server.service", ActiveState: services.Failed, SubState: "failed", Result: "exit-code",
				Since: t0.Add(4 * time.Second), LastExit: &services.Exit{Code: 1, Known: true}, Log: []string{"bind: address in use"}},
			{Name: "ssh.service", ActiveState: services.Inactive, SubState: "dead", Condition: "ConditionPathExists=/etc/ssh/sshd_not_to_be_run"},
		},
		timers: []timerRow{
			{Name: "logrotate.timer", Unit: "logrotate.service", State: "waiting", Next: t0.Add(14 * time.Hour), Last: t0.Add(-10 * time.Hour)},
			{Name: "e2scrub_all.timer", Unit: "e2scrub_all.service", State: "dead", Skipped: "cron runs /etc/cron.d/e2scrub_all"},
		},
		cron: true,
		cronJobs: []cron.JobStatus{{Job: "/etc/cron.d/backup:3", Schedule: "30 2 * * *", User: "human", Command: "/home/human/bin/backup --all",
			Running: true, Runs: 1, LastStart: t0.Add(time.Minute), LastCode: 2, LastTook: 1500 * time.Millisecond, NextRun: t0.Add(16*time.Hour + 30*time.Minute)}},
		cronErrs: []cron.LineError{
			{File: "/etc/cron.d/app", Line: 2, Err: errors.New(`unknown user "bob" (not in /etc/passwd)`)},
			{File: "/etc/cron.d/world", Err: errors.New("writable by others")},
		},
	}
}

// The JSON of `boxinit status --json` is a versioned format: fields are
// only ever added. The golden file pins every field name and encoding;
// it changes only when a field is added (then run with -update).
func TestStatusJSON_IsTheVersionedFormatByteForByte(t *testing.T) {
	d := buildDocument(fixedInputs())
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	l, err := status.Listen(sock)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		status.Serve(ctx, l, func() status.Document { return d }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })

	var out, errOut bytes.Buffer
	require.Equal(t, 0, runStatus([]string{"--json", "--socket=" + sock}, &out, &errOut), errOut.String())
	golden := filepath.Join("testdata", "status.json.golden")
	if *updateGolden {
		require.NoError(t, os.WriteFile(golden, out.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), out.String())
}
