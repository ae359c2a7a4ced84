package cron

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/boxinit/boxinit/internal/users"

	"github.com/boxinit/boxinit/internal/testutil"
	"github.com/boxinit/boxinit/internal/testutil/testreaper"
)

func starter(t *testing.T) Starter { return testreaper.Get(t) }

// jobRoot is a root whose user human (uid 1000) has a home that uid 1000
// can reach, and whose /etc/crontab is crontab.
func jobRoot(t *testing.T, crontab string) string {
	testutil.RequireRoot(t)
	root := t.TempDir()
	testutil.OpenToOthers(t, root) // uid 1000 reaches its home
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "home/human"), 0o755))
	require.NoError(t, os.Chown(filepath.Join(root, "home/human"), 1000, 1000))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nhuman:x:1000:1000::/home/human:/bin/sh\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte("root:x:0:\nadm:x:4:human\nhuman:x:1000:\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/crontab"), []byte(crontab), 0o644))
	return root
}

func startScheduler(t *testing.T, root string, overlap bool) (*Scheduler, *testutil.SyncBuffer) {
	logs := &testutil.SyncBuffer{}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab", "/etc/cron.d"}, Env: []string{"FROM_BOXINIT=yes", "PATH=/nowhere"},
		AllowOverlap: overlap, Zone: time.UTC, Run: starter(t), Log: slog.New(slog.NewTextHandler(logs, nil))})
	require.Empty(t, errs)
	s.Start()
	t.Cleanup(s.Stop)
	return s, logs
}

func waitLog(t *testing.T, logs *testutil.SyncBuffer, what ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		all := true
		for _, w := range what {
			all = all && strings.Contains(logs.String(), w)
		}
		if all {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never showed %q:\n%s", what, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestScheduler_RunsJobsAsTheirUserAndLogsEveryLineWithTheJobsFields(t *testing.T) {
	root := jobRoot(t, `PATH=/usr/bin:/bin
GREETING=hi
@every 1s human echo "$GREETING $(id -u) $(id -G) $(pwd) $FROM_BOXINIT"; echo oops >&2
@every 1s human cat%line one%line two
@reboot root echo booted
`)
	home := filepath.Join(root, "home/human")
	_, logs := startScheduler(t, root, false)
	waitLog(t, logs,
		fmt.Sprintf(`msg="hi 1000 1000 4 %s yes" job=/etc/crontab:3 user=human run=1 stream=stdout`, home),
		`msg=oops job=/etc/crontab:3 user=human run=1 stream=stderr`,
		`msg="line one" job=/etc/crontab:4 user=human run=1 stream=stdout`,
		`msg="line two" job=/etc/crontab:4 user=human run=1 stream=stdout`,
		`msg=booted job=/etc/crontab:5 user=root run=1 stream=stdout`,
		`msg="job finished" job=/etc/crontab:3 user=human run=1 schedule="@every 1s" code=0`,
	)
}

func TestScheduler_SkipsARunWhileThePreviousOneStillRuns(t *testing.T) {
	root := jobRoot(t, "@every 1s root sleep 2.5\n")
	_, logs := startScheduler(t, root, false)
	waitLog(t, logs, `msg="previous run still going: run skipped" job=/etc/crontab:1`, `msg="job finished" job=/etc/crontab:1 user=root run=1`)
	assert.NotContains(t, logs.String(), "run=2 schedule", "no second run while the first one ran")
}

func TestScheduler_AllowedOverlapStartsRunsSideBySide(t *testing.T) {
	root := jobRoot(t, "@every 1s root sleep 2.5\n")
	s, logs := startScheduler(t, root, true)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if jobs := s.Jobs(time.Now()); jobs[0].Runs >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.GreaterOrEqual(t, s.Jobs(time.Now())[0].Runs, 3)
	assert.NotContains(t, logs.String(), "run skipped")
}

func TestScheduler_ReReadsEveryChangeRunningGoodLinesAndReportingBadOnes(t *testing.T) {
	r := newRecorder(t, "* * * * * root first\n", time.UTC)
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	r.prime(t0)
	crontab := filepath.Join(r.o.Root, "etc/crontab")
	edit := func(minute int, text string) {
		require.NoError(t, os.WriteFile(crontab, []byte(text), 0o644))
		r.tick(t0.Add(time.Duration(minute) * time.Minute))
	}

	edit(1, "* * * * * root second\n")
	assert.Len(t, r.runs["* * * * * second"], 1, "the new line runs from the next minute")
	assert.Len(t, r.runs["* * * * * first"], 0)

	edit(2, "* * * * * root second\n* * * * nobody broken\n")
	assert.Len(t, r.runs["* * * * * second"], 2, "the good line of a file with a bad line runs")
	require.Len(t, r.Errors(), 1)
	assert.Contains(t, r.Errors()[0].Error(), "/etc/crontab:2:")
	assert.Contains(t, r.log.String(), `msg="crontab line skipped" job=/etc/crontab:2`)

	edit(3, "* * * * * root second\n* * * * nobody broken\n* * * * * root third\n")
	assert.Len(t, r.runs["* * * * * third"], 1, "an edit of a file that still has a bad line is not ignored")
	assert.Len(t, r.runs["* * * * * second"], 3)
	require.Len(t, r.Errors(), 1)

	edit(4, "* * * * * root second\n* * * * * root fixed\n* * * * * root third\n")
	assert.Empty(t, r.Errors(), "the fixed line is no longer reported")
	assert.Len(t, r.runs["* * * * * fixed"], 1)

	require.NoError(t, os.Remove(crontab))
	r.tick(t0.Add(5 * time.Minute))
	assert.Len(t, r.runs["* * * * * second"], 4, "a removed file's jobs stop")
}

func TestScheduler_ReadsCronDLikeDebiansCronSkippingPackageLeftovers(t *testing.T) {
	root := jobRoot(t, "")
	d := filepath.Join(root, "etc/cron.d")
	require.NoError(t, os.MkdirAll(d, 0o755))
	for _, name := range []string{"b-app", "a_app", "app.dpkg-old", ".placeholder", "app~", "x.sh"} {
		require.NoError(t, os.WriteFile(filepath.Join(d, name), []byte("@daily root true\n"), 0o644))
	}
	s, errs := New(Options{Root: root, Sources: []string{"/etc/crontab", "/etc/cron.d"}, Zone: time.UTC,
		Log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))})
	require.Empty(t, errs)
	var got []string
	for _, j := range s.Jobs(time.Now()) {
		got = append(got, j.Job)
	}
	assert.Equal(t, []string{"/etc/cron.d/a_app:1", "/etc/cron.d/b-app:1"}, got)
}

func TestJobEnv_FollowsCrontab5(t *testing.T) {
	id := users.Identity{Name: "www-data", UID: 33, GID: 33, Home: "/var/www", Shell: "/usr/sbin/nologin"}
	base := []string{"FROM_BOXINIT=yes", "SHELL=/bin/zsh", "LOGNAME=boxinit", "HOME=/root"}
	env := func(lines ...string) map[string]string {
		out := map[string]string{}
		for _, kv := range jobEnv(base, id, &Entry{Env: lines}) {
			k, v, _ := strings.Cut(kv, "=")
			out[k] = v
		}
		return out
	}
	got := env()
	assert.Equal(t, "/bin/sh", got["SHELL"], "SHELL is /bin/sh, not the passwd shell")
	assert.Equal(t, "/var/www", got["HOME"], "HOME from passwd")
	assert.Equal(t, "www-data", got["LOGNAME"])
	assert.Equal(t, "www-data", got["USER"])
	assert.Equal(t, "yes", got["FROM_BOXINIT"])
	_, mail := got["MAILTO"]
	assert.False(t, mail)

	got = env("SHELL=/bin/bash", "HOME=/srv", "LOGNAME=root", "USER=root", "MAILTO=ops@example.com", "PATH=/opt/bin")
	assert.Equal(t, "/bin/bash", got["SHELL"], "the crontab may set SHELL")
	assert.Equal(t, "/srv", got["HOME"], "and HOME")
	assert.Equal(t, "www-data", got["LOGNAME"], "but not LOGNAME")
	assert.Equal(t, "www-data", got["USER"], "nor USER")
	assert.Equal(t, "ops@example.com", got["MAILTO"], "MAILTO is exported")
	assert.Equal(t, "/opt/bin", got["PATH"])
}

func TestScheduler_RunsAServiceAccountsJobWithShBinShInItsHomeAndSaysOnceThatNoMailIsSent(t *testing.T) {
	root := jobRoot(t, "MAILTO=ops@example.com\nLOGNAME=root\n@every 1s human echo \"$SHELL $LOGNAME $USER $MAILTO $(pwd)\"\n")
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\nhuman:x:1000:1000::/home/human:/usr/sbin/nologin\n"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "etc/cron.d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "etc/cron.d/more"), []byte("MAILTO=\"\"\n@daily root true\n"), 0o644))
	_, logs := startScheduler(t, root, false)
	waitLog(t, logs, fmt.Sprintf(`msg="/bin/sh human human ops@example.com %s" job=/etc/crontab:3 user=human run=2`, filepath.Join(root, "home/human")))
	assert.Equal(t, 1, strings.Count(logs.String(), "no mail is sent"), "%s", logs.String())
}
