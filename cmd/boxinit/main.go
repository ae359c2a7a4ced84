// Command boxinit is a container init: it boots a plain distro image into a
// small VM-like system, runs the main command, forwards signals, reaps every
// zombie and stops everything within a grace period.
//
// Usage:
//
//	boxinit [flags] [--] [COMMAND [ARG...]]   boot, then run COMMAND (or idle) as init
//	boxinit boot  [flags]                     run the boot sequence once and exit
//	boxinit check [flags]                     validate the configuration; change nothing
//	boxinit status [--json] [--ready] [--socket PATH]   ask the running init over its control socket
//	boxinit systemctl [flags] VERB [UNIT...]  the image's services (also as a link named systemctl)
//	boxinit journalctl [-u UNIT] [-n N] [-f]  a unit's last lines (also as a link named journalctl)
//	boxinit version                           print the version
//
// Flags, each also read from BOXINIT_<NAME> (upper case, '-' → '_') of the
// container environment; the flag wins. An empty variable counts as unset,
// except BOXINIT_CRON= and BOXINIT_SOCKET=, which disable cron and the
// socket as --cron= and --socket= do:
//
//	--root             root of the file system boot edits (/)
//	--env-file         rc.env applied over the environment (/etc/rc.env)
//	--user-script      run as the admin user after CUSTOMIZE_* (/etc/rc.user)
//	--hooks-dir        executables run as root after the user is created (/etc/boxinit.d)
//	--ready-file       touched when boot finished, removed at shutdown (/ready)
//	--github-url       gh:NAME fetches <url>/NAME.keys (https://github.com)
//	--launchpad-url    lp:NAME fetches <url>/~NAME/+sshkeys (https://launchpad.net)
//	--command-timeout  how long one hook or customization command may run (10m; 0: no limit)
//	--private-env      variables kept out of every child's environment
//	                   (CUSTOMIZE_REPO,CUSTOMIZE_REPO_COMMAND,CUSTOMIZE_CMD,CUSTOMIZE_COMMAND)
//	--grace-period     time between SIGTERM and SIGKILL at shutdown (10s)
//	--forward-to       group: signal the main command's process group (default);
//	                   process: the main process only
//	--rewrite          FROM:TO, repeatable: forward FROM as TO; TO=0 drops FROM
//	--cron             crontab files/directories, comma separated (/etc/crontab,/etc/cron.d); empty disables cron
//	--cron-spool       user crontab directories, file USER runs as USER
//	                   (/var/spool/cron/crontabs,/var/spool/cron,/etc/crontabs); empty: none
//	--cron-overlap     skip (default): no new run while the previous one goes on; allow
//	--socket           control socket for boxinit status and systemctl (/run/boxinit.sock); empty: none
//	--services         run the image's systemd units enabled for multi-user.target after boot
//	                   (true as PID 1, when no systemd runs; nothing to do when none is enabled);
//	                   false (BOXINIT_SERVICES=false): none; a subreaper runs them only when told true
//	--required-units   units that must be active once started (nginx,postgresql@15-main): boot fails
//	                   (exit 1, never ready) when one is not; the others may fail, as under systemd
//	--log-format       text or json (log/slog to stderr)
//	--log-level        debug, info, warn or error
//
// Variables, from the environment with rc.env on top (see internal/boot); an
// empty value counts as unset:
//
//	SET_HOSTNAME            host name: /etc/hostname, a 127.0.1.1 line in /etc/hosts, sethostname(2) where permitted
//	SSH_HOST_PRINCIPALS     more names (space or comma separated) the sshd host certificates are valid for
//	SSH_HOST_CERT_ANY_NAME  yes: host certificates without principals, valid for any name (as the old chart's)
//	DEFAULT_USER            the admin user's name; unset: no user
//	DEFAULT_USER_ID         its uid and its group's gid (unset: its own, else the first free from 1000)
//	DEFAULT_USER_SHELL      its login shell (/bin/bash, else /bin/sh)
//	DEFAULT_USER_GROUPS     its extra groups, comma separated (adm)
//	DEFAULT_USER_SUDO       its rule in /etc/sudoers.d (ALL=(ALL) NOPASSWD:ALL); none: no rule
//	DEFAULT_KEY             literal authorized_keys line(s)
//	DEFAULT_KEY_IMPORT      keys to import: gh:NAME lp:NAME ...
//	DEFAULT_KEYS            old name of DEFAULT_KEY_IMPORT
//	CUSTOMIZE_REPO          git URL cloned as the user at boot
//	CUSTOMIZE_REPO_COMMAND  run with bash -c in that clone, as the user
//	CUSTOMIZE_CMD           old name of CUSTOMIZE_REPO_COMMAND
//	CUSTOMIZE_COMMAND       run with bash -c in the user's home, as the user
//
// Also read: TZ (the zone of cron jobs whose crontab sets no CRON_TZ),
// PATH (where the main command is looked up), and container and
// KUBERNETES_SERVICE_HOST (signs of a container: without one, PID 1 on /
// runs the image's units only with --services=true).
//
// Files: --env-file, --user-script, --hooks-dir, --ready-file, the --cron
// crontabs, and under --root /etc/passwd, /etc/group, /etc/shadow,
// /etc/gshadow, /etc/login.defs, /etc/sudoers.d, /etc/hostname, /etc/hosts,
// /etc/ssh (host keys, /etc/ssh/ca/ca_key), /home.
//
// Exit codes: the main command's (128+N if it died of signal N), 126/127
// when it is not executable / not found, 0 after a clean stop without a
// main command, 1 for a failed boot or an internal error, 2 for a bad
// command line, 78 for a bad configuration, 128+N for a stop by signal N
// during boot.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/boot"
	"github.com/boxinit/boxinit/internal/cron"
	"github.com/boxinit/boxinit/internal/reaper"
	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/sigearly"
	"github.com/boxinit/boxinit/internal/status"
)

var version = "dev"

const (
	exitFailed = 1
	exitUsage  = 2
	exitConfig = 78 // EX_CONFIG
)

func main() {
	services.RunHelperIfAsked() // a service's command, re-executed to set its umask, limits and user
	if calledAsSystemctl(os.Args[0]) {
		sigearly.Release()
		os.Exit(runSystemctl(os.Args[1:], os.Stdout, os.Stderr))
	}
	if calledAsInit(os.Args[0]) {
		sigearly.Release()
		os.Exit(runInitLink(os.Args[1:], os.Stdout, os.Stderr))
	}
	if calledAsJournalctl(os.Args[0]) {
		sigearly.Release()
		os.Exit(runJournalctl(os.Args[1:], os.Stdout, os.Stderr))
	}
	// The stop signals are caught since sigearly's init; the rest now, by
	// a run that may be an init. A client (status, check, version, …)
	// keeps every default: a hang-up of its terminal ends it.
	var sigs *reaper.Signals
	if !sigearly.IsClient(os.Args) {
		sigs = reaper.CatchOn(sigearly.Stop, sigearly.Child)
	}
	os.Exit(run(os.Args[1:], sigs, os.Stderr))
}

// variables are the settings boxinit reads from the environment with
// rc.env on top (internal/boot), as --help lists them. A test checks that
// every name the code reads is here and in the package doc.
var variables = []struct{ name, help string }{
	{"SET_HOSTNAME", "host name: /etc/hostname, a 127.0.1.1 line in /etc/hosts, sethostname(2) where permitted"},
	{"SSH_HOST_PRINCIPALS", "more names (space or comma separated) the sshd host certificates are valid for"},
	{"SSH_HOST_CERT_ANY_NAME", "yes: host certificates without principals, valid for any name (as the old chart's)"},
	{"DEFAULT_USER", "the admin user's name; unset: no user"},
	{"DEFAULT_USER_ID", "its uid and its group's gid (unset: its own, else the first free from 1000)"},
	{"DEFAULT_USER_SHELL", "its login shell (/bin/bash, else /bin/sh)"},
	{"DEFAULT_USER_GROUPS", "its extra groups, comma separated (adm)"},
	{"DEFAULT_USER_SUDO", "its rule in /etc/sudoers.d (ALL=(ALL) NOPASSWD:ALL); none: no rule"},
	{"DEFAULT_KEY", "literal authorized_keys line(s)"},
	{"DEFAULT_KEY_IMPORT", "keys to import: gh:NAME lp:NAME ..."},
	{"DEFAULT_KEYS", "old name of DEFAULT_KEY_IMPORT"},
	{"CUSTOMIZE_REPO", "git URL cloned as the user at boot"},
	{"CUSTOMIZE_REPO_COMMAND", "run with bash -c in that clone, as the user"},
	{"CUSTOMIZE_CMD", "old name of CUSTOMIZE_REPO_COMMAND"},
	{"CUSTOMIZE_COMMAND", "run with bash -c in the user's home, as the user"},
}

// emptyDisables are the flags whose BOXINIT_ variable, set to the empty
// string, means the flag given empty (--cron=, --socket=): off. For every
// other flag an empty variable counts as unset, as in rc.env.
var emptyDisables = map[string]bool{"cron": true, "socket": true}

type config struct {
	mode        string // "init", "boot" or "check"
	command     []string
	boot        boot.Flags
	gracePeriod time.Duration
	forwardTo   reaper.ForwardMode
	rewrite     reaper.Rewrite
	cron        []string
	cronSpool   []string
	cronOverlap bool
	socket      string
	services    bool // run the image's enabled systemd units
	servicesSet bool // --services or BOXINIT_SERVICES given
	log         *slog.Logger
	bootReport  bool // this `boxinit boot` is PID 1's boot child
	// bootReadyFile is where the boot child touches its ready file when
	// PID 1 touches --ready-file itself, after the services ("": none).
	bootReadyFile string
	// requiredUnits must be active after boot (--required-units).
	requiredUnits []string
}

func run(args []string, sigs *reaper.Signals, stderr io.Writer) int {
	mode := "init"
	if len(args) > 0 {
		switch args[0] {
		case "version":
			fmt.Println("boxinit", version)
			return 0
		case "boot", "check":
			mode, args = args[0], args[1:]
		case "status":
			sigearly.Release() // a client: SIGTERM ends it at once
			return runStatus(args[1:], os.Stdout, stderr)
		case "systemctl":
			sigearly.Release()
			return runSystemctl(args[1:], os.Stdout, stderr)
		case "journalctl":
			sigearly.Release()
			return runJournalctl(args[1:], os.Stdout, stderr)
		}
	}
	if mode == "check" {
		sigearly.Release()
	}
	cfg, err := parseFlags(mode, args, stderr)
	if errors.Is(err, pflag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "boxinit:", err)
		fmt.Fprintln(stderr, "Run 'boxinit --help' for usage.")
		return exitUsage
	}
	cfg.bootReport = mode == "boot" && takeBootReport()

	workdir := ""
	if mode == "init" {
		// An init holds no directory but /: the main command alone starts
		// where boxinit was started (the image's WORKDIR).
		if workdir, err = leaveWorkdir(cfg); err != nil {
			cfg.log.Error("cannot change to /", "err", err)
			return exitFailed
		}
	}

	bootCfg, err := boot.Load(cfg.boot, os.Environ())
	if err != nil {
		var ce *boot.ConfigError
		if errors.As(err, &ce) {
			for _, p := range ce.Problems {
				cfg.log.Error("bad configuration: " + p)
			}
			return exitConfig
		}
		cfg.log.Error("cannot read the configuration", "err", err)
		return exitFailed
	}
	crontabs := cronOptions(cfg, bootCfg)
	if mode == "check" {
		cronOK := checkCron(crontabs, os.Stdout, stderr)
		hooksOK := true
		for _, p := range boot.HookProblems(bootCfg) {
			fmt.Fprintln(stderr, "boxinit:", p)
			hooksOK = false
		}
		if !checkTimers(bootCfg.Root, os.Stdout, stderr) || !cronOK || !hooksOK {
			return exitConfig
		}
		fmt.Fprintln(stderr, "boxinit: configuration ok")
		return 0
	}

	unix.Umask(0o022) // what every child starts with, whatever the runtime gave
	rlog := cfg.log
	if cfg.bootReport {
		rlog = slog.New(warnOnly{cfg.log.Handler()})
	}
	r, err := reaper.New(rlog, sigs)
	if err != nil {
		cfg.log.Error("cannot start", "err", err)
		return exitFailed
	}
	var scheduler *cron.Scheduler
	var svcs *serviceHost
	if mode == "init" && runsServices(cfg, bootCfg.Root, r.IsInit()) {
		svcs = newServiceHost(cfg, bootCfg, r)
	}
	if svcs != nil {
		clearSystemdMarker(bootCfg.Root, cfg.log) // made again when the services start
	}
	view := newStatusView(r, svcs)
	if cfg.socket != "" && mode == "init" {
		// Before boot starts a child: Listen sets the umask for its bind.
		if l, err := status.Listen(cfg.socket); err != nil {
			cfg.log.Error("no control socket: boxinit status will not answer", "err", err)
		} else {
			defer os.Remove(cfg.socket) // no stale socket after a clean exit
			var control status.Control
			if svcs != nil {
				control = svcs.control
			}
			go status.ServeControl(context.Background(), l, view.snapshot, control, cfg.log)
		}
	}
	opts := reaper.Options{
		Command:     cfg.command,
		Env:         bootCfg.Env,
		Dir:         workdir,
		GracePeriod: cfg.gracePeriod,
		ForwardTo:   cfg.forwardTo,
		Rewrite:     cfg.rewrite,
		OnStop: func(deadline time.Time) {
			view.setState(status.Stopping)
			if err := boot.RemoveReady(bootCfg); err != nil {
				cfg.log.Error("cannot remove the ready file", "path", bootCfg.ReadyFile, "err", err)
			}
			if scheduler != nil {
				scheduler.Stop() // runs in progress are stopped with every other process
			}
			stopTimers(svcs) // no unit starts while they stop
			stopServices(svcs, deadline, cfg.log)
		},
	}

	if svcs != nil && hasEnabledUnits(bootCfg.Root) {
		cfg.bootReadyFile = bootCfg.ReadyFile + ".boot"
		if err := boot.RemoveReady(bootCfg); err != nil { // stale, from the last run
			cfg.log.Error("cannot remove the ready file", "path", bootCfg.ReadyFile, "err", err)
		}
	}
	started := time.Now() // the timers' boot time (OnBootSec=, OnStartupSec=)
	ctx, release := r.WatchStop(context.Background())
	err = runBoot(ctx, mode, args, cfg, bootCfg, r, view)
	if err == nil && svcs != nil {
		err = svcs.startServices(ctx, cfg, mainProgram(cfg.command, bootCfg.Env))
		if err == nil {
			startTimers(cfg, bootCfg.Root, svcs, started)
		}
		if err == nil && cfg.bootReadyFile != "" && ctx.Err() == nil {
			readyAfterServices(cfg, bootCfg)
		}
	}
	if sig := release(); sig != 0 {
		r.Shutdown(opts, "stopped during boot")
		return 128 + int(sig)
	}
	if err != nil {
		cfg.log.Error(err.Error())
		r.Shutdown(opts, "boot failed")
		return exitFailed
	}
	if mode == "boot" {
		cfg.log.Info("boot done")
		return 0
	}
	if len(cfg.cron) > 0 {
		crontabs.Run = r
		scheduler, _ = cron.New(crontabs) // bad lines are logged and skipped
		view.setCron(scheduler)
		scheduler.Start()
	}
	view.setState(status.Ready)
	returnFreedMemory()
	return r.Supervise(opts)
}

func parseFlags(mode string, args []string, stderr io.Writer) (*config, error) {
	fs := pflag.NewFlagSet("boxinit", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SetInterspersed(false) // everything after the command is the command's
	fs.Usage = func() { usage(stderr, fs) }
	cfg := &config{mode: mode}
	cfg.boot.Register(fs)
	grace := fs.Duration("grace-period", 10*time.Second, "time the processes get between SIGTERM and SIGKILL at shutdown")
	forwardTo := fs.String("forward-to", string(reaper.ForwardGroup), "where signals go: group (the main command's process group) or process")
	rewrite := fs.StringArray("rewrite", nil, "FROM:TO: forward signal FROM as TO (e.g. TERM:QUIT); TO=0 drops FROM; repeatable")
	crontabs := fs.StringSlice("cron", []string{"/etc/crontab", "/etc/cron.d"}, "system crontab files and directories (with a user field); empty disables cron")
	spools := fs.StringSlice("cron-spool", cron.DefaultSpools, "user crontab directories (what crontab -e writes): file USER runs as USER; empty: none")
	overlap := fs.String("cron-overlap", "skip", "skip: no run of a job while its previous run goes on; allow: let them overlap")
	socket := fs.String("socket", "/run/boxinit.sock", "control socket for boxinit status (mode 0600); empty: none")
	svcs := fs.Bool("services", true, "run the image's systemd units enabled for multi-user.target after boot (false or BOXINIT_SERVICES=false: none; a subreaper only when given true)")
	required := fs.StringSlice("required-units", nil, "units that must be active after boot, else boot fails (nginx,postgresql@15-main)")
	logFormat := fs.String("log-format", "text", "log format: text or json")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if err := flagsFromEnv(fs, os.LookupEnv); err != nil {
		return nil, err
	}

	cfg.command, cfg.gracePeriod, cfg.socket, cfg.services = fs.Args(), *grace, *socket, *svcs
	cfg.servicesSet = fs.Changed("services") || os.Getenv("BOXINIT_SERVICES") != ""
	cfg.requiredUnits = requiredUnits(*required)
	for _, c := range *crontabs {
		if c = strings.TrimSpace(c); c != "" {
			cfg.cron = append(cfg.cron, c)
		}
	}
	for _, c := range *spools {
		if c = strings.TrimSpace(c); c != "" {
			cfg.cronSpool = append(cfg.cronSpool, c)
		}
	}
	switch *overlap {
	case "skip", "allow":
		cfg.cronOverlap = *overlap == "allow"
	default:
		return nil, fmt.Errorf("--cron-overlap %q: want skip or allow", *overlap)
	}
	if mode != "init" && len(cfg.command) > 0 {
		return nil, fmt.Errorf("boxinit %s takes no command (got %q)", mode, cfg.command[0])
	}
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

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprint(w, `Usage: boxinit [flags] [--] [COMMAND [ARG...]]   boot, then run COMMAND (or idle) as init
       boxinit boot [flags]                       run the boot sequence once and exit
       boxinit check [flags]                      validate the configuration; change nothing
       boxinit status [--json] [--ready] [--socket PATH]
       boxinit systemctl [flags] VERB [UNIT...]   the services (a link named systemctl too)
       boxinit journalctl [-u UNIT] [-n N] [-f]   a unit's last lines (a link named journalctl too)
       boxinit version

Flags, each also BOXINIT_<FLAG> (BOXINIT_GRACE_PERIOD=30s; the flag wins; an empty
variable is unset, but BOXINIT_CRON= and BOXINIT_SOCKET= disable cron and the socket):
`)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nVariables, from the environment with --env-file on top (an empty value is unset):\n")
	for _, v := range variables {
		fmt.Fprintf(w, "  %-23s %s\n", v.name, v.help)
	}
	fmt.Fprint(w, "\nAlso read: TZ (cron's zone where a crontab sets no CRON_TZ), PATH (finds the main command),\n"+
		"container and KUBERNETES_SERVICE_HOST (signs of a container: where none is, PID 1 on / runs units only with --services=true).\n")
}

// leaveWorkdir makes --root and --socket absolute (the other paths are
// inside the root), changes to / and
// returns the directory boxinit was started in ("" when it has none).
func leaveWorkdir(cfg *config) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		wd = "" // deleted or unreachable: the main command starts in / too
	}
	for _, p := range []*string{&cfg.boot.Root, &cfg.socket} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(wd, *p)
		}
	}
	return wd, unix.Chdir("/")
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
		if !ok || v == "" && !emptyDisables[f.Name] {
			return
		}
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice && v == "" {
			err = sv.Replace(nil)
		} else if isSlice {
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
