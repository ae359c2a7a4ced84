package cron

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/users"
)

// run runs one job (e, the line as it was when the run started) as its
// user and logs its output and outcome.
func (s *Scheduler) run(j *job, e *Entry, n int, start time.Time) {
	log := s.o.Log.With("job", e.ID(), "user", e.User, "run", n)
	code := s.execute(e, log)
	took := time.Since(start)
	log.Info("job finished", "schedule", e.Spec, "code", code, "duration", took.Round(time.Millisecond))
	s.mu.Lock()
	j.running = false
	j.lastCode, j.lastTook = code, took
	s.mu.Unlock()
}

// jobEnv is the environment of a job, as crontab(5) sets it: boxinit's
// environment; HOME from passwd, LOGNAME and USER the user, SHELL /bin/sh,
// PATH users.UserPath; then the crontab's NAME=value lines (SHELL, HOME,
// PATH and MAILTO included); LOGNAME and USER cannot be overridden.
func jobEnv(base []string, id users.Identity, e *Entry) []string {
	env := id.Env(base)
	env = setEnv(env, "SHELL=/bin/sh") // not the passwd shell: /usr/sbin/nologin for service accounts
	for _, kv := range e.Env {
		env = setEnv(env, kv)
	}
	env = setEnv(env, "LOGNAME="+id.Name)
	return setEnv(env, "USER="+id.Name)
}

// execute starts `SHELL -c COMMAND` as the job's user, in its HOME (the
// crontab's HOME= if set; "/" when it does not exist, as cron(8) does),
// and waits for it through the reaper.
func (s *Scheduler) execute(j *Entry, log *slog.Logger) int {
	id, err := s.identity(j.User)
	if err != nil {
		log.Error("cannot run job", "err", err)
		return -1
	}
	env := jobEnv(s.o.Env, id, j)
	cmd, err := users.Command{Root: s.o.Root, User: &id, Args: []string{j.Shell, "-c", j.Command}, Env: env,
		Dir: getEnv(env, "HOME"), DirFallback: true}.Build()
	if err != nil {
		log.Error("cannot run job", "err", err)
		return -1
	}
	p, err := linelog.Runner{Start: s.o.Run, Log: log, Mask: s.o.Redact.Redact, Streams: true, Stdin: j.Stdin,
		Started: func(*reaper.Proc) { log.Debug("job started", "schedule", j.Spec) }}.Run(context.Background(), cmd)
	var se *reaper.StartError
	switch {
	case errors.As(err, &se):
		log.Error("cannot run job", "err", err)
		return 127
	case err != nil:
		log.Error("cannot run job", "err", err)
		return -1
	}
	return p.ExitCode()
}

// setEnv replaces or appends NAME=value in env.
func setEnv(env []string, kv string) []string {
	name, _, _ := strings.Cut(kv, "=")
	for i, e := range env {
		if strings.HasPrefix(e, name+"=") {
			env[i] = kv
			return env
		}
	}
	return append(env, kv)
}

func getEnv(env []string, name string) string {
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, name+"="); ok {
			return v
		}
	}
	return ""
}
