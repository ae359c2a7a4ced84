package boot

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/boxinit/boxinit/internal/linelog"
	"github.com/boxinit/boxinit/internal/users"
)

// Flags are boot's command-line settings (each also BOXINIT_<NAME>).
type Flags struct {
	Root         string
	EnvFile      string
	UserScript   string
	HooksDir     string
	ReadyFile    string
	GitHubURL    string
	LaunchpadURL string
	// CommandTimeout bounds each hook and customization command; 0: none.
	CommandTimeout time.Duration
	// PrivateEnv names variables kept out of every child's environment.
	PrivateEnv []string
}

// DefaultPrivateEnv are the settings that may carry a token (a clone URL,
// a command line): boot uses them, no child needs them.
var DefaultPrivateEnv = []string{"CUSTOMIZE_REPO", "CUSTOMIZE_REPO_COMMAND", "CUSTOMIZE_CMD", "CUSTOMIZE_COMMAND"}

// publicSettings are the rc.env variables whose values boxinit itself
// shows (the user name in paths, the uid, the host name): they are not
// masked in child output. Every other rc.env value is.
var publicSettings = map[string]bool{
	"DEFAULT_USER": true, "DEFAULT_USER_ID": true, "DEFAULT_USER_SHELL": true, "DEFAULT_USER_GROUPS": true,
	"DEFAULT_USER_SUDO": true, "SET_HOSTNAME": true, "SSH_HOST_PRINCIPALS": true,
	"SSH_HOST_CERT_ANY_NAME": true,
	"DEFAULT_KEY_IMPORT":     true, "DEFAULT_KEYS": true,
}

// Register adds boot's flags to fs.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringVar(&f.Root, "root", "/", "root of the file system that boot edits")
	fs.StringVar(&f.EnvFile, "env-file", "/etc/rc.env", "KEY=\"value\" file applied over the environment (missing is fine)")
	fs.StringVar(&f.UserScript, "user-script", "/etc/rc.user", "script run as the admin user after CUSTOMIZE_*, if it exists")
	fs.StringVar(&f.HooksDir, "hooks-dir", "/etc/boxinit.d", "executables run as root in lexical order after the user is created")
	fs.StringVar(&f.ReadyFile, "ready-file", "/ready", "touched when boot finished, removed at shutdown")
	fs.StringVar(&f.GitHubURL, "github-url", "https://github.com", "gh:NAME fetches <url>/NAME.keys")
	fs.StringVar(&f.LaunchpadURL, "launchpad-url", "https://launchpad.net", "lp:NAME fetches <url>/~NAME/+sshkeys")
	fs.DurationVar(&f.CommandTimeout, "command-timeout", 10*time.Minute, "time a hook or customization command may run before it is stopped; 0: no limit")
	fs.StringSliceVar(&f.PrivateEnv, "private-env", DefaultPrivateEnv, "variables kept out of the environment of every child (hooks, customization, main command, cron)")
}

// Config is everything boot needs, read once and validated before any step
// changes anything. Paths in it are inside Root.
type Config struct {
	Flags
	// Env is the merged environment: the container's, then rc.env on top,
	// less PrivateEnv. Hooks, the customization, the main command and cron
	// jobs get it.
	Env []string
	// Redact masks the values of rc.env (but publicSettings) in the output
	// of children before it is logged.
	Redact *linelog.Redactor

	Hostname             string         // SET_HOSTNAME
	HostPrincipals       []string       // SSH_HOST_PRINCIPALS: more names for the host certificates
	HostCertAnyName      bool           // SSH_HOST_CERT_ANY_NAME: host certificates without principals
	User                 *users.Account // DEFAULT_USER*, nil when unset
	UIDAuto              bool           // DEFAULT_USER_ID was not set: User.UID is the first free one
	Sudo                 string         // DEFAULT_USER_SUDO
	Keys                 string         // DEFAULT_KEY (secret-free, but never logged)
	Imports              []string       // DEFAULT_KEY_IMPORT
	CustomizeRepo        string         // CUSTOMIZE_REPO
	CustomizeRepoCommand string         // CUSTOMIZE_REPO_COMMAND (alias CUSTOMIZE_CMD)
	CustomizeCommand     string         // CUSTOMIZE_COMMAND
}

// path returns p inside the root.
func (c *Config) path(p string) string { return filepath.Join(c.Root, p) }

// inRoot is the path inside the root directory of host, a path under it.
func (c *Config) inRoot(host string) string {
	rel, err := filepath.Rel(c.Root, host)
	if err != nil {
		return host
	}
	return filepath.Join("/", rel)
}

// ConfigError lists every problem found; boxinit exits 78 (EX_CONFIG).
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string { return strings.Join(e.Problems, "\n") }

// source looks variables up: rc.env first, then the environment. An empty
// value counts as unset, as the old chart's `VAR=""` lines meant.
type source struct {
	file    *envFile
	environ map[string]string
}

func (s source) get(name string) (value, where string) {
	if s.file != nil {
		if v, ok := s.file.values[name]; ok {
			return v, s.file.where[name]
		}
	}
	return s.environ[name], "environment"
}

// Load reads the env file over environ and validates every setting. A
// missing env file is fine; an unreadable or malformed one is an error.
func Load(f Flags, environ []string) (*Config, error) {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	src := source{environ: env}
	data, err := readEnvFile(filepath.Join(f.Root, f.EnvFile), f.EnvFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, &ConfigError{[]string{err.Error()}}
	default:
		if src.file, err = parseEnvFile(f.EnvFile, data, env); err != nil {
			return nil, &ConfigError{[]string{err.Error()}}
		}
	}

	c := &Config{Flags: f, Env: withoutNames(mergeEnv(environ, src.file), f.PrivateEnv)}
	if src.file != nil {
		var secrets []string
		for name, v := range src.file.values {
			if !publicSettings[name] {
				secrets = append(secrets, v)
			}
		}
		c.Redact = linelog.NewRedactor(secrets)
	}
	var problems []string
	bad := func(where, format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}

	if v, where := src.get("SET_HOSTNAME"); v != "" {
		if len(v) > hostNameMax {
			bad(where, "SET_HOSTNAME %q: longer than %d characters, the kernel's limit for a host name (put the full name in SSH_HOST_PRINCIPALS)", v, hostNameMax)
		} else if err := validateHostname(v); err != nil {
			bad(where, "SET_HOSTNAME %q: %v", v, err)
		}
		c.Hostname = v
	}
	if v, where := src.get("SSH_HOST_PRINCIPALS"); v != "" {
		for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
			if net.ParseIP(p) == nil {
				if err := validateHostname(p); err != nil {
					bad(where, "SSH_HOST_PRINCIPALS: %q is neither a host name nor an IP address: %v", p, err)
					continue
				}
			}
			c.HostPrincipals = append(c.HostPrincipals, p)
		}
	}
	if v, where := src.get("SSH_HOST_CERT_ANY_NAME"); v != "" {
		switch strings.ToLower(v) {
		case "yes", "true", "1":
			c.HostCertAnyName = true
			if len(c.HostPrincipals) > 0 {
				_, pw := src.get("SSH_HOST_PRINCIPALS")
				bad(where, "SSH_HOST_CERT_ANY_NAME=%s signs host certificates valid for any name, so SSH_HOST_PRINCIPALS (%s) would have no effect: keep one", v, pw)
			}
		case "no", "false", "0":
		default:
			bad(where, "SSH_HOST_CERT_ANY_NAME %q: must be yes or no", v)
		}
	}
	var repoWhere, commandWhere, keyWhere string
	c.CustomizeRepo, repoWhere = src.get("CUSTOMIZE_REPO")
	c.CustomizeCommand, commandWhere = src.get("CUSTOMIZE_COMMAND")
	c.Keys, keyWhere = src.get("DEFAULT_KEY")
	var cmdWhere, importsWhere string
	c.CustomizeRepoCommand, cmdWhere = alias(src, "CUSTOMIZE_REPO_COMMAND", "CUSTOMIZE_CMD", bad)
	imports, importsWhere := alias(src, "DEFAULT_KEY_IMPORT", "DEFAULT_KEYS", bad)
	for _, id := range strings.Fields(imports) {
		if err := users.ValidateImportID(id); err != nil {
			bad(importsWhere, "DEFAULT_KEY_IMPORT %v", err)
			continue
		}
		c.Imports = append(c.Imports, id)
	}
	if strings.HasPrefix(c.CustomizeRepo, "-") {
		bad(repoWhere, "CUSTOMIZE_REPO starts with '-': git would read it as an option; give a URL or a path")
	}
	if c.CustomizeRepoCommand != "" && c.CustomizeRepo == "" {
		bad(cmdWhere, "CUSTOMIZE_REPO_COMMAND is set but CUSTOMIZE_REPO is not: there is no clone to run it in")
	}

	name, where := src.get("DEFAULT_USER")
	if name == "" {
		for _, v := range []struct{ name, value, where string }{
			{"DEFAULT_KEY", c.Keys, keyWhere},
			{"DEFAULT_KEY_IMPORT", imports, importsWhere},
			{"CUSTOMIZE_REPO", c.CustomizeRepo, repoWhere},
			{"CUSTOMIZE_COMMAND", c.CustomizeCommand, commandWhere},
		} {
			if v.value != "" {
				bad(v.where, "%s is set but DEFAULT_USER is not: it belongs to the admin user", v.name)
			}
		}
	} else {
		c.User = c.loadUser(src, name, where, bad)
	}
	for _, p := range checkArgSizes(c.Env, src) {
		bad(p.where, "%s", p.msg)
	}
	if len(problems) > 0 {
		return nil, &ConfigError{problems}
	}
	return c, nil
}

// The kernel's limits for what execve(2) takes: one string of the
// environment may be at most MAX_ARG_STRLEN (32 pages) long, and all of
// them together at most a quarter of the stack limit (8 MiB by default).
// Past them every hook, customization, cron job and the main command fail
// to start with "argument list too long".
const (
	maxArgStrlen = 32 * 4096
	maxEnvTotal  = 1 << 20 // what boxinit allows, well below 2 MiB, so commands keep room for their arguments
)

type sizeProblem struct{ where, msg string }

func checkArgSizes(env []string, src source) []sizeProblem {
	var out []sizeProblem
	total := 0
	for _, kv := range env {
		total += len(kv) + 1 + 8 // the string, its NUL, its pointer
		if len(kv) >= maxArgStrlen {
			name, _, _ := strings.Cut(kv, "=")
			_, where := src.get(name)
			out = append(out, sizeProblem{where, fmt.Sprintf("%s is %d bytes long: the kernel refuses to start a command whose environment holds a string of %d bytes or more (argument list too long)", name, len(kv), maxArgStrlen)})
		}
	}
	if total > maxEnvTotal {
		out = append(out, sizeProblem{"environment", fmt.Sprintf("rc.env and the environment together are %d bytes: more than %d, commands would fail with \"argument list too long\"", total, maxEnvTotal)})
	}
	return out
}

// alias returns the value of name, or of its old name, and where it was
// set; both set and different is a problem naming both.
func alias(src source, name, old string, bad func(string, string, ...any)) (string, string) {
	v, w := src.get(name)
	ov, ow := src.get(old)
	switch {
	case v != "" && ov != "" && v != ov:
		bad(w, "%s and its old name %s (%s) are both set, to different values: keep one", name, old, ow)
	case v == "":
		return ov, ow
	}
	return v, w
}

func (c *Config) loadUser(src source, name, where string, bad func(string, string, ...any)) *users.Account {
	a := &users.Account{Name: name, Groups: []string{"adm"}}
	nameOK := users.ValidateName(name) == nil
	if !nameOK {
		bad(where, "%v", users.ValidateName(name))
	}
	idWhere := where
	if v, w := src.get("DEFAULT_USER_ID"); v != "" {
		uid, err := strconv.Atoi(v)
		if err != nil || uid < 1 || uid > 2147483646 || uid == 65534 {
			bad(w, "DEFAULT_USER_ID %q: must be a number from 1 to 2147483646 (not 65534, nobody)", v)
			nameOK = false
		}
		a.UID, idWhere = uid, w
	}
	if nameOK { // the uid boot will use, or why there is none
		uid, auto, err := users.PlanUID(c.Root, name, a.UID)
		if err != nil && strings.HasPrefix(err.Error(), "DEFAULT_USER_ID") {
			bad(idWhere, "%v", err)
		} else if err != nil {
			bad(where, "%v", err)
		}
		a.UID, c.UIDAuto = uid, auto
	}
	a.Shell, _ = src.get("DEFAULT_USER_SHELL")
	if a.Shell == "" {
		a.DefaultShell = true
		a.Shell = "/bin/sh"
		if _, err := os.Stat(c.path("/bin/bash")); err == nil {
			a.Shell = "/bin/bash"
		}
	} else if !strings.HasPrefix(a.Shell, "/") {
		_, w := src.get("DEFAULT_USER_SHELL")
		bad(w, "DEFAULT_USER_SHELL %q: must be an absolute path", a.Shell)
	}
	if v, w := src.get("DEFAULT_USER_GROUPS"); v != "" {
		a.Groups = nil
		for _, g := range strings.Split(v, ",") {
			if g = strings.TrimSpace(g); g == "" {
				continue
			}
			if !groupRE().MatchString(g) {
				bad(w, "DEFAULT_USER_GROUPS: group %q: must match %s", g, groupRE())
			}
			a.Groups = append(a.Groups, g)
		}
	}
	c.Sudo, _ = src.get("DEFAULT_USER_SUDO")
	if c.Sudo == "" {
		c.Sudo = defaultSudoRule
	}
	if c.Sudo != users.NoSudo {
		_, w := src.get("DEFAULT_USER_SUDO")
		if err := users.ValidateSudoRule(c.Sudo); err != nil {
			bad(w, "DEFAULT_USER_SUDO %v", err)
		} else if err := c.checkWithVisudo(name, c.Sudo); err != nil {
			bad(w, "DEFAULT_USER_SUDO %q: the image's visudo refuses it: %v", c.Sudo, err)
		}
	}
	return a
}

// defaultSudoRule is DEFAULT_USER_SUDO when it is not set.
const defaultSudoRule = "ALL=(ALL) NOPASSWD:ALL"

// lazyRegexp compiles expr on first use rather than at program start:
// package initialisation runs in every boxinit process, `boxinit version`
// and PID 1 included.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var groupRE = lazyRegexp(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

var labelRE = lazyRegexp(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$`)

// validateHostname applies RFC 1123: dot-separated labels of letters,
// digits and inner hyphens, 63 characters each, 253 in all.
func validateHostname(h string) error {
	if len(h) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	return validateLabels(h)
}

// hostNameMax is the kernel's limit for sethostname(2) (HOST_NAME_MAX).
const hostNameMax = 64

func validateLabels(h string) error {
	for _, l := range strings.Split(h, ".") {
		switch {
		case len(l) > 63:
			return fmt.Errorf("label %q is longer than 63 characters", l)
		case !labelRE().MatchString(l):
			return fmt.Errorf("label %q: letters, digits and inner hyphens only (RFC 1123)", l)
		}
	}
	return nil
}

// withoutNames drops the variables named in names from env.
func withoutNames(env, names []string) []string {
	if len(names) == 0 {
		return env
	}
	return slices.DeleteFunc(env, func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}

// mergeEnv puts the file's assignments over environ, as sourcing it would.
func mergeEnv(environ []string, file *envFile) []string {
	if file == nil {
		return slices.Clone(environ)
	}
	out := make([]string, 0, len(environ)+len(file.values))
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if _, set := file.values[k]; !set {
			out = append(out, kv)
		}
	}
	names := make([]string, 0, len(file.values))
	for k := range file.values {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		out = append(out, k+"="+file.values[k])
	}
	return out
}
