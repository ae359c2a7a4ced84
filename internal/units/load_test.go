package units

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

const debianRoot = "../../testdata/units/debian/root"

// debianLoader loads the Debian packages' units, plus the link
// postgresql-common's generator makes for a cluster 15/main.
func debianLoader(t *testing.T) *Loader {
	t.Helper()
	root := t.TempDir()
	require.NoError(t, os.CopyFS(root, os.DirFS(debianRoot)))
	gen := filepath.Join(root, "run/systemd/generator/postgresql.service.wants")
	require.NoError(t, os.MkdirAll(gen, 0o755))
	require.NoError(t, os.Symlink("/lib/systemd/system/postgresql@.service", filepath.Join(gen, "postgresql@15-main.service")))
	l, err := NewLoader(root)
	require.NoError(t, err)
	return l
}

// write makes files under root: "path": "content"; content "->X" makes a
// symlink to X.
func write(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, p)
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		if len(c) > 2 && c[:2] == "->" {
			require.NoError(t, os.Symlink(c[2:], full))
			continue
		}
		require.NoError(t, os.WriteFile(full, []byte(c), 0o644))
	}
}

func TestLoad_DebianUnitsAsShipped(t *testing.T) {
	l := debianLoader(t)

	nginx, err := l.Load("nginx.service")
	require.NoError(t, err)
	s := nginx.Service
	assert.Equal(t, "forking", s.Type)
	assert.Equal(t, "/run/nginx.pid", s.PIDFile)
	assert.Equal(t, []string{"/usr/sbin/nginx", "-t", "-q", "-g", "daemon on; master_process on;"}, s.ExecStartPre[0].Argv)
	assert.True(t, s.ExecStop[0].IgnoreFailure)
	assert.Equal(t, 5*time.Second, s.TimeoutStop)
	assert.Equal(t, "mixed", s.KillMode)
	assert.Equal(t, []string{"network-online.target"}, nginx.Wants)
	assert.Equal(t, []string{"network-online.target", "remote-fs.target", "nss-lookup.target"}, nginx.After)
	assert.Equal(t, []string{"multi-user.target"}, nginx.Install.WantedBy)
	assert.Empty(t, nginx.Diags)

	redis, err := l.Load("redis.service") // the Alias= link the postinst made
	require.NoError(t, err)
	assert.Equal(t, "redis-server.service", redis.Name)
	assert.Equal(t, []string{"redis-server.service", "redis.service"}, redis.Names)
	s = redis.Service
	assert.Equal(t, "notify", s.Type)
	assert.Equal(t, "always", s.Restart)
	assert.Equal(t, Infinity, s.TimeoutStop, "TimeoutStopSec=0 means no timeout")
	assert.Equal(t, "redis", s.User)
	assert.Equal(t, uint32(0o007), s.UMask)
	assert.Equal(t, []string{"redis"}, s.Directories[RuntimeDir])
	assert.Equal(t, uint32(0o2755), s.Mode(RuntimeDir))
	assert.Equal(t, []Limit{{Name: "NOFILE", Resource: unix.RLIMIT_NOFILE, Soft: 65535, Hard: 65535}}, s.Limits)
	for _, d := range redis.Diags {
		assert.Equal(t, Info, d.Severity, "only sandboxing is ignored: %s", d)
	}
	assert.Len(t, redis.Diags, 27, "each sandboxing setting listed once")

	ssh, err := l.Load("sshd.service")
	require.NoError(t, err)
	assert.Equal(t, "ssh.service", ssh.Name)
	assert.Equal(t, []EnvironmentFile{{Path: "/etc/default/ssh", Optional: true}}, ssh.Service.EnvironmentFiles)
	assert.Len(t, ssh.Service.ExecReload, 2)
	assert.Equal(t, []string{"/bin/kill", "-HUP", "$MAINPID"}, ssh.Service.ExecReload[1].Argv)
	assert.Equal(t, []int{255}, ssh.Service.RestartPreventExitStatus.Codes)
	assert.Equal(t, "process", ssh.Service.KillMode)
	assert.Equal(t, []Condition{{Kind: "PathExists", Negate: true, Param: "/etc/ssh/sshd_not_to_be_run", Where: "/lib/systemd/system/ssh.service:5"}}, ssh.Conditions)

	mysql, err := l.Load("mysql.service") // a relative alias link shipped in the package
	require.NoError(t, err)
	assert.Equal(t, "mariadb.service", mysql.Name)
	assert.Equal(t, []string{"mariadb.service", "mysql.service", "mysqld.service"}, mysql.Names)
	assert.Equal(t, []string{"/bin/sh", "-c", "set -f; [ ! -e /usr/bin/galera_recovery ] && VAR= ||   VAR=`/usr/bin/galera_recovery`; [ $? -eq 0 ] || exit 1;   exec /usr/sbin/mariadbd $MYSQLD_OPTS $_WSREP_NEW_CLUSTER $VAR"}, mysql.Service.ExecStart[0].Argv)
	assert.True(t, mysql.Service.ExecStartPost[0].NoSetuid)
	assert.False(t, mysql.Service.SendSIGKILL)
	assert.Equal(t, 5*time.Second, mysql.Service.RestartDelay)
	assert.Equal(t, 900*time.Second, mysql.Service.TimeoutStart)
}

func TestLoad_TemplateInstancesTakeTheirSpecifiersAndDropIns(t *testing.T) {
	l := debianLoader(t)
	pg, err := l.Load("postgresql@15-main.service")
	require.NoError(t, err)
	assert.Equal(t, "/lib/systemd/system/postgresql@.service", pg.Fragment)
	assert.Equal(t, "PostgreSQL Cluster 15-main", pg.Description)
	assert.Equal(t, []Condition{{Kind: "PathExists", Assert: true, Param: "/etc/postgresql/15/main/postgresql.conf", Where: "/lib/systemd/system/postgresql@.service:8"}}, pg.Conditions)
	assert.Equal(t, "/run/postgresql/15-main.pid", pg.Service.PIDFile)
	assert.Equal(t, []string{"/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15-main", "start"}, pg.Service.ExecStart[0].Argv)
	assert.Equal(t, Infinity, pg.Service.TimeoutStart)
	assert.Equal(t, time.Hour, pg.Service.TimeoutStop)
	assert.Equal(t, []string{"postgresql.service"}, pg.PartOf)
	assert.Equal(t, []string{"postgresql.service"}, pg.ReloadPropagatedFrom)

	// mariadb@bootstrap.service.d/use_galera_new_cluster.conf empties
	// ConditionPathExists=, ExecStartPre=, ExecStart= and ExecStartPost= and
	// sets its own.
	b, err := l.Load("mariadb@bootstrap.service")
	require.NoError(t, err)
	assert.Equal(t, []string{"/lib/systemd/system/mariadb@bootstrap.service.d/use_galera_new_cluster.conf"}, b.DropIns)
	assert.Empty(t, b.Conditions)
	assert.Empty(t, b.Service.ExecStartPre)
	assert.Empty(t, b.Service.ExecStartPost)
	assert.Equal(t, "oneshot", b.Service.Type)
	require.Len(t, b.Service.ExecStart, 2)
	assert.Equal(t, []string{"/usr/bin/false"}, b.Service.ExecStart[1].Argv)

	other, err := l.Load("mariadb@other.service")
	require.NoError(t, err)
	assert.Empty(t, other.DropIns, "the drop-in is the bootstrap instance's only")
	assert.Equal(t, []Condition{{Kind: "PathExists", Negate: true, Param: "/etc/mysql/mariadb.conf.d/myother.cnf", Where: "/lib/systemd/system/mariadb@.service:158"}}, other.Conditions)
	assert.Equal(t, []EnvVar{{"MYSQLD_MULTI_INSTANCE", "--defaults-group-suffix=.other"}}, other.Service.Environment)

	_, err = l.Load("postgresql@.service")
	assert.ErrorContains(t, err, "template", "a template is not a unit")
}

func TestLoad_FirstDirectoryWinsAndEtcOverridesLib(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service":     "[Service]\nExecStart=/bin/lib\n",
		"usr/lib/systemd/system/a.service": "[Service]\nExecStart=/bin/usr-lib\n",
		"usr/lib/systemd/system/b.service": "[Service]\nExecStart=/bin/usr-lib\n",
		"etc/systemd/system/a.service":     "[Service]\nExecStart=/bin/etc\n",
		"run/systemd/system/b.service":     "[Service]\nExecStart=/bin/run\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	a, err := l.Load("a.service")
	require.NoError(t, err)
	assert.Equal(t, "/etc/systemd/system/a.service", a.Fragment)
	b, err := l.Load("b.service")
	require.NoError(t, err)
	assert.Equal(t, "/run/systemd/system/b.service", b.Fragment)
	_, err = l.Load("c.service")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestLoad_MasksAreDevNullLinksOrEmptyFiles(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/a.service": "[Service]\nExecStart=/bin/a\n",
		"lib/systemd/system/b.service": "[Service]\nExecStart=/bin/b\n",
		"etc/systemd/system/a.service": "->/dev/null",
		"etc/systemd/system/b.service": "",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	for _, n := range []string{"a.service", "b.service"} {
		u, err := l.Load(n)
		require.NoError(t, err)
		assert.True(t, u.Masked, n)
		assert.Nil(t, u.Service, n)
	}
}

func TestLoad_DropInsApplyByFileNameAcrossDirectoriesAndHideByName(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"lib/systemd/system/foo-bar.service":             "[Service]\nExecStart=/bin/a\nEnvironment=A=lib\n",
		"lib/systemd/system/foo-bar.service.d/10-a.conf": "[Service]\nEnvironment=B=lib10\n",
		"lib/systemd/system/foo-bar.service.d/30-c.conf": "[Service]\nEnvironment=C=lib30\n",
		"etc/systemd/system/foo-bar.service.d/30-c.conf": "[Service]\nEnvironment=C=etc30\n", // hides lib's
		"lib/systemd/system/service.d/20-all.conf":       "[Service]\nEnvironment=T=type\n",
		"lib/systemd/system/foo-.service.d/15-pfx.conf":  "[Service]\nEnvironment=P=prefix\n",
		"run/systemd/system/foo-bar.service.d/10-a.conf": "->/dev/null", // masks lib's 10-a
		"etc/systemd/system/foo-bar.service.d/05-x.txt":  "[Service]\nEnvironment=X=not-conf\n",
		"etc/systemd/system/foo-bar.service.d/40-e.conf": "[Service]\nEnvironment=\nEnvironment=Z=reset\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	u, err := l.Load("foo-bar.service")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"/lib/systemd/system/foo-.service.d/15-pfx.conf",
		"/lib/systemd/system/service.d/20-all.conf",
		"/etc/systemd/system/foo-bar.service.d/30-c.conf",
		"/etc/systemd/system/foo-bar.service.d/40-e.conf",
	}, u.DropIns)
	assert.Equal(t, []EnvVar{{"Z", "reset"}}, u.Service.Environment, "an empty Environment= resets the list")
}

func TestLoad_SymlinksResolveInsideTheRootNeverOnTheHost(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"usr/lib/systemd/system/real.service": "[Service]\nExecStart=/bin/real\n",
		"lib":                                 "->usr/lib", // merged /usr, relative
		"opt/app/app.service":                 "[Service]\nExecStart=/opt/app/run\n",
		"etc/systemd/system/app.service":      "->/opt/app/app.service", // a linked unit file, absolute
		"etc/systemd/system/alias.service":    "->/lib/systemd/system/real.service",
		"etc/systemd/system/escape.service":   "->../../../../../../../../etc/hostname.service",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	app, err := l.Load("app.service")
	require.NoError(t, err)
	assert.Equal(t, "/opt/app/app.service", app.Fragment)
	al, err := l.Load("alias.service")
	require.NoError(t, err)
	assert.Equal(t, "real.service", al.Name)
	_, err = l.Load("escape.service")
	assert.Error(t, err, "a link climbing out of the root stays in it (and finds nothing)")
	assert.Equal(t, filepath.Join(root, "etc/passwd"), mustResolve(t, root, "/../../etc/passwd"))
}

func mustResolve(t *testing.T, root, p string) string {
	h, err := resolve(root, p)
	require.NoError(t, err)
	return h
}

func TestLoad_WantsDirectoriesAndBuiltinTargets(t *testing.T) {
	l := debianLoader(t)
	mu, err := l.Load("multi-user.target")
	require.NoError(t, err)
	assert.True(t, mu.Builtin)
	assert.Equal(t, []string{"apache2.service", "cron.service", "e2scrub_reap.service", "mariadb.service", "nginx.service",
		"php8.2-fpm.service", "postgresql.service", "redis-server.service", "rsyslog.service", "ssh.service"}, mu.Wants)
	def, err := l.Load("default.target")
	require.NoError(t, err)
	assert.Same(t, mu, def, "default.target is multi-user.target when the image has no link")
	pg, err := l.Load("postgresql.service")
	require.NoError(t, err)
	assert.Equal(t, []string{"postgresql@15-main.service"}, pg.Wants, "the generator's link")
}

func TestLoad_ReportsUnsupportedAndBadSettingsWithFileAndLine(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"etc/systemd/system/x.service": "[Unit]\nAfter=\nConditionFooBar=x\n[Service]\nType=bogus\nDynamicUser=yes\nPrivateTmp=yes\nPrivateTmp=no\nRestartSec=soon\nExecStart=/bin/%Z\n[X-Vendor]\nAnything=1\n[Weird]\nA=1\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	u, err := l.Load("x.service")
	require.NoError(t, err)
	var got []string
	for _, d := range u.Diags {
		got = append(got, d.String())
	}
	f := "/etc/systemd/system/x.service"
	assert.Equal(t, []string{
		f + ":3: warning: ConditionFooBar= is not a known condition, ignored",
		f + `:5: warning: Type=bogus: "bogus": want one of simple, exec, forking, oneshot, notify, notify-reload, dbus, idle; setting ignored`,
		f + ":6: warning: DynamicUser= in [Service] is not supported by boxinit, ignored",
		f + ":7: info: PrivateTmp= ignored: a container without privileges cannot apply it",
		f + `:9: warning: RestartSec=soon: time span "soon": expected a number at "soon"; setting ignored`,
		f + ":10: warning: ExecStart=/bin/%Z: specifier %Z is not supported; setting ignored",
		f + ":14: warning: unknown section [Weird], ignored",
		f + ": error: service has no ExecStart=, ExecStop= or SuccessAction= setting",
	}, got)
}

func TestLoad_ServiceDefaultsAsSystemdFillsThem(t *testing.T) {
	root := t.TempDir()
	write(t, root, map[string]string{
		"etc/systemd/system/stop-only.service": "[Service]\nRemainAfterExit=yes\nExecStop=/bin/save-state\n",
		"etc/systemd/system/codes.service":     "[Service]\nExecStart=/bin/x\nSuccessExitStatus=DATAERR 3 SIGUSR1 HUP\nRestartKillSignal=SIGINT\n",
		"etc/systemd/system/exit.service":      "[Unit]\nSuccessAction=exit-force\n",
	})
	l, err := NewLoader(root)
	require.NoError(t, err)
	u, err := l.Load("stop-only.service")
	require.NoError(t, err)
	assert.Empty(t, u.Diags)
	assert.Equal(t, "oneshot", u.Service.Type, "no Type= and no ExecStart=: oneshot")
	c, err := l.Load("codes.service")
	require.NoError(t, err)
	assert.Empty(t, c.Diags)
	assert.Equal(t, []int{65, 3}, c.Service.SuccessExitStatus.Codes)
	assert.Equal(t, []int{int(unix.SIGUSR1), int(unix.SIGHUP)}, c.Service.SuccessExitStatus.Signals)
	assert.Equal(t, int(unix.SIGINT), c.Service.RestartKillSignal)
	e, err := l.Load("exit.service")
	require.NoError(t, err)
	assert.Empty(t, e.Diags, "a service with only SuccessAction= loads (systemd-exit.service)")
}
