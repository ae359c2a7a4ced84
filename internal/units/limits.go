package units

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

type rlimitKind int

const (
	rlCount rlimitKind = iota
	rlBytes
	rlSeconds // LimitCPU: a time span, in seconds
	rlUsec    // LimitRTTIME: a time span, in µs
	rlNice
)

var rlimits = map[string]struct {
	res  int
	kind rlimitKind
}{
	"CPU": {unix.RLIMIT_CPU, rlSeconds}, "FSIZE": {unix.RLIMIT_FSIZE, rlBytes},
	"DATA": {unix.RLIMIT_DATA, rlBytes}, "STACK": {unix.RLIMIT_STACK, rlBytes},
	"CORE": {unix.RLIMIT_CORE, rlBytes}, "RSS": {unix.RLIMIT_RSS, rlBytes},
	"NOFILE": {unix.RLIMIT_NOFILE, rlCount}, "AS": {unix.RLIMIT_AS, rlBytes},
	"NPROC": {unix.RLIMIT_NPROC, rlCount}, "MEMLOCK": {unix.RLIMIT_MEMLOCK, rlBytes},
	"LOCKS": {unix.RLIMIT_LOCKS, rlCount}, "SIGPENDING": {unix.RLIMIT_SIGPENDING, rlCount},
	"MSGQUEUE": {unix.RLIMIT_MSGQUEUE, rlBytes}, "NICE": {unix.RLIMIT_NICE, rlNice},
	"RTPRIO": {unix.RLIMIT_RTPRIO, rlCount}, "RTTIME": {unix.RLIMIT_RTTIME, rlUsec},
}

// limitSetter parses "Limit<NAME>=soft[:hard]" as systemd.exec(5) says:
// one value sets both; "infinity"; sizes take K, M, G, T, P, E (base 1024);
// LimitCPU= and LimitRTTIME= take time spans; LimitNICE= a nice level
// (-20…19) or a raw value.
func limitSetter(name string) setter {
	rl := rlimits[name]
	return svc(func(s *Service, _ Assignment, v string) error {
		soft, hard, both := strings.Cut(v, ":")
		sv, err := limitValue(rl.kind, soft)
		if err != nil {
			return err
		}
		hv := sv
		if both {
			if hv, err = limitValue(rl.kind, hard); err != nil {
				return err
			}
			if sv > hv {
				return fmt.Errorf("soft limit %s above hard limit %s", soft, hard)
			}
		}
		for i, l := range s.Limits {
			if l.Name == name {
				s.Limits = append(s.Limits[:i], s.Limits[i+1:]...)
				break
			}
		}
		s.Limits = append(s.Limits, Limit{Name: name, Resource: rl.res, Soft: sv, Hard: hv})
		return nil
	})
}

func limitValue(kind rlimitKind, v string) (uint64, error) {
	v = strings.TrimSpace(v)
	if v == "infinity" {
		return RlimInfinity, nil
	}
	switch kind {
	case rlSeconds, rlUsec:
		d, err := ParseDuration(v)
		if err != nil {
			return 0, err
		}
		if d == Infinity {
			return RlimInfinity, nil
		}
		if kind == rlSeconds {
			return uint64(math.Ceil(d.Seconds())), nil
		}
		return uint64(d.Microseconds()), nil
	case rlNice:
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("%q: not a nice level", v)
		}
		if strings.HasPrefix(v, "+") || strings.HasPrefix(v, "-") || n < 0 {
			if n < -20 || n > 19 {
				return 0, fmt.Errorf("%q: nice level out of -20…19", v)
			}
			return uint64(20 - n), nil
		}
		return uint64(n), nil
	case rlBytes:
		mult := uint64(1)
		if i := strings.IndexAny(v, "KMGTPE"); i > 0 && i == len(v)-1 {
			mult = 1 << (10 * (1 + strings.IndexByte("KMGTPE", v[i])))
			v = v[:i]
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q: not a size", v)
		}
		return n * mult, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: not a number", v)
	}
	return n, nil
}
