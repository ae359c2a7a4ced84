package main

import (
	"runtime/debug"
	"time"
)

// idleGCPercent is GOGC once PID 1 idles: its minimum heap goal is 4 MiB ×
// GOGC/100, and the runtime keeps about that much freed heap resident.
const idleGCPercent = 25

// timersSettle is how long after ready the timer loop's first arming (it
// loads the units again, in its own goroutine, ~3 MiB of garbage) is done.
const timersSettle = 3 * time.Second

// returnFreedMemory is called once, when PID 1 is about to idle: it gives the
// heap that boot, the services' start and the timers' first arming left free
// back to the kernel, and keeps later bursts (a restart, a daemon-reload)
// from holding 4 MiB. Measured with nginx, redis, postgresql and sshd running
// and Debian's timers armed (bench/services.sh, two runs each, 30 s after
// podman run): RssAnon 6324–6484 KiB before, 3972–4044 with GOGC 25 and one
// FreeOSMemory at ready, 3432 with the second one after the timers. The cost
// is two forced GCs of < 1 ms each, when nothing waits for them.
func returnFreedMemory() {
	debug.SetGCPercent(idleGCPercent)
	debug.FreeOSMemory()
	time.AfterFunc(timersSettle, debug.FreeOSMemory)
}
