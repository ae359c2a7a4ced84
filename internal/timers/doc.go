// Package timers is the behaviour of systemd timer units (systemd.timer(5),
// as systemd 252 implements it), apart from how units are read and how
// services start: a Timer decides when it elapses, its owner starts the
// unit it activates and tells the Timer when that unit changes.
//
//   - OnCalendar= (package calendar) counts from the last trigger, else from
//     the timer's start; an elapse missed before boxinit started (a
//     Persistent= stamp from yesterday) is due when boxinit starts, plus
//     the random delay.
//
//   - OnBootSec= and OnStartupSec= count from boxinit's start (systemd in a
//     container does the same for OnBootSec=), OnActiveSec= from the timer's
//     start; each elapses once. OnUnitActiveSec= and OnUnitInactiveSec=
//     count from the unit's last activation or deactivation, or the last
//     trigger if later, and repeat.
//
//   - RandomizedDelaySec= adds a random delay below it to each planned
//     elapse; with FixedRandomDelay= the delay is SipHash-2-4 of machine id,
//     instance, uid and unit name, the same delay systemd 252 computes.
//
//   - While the unit runs the timer does not elapse again; when the unit
//     ends the next elapse is planned from the last trigger, so elapses
//     missed during a long run happen once, at once.
//
//   - Persistent= keeps the last trigger as the modification time of
//     /var/lib/boxinit/timers/stamp-NAME.timer (microseconds, as systemd's
//     /var/lib/systemd/timers). A timer started without a stamp writes one.
//
//   - AccuracySec= is a window: Wake picks the moment in it systemd's event
//     loop picks, shared by all timers due in that window.
//
//   - A clock set back pulls a last trigger that is now in the future back
//     to now; ClockChanged plans again. WallAlarm is how the owner learns
//     of a clock set without looking: a CLOCK_REALTIME timerfd armed with
//     TFD_TIMER_ABSTIME|TFD_TIMER_CANCEL_ON_SET, which also wakes it at the
//     next calendar elapse.
//
//   - DST changes follow cron, not systemd 252 (one container, one set of
//     rules; issue 17): OnCalendar= elapses come from calendar's NextCron. A
//     fixed-time elapse in a spring-forward gap runs once at the jump, a
//     fixed-time one in the repeated hour once, and a wildcard one
//     ("*:00/10") by the clock through both passes.
//
// Times come in as Dual (wall and monotonic), so tests drive a Timer with a
// fake clock.
package timers
