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
//     checked against NotifyAccess=, where all means the unit's processes
//     and those of its user or root; MAINPID= must name a process of the
//     unit or one of the sender's own unless the sender is root, and after
//     READY=1 it moves the main process), oneshot when the commands ended.
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
// # Wired into PID 1 (cmd/boxinit)
//
// After boot, PID 1 (cmd/boxinit/services.go) calls [Manager.BootSystem]
// with units.BootSkip when any unit is enabled for multi-user.target or
// default.target (--services, on by default), every process through the
// reaper; failed units are logged and shown, boot still succeeds. main
// calls [RunHelperIfAsked] first thing. reaper.Options.OnStop gets the
// grace deadline and calls [Manager.StopAll] before the blanket SIGTERM.
// Services start from systemd's clean environment (PATH, LANG/LC_* of
// /etc/locale.conf or /etc/default/locale, TZ), never rc.env, whose values
// Options.Redact masks in their output. `boxinit status` lists them
// (status.Service, its own type). `systemctl` (argv[0] or `boxinit
// systemctl`) sends {verb, units, flags} over the control socket; the file
// verbs (enable, disable, preset, mask, unmask, is-enabled) work on the
// files without PID 1, as `systemctl --root`.
//
// --ready-file and the ready state come after the units have started (the
// boot child touches FILE.boot; PID 1 renames it). [Manager.StopAll] stops
// in parallel where After=/Before= allow. [Manager.Journal] serves
// `journalctl` (cmd/boxinit/journalctl.go) from each unit's ring of 20
// lines; a failed unit's lines are in status. At boot an image with no
// systemctl/journalctl gets /usr/local/sbin links (cmd/boxinit,
// services_link.go). --required-units fails the boot when a named unit is
// not active after the start jobs.
//
// Reaper. Forking daemons and MAINPID= processes are reparented to PID 1
// (or the subreaper); the start takes a reaper.Mark before ExecStart= and
// adopts the daemon with reaper.Adopt once its pid is known, so its exit
// status comes from the one wait4 loop: Status.LastExit, ExecMainStatus
// and Restart= see it as systemd does. A daemon that ended before it was
// adopted is found among the reaper's last 256 reaped processes; one that
// its own parent reaps ends with the status unknown (Restart=on-failure
// then restarts, as for a failure). The main process is signalled through
// its Proc (a pidfd), never by a pid that may have been reused.
//
// systemctl. `boxinit systemctl VERB` and argv[0] "systemctl" send
// {verb, units, flags} over the control socket (root only, 0600) and print
// what PID 1 answers; exit codes as systemctl's (status: 0 active, 3 not
// active, 4 no such unit). Verbs on the Manager (all exist): start, stop,
// restart, try-restart, reload, reload-or-restart, kill (-s, --kill-whom),
// status ([Manager.StatusText]), is-active, is-failed, show -p
// MainPID,ActiveState,SubState,ExecMainStatus,NRestarts, list-units,
// daemon-reload (re-run generators, a new Loader for DaemonReload). Verbs on
// files (units.Loader.Enable/Disable/Mask/Unmask/EnabledState, which make
// exactly deb-systemd-helper's links) work without PID 1 like
// `systemctl --root`; --now then starts or stops through the socket.
// `journalctl -u UNIT [-n N] [-f]` reads the ring (and follows new lines
// by their sequence numbers). list-unit-files, is-system-running and
// reset-failed too.
//
// The /run/systemd/system marker: PID 1 creates it once the units have
// started (cmd/boxinit/marker.go), and links /sbin/init to itself when the
// image has none, so Debian's maintainer scripts (deb-systemd-invoke,
// invoke-rc.d, dh_installsystemd's postinst) start, restart and stop units
// on apt-get install/upgrade/remove as under systemd, and Debian's cron.d
// twins of timers skip themselves while the timers do the work. Init
// scripts without a unit become units as systemd-sysv-generator makes them
// (units.GenerateSysV, run last by RunGenerators).
//
// tmpfiles.d left: device nodes, FIFOs, copies, attributes and ACLs (c, b,
// p, C, t, T, h, H, a, A), the '=' and '^' modifiers, and the age-based
// cleaning (systemd-tmpfiles-clean.timer).
//
// Timers: the loader keeps [Timer] as Unit.Sections; PID 1 arms the timers
// wanted by timers.target with internal/timers, and an elapse is
// Manager.Start of the timer's Unit= (cmd/boxinit/timers.go).
package services
