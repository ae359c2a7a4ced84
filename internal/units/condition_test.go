package units

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func condUnit(t *testing.T, root, body string) *Unit {
	t.Helper()
	write(t, root, map[string]string{"etc/systemd/system/c.service": "[Unit]\n" + body + "\n[Service]\nExecStart=/bin/true\n"})
	l, err := NewLoader(root)
	require.NoError(t, err)
	u, err := l.Load("c.service")
	require.NoError(t, err)
	return u
}

func TestCheckConditions_FollowSystemdUnit5(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"etc/postgresql/15/main/postgresql.conf": "x",
		"etc/empty":                              "",
		"usr/bin/tool":                           "#!/bin/sh\n",
		"var/lib/dir/.hidden":                    "",
		"etc/link":                               "->/etc/empty",
	})
	f := Facts{Root: root, CapBnd: 1 << unix.CAP_SYS_ADMIN, Virtualization: "podman", Hostname: "box", Environ: []string{"A=1"}}
	for _, tc := range []struct {
		body string
		ok   bool
	}{
		{"", true},
		{"ConditionPathExists=/etc/postgresql/15/main/postgresql.conf", true},
		{"ConditionPathExists=!/etc/ssh/sshd_not_to_be_run", true},
		{"ConditionPathExists=/etc/ssh/sshd_not_to_be_run", false},
		{"ConditionPathIsDirectory=/etc/postgresql", true},
		{"ConditionPathIsDirectory=/etc/empty", false},
		{"ConditionFileNotEmpty=/etc/empty", false},
		{"ConditionFileNotEmpty=/usr/bin/tool", true},
		{"ConditionFileIsExecutable=/usr/bin/tool", false}, // 0644
		{"ConditionDirectoryNotEmpty=/var/lib/dir", false}, // hidden files do not count
		{"ConditionPathIsSymbolicLink=/etc/link", true},
		{"ConditionPathExistsGlob=/etc/postgresql/*/main", true},
		{"ConditionCapability=CAP_SYS_ADMIN", true},
		{"ConditionCapability=CAP_SYS_ADMIN\nConditionCapability=CAP_SYS_RAWIO", false}, // e2scrub_reap.service
		{"ConditionVirtualization=container", true},
		{"ConditionVirtualization=!container", false},
		{"ConditionVirtualization=podman", true},
		{"ConditionVirtualization=docker", false},
		{"ConditionVirtualization=vm", false},
		{"ConditionVirtualization=yes", true},
		{"ConditionEnvironment=A=1", true},
		{"ConditionEnvironment=A", true},
		{"ConditionEnvironment=!B", true},
		{"ConditionHost=box", true},
		{"ConditionUser=root", true},
		{"ConditionFirstBoot=yes", false},
		// '|' conditions: one of them suffices, the others must all hold.
		{"ConditionPathExists=|/nope\nConditionPathExists=|/etc/empty", true},
		{"ConditionPathExists=|/nope\nConditionPathExists=|/nope2", false},
		{"ConditionPathExists=|/etc/empty\nConditionPathExists=/nope", false},
		// An empty assignment resets the list.
		{"ConditionPathExists=/nope\nConditionPathExists=", true},
	} {
		u := condUnit(t, t.TempDir(), tc.body)
		res := u.CheckConditions(f)
		assert.Equal(t, tc.ok, res.Failed == nil && res.AssertFailed == nil, "%s (failed: %v)", tc.body, res.Failed)
	}

	u := condUnit(t, t.TempDir(), "ConditionPathExists=/etc/empty\nAssertPathExists=/nope")
	res := u.CheckConditions(f)
	assert.Nil(t, res.Failed)
	require.NotNil(t, res.AssertFailed)
	assert.Equal(t, "AssertPathExists=/nope", res.AssertFailed.String())

	u = condUnit(t, t.TempDir(), "ConditionSecurity=selinux")
	res = u.CheckConditions(f)
	assert.Nil(t, res.Failed, "a condition boxinit cannot test counts as met")
	assert.Len(t, res.Unsupported, 1)
}

func TestCheckConditions_PathsAreInsideTheRoot(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{"etc/ssh/sshd_not_to_be_run": "", "etc/alias": "->/etc/ssh"})
	f := Facts{Root: root}
	u := condUnit(t, t.TempDir(), "ConditionPathExists=!/etc/ssh/sshd_not_to_be_run")
	assert.NotNil(t, u.CheckConditions(f).Failed)
	u = condUnit(t, t.TempDir(), "ConditionPathIsDirectory=/etc/alias")
	assert.Nil(t, u.CheckConditions(f).Failed, "an absolute link resolves inside the root")
}
