package status

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRender_ListsTheServicesWithStateMainPIDRestartsAndSince(t *testing.T) {
	d := sample()
	var b bytes.Buffer
	Render(&b, &d, t0)
	assert.NotContains(t, b.String(), "services:", "no section without services")

	d.Services = []Service{
		{Name: "nginx.service", State: "active", Sub: "running", MainPID: 118, Since: t0.Add(-90 * time.Second)},
		{Name: "redis-server.service", State: "active", Sub: "running", MainPID: 69, Restarts: 1, Since: t0.Add(-time.Second)},
		{Name: "postgresql@15-main.service", State: "failed", Sub: "failed", Result: "exit-code", LastExit: "exit 1", Since: t0.Add(-time.Minute),
			LastLines: []string{"one", "two", "three", "four", "Error: /usr/lib/postgresql/15/bin/pg_ctl /usr/lib/postgresql/15/bin/pg_ctl start -D /var/lib/postgresql/15/main", "pg_ctl: could not start server"}},
	}
	b.Reset()
	Render(&b, &d, t0)
	out := b.String()
	assert.Contains(t, out, "\nservices: 3\n")
	assert.Regexp(t, `\n  UNIT +STATE +PID +RESTARTS +SINCE\n`, out)
	assert.Regexp(t, `\n  nginx\.service +active +118 +0 +1m30s\n`, out)
	assert.Regexp(t, `\n  redis-server\.service +active +69 +1 +1s\n`, out)
	assert.Regexp(t, `\n  postgresql@15-main\.service +failed +- +0 +1m0s\n`, out)
	assert.Contains(t, out, "\n  postgresql@15-main.service failed: exit 1 (exit-code)\n    two\n    three\n    four\n    Error: /usr/lib/postgresql/15/bin/pg_ctl /usr/lib/postgresql/15/bin/pg_ctl …\n    pg_ctl: could not start server\n", "the last 5 lines")
	for _, line := range bytes.Split(b.Bytes(), []byte("\n")) {
		assert.LessOrEqual(t, len([]rune(string(line))), 80, string(line))
	}
}

func TestDocument_HasServicesOnlyWhenPID1RunsSome(t *testing.T) {
	d := sample()
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.NotContains(t, string(b), `"services"`)
	d.Services = []Service{{Name: "nginx.service", State: "active", Sub: "running", MainPID: 7, Restarts: 2, Since: t0}}
	b, err = json.Marshal(d)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"services":[{"name":"nginx.service","state":"active","sub_state":"running","main_pid":7,"since":"`+t0.Format(time.RFC3339Nano)+`","restarts":2}]`)
}

func TestServeControl_AnswersOtherVerbsThroughControlAndStatusAsBefore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "boxinit.sock")
	l, err := Listen(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	control := func(verb string, raw []byte) (any, bool) {
		if verb != "systemctl" {
			return nil, false
		}
		var req struct{ Units []string }
		_ = json.Unmarshal(raw, &req)
		return map[string]any{"code": 3, "stdout": "inactive\n", "units": req.Units}, true
	}
	go func() {
		defer close(done)
		ServeControl(ctx, l, func() Document { return sample() }, control, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })

	var a struct {
		Code   int
		Stdout string
		Units  []string
	}
	require.NoError(t, Call(path, map[string]any{"verb": "systemctl", "units": []string{"nginx.service"}}, &a, time.Second))
	assert.Equal(t, 3, a.Code)
	assert.Equal(t, "inactive\n", a.Stdout)
	assert.Equal(t, []string{"nginx.service"}, a.Units)

	d, err := Query(path, time.Second)
	require.NoError(t, err)
	assert.Equal(t, sample().Boot, d.Boot)

	var e map[string]any
	require.NoError(t, Call(path, map[string]any{"verb": "reboot"}, &e, time.Second))
	assert.Contains(t, e["error"], "unknown request")
}
