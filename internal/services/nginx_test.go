package services

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
	"github.com/boxinit/boxinit/internal/units"
)

// TestRealNginx runs Debian's nginx.service as shipped (Type=forking,
// PIDFile=/run/nginx.pid, KillMode=mixed, TimeoutStopSec=5) with a drop-in
// that points its four command lines at an unpacked nginx and a config in
// the test's root, as an admin would override them; ExecStop= stays
// start-stop-daemon --retry QUIT/5 as in the unit. It needs
// BOXINIT_TEST_NGINX=PATH of an nginx binary (Debian 12's nginx package,
// dpkg-deb -x), start-stop-daemon, and root.
// realNginx is a manager for Debian's nginx.service with the drop-in
// described above, plus extra lines in its [Service]; it returns the PID
// file's path and a GET of the server's page.
func realNginx(t *testing.T, extra string) (m *Manager, buf *testutil.SyncBuffer, pid string, get func() string) {
	t.Helper()
	bin := os.Getenv("BOXINIT_TEST_NGINX")
	if bin == "" {
		t.Skip("set BOXINIT_TEST_NGINX to an nginx binary (see the comment)")
	}
	testutil.RequireRoot(t)
	root := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	unit, err := os.ReadFile("../../testdata/units/debian/root/lib/systemd/system/nginx.service")
	require.NoError(t, err)
	conf := filepath.Join(root, "etc/nginx/nginx.conf")
	opts := "-p " + root + " -c " + conf
	pid = filepath.Join(root, "run/nginx.pid")
	files := map[string]string{
		"lib/systemd/system/nginx.service": string(unit),
		"etc/systemd/system/nginx.service.d/local.conf": "[Service]\nExecStartPre=\nExecStart=\nExecReload=\nExecStop=\n" +
			"ExecStartPre=" + bin + " " + opts + " -t -q -g 'daemon on; master_process on;'\n" +
			"ExecStart=" + bin + " " + opts + " -g 'daemon on; master_process on;'\n" +
			"ExecReload=" + bin + " " + opts + " -g 'daemon on; master_process on;' -s reload\n" +
			"ExecStop=-/sbin/start-stop-daemon --quiet --stop --retry QUIT/5 --pidfile " + pid + "\n" + extra,
		"etc/nginx/nginx.conf": "worker_processes 2; pid " + pid + "; error_log stderr;\nevents {}\nhttp {\n access_log off;\n" +
			" client_body_temp_path " + root + "/tmp/b; proxy_temp_path " + root + "/tmp/p; fastcgi_temp_path " + root + "/tmp/f;\n" +
			" uwsgi_temp_path " + root + "/tmp/u; scgi_temp_path " + root + "/tmp/s;\n" +
			" server { listen " + addr + "; location / { return 200 \"hello from $pid\\n\"; } }\n}\n",
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"etc/group":  "root:x:0:\nnogroup:x:65534:\n",
	}
	for p, c := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(root, p), []byte(c), 0o644))
	}
	require.NoError(t, os.MkdirAll(filepath.Join(root, "run"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "tmp"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "logs"), 0o755))
	l, err := units.NewLoader(root)
	require.NoError(t, err)
	buf = &testutil.SyncBuffer{}
	m = New(Options{Root: root, Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, Log: slog.New(slog.NewTextHandler(io.MultiWriter(buf), nil)),
		Run: testreaper.Get(t), Facts: units.Facts{Root: root}}, l)
	t.Cleanup(func() {
		_ = m.StopAll(context.Background())
		if t.Failed() {
			t.Log(buf.String())
		}
	})
	get = func() string {
		c := http.Client{Timeout: time.Second}
		r, err := c.Get("http://" + addr + "/")
		if err != nil {
			return err.Error()
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return strings.TrimSpace(string(b))
	}
	return m, buf, pid, get
}

func TestRealNginx_ForkingPIDFileRestartGivesANewMasterAndStopEndsAll(t *testing.T) {
	m, buf, pid, get := realNginx(t, "")
	start := time.Now()
	require.NoError(t, m.Start(ctx, "nginx.service"))
	t.Logf("nginx started (PID file read) %v after the start", time.Since(start).Round(time.Millisecond))
	st, _ := m.Status("nginx.service")
	master, _ := strconv.Atoi(strings.TrimSpace(string(must(os.ReadFile(pid)))))
	assert.Equal(t, master, st.MainPID, "the main process is the one of the PID file")
	assert.Regexp(t, `^hello from \d+$`, get())
	s, _ := m.service("nginx.service")
	var procs []int
	for deadline := time.Now().Add(2 * time.Second); len(procs) < 3 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		procs = s.processes()
	}
	assert.Len(t, procs, 3, "the master and its two workers (the master forked them after the PID file)")

	require.NoError(t, m.Restart(ctx, "nginx.service"))
	st2, _ := m.Status("nginx.service")
	assert.NotEqual(t, st.MainPID, st2.MainPID, "a restart gives a new master")
	assert.Regexp(t, `^hello from \d+$`, get())

	require.NoError(t, m.Reload(ctx, "nginx.service"))
	assert.Equal(t, st2.MainPID, must2(m.Status("nginx.service")).MainPID, "a reload keeps the master")

	procs = s.processes()
	stopStart := time.Now()
	require.NoError(t, m.Stop(ctx, "nginx.service"))
	t.Logf("stop took %v", time.Since(stopStart).Round(time.Millisecond))
	for _, p := range procs {
		assert.True(t, gone(p), "pid %d left", p)
	}
	assert.NotContains(t, buf.String(), "final signal", "ExecStop= (QUIT) ended it")
}

// A forking nginx master is not boxinit's child, but its exit status is
// known: killed by SIGKILL it is an abnormal end that Restart=on-failure
// and on-abnormal restart; stopped by SIGQUIT (a graceful quit, exit 0) it
// is a clean end that on-failure does not restart, as under systemd.
func TestRealNginx_TheMastersExitStatusDecidesRestart(t *testing.T) {
	for _, tc := range []struct {
		restart   string
		signal    unix.Signal
		restarted bool
		exit      Exit
	}{
		{"on-failure", unix.SIGKILL, true, Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-abnormal", unix.SIGKILL, true, Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-failure", unix.SIGQUIT, false, Exit{Code: 0, Known: true}},
	} {
		what := "Restart=" + tc.restart + ", master gets " + unix.SignalName(tc.signal)
		m, buf, _, get := realNginx(t, "Restart="+tc.restart+"\nRestartSec=100ms\nTimeoutStopSec=1s\n") // workers outlive a killed master until the final SIGKILL (KillMode=mixed)
		require.NoError(t, m.Start(ctx, "nginx.service"), what)
		master := must2(m.Status("nginx.service")).MainPID
		require.NoError(t, unix.Kill(master, tc.signal))
		var st Status
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			st = must2(m.Status("nginx.service"))
			if tc.restarted && st.Restarts == 1 && st.ActiveState == Active || !tc.restarted && st.ActiveState == Inactive {
				break
			}
		}
		if tc.restarted {
			require.Equal(t, Active, st.ActiveState, "%s\n%s", what, buf.String())
			assert.NotEqual(t, master, st.MainPID, what)
			assert.Regexp(t, `^hello from \d+$`, get(), what)
		} else {
			time.Sleep(300 * time.Millisecond)
			st = must2(m.Status("nginx.service"))
			require.Equal(t, Inactive, st.ActiveState, "%s\n%s", what, buf.String())
			assert.Equal(t, 0, st.Restarts, what)
		}
		require.NotNil(t, st.LastExit, what)
		assert.Equal(t, tc.exit, *st.LastExit, what)
		require.NoError(t, m.Stop(ctx, "nginx.service"))
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func must2(s Status, err error) Status {
	if err != nil {
		panic(err)
	}
	return s
}
