package services

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestStatusText_ReadsAsSystemctlStatus(t *testing.T) {
	since := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	u := mustLoad(t, "nginx.service")
	got := renderStatus(Status{Name: "nginx.service", Description: u.Description, ActiveState: Active, SubState: "running",
		MainPID: 125, Since: since, Log: []string{"started"}}, u, "enabled", since.Add(5*time.Minute+3*time.Second), "nginx",
		[]string{"125 nginx: master process /usr/sbin/nginx", "126 nginx: worker process"})
	assert.Equal(t, `● nginx.service - A high performance web server and a reverse proxy server
     Loaded: loaded (/lib/systemd/system/nginx.service; enabled)
     Active: active (running) since Wed 2026-12-02 14:00:00 UTC; 5min 3s ago
       Docs: man:nginx(8)
   Main PID: 125 (nginx)
  Processes: 125 nginx: master process /usr/sbin/nginx
             126 nginx: worker process

started
`, got)

	got = renderStatus(Status{Name: "nginx.service", Description: u.Description, ActiveState: Failed, SubState: "failed", Result: "exit-code",
		Since: since, LastExit: &Exit{Code: 1, Known: true}}, u, "enabled", since.Add(3*time.Second), "", nil)
	assert.Contains(t, got, "× nginx.service")
	assert.Contains(t, got, "     Active: failed (Result: exit-code) since Wed 2026-12-02 14:00:00 UTC; 3s ago\n")
	assert.Contains(t, got, "   Main PID: (code=exited, status=1/FAILURE)\n")
	assert.Equal(t, "code=killed, signal=KILL", exitText(Exit{Signal: int(unix.SIGKILL), Known: true}))
}

func TestStatusText_ExitCodesAreSystemctls(t *testing.T) {
	f := setup(t, map[string]string{"a.service": "[Unit]\nDescription=A\n[Service]\nExecStart=/bin/sleep 1000\n"})
	_, code, err := f.m.StatusText("a.service", time.Now())
	require.NoError(t, err)
	assert.Equal(t, 3, code, "not running")
	require.NoError(t, f.m.Start(ctx, "a.service"))
	text, code, err := f.m.StatusText("a.service", time.Now())
	require.NoError(t, err)
	assert.Equal(t, 0, code)
	assert.Contains(t, text, "Main PID: ")
	assert.Contains(t, text, "(sleep)")
	_, code, err = f.m.StatusText("nope.service", time.Now())
	assert.Error(t, err)
	assert.Equal(t, 4, code)
}
