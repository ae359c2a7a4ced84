package main

import (
	"runtime/debug"
	"runtime/metrics"
)

// bootGarbage is how much boot must have allocated for PID 1 to collect
// and give the heap back to the kernel at once.
const bootGarbage = 1 << 20

// releaseBootMemory gives back to the kernel what boot left on the heap
// (host keys, key imports, the crontab parse) now rather than minutes
// later, as PID 1 idles for the container's life. Only after a boot that
// allocated much: a collection costs PID 1 memory of its own (its
// workers and buffers), more than a small boot's garbage.
func releaseBootMemory() {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > bootGarbage {
		debug.FreeOSMemory()
	}
}
