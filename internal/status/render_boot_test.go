package status

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRender_ShowsTheHookBootWaitsForWithItsTimeLimit(t *testing.T) {
	d := sample()
	d.State, d.ReadySince, d.Main = Booting, time.Time{}, nil
	d.BootRunning = &BootRunning{Step: "hooks", Command: "20-migrate-db", PID: 77, Since: t0.Add(time.Minute), Timeout: 10 * time.Minute}
	var b bytes.Buffer
	Render(&b, &d, t0.Add(4*time.Minute))
	assert.Contains(t, b.String(), "state: booting\n")
	assert.Contains(t, b.String(), "  now: hooks 20-migrate-db, pid 77, running for 3m0s (stopped after 10m0s)\n")
}

func TestRender_ShowsWhenTheHostCertificatesExpire(t *testing.T) {
	d := sample()
	var b bytes.Buffer
	Render(&b, &d, t0)
	assert.NotContains(t, b.String(), "host certificates", "no line without certificates")
	d.HostCertExpires = t0.Add(200*24*time.Hour + time.Hour)
	b.Reset()
	Render(&b, &d, t0)
	assert.Contains(t, b.String(), "  host certificates valid until "+d.HostCertExpires.UTC().Format("2006-01-02 15:04 UTC")+" (200 days left)\n")
	b.Reset()
	Render(&b, &d, d.HostCertExpires.Add(time.Second))
	assert.Contains(t, b.String(), "(none left)")
}

func TestDocument_HasHostCertExpiresOnlyWithCertificates(t *testing.T) {
	d := sample()
	b, err := json.Marshal(d)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "host_cert_expires")
	d.HostCertExpires = time.Date(2027, 12, 2, 10, 0, 0, 0, time.UTC)
	b, err = json.Marshal(d)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"host_cert_expires":"2027-12-02T10:00:00Z"`)
}
