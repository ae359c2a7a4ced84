package main

import (
	"runtime"
	"runtime/debug"
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
// runtime.ReadMemStats (it stops the world), so it is read only once
// debug.ReadGCStats (no stop) has seen a GC. runtime/metrics would need
// neither, but its package init costs every start of boxinit 0.1 ms
// (GODEBUG=inittrace=1), a twentieth of `boxinit version`.
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
	var gc debug.GCStats
	debug.ReadGCStats(&gc)
	if gc.NumGC == 0 {
		return // no GC yet: nothing was freed, only never-used heap
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	free := (m.HeapIdle - m.HeapReleased) + (m.HeapInuse - m.HeapAlloc) // free pages not returned, free space in spans in use
	if free < worthReturning {
		return
	}
	debug.SetGCPercent(idleGCPercent)
	debug.FreeOSMemory()
}
