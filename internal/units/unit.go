package units

import (
	"time"
)

// Unit is a loaded unit: the [Unit] and [Install] settings common to every
// type, and the [Service] settings of a service.
type Unit struct {
	Name     string   // the unit's own name (an alias leads here)
	Names    []string // Name first, then the aliases (symlinks to it)
	Fragment string   // its file as seen inside the root; "" when built in
	DropIns  []string // applied drop-ins, in order
	Masked   bool     // linked to /dev/null (or empty): never started
	Builtin  bool     // a target systemd ships, which boxinit provides

	Description   string
	Documentation []string
	SourcePath    string // the file a generator made the unit from (an /etc/init.d script)

	Wants, Requires, Requisite, BindsTo, PartOf, Upholds, Conflicts []string
	Before, After                                                   []string
	OnFailure, OnSuccess                                            []string
	PropagatesReloadTo, ReloadPropagatedFrom                        []string
	PropagatesStopTo, StopPropagatedFrom                            []string
	DefaultDependencies                                             bool
	RefuseManualStart, RefuseManualStop, StopWhenUnneeded           bool

	Conditions []Condition // Condition*= and Assert*=, in order

	StartLimitInterval time.Duration // StartLimitIntervalSec=, default 10s
	StartLimitBurst    int           // default 5

	// SuccessAction= and FailureAction= as written: read, not acted on.
	SuccessAction, FailureAction string

	Install Install

	// Service is set for a .service unit.
	Service *Service
	// Sections holds the assignments of the sections this package does not
	// interpret ([Timer], [Socket], [Path], …), in order, with specifiers
	// expanded, for the packages that do.
	Sections map[string][]Assignment

	// Diags are the problems found, with their file:line: lines systemd
	// ignores, values that do not parse, and settings boxinit does not honour.
	Diags []Diag
}

// Install is the [Install] section: what `systemctl enable` links.
type Install struct {
	WantedBy, RequiredBy, UpheldBy, Alias, Also []string
	DefaultInstance                             string
}

// Service is the [Service] section with the execution and kill settings of
// systemd.exec(5) and systemd.kill(5).
type Service struct {
	Type            string // simple, exec, forking, oneshot, notify, notify-reload, dbus, idle
	typeSet         bool   // Type= was written (without it and ExecStart=, a service is oneshot)
	RemainAfterExit bool
	GuessMainPID    bool
	PIDFile         string
	NotifyAccess    string

	ExecCondition, ExecStartPre, ExecStart, ExecStartPost []ExecCommand
	ExecReload, ExecStop, ExecStopPost                    []ExecCommand

	Restart                  string        // no, on-success, on-failure, on-abnormal, on-watchdog, on-abort, always
	RestartDelay             time.Duration // RestartSec=
	SuccessExitStatus        ExitStatusSet
	RestartPreventExitStatus ExitStatusSet
	RestartForceExitStatus   ExitStatusSet

	TimeoutStart, TimeoutStop time.Duration // Infinity: none

	KillMode   string // control-group, mixed, process, none
	KillSignal int
	// RestartKillSignal is the signal of the stop that a restart makes
	// (KillSignal= when not set).
	RestartKillSignal int
	FinalSignal       int // FinalKillSignal=, SIGKILL by default
	SendSIGKILL       bool
	SendSIGHUP        bool

	User, Group         string
	SupplementaryGroups []string
	WorkingDirectory    string // "~" is the home of User=
	WorkingDirOptional  bool   // the '-' prefix
	UMask               uint32

	Environment      []EnvVar
	EnvironmentFiles []EnvironmentFile
	PassEnvironment  []string
	UnsetEnvironment []string

	// RuntimeDirectory= and the others, relative to /run, /var/lib,
	// /var/cache, /var/log and /etc; made before the start, owned by User=.
	Directories     map[DirKind][]string
	DirectoryMode   map[DirKind]uint32
	RuntimePreserve string // RuntimeDirectoryPreserve=: no, yes, restart

	Limits []Limit

	StandardInput, StandardOutput, StandardError string
	SyslogIdentifier                             string
	IgnoreSIGPIPE                                bool
}

// EnvironmentFile is one EnvironmentFile= setting.
type EnvironmentFile struct {
	Path     string
	Optional bool // the '-' prefix: a missing file is fine
}

// DirKind names a directory setting.
type DirKind string

// The directory settings and their base directories.
const (
	RuntimeDir DirKind = "/run"
	StateDir   DirKind = "/var/lib"
	CacheDir   DirKind = "/var/cache"
	LogsDir    DirKind = "/var/log"
	ConfigDir  DirKind = "/etc"
)

// Limit is one Limit*= setting: a resource of setrlimit(2) and its values.
type Limit struct {
	Name       string // NOFILE, MEMLOCK, …
	Resource   int
	Soft, Hard uint64 // RlimInfinity for "infinity"
}

// RlimInfinity is "infinity" in a Limit.
const RlimInfinity = ^uint64(0)

// ExitStatusSet is a SuccessExitStatus=-like list of exit codes and signals.
type ExitStatusSet struct {
	Codes   []int
	Signals []int
}

// HasCode reports whether code is in the set.
func (s ExitStatusSet) HasCode(code int) bool {
	for _, c := range s.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// HasSignal reports whether sig is in the set.
func (s ExitStatusSet) HasSignal(sig int) bool {
	for _, c := range s.Signals {
		if c == sig {
			return true
		}
	}
	return false
}

// Condition is one Condition*= or Assert*= setting.
type Condition struct {
	Kind    string // after "Condition"/"Assert": PathExists, Virtualization, …
	Assert  bool
	Trigger bool // '|': any one trigger suffices
	Negate  bool // '!'
	Param   string
	Where   string
}
