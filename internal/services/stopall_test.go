package services

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// At shutdown a service ordered after another (app After=db) stops before
// it; a service with no ordering to them (cache) stops at the same time,
// not after them in the reverse start order.
func TestStopAll_StopsInTheReverseOfTheOrderingAndUnrelatedServicesInParallel(t *testing.T) {
	f := setup(t, map[string]string{
		"db.service": "[Service]\nExecStart=/bin/sleep 1000\n" +
			"ExecStop=/bin/sh -c 'if [ -e ROOT/app-stop-end ]; then echo after-app > ROOT/db-saw; else echo before-app > ROOT/db-saw; fi'\n",
		"app.service": "[Unit]\nAfter=network.target db.service\n[Service]\nExecStart=/bin/sleep 1000\n" +
			"ExecStop=/bin/sh -c 'touch ROOT/app-stop-begin; sleep 0.2; touch ROOT/app-stop-end'\n",
		"cache.service": "[Service]\nExecStart=/bin/sleep 1000\n" +
			"ExecStop=/bin/sh -c 'for i in $(seq 100); do [ -e ROOT/app-stop-begin ] && { echo parallel > ROOT/cache-saw; exit 0; }; sleep 0.05; done; echo serial > ROOT/cache-saw'\n",
	})
	ctx := context.Background()
	for _, n := range []string{"db.service", "app.service", "cache.service"} {
		require.NoError(t, f.m.Start(ctx, n))
	}
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	require.NoError(t, f.m.StopAll(stopCtx))
	assert.Equal(t, "after-app", readFile(t, f.root+"/db-saw"), "db stops once app (After=db) has stopped")
	assert.Equal(t, "parallel", readFile(t, f.root+"/cache-saw"), "cache, started last, does not hold app's stop up")
	for _, n := range []string{"db.service", "app.service", "cache.service"} {
		assert.Equal(t, Inactive, f.status(t, n).ActiveState, n)
	}
}
