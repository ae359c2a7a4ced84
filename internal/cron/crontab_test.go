package cron

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func known(u string) bool { return u == "root" || u == "human" }

func TestParse_ReadsTheSystemFormatWithEnvironmentLines(t *testing.T) {
	in := `# m h dom mon dow user command
SHELL=/bin/bash
PATH="/opt/bin:/usr/bin:/bin"
MAILTO=ops@example.com
17 *	* * *	root    cd / && run-parts --report /etc/cron.hourly
*/5 9-17 * jan-mar mon-fri human  echo "a  b" > /tmp/x
@daily human /usr/local/bin/backup --all
CRON_TZ=America/New_York
30 2 * * * human nightly
@every 30s root date
@reboot human start-things
`
	ct := Parse("/etc/crontab", strings.NewReader(in), time.UTC, known)
	require.Empty(t, ct.Errors)
	assert.True(t, ct.MailTo)
	require.Len(t, ct.Entries, 6)
	e := ct.Entries[0]
	assert.Equal(t, "/etc/crontab:5", e.ID())
	assert.Equal(t, "17 * * * *", e.Spec)
	assert.Equal(t, "root", e.User)
	assert.Equal(t, "cd / && run-parts --report /etc/cron.hourly", e.Command)
	assert.Equal(t, "/bin/bash", e.Shell)
	assert.Equal(t, []string{"SHELL=/bin/bash", "PATH=/opt/bin:/usr/bin:/bin", "MAILTO=ops@example.com"}, e.Env, "quotes removed, MAILTO exported")
	assert.True(t, e.wildcard)
	assert.Equal(t, `echo "a  b" > /tmp/x`, ct.Entries[1].Command, "the command's own spacing is kept")
	assert.False(t, ct.Entries[2].wildcard, "@daily is a fixed-time job")
	assert.Equal(t, "America/New_York", ct.Entries[3].Zone.String())
	assert.Equal(t, "UTC", ct.Entries[0].Zone.String())
	assert.Equal(t, 30*time.Second, ct.Entries[4].every)
	assert.Equal(t, "America/New_York", ct.Entries[4].Zone.String())
	assert.True(t, ct.Entries[5].reboot)
}

func TestParse_ReportsEveryBadLineWithFileLineAndReasonAndKeepsTheRest(t *testing.T) {
	in := strings.Join([]string{
		"* * * * * nobody-here true",
		"61 * * * * root true",
		"* * * * root true",
		"* * * * * root",
		"* * root",
		"CRON_TZ=Mars/Olympus",
		"@every 10ms root true",
		"@fortnightly root true",
		"0 0 * * * root echo ok",
	}, "\n")
	ct := Parse("/etc/cron.d/app", strings.NewReader(in), time.UTC, known)
	var got []string
	for _, e := range ct.Errors {
		got = append(got, e.Error())
	}
	assert.Equal(t, []string{
		`/etc/cron.d/app:1: unknown user "nobody-here" (not in /etc/passwd)`,
		`/etc/cron.d/app:2: schedule "61 * * * *": minute "61": 61 is out of range 0-59`,
		`/etc/cron.d/app:3: schedule "* * * * root": day of week "root": "root" is neither a number 0-7 nor a name sun-sat`,
		`/etc/cron.d/app:4: missing command`,
		`/etc/cron.d/app:5: want five time fields (or @keyword), a user and a command`,
		`/etc/cron.d/app:6: CRON_TZ "Mars/Olympus": unknown time zone`,
		`/etc/cron.d/app:7: @every "10ms": want a duration of 1s or more, e.g. 30s or 5m`,
		`/etc/cron.d/app:8: schedule "@fortnightly": unknown keyword @fortnightly (want @yearly, @monthly, @weekly, @daily, @hourly, @reboot or @every DURATION)`,
	}, got)
	require.Len(t, ct.Entries, 1)
	assert.Equal(t, 9, ct.Entries[0].Line)
}

func TestSplitPercent_FollowsVixiesDoCommandWithoutAddingANewline(t *testing.T) {
	for in, want := range map[string][2]string{
		"date":                        {"date", ""},
		`date +\%s`:                   {"date +%s", ""},
		"mail -s hi root%line1%line2": {"mail -s hi root", "line1\nline2"},
		`cat%100\% sure%`:             {"cat", "100% sure\n"},
		`printf '\\n'%a\tb`:           {`printf '\\n'`, `a\tb`}, // a backslash before anything but % is kept
		`echo \\%in`:                  {`echo \\`, "in"},        // an escaped backslash does not escape the %
		`cat%`:                        {"cat", ""},
	} {
		cmd, stdin := splitPercent(in)
		assert.Equal(t, want, [2]string{cmd, stdin}, in)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("*/5 * * * * root echo hi%there\n")
	f.Add("CRON_TZ=Europe/Berlin\n@every 1m human x\n")
	f.Add("@reboot root\n# c\nA='b'\n")
	f.Fuzz(func(t *testing.T, in string) {
		ct := Parse("f", strings.NewReader(in), time.UTC, known)
		for _, e := range ct.Entries {
			if e.Command == "" || (e.spec == nil && e.every == 0 && !e.reboot) {
				t.Fatalf("entry without command or schedule: %+v", e)
			}
		}
	})
}
