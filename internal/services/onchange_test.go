package services

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The timers learn that a unit ended from OnChange instead of asking
// again and again; a service that exits on its own is such an end.
func TestManager_OnChangeTellsEachActiveStateChangeAndWhenTheServiceLeftAndEnteredInactive(t *testing.T) {
	f := setup(t, map[string]string{"short.service": "[Service]\nExecStart=/bin/sh -c 'sleep 0.2'\n"})
	var mu sync.Mutex
	var seen []string
	f.m.OnChange(func(unit string) {
		st, err := f.m.Status(unit)
		require.NoError(t, err)
		mu.Lock()
		seen = append(seen, unit+" "+st.ActiveState)
		mu.Unlock()
	})
	before := time.Now()
	require.NoError(t, f.m.Start(ctx, "short.service"))
	st := f.eventually(t, "short.service", func(st Status) bool { return st.ActiveState == Inactive }, "the service ended by itself")
	mu.Lock()
	defer mu.Unlock()
	// activating, active, deactivating, inactive: each change is told once.
	require.Len(t, seen, 4, "%v", seen)
	assert.Equal(t, "short.service inactive", seen[3])
	assert.False(t, st.LeftInactive.Before(before), "LeftInactive %v is before the start %v", st.LeftInactive, before)
	assert.GreaterOrEqual(t, st.EnteredInactive.Sub(st.LeftInactive), 200*time.Millisecond, "EnteredInactive is when the sleep ended")
}
