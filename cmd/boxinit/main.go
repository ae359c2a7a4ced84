// Command boxinit is a container init: it boots a plain distro image into a
// small VM-like system, runs the main command, forwards signals, reaps every
// zombie and stops everything within a grace period.
//
// Usage:
//
//	boxinit [flags] [--] [COMMAND [ARG...]]   run COMMAND (or idle) as init
//	boxinit version                          print the version
//
// Flags, each also read from BOXINIT_<NAME> (upper case, '-' → '_'; the
// flag wins):
//
//	--grace-period  time between SIGTERM and SIGKILL at shutdown (10s)
//	--forward-to    group: signal the main command's process group (default);
//	                process: the main process only
//	--rewrite       FROM:TO, repeatable: forward FROM as TO; TO=0 drops FROM
//	--log-format    text or json (log/slog to stderr)
//	--log-level     debug, info, warn or error
//
// Exit codes: the main command's (128+N if it died of signal N), 126/127
// when it is not executable / not found, 0 after a clean stop without a
// main command, 1 for internal errors, 2 for a bad command line.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/reaper"
)

var version = "dev"

const (
	exitInternal = 1
	exitUsage    = 2
)

func main() {
	sigs := reaper.Catch() // first: a SIGTERM right after exec must not be lost
	os.Exit(run(os.Args[1:], sigs, os.Stderr))
}

type config struct {
	command     []string
	gracePeriod time.Duration
	forwardTo   reaper.ForwardMode
	rewrite     reaper.Rewrite
	log         *slog.Logger
}

func run(args []string, sigs *reaper.Signals, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "version" {
		fmt.Println("boxinit", version)
		return 0
	}
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "boxinit:", err)
		fmt.Fprintln(stderr, "Run 'boxinit --help' for usage.")
		return exitUsage
	}
	unix.Umask(0o022) // what every child starts with, whatever the runtime gave
	r, err := reaper.New(cfg.log, sigs)
	if err != nil {
		cfg.log.Error("cannot start", "err", err)
		return exitInternal
	}
	return r.Supervise(reaper.Options{
		Command:     cfg.command,
		GracePeriod: cfg.gracePeriod,
		ForwardTo:   cfg.forwardTo,
		Rewrite:     cfg.rewrite,
	})
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := pflag.NewFlagSet("boxinit", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SetInterspersed(false) // everything after the command is the command's
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: boxinit [flags] [--] [COMMAND [ARG...]]\n       boxinit version\n\nFlags (also BOXINIT_<FLAG>):")
		fs.PrintDefaults()
	}
	grace := fs.Duration("grace-period", 10*time.Second, "time the processes get between SIGTERM and SIGKILL at shutdown")
	forwardTo := fs.String("forward-to", string(reaper.ForwardGroup), "where signals go: group (the main command's process group) or process")
	rewrite := fs.StringArray("rewrite", nil, "FROM:TO: forward signal FROM as TO (e.g. TERM:QUIT); TO=0 drops FROM; repeatable")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := flagsFromEnv(fs, os.LookupEnv); err != nil {
		return nil, err
	}

	cfg := &config{command: fs.Args(), gracePeriod: *grace}
	var err error
	if cfg.gracePeriod < 0 {
		return nil, fmt.Errorf("--grace-period %s: must not be negative", cfg.gracePeriod)
	}
	if cfg.forwardTo, err = reaper.ParseForwardMode(*forwardTo); err != nil {
		return nil, fmt.Errorf("--%w", err)
	}
	if cfg.rewrite, err = reaper.ParseRewrite(*rewrite); err != nil {
		return nil, fmt.Errorf("--%w", err)
	}
	if cfg.log, err = newLogger(stderr, *logFormat, *logLevel); err != nil {
		return nil, err
	}
	return cfg, nil
}

// flagsFromEnv sets every flag not given on the command line from its
// BOXINIT_<NAME> variable.
func flagsFromEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		name := "BOXINIT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := lookup(name)
		if !ok || v == "" {
			return
		}
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
			err = sv.Replace(strings.Split(v, ","))
		} else {
			err = f.Value.Set(v)
		}
		if err != nil {
			err = fmt.Errorf("%s=%q: %w", name, v, err)
		}
	})
	return err
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
