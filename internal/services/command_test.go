package services

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/units"
	"github.com/boxinit/boxinit/internal/users"
)

// The command lines of the Debian units, as boxinit would start them:
// prefixes, EnvironmentFile= variables that expand to nothing, $MAINPID,
// and the helper for UMask=/LimitNOFILE= (redis) — built, not run.
func TestCommand_BuildsTheDebianUnitsCommandLines(t *testing.T) {
	l, err := units.NewLoader("../../testdata/units/debian/root")
	require.NoError(t, err)
	root := "../../testdata/units/debian/root"
	build := func(unit string, pick func(*units.Service) units.ExecCommand, id users.Identity, mainPID int) []string {
		t.Helper()
		u, err := l.Load(unit)
		require.NoError(t, err)
		env, err := serviceEnv(root, []string{"LANG=C.UTF-8"}, u.Service, id, nil)
		require.NoError(t, err)
		x := &execContext{root: root, svc: u.Service, env: env, vars: newEnv(env).vars(), self: "/sbin/boxinit", umask: int(u.Service.UMask), dir: "/"}
		if id.UID != 0 {
			x.user = &id
		}
		cmd, err := x.command(pick(u.Service), mainPID)
		require.NoError(t, err)
		if cmd.Sys.Credential != nil {
			return append(cmd.Args, "uid="+strconv.Itoa(int(cmd.Sys.Credential.Uid)))
		}
		return cmd.Args
	}
	rootID := users.Identity{Name: "root", Home: "/root", Shell: "/bin/sh"}
	first := func(f func(*units.Service) []units.ExecCommand) func(*units.Service) units.ExecCommand {
		return func(s *units.Service) units.ExecCommand { return f(s)[0] }
	}
	start := first(func(s *units.Service) []units.ExecCommand { return s.ExecStart })

	assert.Equal(t, []string{"/usr/sbin/sshd", "-D"}, build("ssh.service", start, rootID, 0), "SSHD_OPTS= is empty: the word goes")
	assert.Equal(t, []string{"/bin/kill", "-HUP", "4242"}, build("ssh.service", func(s *units.Service) units.ExecCommand { return s.ExecReload[1] }, rootID, 4242))
	assert.Equal(t, []string{"/usr/sbin/cron", "-f"}, build("cron.service", start, rootID, 0), "EXTRA_OPTS is not set: the word goes")
	assert.Equal(t, []string{"/sbin/start-stop-daemon", "--quiet", "--stop", "--retry", "QUIT/5", "--pidfile", "/run/nginx.pid"},
		build("nginx.service", first(func(s *units.Service) []units.ExecCommand { return s.ExecStop }), rootID, 0))
	assert.Equal(t, []string{"/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", "15-main", "start"}, build("postgresql@15-main.service", start, rootID, 0))

	redisID := users.Identity{Name: "redis", Home: "/var/lib/redis", Shell: "/usr/sbin/nologin", UID: 101, GID: 102, Groups: []int{102}}
	assert.Equal(t, []string{"/sbin/boxinit", HelperArg, "umask=7", "rlimit=7:65535:65535", "cred=101:102:102", "--",
		"/usr/bin/redis-server", "/usr/bin/redis-server", "/etc/redis/redis.conf", "--supervised", "systemd", "--daemonize", "no"},
		build("redis.service", start, redisID, 0), "UMask=007 and LimitNOFILE= need the helper, which drops to User= after the limits")

	mysqlID := users.Identity{Name: "mysql", UID: 103, GID: 104, Groups: []int{104}}
	got := build("mariadb.service", first(func(s *units.Service) []units.ExecCommand { return s.ExecStartPost }), mysqlID, 0)
	assert.Equal(t, []string{"/sbin/boxinit", HelperArg, "umask=7", "rlimit=7:32768:32768", "rlimit=8:524288:524288", "--", "/etc/mysql/debian-start", "/etc/mysql/debian-start"}, got,
		"'!' runs as root")
}

func TestHelper_ArgumentsRoundTrip(t *testing.T) {
	h := helperSpec{umask: 0o27, limits: []rlimit{{7, 10, 20}}, cred: &credential{uid: 5, gid: 6, groups: []int{6, 7}}, path: "/bin/sh", argv: []string{"mysh", "-c", "x -- y"}}
	args := h.args("/self")
	assert.Equal(t, []string{"/self", HelperArg, "umask=27", "rlimit=7:10:20", "cred=5:6:6,7", "--", "/bin/sh", "mysh", "-c", "x -- y"}, args)
	got, err := parseHelper(args[2:])
	require.NoError(t, err)
	assert.Equal(t, h, got)
	for _, bad := range [][]string{{"umask=9"}, {"rlimit=1:2"}, {"cred=a:b:"}, {"what=1", "--", "/x", "x"}, {"--", "/x"}} {
		_, err := parseHelper(bad)
		assert.Error(t, err, bad)
	}
}

func mustLoad(t *testing.T, name string) *units.Unit {
	t.Helper()
	l, err := units.NewLoader("../../testdata/units/debian/root")
	require.NoError(t, err)
	u, err := l.Load(name)
	require.NoError(t, err)
	return u
}

// WorkingDirectory= is a path inside the root directory, "~" the user's
// home there; a missing one without '-' fails the start naming the
// setting, as systemd's exec fails with 200/CHDIR.
func TestService_WorkingDirectoryIsInsideTheRoot(t *testing.T) {
	f := setup(t, map[string]string{
		"w.service":    "[Service]\nType=oneshot\nWorkingDirectory=/srv/app\nExecStart=/bin/sh -c pwd\n",
		"home.service": "[Service]\nType=oneshot\nUser=root\nWorkingDirectory=~\nExecStart=/bin/sh -c pwd\n",
		"gone.service": "[Service]\nType=oneshot\nWorkingDirectory=/srv/gone\nExecStart=/bin/true\n",
	})
	for _, d := range []string{"srv/app", "root"} {
		require.NoError(t, os.MkdirAll(filepath.Join(f.root, d), 0o755))
	}
	require.NoError(t, f.m.Start(ctx, "w.service"), f.log.String())
	require.NoError(t, f.m.Start(ctx, "home.service"), f.log.String())
	assert.Equal(t, []string{filepath.Join(f.root, "srv/app")}, f.eventually(t, "w.service", func(st Status) bool { return len(st.Log) > 0 }, "pwd").Log)
	assert.Equal(t, []string{filepath.Join(f.root, "root")}, f.eventually(t, "home.service", func(st Status) bool { return len(st.Log) > 0 }, "pwd").Log)

	err := f.m.Start(ctx, "gone.service")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "WorkingDirectory=/srv/gone: working directory "+filepath.Join(f.root, "srv/gone")+": no such file or directory")
	assert.Equal(t, Failed, f.status(t, "gone.service").ActiveState)
}
