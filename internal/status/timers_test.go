package status

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRender_ListsTheTimersWithTheirNextRunWithin80Columns(t *testing.T) {
	d := sample()
	var b bytes.Buffer
	Render(&b, &d, t0)
	assert.NotContains(t, b.String(), "timers:", "no section without timers")

	d.Timers = []Timer{
		{Name: "apt-daily.timer", Activates: "apt-daily.service", State: "waiting", Next: t0.Add(5 * time.Hour), Last: t0.Add(-19 * time.Hour)},
		{Name: "e2scrub_all.timer", Activates: "e2scrub_all.service", State: "waiting", Skipped: "cron runs /etc/cron.d/e2scrub_all"},
		{Name: "once.timer", Activates: "once.service", State: "elapsed", Last: t0.Add(-time.Minute)},
	}
	b.Reset()
	Render(&b, &d, t0)
	out := b.String()
	assert.Contains(t, out, "timers: 3")
	assert.Regexp(t, `apt-daily.timer +`+t0.Add(5*time.Hour).Format("01-02 15:04:05")+` +19h0m0s +apt-daily.service`, out)
	assert.Regexp(t, `e2scrub_all.timer +cron runs /etc/cron.d/e… +never`, out)
	assert.Regexp(t, `once.timer +elapsed +1m0s`, out)
	for _, l := range strings.Split(out, "\n") {
		assert.LessOrEqual(t, len([]rune(l)), 80, l)
	}
}

func TestDocument_TimersFieldIsAddedOnlyWithTimers(t *testing.T) {
	d := sample()
	raw, err := json.Marshal(d)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), `"timers"`)
	d.Timers = []Timer{{Name: "x.timer", Activates: "x.service", State: "waiting", Next: t0}}
	raw, err = json.Marshal(d)
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"timers":[{"name":"x.timer","activates":"x.service","state":"waiting","next":"`)
}
