package users

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnsureSudoers_WritesOneRuleFileThatSudoReads(t *testing.T) {
	root := t.TempDir()
	changed, err := EnsureSudoers(root, "first.last", "ALL=(ALL) NOPASSWD:ALL")
	require.NoError(t, err)
	assert.True(t, changed)
	path := filepath.Join(root, "/etc/sudoers.d/first_last") // sudo skips names with a dot
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(b), "\nfirst.last ALL=(ALL) NOPASSWD:ALL\n"), "%q", b)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o440), fi.Mode().Perm())
	entries, _ := os.ReadDir(filepath.Dir(path))
	assert.Len(t, entries, 1, "no temporary file left behind")

	if visudo, err := exec.LookPath("visudo"); err == nil {
		out, err := exec.Command(visudo, "-cf", path).CombinedOutput()
		assert.NoError(t, err, "visudo rejects the file: %s", out)
	} else {
		t.Log("visudo not installed: syntax not checked by sudo itself")
	}

	changed, err = EnsureSudoers(root, "first.last", "ALL=(ALL) NOPASSWD:ALL")
	require.NoError(t, err)
	assert.False(t, changed, "same rule, no rewrite")
}

func TestEnsureSudoers_NoneRemovesOnlyAFileBoxinitWrote(t *testing.T) {
	root := t.TempDir()
	_, err := EnsureSudoers(root, "human", "ALL=(ALL) ALL")
	require.NoError(t, err)
	changed, err := EnsureSudoers(root, "human", NoSudo)
	require.NoError(t, err)
	assert.True(t, changed)
	assert.NoFileExists(t, filepath.Join(root, "/etc/sudoers.d/human"))

	foreign := filepath.Join(root, "/etc/sudoers.d/other")
	require.NoError(t, os.WriteFile(foreign, []byte("other ALL=(ALL) ALL\n"), 0o440))
	changed, err = EnsureSudoers(root, "other", NoSudo)
	require.NoError(t, err)
	assert.False(t, changed)
	assert.FileExists(t, foreign, "a file boxinit did not write is left alone")
}

func TestValidateSudoRule_RejectsRulesThatBreakTheirLine(t *testing.T) {
	for rule, msg := range map[string]string{
		"ALL=(ALL) ALL\nevil ALL=(ALL) NOPASSWD:ALL": "must be one line (character 14 breaks it)",
		"ALL=(ALL) ALL\r":  "must be one line",
		"ALL=(ALL) ALL \\": "must not end in a backslash",
		"  ":               "is empty; use none",
	} {
		err := ValidateSudoRule(rule)
		require.Error(t, err, rule)
		assert.Contains(t, err.Error(), msg)
		_, err = EnsureSudoers(t.TempDir(), "human", rule)
		assert.ErrorContains(t, err, "DEFAULT_USER_SUDO")
	}
	assert.NoError(t, ValidateSudoRule("ALL=(ALL:ALL) NOPASSWD: /usr/bin/apt"))
}

// sudoRules are DEFAULT_USER_SUDO values and whether sudo takes them; the
// verdicts come from sudoers(5) and are checked against visudo itself
// where it is installed.
var sudoRules = []struct {
	rule string
	ok   bool
}{
	{"ALL=(ALL) NOPASSWD:ALL", true},
	{"ALL=(ALL:ALL) ALL", true},
	{"ALL=(root) NOPASSWD: /usr/bin/apt-get update, /usr/bin/systemctl restart nginx", true},
	{"ALL = (ALL) NOPASSWD: ALL", true},
	{"ALL=(ALL) NOPASSWD:SETENV: ALL", true},
	{"ALL=(%admin,#0) /bin/ls", true},
	{"ALL=NOPASSWD: sudoedit /etc/motd", true},
	{"ALL=(ALL) ALL, !/usr/bin/su", true},
	{"ALL=(ALL) TIMEOUT=5m /usr/bin/make", true},
	{"localhost,10.0.0.0/8=(ALL) ALL", true},
	{"ALL=/usr/bin/printf a\\,b", true},
	{"ALL=(ALL) ALL : ALL=(root) NOPASSWD: /bin/true", true},
	{"#include /tmp/evil", false},
	{"@includedir /tmp", false},
	{"garbage", false},
	{"ALL", false},
	{"ALL=", false},
	{"ALL=(ALL NOPASSWD:ALL", false},
	{"ALL=(ALL) NOPASSWD:", false},
	{"ALL=(ALL) rm -rf /", false},
	{"ALL=(ALL) NOPASWD:ALL", false},
	{"ALL=(ALL) /bin/echo a=b (c) !d", true},
	{"ALL=(ALL) /bin/echo a:b", false},
	{"ALL=(ALL) ALL foo", false},
	{"ALL=(ALL) ALL,", false},
}

func TestValidateSudoRule_TakesWhatSudoTakesAndNothingElse(t *testing.T) {
	visudo, _ := exec.LookPath("visudo")
	for _, tc := range sudoRules {
		t.Run(tc.rule, func(t *testing.T) {
			err := ValidateSudoRule(tc.rule)
			if tc.ok {
				assert.NoError(t, err)
			} else {
				require.Error(t, err)
				assert.Contains(t, err.Error(), "not a sudoers rule")
			}
			if visudo == "" {
				return
			}
			path := filepath.Join(t.TempDir(), "rule")
			require.NoError(t, os.WriteFile(path, []byte("human "+tc.rule+"\n"), 0o440))
			out, err := exec.Command(visudo, "-c", "-f", path).CombinedOutput()
			assert.Equal(t, tc.ok, err == nil, "visudo says: %s", out)
		})
	}
}
