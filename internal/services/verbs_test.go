package services

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/units"
)

func TestVerbs_TryRestartKillAndDaemonReload(t *testing.T) {
	f := setup(t, map[string]string{
		"v.service": "[Service]\nRestart=on-failure\nRestartSec=10ms\nExecStart=/bin/sh -c 'echo one > ROOT/which; exec sleep 1000'\n",
	})
	require.NoError(t, f.m.TryRestart(ctx, "v.service"))
	assert.Equal(t, Inactive, f.status(t, "v.service").ActiveState, "try-restart does not start a stopped unit")

	require.NoError(t, f.m.Start(ctx, "v.service"))
	first := f.status(t, "v.service").MainPID
	require.NoError(t, f.m.Kill("v.service", unix.SIGKILL, "main"))
	st := f.eventually(t, "v.service", func(st Status) bool { return st.ActiveState == Active && st.MainPID != first }, "restart after kill")
	assert.Equal(t, 1, st.Restarts)
	assert.Error(t, f.m.Kill("v.service", unix.SIGTERM, "control"))

	// The file changes; daemon-reload; the running service keeps its
	// definition until it starts again.
	p := filepath.Join(f.root, "etc/systemd/system/v.service")
	require.NoError(t, os.WriteFile(p, []byte("[Service]\nExecStart=/bin/sh -c 'echo two > "+f.root+"/which; exec sleep 1000'\n"), 0o644))
	l, err := units.NewLoader(f.root)
	require.NoError(t, err)
	f.m.DaemonReload(l)
	_, err = f.m.Status("v.service")
	require.NoError(t, err)
	assert.Equal(t, "one", readFile(t, filepath.Join(f.root, "which")))
	require.NoError(t, os.Remove(filepath.Join(f.root, "which")))
	require.NoError(t, f.m.TryRestart(ctx, "v.service"))
	assert.Equal(t, "two", readFile(t, filepath.Join(f.root, "which")))
	require.NoError(t, f.m.ReloadOrRestart(ctx, "v.service"), "no ExecReload=: a restart")
	assert.Equal(t, Active, f.status(t, "v.service").ActiveState)
}

func TestRestart_StopsWithRestartKillSignal(t *testing.T) {
	f := setup(t, map[string]string{"k.service": "[Service]\nRestartKillSignal=SIGINT\n" +
		"ExecStart=/bin/sh -c 'trap \"echo int >> ROOT/sig; exit 0\" INT; trap \"echo term >> ROOT/sig; exit 0\" TERM; while :; do sleep 0.05; done'\n"})
	require.NoError(t, f.m.Start(ctx, "k.service"))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, f.m.Restart(ctx, "k.service"))
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, f.m.Stop(ctx, "k.service"))
	b, err := os.ReadFile(filepath.Join(f.root, "sig"))
	require.NoError(t, err)
	assert.Equal(t, "int\nterm\n", string(b), "the restart's stop sends RestartKillSignal=, a plain stop KillSignal=")
}
