package main

import (
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// idleGCPercent is GOGC once PID 1 has had garbage to return: its minimum
// heap goal is 4 MiB × GOGC/100, and the runtime keeps about that much freed
// heap resident.
const idleGCPercent = 25

// worthReturning is how much free heap PID 1 must hold, after at least one
// GC, before it forces one to give it back. Without that check the trim
// cost more than it returned where no GC had run (a boot without units, or
// with 50 cron jobs): a forced GC or a lower GOGC, which starts one, grew
// RssAnon by 220–460 KiB (FootprintSleep, FootprintIdle), and so did
// runtime.ReadMemStats (stop the world): runtime/metrics is read instead.
const worthReturning = 1 << 20

// timersSettle is how long after ready the timer loop's first arming is
// done: it runs in its own goroutine and allocates 3–5 MB of short-lived
// data (gctrace: four GCs within 30 ms of ready, with four services).
const timersSettle = 3 * time.Second

// returnFreedMemory is called once, when PID 1 is about to idle; it looks
// again timersSettle later. When the heap that boot, the services' start and
// the timers' first arming left free is worth it, it gives it back to the
// kernel and lowers GOGC, so that later bursts (a restart, a daemon-reload)
// do not keep 4 MiB either. With nginx, redis, postgresql and sshd running
// and Debian's timers armed, PID 1's RssAnon 30 s after `podman run` was
// 6324–6484 KiB before, 3432 after (bench/services.sh; bench/README.md).
func returnFreedMemory() {
	trimIfWorthIt()
	time.AfterFunc(timersSettle, trimIfWorthIt)
}

func trimIfWorthIt() {
	sample := []metrics.Sample{
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/memory/classes/heap/free:bytes"},   // free pages not yet returned
		{Name: "/memory/classes/heap/unused:bytes"}, // free space in spans in use
	}
	metrics.Read(sample)
	var v [3]uint64
	for i, s := range sample {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	if v[0] == 0 || v[1]+v[2] < worthReturning {
		return // no GC yet: nothing was freed, only never-used heap
	}
	debug.SetGCPercent(idleGCPercent)
	debug.FreeOSMemory()
}
