package status

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// Render writes the human view of d, for an 80-column terminal.
func Render(out io.Writer, d *Document, now time.Time) {
	var w strings.Builder
	render(&w, d, now)
	for _, line := range strings.SplitAfter(w.String(), "\n") {
		io.WriteString(out, strings.TrimRight(line, " \n")+strings.Repeat("\n", strings.Count(line, "\n")))
	}
}

func render(w io.Writer, d *Document, now time.Time) {
	mode := "PID 1"
	if d.Mode != "pid1" {
		mode = "subreaper"
	}
	fmt.Fprintf(w, "boxinit %s, pid %d (%s), up %s\n", d.Boxinit, d.PID, mode, ago(now, d.Started))
	state := d.State
	if d.State == Ready {
		state += " since " + d.ReadySince.Format("2006-01-02 15:04:05") + " (" + ago(now, d.ReadySince) + " ago)"
	}
	fmt.Fprintf(w, "state: %s\n", state)

	fmt.Fprintln(w, "\nboot:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, r := range d.Boot {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.Step, r.Outcome, r.Duration.Round(10*time.Microsecond), clip(r.Message, 44))
	}
	tw.Flush()
	if r := d.BootRunning; r != nil {
		limit := "no time limit"
		if r.Timeout > 0 {
			limit = "stopped after " + r.Timeout.String()
		}
		fmt.Fprintf(w, "  now: %s %s, pid %d, running for %s (%s)\n", r.Step, clip(r.Command, 30), r.PID, ago(now, r.Since), limit)
	}

	if !d.HostCertExpires.IsZero() {
		fmt.Fprintf(w, "  host certificates valid until %s (%s left)\n", d.HostCertExpires.UTC().Format("2006-01-02 15:04 MST"), daysLeft(now, d.HostCertExpires))
	}

	fmt.Fprintln(w, "\nmain command:")
	switch m := d.Main; {
	case m == nil:
		fmt.Fprintln(w, "  none (idle until SIGTERM), or not started yet")
	case m.Running:
		fmt.Fprintf(w, "  %s\n  pid %d, running since %s\n", clip(strings.Join(m.Argv, " "), 76), m.PID, m.Started.Format("15:04:05"))
	default:
		fmt.Fprintf(w, "  %s\n  pid %d, exited with %d\n", clip(strings.Join(m.Argv, " "), 76), m.PID, *m.ExitCode)
	}
	fmt.Fprintf(w, "\nprocesses: %d children, %d orphans reaped\n", d.Processes.Children, d.Processes.OrphansReaped)

	if len(d.Services) > 0 {
		fmt.Fprintf(w, "\nservices: %d\n", len(d.Services))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  UNIT\tSTATE\tPID\tRESTARTS\tSINCE")
		var failed []Service
		for _, s := range d.Services {
			pid := "-"
			if s.MainPID > 0 {
				pid = fmt.Sprint(s.MainPID)
			}
			state := s.State
			if s.Sub != "" && s.Sub != "running" && s.Sub != "dead" && s.Sub != s.State {
				state += "/" + s.Sub // activating/start-pre, active/exited, deactivating/stop-sigterm…
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\n", clip(s.Name, 30), clip(state, 22), pid, s.Restarts, ago(now, s.Since))
			if s.State == "failed" {
				failed = append(failed, s)
			}
		}
		tw.Flush()
		for _, s := range failed {
			why := s.Result
			if s.LastExit != "" {
				why = s.LastExit + " (" + s.Result + ")"
			}
			fmt.Fprintf(w, "  %s failed: %s\n", clip(s.Name, 30), clip(why, 38))
			for _, l := range s.LastLines[max(0, len(s.LastLines)-failedLines):] {
				fmt.Fprintf(w, "    %s\n", clip(l, 76))
			}
		}
	}

	if len(d.Timers) > 0 {
		fmt.Fprintf(w, "\ntimers: %d\n", len(d.Timers))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  TIMER\tNEXT\tLAST\tACTIVATES")
		for _, t := range d.Timers {
			next := "-"
			switch {
			case t.Skipped != "":
				next = clip(t.Skipped, 24)
			case !t.Next.IsZero():
				next = t.Next.Format("01-02 15:04:05")
			case t.State != "waiting":
				next = t.State
			}
			last := "never"
			if !t.Last.IsZero() {
				last = ago(now, t.Last)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", clip(t.Name, 26), next, last, clip(t.Activates, 24))
		}
		tw.Flush()
	}

	if d.Cron == nil {
		return
	}
	fmt.Fprintf(w, "\ncron: %d jobs\n", len(d.Cron.Jobs))
	for _, j := range d.Cron.Jobs {
		last := "never ran"
		switch {
		case j.Running:
			last = "running since " + j.LastStart.Format("15:04:05")
		case j.Runs > 0:
			last = fmt.Sprintf("last %s, exit %d, %s", j.LastStart.Format("15:04:05"), j.LastCode, j.LastTook.Round(time.Millisecond))
		}
		next := "-"
		if !j.NextRun.IsZero() {
			next = j.NextRun.Format("01-02 15:04 MST")
		}
		fmt.Fprintf(w, "  %s  %s  %s  next %s\n", clip(j.Job, 28), clip(j.Schedule, 14), clip(j.User, 10), next)
		fmt.Fprintf(w, "    %s  (%s)\n", clip(j.Command, 40), last)
	}
	for _, r := range d.Cron.Rejected {
		fmt.Fprintf(w, "  rejected: %s\n", clip(r, 66))
	}
	for _, r := range d.Cron.Refused {
		fmt.Fprintf(w, "  refused: %s\n", r) // whole: the reason is the point
	}
}

func ago(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Round(time.Second).String()
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

// failedLines is how many of a failed unit's last lines status shows.
const failedLines = 5

// daysLeft says how long until t: "200 days", "5h0m0s", or "none" once past.
func daysLeft(now, t time.Time) string {
	switch d := t.Sub(now); {
	case d <= 0:
		return "none"
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
	default:
		return d.Round(time.Minute).String()
	}
}
