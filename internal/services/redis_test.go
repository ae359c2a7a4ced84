package services

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
	"github.com/boxinit/boxinit/internal/units"
)

// TestRealRedis runs Debian's redis-server.service as shipped (Type=notify,
// User=redis, RuntimeDirectory=redis with mode 2755, UMask=007,
// LimitNOFILE=65535, Restart=always), with a drop-in that points ExecStart=
// at an unpacked redis-server, as an admin would override it. It needs
// the server: BOXINIT_TEST_REDIS=DIR where DIR holds the packages
// redis-server, redis-tools, libjemalloc2 and liblzf1 unpacked with
// `dpkg-deb -x` (Debian 12), and root.
func TestRealRedis_NotifyReadinessAndRestartAfterKill9(t *testing.T) {
	dir := os.Getenv("BOXINIT_TEST_REDIS")
	if dir == "" {
		t.Skip("set BOXINIT_TEST_REDIS to an unpacked redis-server (see the comment)")
	}
	testutil.RequireRoot(t)
	root := t.TempDir()
	testutil.OpenToOthers(t, root)
	unit, err := os.ReadFile("../../testdata/units/debian/root/lib/systemd/system/redis-server.service")
	require.NoError(t, err)
	sock := filepath.Join(root, "run/redis/redis.sock")
	files := map[string]string{
		"lib/systemd/system/redis-server.service": string(unit),
		"etc/systemd/system/redis-server.service.d/local.conf": "[Service]\nEnvironment=LD_LIBRARY_PATH=" + dir + "/usr/lib/x86_64-linux-gnu\nExecStart=\n" +
			"ExecStart=" + dir + "/usr/bin/redis-server --port 0 --unixsocket " + sock + " --dir " + root + "/var/lib/redis --save \"\" --supervised systemd --daemonize no\n",
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nredis:x:990:990::/var/lib/redis:/usr/sbin/nologin\n",
		"etc/group":  "root:x:0:\nredis:x:990:\n",
	}
	for p, c := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o644))
	}
	// The Alias= link the postinst makes (deb-systemd-helper enable).
	require.NoError(t, os.Symlink("/lib/systemd/system/redis-server.service", filepath.Join(root, "etc/systemd/system/redis.service")))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "var/lib/redis"), 0o755))
	require.NoError(t, os.Chown(filepath.Join(root, "var/lib/redis"), 990, 990))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "run"), 0o755))
	l, err := units.NewLoader(root)
	require.NoError(t, err)
	buf := &testutil.SyncBuffer{}
	m := New(Options{Root: root, Env: []string{"PATH=/usr/bin:/bin"}, Log: slog.New(slog.NewTextHandler(io.MultiWriter(buf), nil)),
		Run: testreaper.Get(t), Facts: units.Facts{Root: root}}, l)
	t.Cleanup(func() {
		_ = m.StopAll(context.Background())
		if t.Failed() {
			t.Log(buf.String())
		}
	})

	start := time.Now()
	require.NoError(t, m.Start(ctx, "redis.service"), buf.String())
	t.Logf("redis ready (READY=1) %v after the start", time.Since(start).Round(time.Millisecond))
	assert.Equal(t, "+PONG", ping(t, sock))
	st, _ := m.Status("redis.service")
	fi, err := os.Stat(filepath.Join(root, "run/redis"))
	require.NoError(t, err)
	assert.Equal(t, uint32(990), fi.Sys().(*syscall.Stat_t).Uid)
	var want unix.Rlimit // LimitNOFILE=65535, or as close as the hard limit allows
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &want))
	want.Cur, want.Max = min(65535, want.Max), min(65535, want.Max)
	limits, _ := os.ReadFile("/proc/" + strconv.Itoa(st.MainPID) + "/limits")
	assert.Regexp(t, fmt.Sprintf(`Max open files\s+%d\s+%d`, want.Cur, want.Max), string(limits))

	killed := time.Now()
	require.NoError(t, unix.Kill(st.MainPID, unix.SIGKILL))
	for time.Since(killed) < 5*time.Second {
		if r := ping(t, sock); r == "+PONG" {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("redis answered PONG again %v after kill -9 (RestartSec=100ms)", time.Since(killed).Round(time.Millisecond))
	var st2 Status
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st2, _ = m.Status("redis.service"); st2.ActiveState == Active && st2.MainPID != st.MainPID {
			break
		}
	}
	t.Logf("redis active again (READY=1) %v after kill -9", time.Since(killed).Round(time.Millisecond))
	assert.Equal(t, Active, st2.ActiveState)
	assert.NotEqual(t, st.MainPID, st2.MainPID)
	assert.Equal(t, 1, st2.Restarts)
	stopStart := time.Now()
	require.NoError(t, m.Stop(ctx, "redis.service"))
	t.Logf("stop took %v", time.Since(stopStart))
	assert.NoDirExists(t, filepath.Join(root, "run/redis"), "RuntimeDirectory= is removed at stop")
}

func ping(t *testing.T, sock string) string {
	c, err := net.DialTimeout("unix", sock, 200*time.Millisecond)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return ""
	}
	b := make([]byte, 64)
	n, _ := c.Read(b)
	return strings.TrimSpace(string(b[:n]))
}
