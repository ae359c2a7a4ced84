package reaper

import (
	"context"
	"syscall"
)

// WatchStop is for the time before the main command runs (boot): the
// returned context is cancelled when SIGTERM, SIGINT or SIGQUIT arrives.
// release stops watching and returns that signal, or 0. Other signals that
// arrive meanwhile are dropped: there is no main command to forward them to.
func (r *Reaper) WatchStop(parent context.Context) (ctx context.Context, release func() syscall.Signal) {
	ctx, cancel := context.WithCancel(parent)
	quit, done := make(chan struct{}), make(chan struct{})
	var got syscall.Signal
	go func() {
		defer close(done)
		for {
			select {
			case <-quit:
				return
			case s := <-r.sigs.other:
				sig := s.(syscall.Signal)
				if isShutdownSignal(sig) {
					r.log.Info("stop requested during boot", "signal", SignalName(sig))
					got = sig
					cancel()
					return
				}
				r.log.Debug("signal dropped: no main command yet", "signal", SignalName(sig))
			}
		}
	}()
	return ctx, func() syscall.Signal {
		close(quit)
		<-done
		cancel()
		return got
	}
}

// Shutdown runs the stop sequence without a main command: after a failed
// or interrupted boot, whatever it started is stopped within the grace
// period.
func (r *Reaper) Shutdown(o Options, why string) { r.shutdown(nil, o, why) }
