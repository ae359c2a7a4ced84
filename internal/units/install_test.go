package units

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// links lists every symlink under root/dir as "path -> target".
func links(t *testing.T, root, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			rel, _ := filepath.Rel(root, p)
			out = append(out, "/"+rel+" -> "+target)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

// The links the Debian packages' postinst scripts made with
// deb-systemd-helper (kept in testdata) are exactly what Enable makes from
// the units' [Install] sections.
func TestEnable_MakesTheLinksDebSystemdHelperMade(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(root, "lib"), os.DirFS(filepath.Join(debianRoot, "lib"))))
	l, err := NewLoader(root)
	require.NoError(t, err)
	enabled := []string{"apache2.service", "apt-daily-upgrade.timer", "apt-daily.timer", "cron.service",
		"e2scrub_all.timer", "e2scrub_reap.service", "logrotate.timer", "mariadb.service",
		"nginx.service", "php8.2-fpm.service", "postgresql.service", "redis-server.service",
		"rsyslog.service", "ssh.service"}
	changes, err := l.Enable(enabled...)
	require.NoError(t, err)
	assert.Len(t, changes, 17)
	assert.Contains(t, changes, Change{Link: "/etc/systemd/system/redis.service", Target: "/lib/systemd/system/redis-server.service"})
	assert.Equal(t, links(t, debianRoot, "etc/systemd/system"), links(t, root, "etc/systemd/system"))

	again, err := l.Enable("nginx.service")
	require.NoError(t, err)
	assert.Empty(t, again, "enabling twice changes nothing")
	for name, want := range map[string]string{"nginx.service": "enabled", "redis.service": "alias", "postgresql@15-main.service": "disabled", // pulled in by the generator, not enabled
		"pg_dump@15-main.timer": "disabled", "mysql.service": "alias"} {
		got, err := l.EnabledState(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}

	// pg_dump@.timer: WantedBy=postgresql@%i.service, for the instance.
	changes, err = l.Enable("pg_dump@15-main.timer")
	require.NoError(t, err)
	assert.Equal(t, []Change{{Link: "/etc/systemd/system/postgresql@15-main.service.wants/pg_dump@15-main.timer", Target: "/lib/systemd/system/pg_dump@.timer"}}, changes)
	_, err = l.Enable("pg_dump@.timer")
	assert.ErrorContains(t, err, "no DefaultInstance")

	changes, err = l.Disable("redis.service")
	require.NoError(t, err)
	assert.Equal(t, []Change{
		{Removed: true, Link: "/etc/systemd/system/multi-user.target.wants/redis-server.service"},
		{Removed: true, Link: "/etc/systemd/system/redis.service"},
	}, changes)
	st, err := l.EnabledState("redis-server.service")
	require.NoError(t, err)
	assert.Equal(t, "disabled", st)
}

func TestMask_LinksToDevNullAndNeverOverwritesAFile(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service": "[Service]\nExecStart=/bin/a\n[Install]\nWantedBy=multi-user.target\n",
		"etc/systemd/system/b.service": "[Service]\nExecStart=/bin/b\n",
		"lib/systemd/system/c.service": "[Service]\nExecStart=/bin/c\n[Install]\nAlso=c.socket\n",
		"lib/systemd/system/c.socket":  "[Socket]\nListenStream=1\n[Install]\nWantedBy=sockets.target\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	changes, err := l.Mask("a.service")
	require.NoError(t, err)
	assert.Equal(t, []Change{{Link: "/etc/systemd/system/a.service", Target: "/dev/null"}}, changes)
	st, _ := l.EnabledState("a.service")
	assert.Equal(t, "masked", st)
	_, err = l.Enable("a.service")
	assert.ErrorContains(t, err, "masked")
	_, err = l.Mask("b.service")
	assert.ErrorContains(t, err, "a file is there")
	changes, err = l.Unmask("a.service", "b.service")
	require.NoError(t, err)
	assert.Equal(t, []Change{{Removed: true, Link: "/etc/systemd/system/a.service"}}, changes)
	st, _ = l.EnabledState("b.service")
	assert.Equal(t, "static", st, "no [Install] section")

	changes, err = l.Enable("c.service")
	require.NoError(t, err)
	assert.Equal(t, []Change{{Link: "/etc/systemd/system/sockets.target.wants/c.socket", Target: "/lib/systemd/system/c.socket"}}, changes,
		"Also= enables the units it names")
}

// A template with no DefaultInstance= cannot be enabled itself: it is
// static without [Install], disabled until an instance is enabled, then
// indirect (as systemctl list-unit-files shows Debian's templates).
func TestEnabledState_OfATemplateWithoutDefaultInstanceIsStaticDisabledOrIndirect(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.CopyFS(filepath.Join(root, "lib"), os.DirFS(filepath.Join(debianRoot, "lib"))))
	l, err := NewLoader(root)
	require.NoError(t, err)
	state := func(name string) string {
		s, err := l.EnabledState(name)
		require.NoError(t, err, name)
		return s
	}
	assert.Equal(t, "static", state("pg_dump@.service"), "no [Install]")
	assert.Equal(t, "disabled", state("redis-server@.service"))
	_, err = l.Enable("redis-server@6380.service")
	require.NoError(t, err)
	assert.Equal(t, "indirect", state("redis-server@.service"))
	assert.Equal(t, "enabled", state("redis-server@6380.service"))
	assert.Equal(t, "disabled", state("redis-server@6381.service"))
}

// Debian 12 merges /usr: /lib is a link to usr/lib. deb-systemd-helper
// (no systemctl in the image yet) links /lib/systemd/system/X, systemctl
// links the path it found the unit at; both are the unit enabled, and
// enabling again or disabling treats them as one.
func TestEnabledState_ALinkThroughMergedUsrIsTheSameUnit(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "usr/lib/systemd/system"), 0o755))
	require.NoError(t, os.Symlink("usr/lib", filepath.Join(root, "lib")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "usr/lib/systemd/system/ssh.service"),
		[]byte("[Service]\nExecStart=/usr/sbin/sshd -D\n\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n"), 0o644))
	wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
	require.NoError(t, os.MkdirAll(wants, 0o755))
	require.NoError(t, os.Symlink("/lib/systemd/system/ssh.service", filepath.Join(wants, "ssh.service")))
	require.NoError(t, os.Symlink("/lib/systemd/system/ssh.service", filepath.Join(root, "etc/systemd/system/sshd.service")))
	l, err := NewLoader(root)
	require.NoError(t, err)
	st, err := l.EnabledState("ssh.service")
	require.NoError(t, err)
	assert.Equal(t, "enabled", st)
	changes, err := l.Enable("ssh.service")
	require.NoError(t, err)
	assert.Empty(t, changes, "already enabled: nothing to link")
	changes, err = l.Disable("ssh.service")
	require.NoError(t, err)
	assert.Len(t, changes, 2, "the wants link and the alias go")
	st, err = l.EnabledState("ssh.service")
	require.NoError(t, err)
	assert.Equal(t, "disabled", st)
}
