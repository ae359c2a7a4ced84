package boot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/users"
)

// testRoot is a Debian-like root with the given rc.env (nil: none).
func testRoot(t testing.TB, rcEnv []byte) Flags {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/roots/debian")))
	if rcEnv != nil {
		require.NoError(t, os.WriteFile(filepath.Join(root, "etc/rc.env"), rcEnv, 0o644))
	}
	return Flags{Root: root, EnvFile: "/etc/rc.env", UserScript: "/etc/rc.user", HooksDir: "/etc/boxinit.d",
		ReadyFile: "/ready", GitHubURL: "https://github.example", LaunchpadURL: "https://launchpad.example"}
}

func sample(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join("../../testdata/rcenv", name))
	require.NoError(t, err)
	return b
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "want a ConfigError, got %v", err)
	return ce.Problems
}

func TestLoad_ReadsTheOldChartsRcEnvAsBashWould(t *testing.T) {
	c, err := Load(testRoot(t, sample(t, "old-chart.env")), []string{"PATH=/usr/bin"})
	require.NoError(t, err)
	assert.Equal(t, "box-1", c.Hostname)
	require.NotNil(t, c.User)
	assert.Equal(t, users.Account{Name: "human", UID: 1000, Shell: "/bin/sh", Groups: []string{"adm"}, DefaultShell: true}, *c.User,
		"defaults: uid 1000, adm, /bin/sh where the root has no bash")
	assert.Equal(t, "ALL=(ALL) NOPASSWD:ALL", c.Sudo)
	assert.Equal(t, []string{"gh:alice", "lp:bob"}, c.Imports)
	assert.Empty(t, c.Keys, `"" means unset`)
	assert.Empty(t, c.CustomizeRepo)
	assert.Empty(t, c.CustomizeRepoCommand)
	assert.Contains(t, c.Env, "DEFAULT_USER=human", "children inherit rc.env")
	assert.Contains(t, c.Env, "PATH=/usr/bin")
}

func TestLoad_ReadsExportsQuotesCommentsExpansionAndMultiLineValues(t *testing.T) {
	c, err := Load(testRoot(t, sample(t, "exported.env")), []string{"HOME_BASE=/srv"})
	require.NoError(t, err)
	require.NotNil(t, c.User)
	assert.Equal(t, users.Account{Name: "admin", UID: 1500, Shell: "/bin/sh", Groups: []string{"adm", "sudo"}, DefaultShell: true}, *c.User)
	assert.Equal(t, "ALL=(ALL:ALL) ALL", c.Sudo)
	assert.Equal(t, "echo demo for /srv", c.CustomizeCommand, "${PROJECT} from the file, $HOME_BASE from the environment")
	assert.Equal(t, 2, strings.Count(c.Keys, "ssh-ed25519"), "a quoted value may span lines")
}

func TestLoad_RcEnvWinsOverTheEnvironment(t *testing.T) {
	c, err := Load(testRoot(t, []byte("DEFAULT_USER=fromfile\n")), []string{"DEFAULT_USER=fromenv", "SET_HOSTNAME=envhost"})
	require.NoError(t, err)
	assert.Equal(t, "fromfile", c.User.Name)
	assert.Equal(t, "envhost", c.Hostname, "what rc.env does not set comes from the environment")
	assert.Contains(t, c.Env, "DEFAULT_USER=fromfile")
	assert.NotContains(t, c.Env, "DEFAULT_USER=fromenv")
}

func TestLoad_AMissingEnvFileIsFine(t *testing.T) {
	c, err := Load(testRoot(t, nil), []string{"DEFAULT_USER=human"})
	require.NoError(t, err)
	assert.Equal(t, "human", c.User.Name)
}

func TestLoad_AMalformedEnvFileNamesTheFileAndLine(t *testing.T) {
	for file, msg := range map[string]string{
		"malformed.env": "/etc/rc.env:3: not a NAME=value line",
		"unclosed.env":  `/etc/rc.env:2: DEFAULT_KEY: the " quote is never closed`,
	} {
		_, err := Load(testRoot(t, sample(t, file)), nil)
		assert.Equal(t, []string{msg}, problems(t, err), file)
	}
}

func TestLoad_EveryBadValueIsAProblemNamingTheVariableAndWhereItWasSet(t *testing.T) {
	for _, tc := range []struct {
		rcEnv string
		env   []string
		want  string
	}{
		{`DEFAULT_USER="Bad User"`, nil, `/etc/rc.env:1: DEFAULT_USER "Bad User": must match ^[a-z_][a-z0-9_.-]*$`},
		{`DEFAULT_USER=daemon`, nil, `/etc/rc.env:1: DEFAULT_USER "daemon": is a system account (uid 1) in /etc/passwd`},
		{"DEFAULT_USER=human\nDEFAULT_USER_ID=abc", nil, `/etc/rc.env:2: DEFAULT_USER_ID "abc": must be a number`},
		{"DEFAULT_USER=human\nDEFAULT_USER_ID=0", nil, `/etc/rc.env:2: DEFAULT_USER_ID "0": must be a number from 1`},
		{"DEFAULT_USER=human\nDEFAULT_USER_SHELL=bash", nil, `/etc/rc.env:2: DEFAULT_USER_SHELL "bash": must be an absolute path`},
		{"DEFAULT_USER=human\nDEFAULT_USER_GROUPS='adm,bad group'", nil, `/etc/rc.env:2: DEFAULT_USER_GROUPS: group "bad group"`},
		{"DEFAULT_USER=human\nDEFAULT_USER_SUDO='ALL \\'", nil, `/etc/rc.env:2: DEFAULT_USER_SUDO "ALL \\": must not end in a backslash`},
		{"DEFAULT_USER=human\nDEFAULT_KEY_IMPORT=\"gh:alice gh:../etc\"", nil, `/etc/rc.env:2: DEFAULT_KEY_IMPORT "gh:../etc": want gh:NAME or lp:NAME`},
		{"DEFAULT_USER=human\nDEFAULT_KEYS=gh:x", []string{"DEFAULT_KEY_IMPORT=gh:y"}, "environment: DEFAULT_KEY_IMPORT and its old name DEFAULT_KEYS (/etc/rc.env:2) are both set, to different values"},
		{"DEFAULT_USER=human\nCUSTOMIZE_CMD=make\nCUSTOMIZE_REPO_COMMAND='make install'\nCUSTOMIZE_REPO=https://git.example/r", nil, "/etc/rc.env:3: CUSTOMIZE_REPO_COMMAND and its old name CUSTOMIZE_CMD (/etc/rc.env:2) are both set"},
		{"DEFAULT_USER=human\nCUSTOMIZE_CMD=make", nil, "/etc/rc.env:2: CUSTOMIZE_REPO_COMMAND is set but CUSTOMIZE_REPO is not"},
		{"SET_HOSTNAME=-box", nil, `/etc/rc.env:1: SET_HOSTNAME "-box": label "-box": letters, digits and inner hyphens only (RFC 1123)`},
		{"SET_HOSTNAME=" + strings.Repeat("a", 64), nil, "is longer than 63 characters"},
		{"SET_HOSTNAME=" + strings.Repeat("abcdefgh.", 8) + "x", nil, "longer than 64 characters, the kernel's limit for a host name"},
		{"DEFAULT_USER=nobody", nil, `/etc/rc.env:1: DEFAULT_USER "nobody": is a system account (uid 65534)`},
		{"DEFAULT_USER=human\nDEFAULT_USER_ID=1", nil, "/etc/rc.env:2: DEFAULT_USER_ID 1: uid 1 is already used by daemon in /etc/passwd"},
		{"DEFAULT_USER=human\nDEFAULT_USER_SUDO='#include /tmp/evil'", nil, `/etc/rc.env:2: DEFAULT_USER_SUDO "#include /tmp/evil": not a sudoers rule`},
		{"DEFAULT_USER=human\nDEFAULT_USER_SUDO=garbage", nil, `/etc/rc.env:2: DEFAULT_USER_SUDO "garbage": not a sudoers rule`},
		{"DEFAULT_USER=human\nCUSTOMIZE_REPO=--upload-pack=touch", nil, "/etc/rc.env:2: CUSTOMIZE_REPO starts with '-': git would read it as an option"},
		{"DEFAULT_USER=human\nCUSTOMIZE_COMMAND=" + strings.Repeat("x", 131072), nil, "/etc/rc.env:2: CUSTOMIZE_COMMAND is 131090 bytes long: the kernel refuses to start a command"},
		{"", []string{"BIG=" + strings.Repeat("x", 200000)}, "environment: BIG is 200004 bytes long"},
		{"SET_HOSTNAME=box_1", nil, `label "box_1"`},
		{"DEFAULT_KEY_IMPORT=gh:alice", nil, "/etc/rc.env:1: DEFAULT_KEY_IMPORT is set but DEFAULT_USER is not"},
		{`SSH_HOST_PRINCIPALS="login.example.com *.example.com"`, nil, `/etc/rc.env:1: SSH_HOST_PRINCIPALS: "*.example.com" is neither a host name nor an IP address`},
		{"", []string{"CUSTOMIZE_COMMAND=make"}, "environment: CUSTOMIZE_COMMAND is set but DEFAULT_USER is not"},
		{"SSH_HOST_CERT_ANY_NAME=always", nil, `/etc/rc.env:1: SSH_HOST_CERT_ANY_NAME "always": must be yes or no`},
		{"SSH_HOST_PRINCIPALS=login.example.com\nSSH_HOST_CERT_ANY_NAME=yes", nil, "/etc/rc.env:2: SSH_HOST_CERT_ANY_NAME=yes signs host certificates valid for any name, so SSH_HOST_PRINCIPALS (/etc/rc.env:1) would have no effect"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			f := testRoot(t, []byte(tc.rcEnv+"\n"))
			_, err := Load(f, tc.env)
			got := problems(t, err)
			require.Len(t, got, 1, "%q", got)
			assert.Contains(t, got[0], tc.want)
		})
	}
}

func TestLoad_ListsEveryProblemAtOnce(t *testing.T) {
	_, err := Load(testRoot(t, []byte("DEFAULT_USER=Bad\nSET_HOSTNAME=a_b\nDEFAULT_USER_ID=x\n")), nil)
	assert.Len(t, problems(t, err), 3)
}

func TestLoad_TakesHostPrincipalsSeparatedBySpacesOrCommas(t *testing.T) {
	c, err := Load(testRoot(t, []byte(`SSH_HOST_PRINCIPALS="login.example.com, 203.0.113.7 login.default.svc"`+"\n")), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"login.example.com", "203.0.113.7", "login.default.svc"}, c.HostPrincipals)
}

func TestLoad_SameValueUnderBothNamesIsFine(t *testing.T) {
	c, err := Load(testRoot(t, []byte("DEFAULT_USER=human\nDEFAULT_KEYS=gh:a\nDEFAULT_KEY_IMPORT=gh:a\n")), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"gh:a"}, c.Imports)
}

func TestLoad_PrefersBashAsTheDefaultShellWhereItExists(t *testing.T) {
	f := testRoot(t, []byte("DEFAULT_USER=human\n"))
	require.NoError(t, os.MkdirAll(filepath.Join(f.Root, "bin"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(f.Root, "bin/bash"), nil, 0o755))
	c, err := Load(f, nil)
	require.NoError(t, err)
	assert.Equal(t, "/bin/bash", c.User.Shell)
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B=\"x\ny\"\n", "C='q' # c\n", "=\n", "D=\"\n", "E=${F}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := parseEnvFile("rc.env", data, map[string]string{"F": "f"})
		if err == nil && len(ef.values) != len(ef.where) {
			t.Fatalf("values and locations disagree: %v %v", ef.values, ef.where)
		}
	})
}

// The image's own visudo has the last word on DEFAULT_USER_SUDO, in check
// as at boot (both run Load). Here a fake visudo stands for an image whose
// sudo is older than the rule.
func TestLoad_AsksTheImagesVisudoAboutTheSudoRule(t *testing.T) {
	f := testRoot(t, []byte("DEFAULT_USER=human\nDEFAULT_USER_SUDO='ALL=(ALL) NOPASSWD:INTERCEPT: ALL'\n"))
	visudo := filepath.Join(f.Root, "usr/sbin/visudo")
	require.NoError(t, os.MkdirAll(filepath.Dir(visudo), 0o755))
	require.NoError(t, os.WriteFile(visudo, []byte("#!/bin/sh\necho \"$3:1:30: syntax error\" >&2\nexit 1\n"), 0o755))
	var ran []string
	old := runVisudo
	runVisudo = func(path, file string) error {
		ran = append(ran, path)
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Equal(t, "human ALL=(ALL) NOPASSWD:INTERCEPT: ALL\n", string(b))
		return errors.New("line:1:30: syntax error")
	}
	t.Cleanup(func() { runVisudo = old })
	_, err := Load(f, nil)
	assert.Equal(t, []string{`/etc/rc.env:2: DEFAULT_USER_SUDO "ALL=(ALL) NOPASSWD:INTERCEPT: ALL": the image's visudo refuses it: line:1:30: syntax error`}, problems(t, err))
	assert.Equal(t, []string{visudo}, ran)

	require.NoError(t, os.Remove(visudo)) // no visudo: the grammar alone decides
	_, err = Load(f, nil)
	require.NoError(t, err)
}

// Boot does not ask visudo about the default rule (it is a constant); this
// is what makes that safe: the real visudo takes it for names at every edge
// of DEFAULT_USER's rule. A name the rule allows that sudo read otherwise
// would fail here.
func TestVisudo_TakesTheDefaultRuleForEveryValidName(t *testing.T) {
	if _, err := os.Stat(visudoPath); err != nil {
		t.Skip("requires visudo (Debian package sudo; make deps installs it)")
	}
	names := []string{"a", "_", "human", "_x", "a.b", "a-b", "a_b", "a.", "a-", "a..b", "x--.__",
		"defaults", "all", "include", "includedir", "root", strings.Repeat("z", 32), "u1000", "a.b-c_d.e"}
	for c := 'a'; c <= 'z'; c++ {
		names = append(names, string(c)+"0.-_")
	}
	dir := t.TempDir()
	for _, name := range names {
		require.NoError(t, users.ValidateName(name), name)
		file := filepath.Join(dir, "rule")
		require.NoError(t, os.WriteFile(file, []byte(name+" "+defaultSudoRule+"\n"), 0o440))
		out, code := command(t, visudoPath, "-c", "-f", file)
		assert.Zero(t, code, "visudo refuses %q %s: %s", name, defaultSudoRule, out)
	}
}

// A rule of the user's own is still asked of the image's visudo; the
// default is not.
func TestLoad_AsksVisudoAboutARuleOfTheUsersOwnOnly(t *testing.T) {
	var ran []string
	old := runVisudo
	runVisudo = func(path, file string) error {
		b, err := os.ReadFile(file)
		require.NoError(t, err)
		ran = append(ran, string(b))
		return nil
	}
	t.Cleanup(func() { runVisudo = old })
	for _, rc := range []string{"DEFAULT_USER=human\n", "DEFAULT_USER=human\nDEFAULT_USER_SUDO='ALL=(ALL) ALL'\n"} {
		f := testRoot(t, []byte(rc))
		visudo := filepath.Join(f.Root, "usr/sbin/visudo")
		require.NoError(t, os.MkdirAll(filepath.Dir(visudo), 0o755))
		require.NoError(t, os.WriteFile(visudo, nil, 0o755))
		_, err := Load(f, nil)
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"human ALL=(ALL) ALL\n"}, ran)
}
