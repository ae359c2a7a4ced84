package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/cron"
)

// cronOptions are the scheduler's options from the flags and the boot
// configuration.
func cronOptions(cfg *config, bootCfg *boot.Config) cron.Options {
	return cron.Options{Root: bootCfg.Root, Sources: cfg.cron, Spools: cfg.cronSpool, Env: bootCfg.Env,
		Redact: bootCfg.Redact, AllowOverlap: cfg.cronOverlap, Log: cfg.log}
}

// checkCron reads the crontabs as init would, prints the jobs that would
// run with their next run to stdout and every bad line or refused file,
// with file:line, to stderr. It reports whether all was good.
func checkCron(o cron.Options, stdout, stderr io.Writer) bool {
	if len(o.Sources) == 0 {
		return true
	}
	s, bad := cron.New(o)
	now := time.Now()
	for _, j := range s.Jobs(now) {
		next := "at boot"
		switch {
		case strings.HasPrefix(j.Schedule, "@every"):
			next = "every" + strings.TrimPrefix(j.Schedule, "@every")
		case !j.NextRun.IsZero():
			next = "next " + j.NextRun.Format("2006-01-02 15:04 MST")
		case !strings.HasPrefix(j.Schedule, "@reboot"):
			next = "never (no such date within 8 years)"
		}
		fmt.Fprintf(stdout, "cron: %s  %s  %s  %s  %s\n", j.Job, j.Schedule, j.User, next, j.Command)
	}
	lines, files := 0, 0
	for _, e := range bad {
		fmt.Fprintf(stderr, "boxinit: cron: %s\n", e.Error())
		if e.Line == 0 {
			files++
		} else {
			lines++
		}
	}
	if lines > 0 {
		fmt.Fprintf(stderr, "boxinit: %d crontab lines are wrong\n", lines)
	}
	if files > 0 {
		fmt.Fprintf(stderr, "boxinit: %d crontab files are refused\n", files)
	}
	return len(bad) == 0
}

// cronProblems splits the scheduler's errors for status: bad lines, and
// files refused whole (owner, mode, symlink, unknown user).
func cronProblems(errs []cron.LineError) (lines, files []string) {
	for _, e := range errs {
		if e.Line == 0 {
			files = append(files, e.Error())
		} else {
			lines = append(lines, e.Error())
		}
	}
	return lines, files
}
