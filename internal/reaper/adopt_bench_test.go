package reaper

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func threads(b *testing.B) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	b.Fatal("no Threads: line")
	return 0
}

// BenchmarkAdopt_ThreadsPerWatchedDaemon reports the OS threads that
// watching 100 running daemons adds: Adopt parks a goroutine on the
// runtime's poller; the pidfd watch it replaced blocked a thread in
// poll(2) per daemon. Go keeps the threads it made, so run each way in
// its own process, once:
//
//	go test -run '^$' -bench 'Adopt_Threads/adopt$' -benchtime 1x ./internal/reaper
//	go test -run '^$' -bench 'Adopt_Threads/blocking-poll$' -benchtime 1x ./internal/reaper
func BenchmarkAdopt_ThreadsPerWatchedDaemon(b *testing.B) {
	const daemons = 100
	r := newTestReaper(b)
	for _, way := range []string{"adopt", "blocking-poll"} {
		b.Run(way, func(b *testing.B) {
			for b.Loop() {
				var pids []int
				var stop []func()
				mark := r.Mark()
				for i := 0; i < daemons; i++ {
					p, err := r.Start(&Cmd{Args: []string{"sleep", "60"}})
					if err != nil {
						b.Fatal(err)
					}
					pids = append(pids, p.Pid)
					stop = append(stop, func() { _ = p.Signal(unix.SIGKILL); p.Wait() })
				}
				before := threads(b)
				for _, pid := range pids {
					switch way {
					case "adopt":
						if _, err := r.Adopt(pid, mark); err != nil {
							b.Fatal(err)
						}
					default:
						fd, err := unix.PidfdOpen(pid, 0)
						if err != nil {
							b.Fatal(err)
						}
						go func() {
							defer unix.Close(fd)
							for {
								_, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, -1)
								if !errors.Is(err, unix.EINTR) {
									return
								}
							}
						}()
					}
				}
				var after int
				for i := 0; i < 50; i++ { // let the goroutines block
					after = threads(b)
					runtimeGosched()
				}
				b.ReportMetric(float64(after-before)/daemons, "threads/daemon")
				for _, s := range stop {
					s()
				}
			}
		})
	}
}

func runtimeGosched() { time.Sleep(2 * time.Millisecond) }
