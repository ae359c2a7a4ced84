package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Debian's nginx.service is Type=forking with PIDFile=/run/nginx.pid: its
// master is not boxinit's child but a grandchild reparented to PID 1.
// boxinit adopts it, so a kill -9 of the master shows as systemd shows
// it: failed, Result=signal, ExecMainCode=2 (killed), ExecMainStatus=9.
func TestServices_AKilledForkingNginxMasterShowsItsSignalAsUnderSystemd(t *testing.T) {
	img := servicesImage(t)
	web := freePort(t)
	name := fmt.Sprintf("boxinit-e2e-adopt-%d", web)
	removeWhenDone(t, name)
	webAddr := fmt.Sprintf("127.0.0.1:%d", web)
	out, err := podman(t, "run", "-d", "--name", name, "-p", webAddr+":80", "--entrypoint", "/sbin/boxinit", img)
	require.NoError(t, err, out)
	within(t, 60*time.Second, "nginx serves", func() bool { return serves(webAddr) })

	show := func() string {
		out, err := podman(t, "exec", name, "systemctl", "show", "-p", "ActiveState,Result,ExecMainCode,ExecMainStatus,MainPID", "nginx")
		require.NoError(t, err, out)
		return out
	}
	master, err := podman(t, "exec", name, "systemctl", "show", "-p", "MainPID", "--value", "nginx")
	require.NoError(t, err, master)
	master = strings.TrimSpace(master)
	require.NotEqual(t, "0", master)
	out, err = podman(t, "exec", name, "kill", "-9", master)
	require.NoError(t, err, out)
	within(t, 15*time.Second, "nginx failed", func() bool { return strings.Contains(show(), "ActiveState=failed") })
	got := show()
	t.Logf("after kill -9 of the master (pid %s):\n%s", master, got)
	assert.Contains(t, got, "Result=signal\n")
	assert.Contains(t, got, "ExecMainCode=2\n")
	assert.Contains(t, got, "ExecMainStatus=9\n")
	status, err := podman(t, "exec", name, "boxinit", "status")
	require.NoError(t, err, status)
	assert.Contains(t, status, "nginx.service failed: killed by SIGKILL (signal)")
}
