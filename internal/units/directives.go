package units

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// setter applies one assignment (value with specifiers expanded) to u.
type setter func(u *Unit, a Assignment, v string) error

func newUnitKeys() map[string]setter {
	return map[string]setter{
		"Description":          func(u *Unit, _ Assignment, v string) error { u.Description = v; return nil },
		"SourcePath":           func(u *Unit, _ Assignment, v string) error { u.SourcePath = v; return nil },
		"Documentation":        func(u *Unit, _ Assignment, v string) error { return resettable(&u.Documentation, v, false) },
		"Wants":                deps(func(u *Unit) *[]string { return &u.Wants }),
		"Requires":             deps(func(u *Unit) *[]string { return &u.Requires }),
		"Requisite":            deps(func(u *Unit) *[]string { return &u.Requisite }),
		"BindsTo":              deps(func(u *Unit) *[]string { return &u.BindsTo }),
		"PartOf":               deps(func(u *Unit) *[]string { return &u.PartOf }),
		"Upholds":              deps(func(u *Unit) *[]string { return &u.Upholds }),
		"Conflicts":            deps(func(u *Unit) *[]string { return &u.Conflicts }),
		"Before":               deps(func(u *Unit) *[]string { return &u.Before }),
		"After":                deps(func(u *Unit) *[]string { return &u.After }),
		"OnFailure":            deps(func(u *Unit) *[]string { return &u.OnFailure }),
		"OnSuccess":            deps(func(u *Unit) *[]string { return &u.OnSuccess }),
		"PropagatesReloadTo":   deps(func(u *Unit) *[]string { return &u.PropagatesReloadTo }),
		"ReloadPropagatedFrom": deps(func(u *Unit) *[]string { return &u.ReloadPropagatedFrom }),
		"PropagatesStopTo":     deps(func(u *Unit) *[]string { return &u.PropagatesStopTo }),
		"StopPropagatedFrom":   deps(func(u *Unit) *[]string { return &u.StopPropagatedFrom }),
		"DefaultDependencies":  boolean(func(u *Unit) *bool { return &u.DefaultDependencies }),
		"RefuseManualStart":    boolean(func(u *Unit) *bool { return &u.RefuseManualStart }),
		"RefuseManualStop":     boolean(func(u *Unit) *bool { return &u.RefuseManualStop }),
		"StopWhenUnneeded":     boolean(func(u *Unit) *bool { return &u.StopWhenUnneeded }),
		"StartLimitIntervalSec": func(u *Unit, _ Assignment, v string) error {
			d, err := ParseDuration(v)
			u.StartLimitInterval = d
			return err
		},
		"StartLimitBurst": func(u *Unit, _ Assignment, v string) error {
			n, err := strconv.Atoi(v)
			u.StartLimitBurst = n
			return err
		},
		// Read so that a unit with only SuccessAction= loads as under systemd;
		// boxinit does not act on them (a container is not rebooted by a unit).
		"SuccessAction": func(u *Unit, _ Assignment, v string) error { u.SuccessAction = v; return nil },
		"FailureAction": func(u *Unit, _ Assignment, v string) error { u.FailureAction = v; return nil },
	}
}

func newInstallKeys() map[string]setter {
	return map[string]setter{
		"WantedBy":   func(u *Unit, _ Assignment, v string) error { return resettable(&u.Install.WantedBy, v, true) },
		"RequiredBy": func(u *Unit, _ Assignment, v string) error { return resettable(&u.Install.RequiredBy, v, true) },
		"UpheldBy":   func(u *Unit, _ Assignment, v string) error { return resettable(&u.Install.UpheldBy, v, true) },
		"Alias":      func(u *Unit, _ Assignment, v string) error { return resettable(&u.Install.Alias, v, true) },
		"Also":       func(u *Unit, _ Assignment, v string) error { return resettable(&u.Install.Also, v, true) },
		"DefaultInstance": func(u *Unit, _ Assignment, v string) error {
			u.Install.DefaultInstance = v
			return nil
		},
	}
}

// svc wraps a setter of the [Service] section.
func svc(f func(s *Service, a Assignment, v string) error) setter {
	return func(u *Unit, a Assignment, v string) error { return f(u.Service, a, v) }
}

func newServiceKeys() map[string]setter {
	keys := map[string]setter{
		"Type": svc(func(s *Service, _ Assignment, v string) error {
			s.typeSet = true
			return oneOf(&s.Type, v, "simple", "exec", "forking", "oneshot", "notify", "notify-reload", "dbus", "idle")
		}),
		"RemainAfterExit": svc(func(s *Service, _ Assignment, v string) error { return parseBool(&s.RemainAfterExit, v) }),
		"GuessMainPID":    svc(func(s *Service, _ Assignment, v string) error { return parseBool(&s.GuessMainPID, v) }),
		"PIDFile": svc(func(s *Service, _ Assignment, v string) error {
			if v != "" && !path.IsAbs(v) {
				v = path.Join("/run", v) // systemd takes a relative PIDFile= as under /run
			}
			s.PIDFile = path.Clean(v)
			if v == "" {
				s.PIDFile = ""
			}
			return nil
		}),
		"NotifyAccess": svc(func(s *Service, _ Assignment, v string) error {
			return oneOf(&s.NotifyAccess, v, "none", "main", "exec", "all")
		}),
		"ExecCondition": execList(func(s *Service) *[]ExecCommand { return &s.ExecCondition }),
		"ExecStartPre":  execList(func(s *Service) *[]ExecCommand { return &s.ExecStartPre }),
		"ExecStart":     execList(func(s *Service) *[]ExecCommand { return &s.ExecStart }),
		"ExecStartPost": execList(func(s *Service) *[]ExecCommand { return &s.ExecStartPost }),
		"ExecReload":    execList(func(s *Service) *[]ExecCommand { return &s.ExecReload }),
		"ExecStop":      execList(func(s *Service) *[]ExecCommand { return &s.ExecStop }),
		"ExecStopPost":  execList(func(s *Service) *[]ExecCommand { return &s.ExecStopPost }),
		"Restart": svc(func(s *Service, _ Assignment, v string) error {
			return oneOf(&s.Restart, v, "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always")
		}),
		"RestartSec": svc(func(s *Service, _ Assignment, v string) error { return duration(&s.RestartDelay, v, false) }),
		"TimeoutStartSec": svc(func(s *Service, _ Assignment, v string) error {
			return duration(&s.TimeoutStart, v, true)
		}),
		"TimeoutStopSec": svc(func(s *Service, _ Assignment, v string) error { return duration(&s.TimeoutStop, v, true) }),
		"TimeoutSec": svc(func(s *Service, _ Assignment, v string) error {
			if err := duration(&s.TimeoutStart, v, true); err != nil {
				return err
			}
			s.TimeoutStop = s.TimeoutStart
			return nil
		}),
		"SuccessExitStatus":        svc(func(s *Service, _ Assignment, v string) error { return exitStatus(&s.SuccessExitStatus, v) }),
		"RestartPreventExitStatus": svc(func(s *Service, _ Assignment, v string) error { return exitStatus(&s.RestartPreventExitStatus, v) }),
		"RestartForceExitStatus":   svc(func(s *Service, _ Assignment, v string) error { return exitStatus(&s.RestartForceExitStatus, v) }),
		// systemd still reads the [Unit] start limits in [Service] (their old place).
		"StartLimitInterval": func(u *Unit, a Assignment, v string) error {
			return directives().unit["StartLimitIntervalSec"](u, a, v)
		},
		"StartLimitBurst": func(u *Unit, a Assignment, v string) error { return directives().unit["StartLimitBurst"](u, a, v) },

		"KillMode": svc(func(s *Service, _ Assignment, v string) error {
			return oneOf(&s.KillMode, v, "control-group", "mixed", "process", "none")
		}),
		"KillSignal":        svc(func(s *Service, _ Assignment, v string) error { return signal(&s.KillSignal, v) }),
		"RestartKillSignal": svc(func(s *Service, _ Assignment, v string) error { return signal(&s.RestartKillSignal, v) }),
		"FinalKillSignal":   svc(func(s *Service, _ Assignment, v string) error { return signal(&s.FinalSignal, v) }),
		"SendSIGKILL":       svc(func(s *Service, _ Assignment, v string) error { return parseBool(&s.SendSIGKILL, v) }),
		"SendSIGHUP":        svc(func(s *Service, _ Assignment, v string) error { return parseBool(&s.SendSIGHUP, v) }),

		"User":  svc(func(s *Service, _ Assignment, v string) error { s.User = v; return nil }),
		"Group": svc(func(s *Service, _ Assignment, v string) error { s.Group = v; return nil }),
		"SupplementaryGroups": svc(func(s *Service, _ Assignment, v string) error {
			return resettable(&s.SupplementaryGroups, v, true)
		}),
		"WorkingDirectory": svc(func(s *Service, _ Assignment, v string) error {
			s.WorkingDirOptional = strings.HasPrefix(v, "-")
			v = strings.TrimPrefix(v, "-")
			if v != "" && v != "~" && !path.IsAbs(v) {
				return fmt.Errorf("%q: must be an absolute path or ~", v)
			}
			s.WorkingDirectory = v
			return nil
		}),
		"UMask": svc(func(s *Service, _ Assignment, v string) error {
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil || m > 0o777 {
				return fmt.Errorf("%q: not an octal mode", v)
			}
			s.UMask = uint32(m)
			return nil
		}),
		"Environment": nil, // handled in interpret: specifiers per word
		"EnvironmentFile": svc(func(s *Service, _ Assignment, v string) error {
			if v == "" {
				s.EnvironmentFiles = nil
				return nil
			}
			opt := strings.HasPrefix(v, "-")
			p := strings.TrimPrefix(v, "-")
			if !path.IsAbs(p) {
				return fmt.Errorf("%q: not an absolute path", p)
			}
			s.EnvironmentFiles = append(s.EnvironmentFiles, EnvironmentFile{Path: path.Clean(p), Optional: opt})
			return nil
		}),
		"PassEnvironment":            svc(func(s *Service, _ Assignment, v string) error { return resettable(&s.PassEnvironment, v, true) }),
		"UnsetEnvironment":           svc(func(s *Service, _ Assignment, v string) error { return resettable(&s.UnsetEnvironment, v, true) }),
		"RuntimeDirectory":           dirs(RuntimeDir),
		"StateDirectory":             dirs(StateDir),
		"CacheDirectory":             dirs(CacheDir),
		"LogsDirectory":              dirs(LogsDir),
		"ConfigurationDirectory":     dirs(ConfigDir),
		"RuntimeDirectoryMode":       dirMode(RuntimeDir),
		"StateDirectoryMode":         dirMode(StateDir),
		"CacheDirectoryMode":         dirMode(CacheDir),
		"LogsDirectoryMode":          dirMode(LogsDir),
		"ConfigurationDirectoryMode": dirMode(ConfigDir),
		"RuntimeDirectoryPreserve": svc(func(s *Service, _ Assignment, v string) error {
			return oneOf(&s.RuntimePreserve, v, "no", "yes", "restart")
		}),
		"StandardInput":    svc(func(s *Service, _ Assignment, v string) error { s.StandardInput = v; return nil }),
		"StandardOutput":   svc(func(s *Service, _ Assignment, v string) error { s.StandardOutput = v; return nil }),
		"StandardError":    svc(func(s *Service, _ Assignment, v string) error { s.StandardError = v; return nil }),
		"SyslogIdentifier": svc(func(s *Service, _ Assignment, v string) error { s.SyslogIdentifier = v; return nil }),
		"IgnoreSIGPIPE":    svc(func(s *Service, _ Assignment, v string) error { return parseBool(&s.IgnoreSIGPIPE, v) }),
	}
	for name := range rlimits {
		keys["Limit"+name] = limitSetter(name)
	}
	return keys
}

// ignoredKeys are settings that need privileges or systemd's cgroups that
// a container does not give: the unit runs without them, and says so once.
const ignoredKeysList = `PrivateTmp PrivateDevices PrivateNetwork PrivateUsers PrivateMounts PrivateIPC
	ProtectSystem ProtectHome ProtectKernelTunables ProtectKernelModules ProtectKernelLogs
	ProtectControlGroups ProtectClock ProtectHostname ProtectProc ProcSubset NoNewPrivileges
	CapabilityBoundingSet AmbientCapabilities SystemCallFilter SystemCallArchitectures
	SystemCallErrorNumber SystemCallLog RestrictAddressFamilies RestrictNamespaces RestrictRealtime
	RestrictSUIDSGID RestrictFileSystems LockPersonality MemoryDenyWriteExecute RemoveIPC
	ReadWritePaths ReadOnlyPaths InaccessiblePaths ExecPaths NoExecPaths ReadWriteDirectories
	ReadOnlyDirectories InaccessibleDirectories TemporaryFileSystem BindPaths BindReadOnlyPaths
	MountFlags DevicePolicy DeviceAllow IPAddressAllow IPAddressDeny IPAccounting KeyringMode
	SecureBits SELinuxContext AppArmorProfile SmackProcessLabel SocketBindAllow SocketBindDeny
	NetworkNamespacePath IPCNamespacePath ProtectKernel PrivateKeyring
	Slice Delegate CPUAccounting MemoryAccounting TasksAccounting IOAccounting BlockIOAccounting
	CPUWeight StartupCPUWeight CPUShares StartupCPUShares CPUQuota CPUQuotaPeriodSec AllowedCPUs
	MemoryMin MemoryLow MemoryHigh MemoryMax MemorySwapMax MemoryLimit TasksMax IOWeight
	StartupIOWeight BlockIOWeight ManagedOOMSwap ManagedOOMMemoryPressure ManagedOOMPreference
	OOMPolicy CoredumpFilter Personality`

// notYetKeys are settings a container could honour, at least in part,
// that boxinit does not apply yet: the unit runs without them.
const notYetKeysList = `Nice OOMScoreAdjust IOSchedulingClass IOSchedulingPriority CPUSchedulingPolicy
	CPUSchedulingPriority CPUSchedulingResetOnFork CPUAffinity NUMAPolicy NUMAMask`

// labelKeys are read and have no effect on how the unit runs under boxinit.
const labelKeysList = `IgnoreOnIsolate AllowIsolate CollectMode JobTimeoutSec
	JobRunningTimeoutSec JobTimeoutAction OnFailureJobMode RequiresMountsFor WantsMountsFor
	SyslogFacility SyslogLevel SyslogLevelPrefix LogLevelMax LogExtraFields LogRateLimitIntervalSec
	LogRateLimitBurst LogNamespace UtmpIdentifier UtmpMode TTYPath TTYReset TTYVHangup TTYVTDisallocate
	TimeoutStartFailureMode TimeoutStopFailureMode FileDescriptorStoreMax FileDescriptorStorePreserve
	RootDirectoryStartOnly NonBlocking BusName`

// directiveTables are the settings boxinit knows, by section. They are
// built on first use, not at init: every run of the binary (`boxinit
// version`, each systemctl call, each service's exec helper) would pay for
// them, and only a run that reads units needs them.
type directiveTables struct {
	unit, install, service            map[string]setter
	ignored, notYet, label, condition map[string]bool
}

var (
	directivesOnce  sync.Once
	directivesTable *directiveTables
)

func directives() *directiveTables {
	directivesOnce.Do(func() {
		directivesTable = &directiveTables{
			unit: newUnitKeys(), install: newInstallKeys(), service: newServiceKeys(),
			ignored: words(ignoredKeysList), notYet: words(notYetKeysList), label: words(labelKeysList),
			condition: words(conditionKindsList),
		}
	})
	return directivesTable
}

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

const conditionKindsList = `PathExists PathExistsGlob PathIsDirectory PathIsSymbolicLink
	PathIsMountPoint PathIsReadWrite PathIsEncrypted DirectoryNotEmpty FileNotEmpty FileIsExecutable
	User Group Virtualization Capability Host KernelCommandLine KernelVersion Credential Environment
	Security ACPower NeedsUpdate FirstBoot Architecture Firmware ControlGroupController Memory CPUs
	CPUFeature OSRelease MemoryPressure CPUPressure IOPressure`

// interpret applies the assignments in order to a fresh unit.
func (u *Unit) interpret(all []Assignment, sp *specifiers) {
	n := sp.name
	u.DefaultDependencies = true
	u.StartLimitInterval, u.StartLimitBurst = 10*time.Second, 5
	if n.Type == "service" {
		u.Service = &Service{
			Type: "simple", GuessMainPID: true, RestartDelay: 100 * time.Millisecond,
			TimeoutStart: 90 * time.Second, TimeoutStop: 90 * time.Second, Restart: "no",
			KillMode: "control-group", KillSignal: int(unix.SIGTERM), FinalSignal: int(unix.SIGKILL),
			SendSIGKILL: true, UMask: 0o022, IgnoreSIGPIPE: true, NotifyAccess: "",
			Directories: map[DirKind][]string{}, DirectoryMode: map[DirKind]uint32{},
			RuntimePreserve: "no",
		}
	}
	typeSection := map[string]string{"service": "Service", "socket": "Socket", "timer": "Timer",
		"path": "Path", "mount": "Mount", "automount": "Automount", "swap": "Swap", "slice": "Slice", "scope": "Scope"}[n.Type]
	warned := map[string]bool{}
	d := directives()
	diag := func(a Assignment, sev Severity, format string, args ...any) {
		u.Diags = append(u.Diags, Diag{a.File, a.Line, sev, fmt.Sprintf(format, args...)})
	}
	for _, a := range all {
		var table map[string]setter
		switch {
		case a.Section == "Unit":
			if strings.HasPrefix(a.Key, "Condition") || strings.HasPrefix(a.Key, "Assert") {
				u.condition(a, sp, diag)
				continue
			}
			table = d.unit
		case a.Section == "Install":
			table = d.install
		case a.Section == "Service" && u.Service != nil:
			table = d.service
		case strings.HasPrefix(a.Section, "X-"):
			continue
		case a.Section == typeSection:
			v, err := sp.expand(a.Value)
			if err != nil {
				diag(a, Warning, "%s=%s: %v; setting ignored", a.Key, a.Value, err)
				continue
			}
			if u.Sections == nil {
				u.Sections = map[string][]Assignment{}
			}
			a.Value = v
			u.Sections[a.Section] = append(u.Sections[a.Section], a)
			continue
		default:
			if !warned["["+a.Section+"]"] {
				diag(a, Warning, "unknown section [%s], ignored", a.Section)
				warned["["+a.Section+"]"] = true
			}
			continue
		}
		set, known := table[a.Key]
		switch {
		case a.Section == "Service" && a.Key == "Environment":
			u.environment(a, sp, diag)
			continue
		case !known && d.ignored[a.Key]:
			if !warned[a.Key] {
				diag(a, Info, "%s= ignored: a container without privileges cannot apply it", a.Key)
				warned[a.Key] = true
			}
			continue
		case !known && d.notYet[a.Key]:
			if !warned[a.Key] {
				diag(a, Info, "%s= not applied: boxinit does not support it yet", a.Key)
				warned[a.Key] = true
			}
			continue
		case !known && d.label[a.Key]:
			continue
		case !known:
			diag(a, Warning, "%s= in [%s] is not supported by boxinit, ignored", a.Key, a.Section)
			continue
		}
		v, err := sp.expand(a.Value)
		if err != nil {
			diag(a, Warning, "%s=%s: %v; setting ignored", a.Key, a.Value, err)
			continue
		}
		if err := set(u, a, v); err != nil {
			diag(a, Warning, "%s=%s: %v; setting ignored", a.Key, a.Value, err)
		}
	}
	if s := u.Service; s != nil {
		u.checkService(s, diag)
	}
}

func (u *Unit) environment(a Assignment, sp *specifiers, diag func(Assignment, Severity, string, ...any)) {
	s := u.Service
	if strings.TrimSpace(a.Value) == "" {
		s.Environment = nil
		return
	}
	ws, err := splitWords(a.Value, unquote|cunescape)
	if err != nil {
		diag(a, Warning, "Environment=%s: %v; setting ignored", a.Value, err)
		return
	}
	for _, w := range ws {
		w, err := sp.expand(w)
		if err != nil {
			diag(a, Warning, "Environment= %q: %v; ignored", w, err)
			continue
		}
		k, v, ok := strings.Cut(w, "=")
		if !ok || !validEnvName(k) {
			diag(a, Warning, "Environment= %q is not a valid assignment, ignored", w)
			continue
		}
		s.Environment = append(s.Environment, EnvVar{k, v})
	}
}

func (u *Unit) condition(a Assignment, sp *specifiers, diag func(Assignment, Severity, string, ...any)) {
	c := Condition{Where: a.Where()}
	kind := strings.TrimPrefix(a.Key, "Condition")
	if strings.HasPrefix(a.Key, "Assert") {
		c.Assert, kind = true, strings.TrimPrefix(a.Key, "Assert")
	}
	if !directives().condition[kind] {
		diag(a, Warning, "%s= is not a known condition, ignored", a.Key)
		return
	}
	if a.Value == "" { // an empty assignment resets the list of this kind (conditions or asserts)
		kept := u.Conditions[:0]
		for _, x := range u.Conditions {
			if x.Assert != c.Assert {
				kept = append(kept, x)
			}
		}
		u.Conditions = kept
		return
	}
	v := a.Value
	if strings.HasPrefix(v, "|") {
		c.Trigger, v = true, strings.TrimLeft(v[1:], " ")
	}
	if strings.HasPrefix(v, "!") {
		c.Negate, v = true, strings.TrimLeft(v[1:], " ")
	}
	v, err := sp.expand(v)
	if err != nil {
		diag(a, Warning, "%s=%s: %v; condition ignored", a.Key, a.Value, err)
		return
	}
	c.Kind, c.Param = kind, v
	if strings.HasPrefix(kind, "Path") || strings.HasPrefix(kind, "File") || kind == "DirectoryNotEmpty" {
		if !path.IsAbs(v) {
			diag(a, Warning, "%s=%s: path is not absolute; condition ignored", a.Key, a.Value)
			return
		}
	}
	u.Conditions = append(u.Conditions, c)
}

// checkService reports settings that cannot work together, as systemd
// refuses to load such a unit.
func (u *Unit) checkService(s *Service, diag func(Assignment, Severity, string, ...any)) {
	at := Assignment{File: u.Fragment}
	if len(s.ExecStart) == 0 && !s.typeSet {
		s.Type = "oneshot" // systemd's default for a service without ExecStart=
	}
	switch {
	case len(s.ExecStart) == 0 && len(s.ExecStop) == 0 && u.SuccessAction == "":
		diag(at, Error, "service has no ExecStart=, ExecStop= or SuccessAction= setting")
	case len(s.ExecStart) == 0 && s.Type != "oneshot":
		diag(at, Error, "service has no ExecStart= setting, which only Type=oneshot may leave out")
	case len(s.ExecStart) > 1 && s.Type != "oneshot":
		diag(at, Error, "service has more than one ExecStart= setting, which is only allowed for Type=oneshot")
	}
	if s.Type == "oneshot" && s.Restart != "no" && s.Restart != "on-failure" && s.Restart != "on-abnormal" && s.Restart != "on-abort" && s.Restart != "on-watchdog" {
		diag(at, Error, "Restart=%s is not allowed for Type=oneshot", s.Restart)
	}
	if s.Type == "dbus" {
		diag(at, Warning, "Type=dbus: boxinit runs no D-Bus broker; treated as Type=simple")
	}
}
