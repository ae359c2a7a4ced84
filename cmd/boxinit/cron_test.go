package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/testutil"
)

// boxinit as PID 1 boots the admin user, then runs a cron.d job as that
// user every second while the main command lets 10,000 orphans land on it:
// every run reports its true exit status (7), none is lost to the storm.
func TestInit_RunsCronJobsAsTheUserAndLosesNoStatusDuringAnOrphanStorm(t *testing.T) {
	testutil.RequireRoot(t)
	root := bootTree(t, "DEFAULT_USER=human\n")
	out := t.TempDir()
	require.NoError(t, os.Chmod(out, 0o777))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/job"),
		[]byte("@every 1s human id -u >> "+out+"/uids; exit 7\n"), 0o644))
	testutil.OpenToOthers(t, root) // uid 1000 reaches its home
	storm := strings.Join(testutil.Prog(t, "orphans", "10000"), " ")
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--cron=/etc/crontab,/etc/cron.d", "--",
		"sh", "-c", storm+" > /dev/null; "+storm+" > /dev/null; touch "+out+"/stormed; sleep 60")
	eventually(t, 60*time.Second, "five runs of the job", func() bool {
		b, _ := os.ReadFile(out + "/uids")
		return strings.Count(string(b), "\n") >= 5
	})
	waitFile(t, out+"/stormed", 60*time.Second)
	eventually(t, 30*time.Second, "the storms are reaped", func() bool {
		zombies := 0
		for _, state := range testutil.Children(p.pid()) {
			if state == 'Z' {
				zombies++
			}
		}
		return zombies == 0
	})
	p.signal(syscall.SIGTERM)
	code, _ := p.wait(15 * time.Second)
	assert.Equal(t, 143, code)

	b, err := os.ReadFile(out + "/uids")
	require.NoError(t, err)
	for _, uid := range strings.Fields(string(b)) {
		assert.Equal(t, "1000", uid)
	}
	finished := regexp.MustCompile(`msg="job finished" job=/etc/cron.d/job:1 user=human run=\d+ schedule="@every 1s" code=(-?\d+)`).FindAllStringSubmatch(p.out.String(), -1)
	require.GreaterOrEqual(t, len(finished), 5, "%s", p.out.String())
	for _, m := range finished {
		assert.Equal(t, "7", m[1], "a job's exit status was lost or wrong")
	}
	assert.GreaterOrEqual(t, orphansReaped(t, p.out.String()), 20000)
}
