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
//     show.
//   - Readiness: Type=simple/exec/idle are up once started, forking once
//     the first process exited and the PID file (or the one process left)
//     names the main process, notify on READY=1 through NOTIFY_SOCKET
//     (MAINPID=, STATUS=, STOPPING=, RELOADING= too), oneshot when the
//     commands ended.
//   - A unit's processes, without systemd's cgroups: every process started
//     for the unit is the leader of a new session; the unit's processes are
//     those it started, their descendants (by parent pid), and every
//     process whose session or process group is one of theirs — which
//     keeps a daemon that double-forked without calling setsid(2). A daemon
//     that calls setsid(2) after its parent exited is found only through
//     PIDFile= or while its parent lives. See [unitProcesses].
//   - What a process needs that os.StartProcess cannot set (UMask=, Limit*=,
//     the '@' argv[0]) is applied by boxinit itself re-executed as a tiny
//     helper that then execs the program ([RunHelperIfAsked]; main must
//     call it first thing).
//
// Where systemd would need privileges a container lacks, the setting is
// ignored and listed by internal/units; where a unit needs a part of
// systemd that does not exist here (D-Bus, sockets), it says so.
package services
