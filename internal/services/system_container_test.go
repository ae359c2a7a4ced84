package services

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/boxinit/boxinit/internal/testutil/testreaper"
	"github.com/boxinit/boxinit/internal/units"
)

// TestSystem boots the units of the image it runs in, on /, as PID 1 will:
// run it as a container's only process in a Debian image with
// nginx-light, redis-server, postgresql and openssh-server installed by
// apt (no systemd), e.g. built from
//
//	FROM localhost/boxinit-base:bookworm   (or docker.io/library/debian:bookworm)
//	RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
//	    nginx-light redis-server postgresql openssh-server curl procps
//
// and run unprivileged with an empty /run:
//
//	go test -c -o services.test ./internal/services
//	podman run --rm --tmpfs /run -e BOXINIT_TEST_SYSTEM=1 -v ./services.test:/t:ro IMAGE /t -test.run TestSystem -test.v
//
// Never on a host: it starts and stops the host's units.
func TestSystem_BootsTheImagesUnitsAndStopsThem(t *testing.T) {
	if os.Getenv("BOXINIT_TEST_SYSTEM") != "1" || os.Getpid() != 1 {
		t.Skip("runs only as PID 1 of a container with BOXINIT_TEST_SYSTEM=1 (see the comment)")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	l, err := units.NewLoader("/")
	require.NoError(t, err)
	m := New(Options{Root: "/", Env: []string{"PATH=" + servicePath, "LANG=C.UTF-8"}, Log: log,
		Run: testreaper.Get(t), Facts: units.ReadFacts("/")}, l)
	start := time.Now()
	res, err := m.BootSystem(context.Background(), units.BootOptions{})
	require.NoError(t, err)
	took := time.Since(start)
	for _, e := range res.Errors {
		t.Logf("boot problem: %v", e)
	}
	states := map[string]string{}
	for _, r := range res.Units {
		if !strings.HasSuffix(r.Name, ".target") {
			t.Logf("%-28s %-9s %6s %v", r.Name, r.State, r.Duration.Round(time.Millisecond), r.Err)
		}
		states[r.Name] = r.State
	}
	for _, s := range res.Plan.Skipped {
		t.Logf("skipped %s (%s)", s.Name, s.Reason)
	}
	t.Logf("boot: tmpfiles.d, generators, %d units started in %v", len(res.Units), took.Round(time.Millisecond))
	for _, u := range []string{"nginx.service", "redis-server.service", "postgresql@15-main.service", "ssh.service"} {
		assert.Equal(t, Active, states[u], u)
	}

	c := http.Client{Timeout: 2 * time.Second}
	r, err := c.Get("http://127.0.0.1/")
	if assert.NoError(t, err) {
		assert.Equal(t, 200, r.StatusCode, "nginx serves")
		r.Body.Close()
	}
	assert.Equal(t, "+PONG", tcpLine(t, "127.0.0.1:6379", "PING\r\n"), "redis answers")
	assert.True(t, strings.HasPrefix(tcpLine(t, "127.0.0.1:22", ""), "SSH-2.0-OpenSSH"), "sshd answers")
	pg, err := net.Dial("unix", "/run/postgresql/.s.PGSQL.5432")
	if assert.NoError(t, err, "postgresql listens") {
		pg.Close()
	}

	st, _ := m.Status("redis.service")
	killed := time.Now()
	require.NoError(t, unix.Kill(st.MainPID, unix.SIGKILL))
	for time.Since(killed) < 5*time.Second && tcpLine(t, "127.0.0.1:6379", "PING\r\n") != "+PONG" {
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("redis answered again %v after kill -9", time.Since(killed).Round(time.Millisecond))

	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "VmRSS") || strings.HasPrefix(line, "VmHWM") || strings.HasPrefix(line, "RssAnon") || strings.HasPrefix(line, "Threads") {
				t.Logf("this test binary (PID 1): %s", strings.Join(strings.Fields(line), " "))
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stop := time.Now()
	assert.NoError(t, m.StopAll(ctx))
	t.Logf("all units stopped in %v", time.Since(stop).Round(time.Millisecond))
	for _, s := range m.List() {
		assert.NotEqual(t, Active, s.ActiveState, s.Name)
	}
}

func tcpLine(t *testing.T, addr, send string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if send != "" {
		if _, err := io.WriteString(c, send); err != nil {
			return ""
		}
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line)
}
