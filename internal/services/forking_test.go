package services

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A classic double-forking daemon, as nginx or any SysV daemon: the
// command boxinit starts forks a child, which starts the daemon in the
// background and exits, so the daemon is reparented to boxinit; the
// daemon writes its PID file. The first time, it then ends after $1
// seconds with status $2 (or kills itself with SIGKILL for "signal");
// started again, it runs.
const (
	daemonStart = "#!/bin/sh\n( \"$0-main\" \"$@\" & )\nexit 0\n"
	daemonMain  = `#!/bin/sh
dir=$(dirname "$0")
echo $$ > "$dir/run/d.pid"
if [ -e "$dir/ran" ]; then exec sleep 1000; fi
touch "$dir/ran"
sleep "$1"
case $2 in
signal) kill -KILL $$ ;;
*) exit "$2" ;;
esac
`
)

func TestService_ForkingDaemonsRealExitStatusDecidesRestartAsInSystemd(t *testing.T) {
	for _, tc := range []struct {
		restart, delay, end string
		restarted           bool
		state               string
		exit                Exit
	}{
		{"on-failure", "0.2", "3", true, "", Exit{Code: 3, Known: true}},
		{"on-failure", "0", "3", true, "", Exit{Code: 3, Known: true}}, // ends before its PID file is read
		{"on-failure", "0.2", "0", false, Inactive, Exit{Code: 0, Known: true}},
		{"on-failure", "0.2", "signal", true, "", Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-abnormal", "0.2", "signal", true, "", Exit{Signal: int(unix.SIGKILL), Known: true}},
		{"on-abnormal", "0.2", "3", false, Failed, Exit{Code: 3, Known: true}},
	} {
		what := "Restart=" + tc.restart + ", daemon ends with " + tc.end + " after " + tc.delay + "s"
		f := setup(t, map[string]string{"d.service": "[Service]\nType=forking\nPIDFile=/run/d.pid\nRestart=" + tc.restart +
			"\nRestartSec=50ms\nExecStart=ROOT/daemon " + tc.delay + " " + tc.end + "\n"})
		require.NoError(t, os.MkdirAll(filepath.Join(f.root, "run"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon"), []byte(daemonStart), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(f.root, "daemon-main"), []byte(daemonMain), 0o755))
		require.NoError(t, f.m.Start(ctx, "d.service"), what)
		var st Status
		if tc.restarted {
			st = f.eventually(t, "d.service", func(st Status) bool { return st.Restarts == 1 && st.ActiveState == Active }, what)
		} else {
			st = f.eventually(t, "d.service", func(st Status) bool { return st.ActiveState == tc.state }, what)
			time.Sleep(150 * time.Millisecond)
			assert.Equal(t, 0, f.status(t, "d.service").Restarts, what)
		}
		require.NotNil(t, st.LastExit, what)
		assert.Equal(t, tc.exit, *st.LastExit, what)
		require.NoError(t, f.m.Stop(ctx, "d.service"))
	}
}
