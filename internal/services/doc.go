// Package services runs the image's systemd services without systemd:
// each unit loaded by internal/units goes through the state machine of
// systemd.service(5) — ExecCondition, ExecStartPre, ExecStart by Type=,
// ExecStartPost, readiness, Restart= with RestartSec= and the start limit,
// ExecReload, ExecStop, the kill of KillMode=/KillSignal= within
// TimeoutStopSec=, ExecStopPost — and every process it starts goes through
// the one owner of wait4 (internal/reaper): nothing here waits on a
// process itself.
//
//   - [Manager] holds the services; [Manager.Boot] starts a boot plan of
//     internal/units in parallel where the ordering allows; [Manager.Start],
//     [Manager.Stop], [Manager.Restart], [Manager.Reload] are what
//     `systemctl` will call; [Manager.Status] is what `boxinit status` will
//     show; [Manager.StopAll] stops in the reverse order of the starts.
//   - Readiness: Type=simple/exec/idle are up once started, forking once
//     the first process exited and the PID file (or the one process left)
//     names the main process, notify on READY=1 through NOTIFY_SOCKET
//     (MAINPID=, STATUS=, STOPPING=, RELOADING= too; the sender's pid is
//     checked against NotifyAccess=), oneshot when the commands ended.
//   - A unit's processes, without systemd's cgroups: every process started
//     for the unit is the leader of a new session; the unit's processes are
//     those it started, their descendants (by parent pid), and every
//     process whose session or process group is one of theirs — which
//     keeps a daemon that double-forked without calling setsid(2). A daemon
//     that calls setsid(2) after its parent exited is found only through
//     PIDFile= or while its parent lives (see unitProcesses).
//   - What a process needs that os.StartProcess cannot set (UMask=, Limit*=,
//     the '@' argv[0]) is applied by boxinit itself re-executed as a small
//     helper that then drops to User= and execs the program
//     ([RunHelperIfAsked]; main must call it first thing).
//   - The services run in boxinit's own file system: paths boxinit reads or
//     makes for a unit (PID files, EnvironmentFile=, RuntimeDirectory=, the
//     notify socket) are taken under Options.Root, and the variables given to
//     the process carry them as the process sees them (identical under /).
//
// Where systemd would need privileges a container lacks, the setting is
// ignored and listed by internal/units; a limit above the hard limit is
// clamped as systemd's setrlimit_closest does.
//
// # Plan for the next session
//
// PID 1 at boot. run() in cmd/boxinit gains a boot step "services" before
// /ready (boot.Options takes it as a function, so internal/boot does not
// import this package): (1) tmpfiles.d --create --boot; (2) generators;
// (3) units.NewLoader(root) and Loader.Boot with a Skip that drops
// cron.service while boxinit's cron runs, a unit whose ExecStart= path is
// the main command's resolved binary (ssh.service when CMD is sshd), and
// systemd's own units; (4) Manager.Boot with a deadline; failed units are
// logged and shown, boot still succeeds (as systemd's), unless a new
// setting BOXINIT_REQUIRED_UNITS names them. With no command, boxinit
// idles with the units running. At shutdown reaper.Options.OnStop must get
// the grace deadline (a small reaper change: OnStop(deadline)) and call
// Manager.StopAll with it before the reaper's blanket SIGTERM, so each unit
// stops its own way (ExecStop=, KillMode=) and only leftovers get the
// blanket signal. The environment services start from should be systemd's
// clean one (PATH, LANG from /etc/default/locale, TZ if the container sets
// it), not rc.env, whose values Options.Redact masks in service output.
//
// Reaper. Forking daemons and MAINPID= processes are reparented to PID 1
// and reaped as orphans, so their exit status is lost (Status.LastExit
// says "unknown", and Restart=on-failure treats an unknown end as a
// failure). reaper needs Adopt(pid) *Proc, and to keep the statuses of
// unregistered pids for a short while (DESIGN.md already asks for it), so
// that an adoption racing the exit still gets the status.
//
// systemctl. `boxinit systemctl VERB` and argv[0] "systemctl" send
// {verb, units, flags} over the control socket (root only, 0600) and print
// what PID 1 answers; exit codes as systemctl's (status: 0 active, 3 not
// active, 4 no such unit). Verbs on the Manager: start, stop, restart,
// try-restart, reload, reload-or-restart, kill (-s, --kill-whom over
// unitProcesses), status (systemctl's text: Loaded:, Active: since,
// Main PID:, the last lines from the ring), is-active, is-failed, show -p
// MainPID,ActiveState,SubState,ExecMainStatus,NRestarts, list-units,
// daemon-reload (re-run generators, re-index the Loader; a running service
// keeps its definition until its next start, as systemd). Verbs on files,
// which work without PID 1 like `systemctl --root`: enable/disable (the
// [Install] links exactly as deb-systemd-helper makes them — absolute
// targets under /etc/systemd/system, .wants/.requires, Alias=, Also=,
// DefaultInstance=; --now), mask/unmask, is-enabled, list-unit-files.
// `journalctl -u UNIT [-n N] [-f]` reads the ring (and follows new lines).
// At boot, when the image has no systemctl, boxinit links
// /usr/local/sbin/systemctl (and journalctl) to itself.
//
// The /run/systemd/system marker. Debian's maintainer scripts
// (deb-systemd-invoke, invoke-rc.d, the postinst snippets of
// dh_installsystemd) start and restart units only when it exists, so
// boxinit creates it at boot: then `apt-get install nginx` runs
// `systemctl daemon-reload` and `deb-systemd-invoke start nginx.service`
// against boxinit. The same marker makes Debian's cron.d twins of timers
// (e2scrub_all, sysstat, php's sessionclean) skip themselves, so the timer
// issue must run their timers: marker and timers ship together.
//
// tmpfiles.d. A parser for tmpfiles.d(5) (type, path, mode, user, group,
// age, argument; '-', '!', '+', '=' modifiers; specifiers; precedence of
// /etc over /run over /usr/lib by file name) and an applier for d, D, f,
// F, L, z, Z, x that walks by directory descriptors as makeDir does, so a
// link the user controls never makes root chmod or chown elsewhere.
// postgresql-common's "d /run/postgresql 2775 postgres postgres - -" is in
// testdata/units/debian.
//
// Generators. systemd.generator(7): run every executable of
// /run, /etc, /usr/local/lib, /lib and /usr/lib …/systemd/system-generators
// (first of a name wins, a /dev/null link masks, systemd-* ones are skipped)
// in parallel through the reaper, as root, with the three output
// directories /run/systemd/generator{,.early,.late} (already on
// units.SearchPath) and SYSTEMD_SCOPE=system, SYSTEMD_VIRTUALIZATION=
// container:ID; a time limit each; again at daemon-reload.
// postgresql-generator then links postgresql@15-main.service into
// postgresql.service.wants/, which the loader already follows (test in
// internal/units).
//
// Timers (the next issue): the loader keeps [Timer] as Unit.Sections, the
// boot plan already contains the timers wanted by timers.target, and a
// timer's elapse is Manager.Start of its Unit= (its Status.Since gives
// OnUnitActiveSec=).
package services
