package main

import (
	"os"
	"os/exec"
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
	finishedLine := regexp.MustCompile(`msg="job finished" job=/etc/cron.d/job:1 user=human run=\d+ schedule="@every 1s" code=(-?\d+)`)
	// five runs done and logged (a run that has written its uid may still
	// be going when SIGTERM comes: the stop ends it unlogged)
	eventually(t, 60*time.Second, "five runs of the job finished", func() bool {
		return len(finishedLine.FindAllString(p.out.String(), -1)) >= 5
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
	finished := finishedLine.FindAllStringSubmatch(p.out.String(), -1)
	require.GreaterOrEqual(t, len(finished), 5, "%s", p.out.String())
	for _, m := range finished {
		assert.Equal(t, "7", m[1], "a job's exit status was lost or wrong")
	}
	assert.GreaterOrEqual(t, orphansReaped(t, p.out.String()), 20000)
}

// boxinit check on Debian's stock /etc/crontab and the cron.d files of
// real packages (testdata/cron/debian): exit 0, every line listed with its
// next run.
func TestCheck_PassesDebiansStockCrontabsAndListsEveryLineWithItsNextRun(t *testing.T) {
	root := bootTree(t, "")
	require.NoError(t, os.CopyFS(root, os.DirFS("../../testdata/cron/debian")))
	cmd := exec.Command(boxinitBin, "check", "--root="+root)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "%s", stderr.String())
	assert.Contains(t, stderr.String(), "configuration ok")
	lines := regexp.MustCompile(`(?m)^cron: (\S+)  (.+?)  root  next (\d{4}-\d\d-\d\d \d\d:\d\d) UTC  `).FindAllStringSubmatch(stdout.String(), -1)
	var jobs []string
	for _, m := range lines {
		jobs = append(jobs, m[1])
		next, err := time.Parse("2006-01-02 15:04", m[3])
		require.NoError(t, err)
		switch m[1] {
		case "/etc/crontab:20", "/etc/cron.d/e2scrub_all:1": // day of week 7 and 0
			assert.Equal(t, time.Sunday, next.Weekday(), m[0])
		case "/etc/crontab:21":
			assert.Equal(t, 1, next.Day(), m[0])
		}
		assert.WithinDuration(t, time.Now(), next, 31*24*time.Hour, m[0])
	}
	assert.Equal(t, []string{"/etc/cron.d/anacron:6", "/etc/cron.d/certbot:17", "/etc/cron.d/e2scrub_all:1", "/etc/cron.d/e2scrub_all:2",
		"/etc/cron.d/php:14", "/etc/cron.d/sysstat:6", "/etc/cron.d/sysstat:9",
		"/etc/crontab:18", "/etc/crontab:19", "/etc/crontab:20", "/etc/crontab:21"}, jobs, "%s", stdout.String())
}

// Every bad line and every refused file is named with file:line, and check
// exits 78; the good lines are still listed.
func TestCheck_NamesEveryBadCronLineAndRefusedFileAndExits78(t *testing.T) {
	testutil.RequireRoot(t)
	root := bootTree(t, "")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/app"),
		[]byte("0 3 * * * root backup\n0 0 ? * * root quartz\n5/15 * * * * root step\n0 0 * * 8 root eight\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/users"), []byte("* * * * * root id\n"), 0o644))
	require.NoError(t, os.Chown(filepath.Join(root, "etc/cron.d/users"), 1000, 1000))
	cmd := exec.Command(boxinitBin, "check", "--root="+root)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", stderr.String())
	assert.Equal(t, exitConfig, ee.ExitCode())
	for _, want := range []string{
		`boxinit: cron: /etc/cron.d/app:2: schedule "0 0 ? * *": day of month "?"`,
		`boxinit: cron: /etc/cron.d/app:3: schedule "5/15 * * * *": minute "5/15": 5/15: a step needs a range or * before it`,
		`boxinit: cron: /etc/cron.d/app:4: schedule "0 0 * * 8": day of week "8": 8 is out of range 0-7`,
		`boxinit: cron: /etc/cron.d/users: refused: owned by uid 1000, not root`,
		"boxinit: 3 crontab lines are wrong",
		"boxinit: 1 crontab files are refused",
	} {
		assert.Contains(t, stderr.String(), want)
	}
	assert.Contains(t, stdout.String(), "cron: /etc/cron.d/app:1  0 3 * * *  root  next ")
}

// A refused crontab is shown in boxinit status with its reason, a bad line
// with file:line; fixing the file's mode while init runs loads it within a
// minute, and a user's spool crontab runs as its owner.
func TestInit_StatusShowsRefusedCrontabsWithTheReasonAndAFixIsPickedUp(t *testing.T) {
	testutil.RequireRoot(t)
	root := bootTree(t, "DEFAULT_USER=human\n")
	out := t.TempDir()
	require.NoError(t, os.Chmod(out, 0o777))
	d := filepath.Join(root, "etc/cron.d")
	require.NoError(t, os.MkdirAll(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, "shared"), []byte("* * * * * root touch "+out+"/shared\n"), 0o666))
	require.NoError(t, os.Chmod(filepath.Join(d, "shared"), 0o666))
	require.NoError(t, os.WriteFile(filepath.Join(d, "app"), []byte("@every 1s root true\n0 0 * * 8 root eight\n"), 0o644))
	spool := filepath.Join(root, "var/spool/cron/crontabs")
	require.NoError(t, os.MkdirAll(spool, 0o1730))
	testutil.OpenToOthers(t, root) // uid 1000 reaches its home
	sock := filepath.Join(t.TempDir(), "boxinit.sock")
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--socket="+sock, "--cron=/etc/crontab,/etc/cron.d", "--", "sleep", "600")
	eventually(t, 15*time.Second, "ready", func() bool { _, code := statusCmd(t, sock, "--ready"); return code == 0 })

	// human's crontab, as crontab -e leaves it (boot made the user: chown now)
	tab := filepath.Join(spool, "human")
	// (written then renamed: a redirection makes the file before id writes
	// to it, and the test read it empty in between)
	require.NoError(t, os.WriteFile(tab, []byte("# DO NOT EDIT THIS FILE\n* * * * * id -u > "+out+"/spool.tmp && mv "+out+"/spool.tmp "+out+"/spool\n"), 0o600))
	require.NoError(t, os.Chown(tab, 1000, 0))

	doc := queryJSON(t, sock)
	require.NotNil(t, doc.Cron)
	assert.Equal(t, []string{"/etc/cron.d/shared: refused: mode 0666 is writable by group or others"}, doc.Cron.Refused)
	assert.Equal(t, []string{`/etc/cron.d/app:2: schedule "0 0 * * 8": day of week "8": 8 is out of range 0-7`}, doc.Cron.Rejected)
	text, _ := statusCmd(t, sock)
	assert.Contains(t, text, "  refused: /etc/cron.d/shared: refused: mode 0666 is writable by group or others\n")

	require.NoError(t, os.Chmod(filepath.Join(d, "shared"), 0o644))
	waitFile(t, out+"/shared", 125*time.Second)
	waitFile(t, out+"/spool", 65*time.Second)
	assert.Equal(t, "1000\n", readFileT(t, out+"/spool"), "run as human (uid 1000)")
	doc = queryJSON(t, sock)
	assert.Empty(t, doc.Cron.Refused)
	assert.Equal(t, 1, strings.Count(p.out.String(), `msg="crontab refused"`), "reported once per change")
}

func TestInit_ACronJobPrintingAnRcEnvValueIsLoggedMasked(t *testing.T) {
	testutil.RequireRoot(t)
	root := bootTree(t, "DEFAULT_USER=human\nAPI_TOKEN=s3cr3t-t0ken-value\n")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/leak"),
		[]byte("@every 1s root echo token=$API_TOKEN; echo to stderr $API_TOKEN >&2\n"), 0o644))
	p := startInit(t, "--root="+root, "--ready-file=/ready", "--cron=/etc/cron.d", "--", "sleep", "60")
	eventually(t, 30*time.Second, "the job ran and its output was logged", func() bool {
		return strings.Contains(p.out.String(), "to stderr")
	})
	p.signal(syscall.SIGTERM)
	p.wait(15 * time.Second)
	assert.Contains(t, p.out.String(), "token=[redacted]")
	assert.NotContains(t, p.out.String(), "s3cr3t-t0ken-value")
}
