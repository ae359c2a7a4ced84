package status

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/boxinit/boxinit/internal/boot"
)

func TestRender_ShowsTheHookBootWaitsForWithItsTimeLimit(t *testing.T) {
	d := sample()
	d.State, d.ReadySince, d.Main = Booting, time.Time{}, nil
	d.BootRunning = &boot.Running{Step: "hooks", Command: "20-migrate-db", PID: 77, Since: t0.Add(time.Minute), Timeout: 10 * time.Minute}
	var b bytes.Buffer
	Render(&b, &d, t0.Add(4*time.Minute))
	assert.Contains(t, b.String(), "state: booting\n")
	assert.Contains(t, b.String(), "  now: hooks 20-migrate-db, pid 77, running for 3m0s (stopped after 10m0s)\n")
}
