package units

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unitLines is a unit file's settings as a sorted set: comments and
// repeated lines (systemd writes Before=multi-user.target once per
// runlevel) do not change what the unit means.
func unitLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l == "" || strings.HasPrefix(l, "#") || slices.Contains(out, l) {
			continue
		}
		out = append(out, l)
	}
	slices.Sort(out)
	return out
}

// tree lists the files under dir: regular files as "name", links as
// "name -> target".
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case d.Type().IsRegular():
			out = append(out, rel)
		}
		return nil
	}))
	return out
}

// testdata/units/sysv holds the init scripts of Debian 12's xinetd and
// mini-httpd (packages with no systemd unit) and three made-up ones, with
// the rc links update-rc.d makes, and expected/ is what systemd 252's
// systemd-sysv-generator wrote for that tree (generate.sh).
func TestGenerateSysV_WritesTheUnitsAndLinksSystemdsGeneratorWritesForDebiansInitScripts(t *testing.T) {
	root := "../../testdata/units/sysv/root"
	expected := "../../testdata/units/sysv/expected"
	out := t.TempDir()
	made, err := GenerateSysV(root, out)
	require.NoError(t, err)
	assert.Equal(t, []string{"early.service", "legacyd.service", "mini-httpd.service", "xinetd.service"}, made,
		"noreload has a native unit, legacyd.dpkg-old is a leftover")
	assert.Equal(t, tree(t, expected), tree(t, out))
	for _, n := range made {
		assert.Equal(t, unitLines(t, filepath.Join(expected, n)), unitLines(t, filepath.Join(out, n)), n)
	}
}

func TestGenerateSysV_AGeneratedUnitLoadsAsAForkingServiceThatRemainsAfterExit(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/units/sysv/root")))
	late := filepath.Join(root, "run/systemd/generator.late")
	require.NoError(t, os.MkdirAll(late, 0o755))
	_, err := GenerateSysV(root, late)
	require.NoError(t, err)
	l, err := NewLoader(root)
	require.NoError(t, err)
	u, err := l.Load("inetd.service") // Provides: xinetd inetd
	require.NoError(t, err)
	assert.Equal(t, "xinetd.service", u.Name)
	assert.Equal(t, "/etc/init.d/xinetd", u.SourcePath)
	assert.Equal(t, "forking", u.Service.Type)
	assert.True(t, u.Service.RemainAfterExit)
	assert.False(t, u.Service.GuessMainPID)
	require.Len(t, u.Service.ExecReload, 1)
	st, err := l.EnabledState("xinetd.service")
	require.NoError(t, err)
	assert.Equal(t, "generated", st)
	plan, err := l.Boot(BootOptions{})
	require.NoError(t, err)
	assert.NotNil(t, plan.Job("xinetd.service"), "an S link in rc2.d makes it start at boot")
	assert.Nil(t, plan.Job("early.service"), "rcS.d is not read")
}

// A script name that is no unit name (systemd refuses it too) makes no
// unit: a newline in it would otherwise write lines of its own.
func TestGenerateSysV_AScriptWhoseNameIsNoUnitNameMakesNoUnit(t *testing.T) {
	root := t.TempDir()
	initd := filepath.Join(root, "etc/init.d")
	require.NoError(t, os.MkdirAll(initd, 0o755))
	for _, n := range []string{"evil\nExecStartPre=x", "sp ace", "good"} {
		require.NoError(t, os.WriteFile(filepath.Join(initd, n), []byte("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: good bad$name\n### END INIT INFO\n"), 0o755))
	}
	out := t.TempDir()
	made, err := GenerateSysV(root, out)
	require.NoError(t, err)
	assert.Equal(t, []string{"good.service"}, made)
	assert.Equal(t, []string{"good.service"}, tree(t, out), "no alias from a Provides: name that is no unit name")
}
