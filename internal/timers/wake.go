package timers

import (
	"time"
)

// Wake is when to run the calendar timers whose elapses fall in [a, b]
// (b: the earliest elapse plus its AccuracySec=), as systemd's event loop
// does: as late as the window allows, at a spot shared by everything on
// this machine: perturb into the minute if that lies in the window, else
// the same spot in 10 s, 1 s or 250 ms steps, else b. Every timer due at
// the returned time elapses then, so timers of one window run together.
func Wake(a, b time.Time, perturb time.Duration) time.Time {
	c := sleepBetween(a.UnixMicro(), b.UnixMicro(), perturb.Microseconds())
	return time.UnixMicro(c).In(b.Location())
}

// WakeMono is Wake on the monotonic clock.
func WakeMono(a, b, perturb time.Duration) time.Duration {
	return time.Duration(sleepBetween(a.Microseconds(), b.Microseconds(), perturb.Microseconds())) * time.Microsecond
}

func sleepBetween(a, b, p int64) int64 {
	if a <= 0 {
		return 0
	}
	if b <= a+1 {
		return a
	}
	for _, step := range []int64{60_000_000, 10_000_000, 1_000_000, 250_000} {
		c := b/step*step + p%step
		if c >= b {
			if c < step {
				return b
			}
			c -= step
		}
		if c >= a {
			return c
		}
	}
	return b
}

// Perturb is the machine's spot in the minute for Wake: systemd takes it
// from the boot id (/proc/sys/kernel/random/boot_id; in a container the
// host's), its two 64-bit halves (little endian) xor-ed, modulo a minute.
func Perturb(bootID [16]byte) time.Duration {
	var lo, hi uint64
	for i := 7; i >= 0; i-- {
		lo = lo<<8 | uint64(bootID[i])
		hi = hi<<8 | uint64(bootID[8+i])
	}
	return time.Duration((lo^hi)%60_000_000) * time.Microsecond
}

// NextWake is when the owner of timers should look again, as systemd's
// event loop arms its clocks: on each clock the earliest elapse a and the
// earliest elapse-plus-accuracy b of all waiting timers give Wake(a, b).
// Every timer Due at that moment elapses then.
func NextWake(timers []*Timer, perturb time.Duration) (real time.Time, realOK bool, mono time.Duration, monoOK bool) {
	var ra, rb time.Time
	var ma, mb time.Duration
	for _, t := range timers {
		if t.state != Waiting {
			continue
		}
		if !t.nextReal.IsZero() {
			late := t.nextReal.Add(t.cfg.Accuracy)
			if !realOK || t.nextReal.Before(ra) {
				ra = t.nextReal
			}
			if !realOK || late.Before(rb) {
				rb = late
			}
			realOK = true
		}
		if t.hasMono {
			late := t.nextMono + t.cfg.Accuracy
			if !monoOK || t.nextMono < ma {
				ma = t.nextMono
			}
			if !monoOK || late < mb {
				mb = late
			}
			monoOK = true
		}
	}
	if realOK {
		real = Wake(ra, rb, perturb)
	}
	if monoOK {
		mono = WakeMono(ma, mb, perturb)
	}
	return real, realOK, mono, monoOK
}
