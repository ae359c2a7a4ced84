package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/boxinit/boxinit/internal/services"
	"github.com/boxinit/boxinit/internal/status"
)

// journalctl is the same binary called as `journalctl` (a link) or as
// `boxinit journalctl`: it prints the last lines the units printed, which
// PID 1 keeps in a small ring per unit (internal/services: 20 lines of at
// most 512 bytes), and with -f follows them. There is no journal on disk:
// what scrolled out of the ring is in boxinit's own log (the container's
// log), one line each with unit=.

// journalRequest asks PID 1 for the lines of units after the numbers the
// client has seen (-f).
type journalRequest struct {
	Verb  string            `json:"verb"` // "journal"
	Units []string          `json:"units,omitempty"`
	After map[string]uint64 `json:"after,omitempty"`
	N     int               `json:"n"` // < 0: all kept
}

// journalLine is a unit's line in the answer.
type journalLine struct {
	Unit string `json:"unit"`
	services.JournalLine
}

type journalAnswer struct {
	Lines []journalLine     `json:"lines,omitempty"`
	Last  map[string]uint64 `json:"last,omitempty"`
	Error string            `json:"error,omitempty"`
}

// calledAsJournalctl reports whether argv[0] names journalctl.
func calledAsJournalctl(argv0 string) bool { return filepath.Base(argv0) == "journalctl" }

// runJournalctl is the journalctl client.
func runJournalctl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("journalctl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: journalctl [-u UNIT]... [-n N] [-f] [-o short|cat]   (boxinit's journalctl: the last %d lines of each unit)\n\nFlags:\n", 20)
		fs.PrintDefaults()
	}
	unitNames := fs.StringArrayP("unit", "u", nil, "the unit's lines (repeatable; none: every unit's)")
	lines := fs.StringP("lines", "n", "", "the last N lines (all kept when not given; 10 with -f)")
	follow := fs.BoolP("follow", "f", false, "print new lines as they come, until interrupted")
	output := fs.StringP("output", "o", "short", "short (time, host, unit) or cat (the text only)")
	socket := fs.String("socket", "/run/boxinit.sock", "control socket of the running boxinit")
	interval := fs.Duration("poll", 200*time.Millisecond, "-f: how often to ask for new lines")
	// Accepted and ignored, as people type them.
	fs.Bool("no-pager", false, "no pager (there is none)")
	fs.BoolP("boot", "b", false, "this boot (the only one kept)")
	fs.BoolP("pager-end", "e", false, "ignored")
	fs.BoolP("quiet", "q", false, "ignored")
	fs.BoolP("catalog", "x", false, "ignored")
	fs.Bool("system", false, "ignored")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "journalctl: matches (%s) are not supported: use -u UNIT\n", strings.Join(fs.Args(), " "))
		return exitUsage
	}
	if *output != "short" && *output != "cat" {
		fmt.Fprintf(stderr, "journalctl: -o %s: only short and cat\n", *output)
		return exitUsage
	}
	n := -1
	if *follow {
		n = 10
	}
	if *lines != "" && *lines != "all" {
		if _, err := fmt.Sscan(*lines, &n); err != nil || n < 0 {
			fmt.Fprintf(stderr, "journalctl: -n %q: not a number of lines\n", *lines)
			return exitUsage
		}
	}
	if v, ok := os.LookupEnv("BOXINIT_SOCKET"); ok && v != "" && !fs.Changed("socket") {
		*socket = v
	}
	req := journalRequest{Verb: "journal", N: n, After: map[string]uint64{}}
	for _, u := range *unitNames {
		req.Units = append(req.Units, unitName(u))
	}
	host, _ := os.Hostname()
	print := func(a *journalAnswer) error {
		for _, l := range a.Lines {
			var err error
			if *output == "cat" {
				_, err = fmt.Fprintln(stdout, l.Text)
			} else {
				_, err = fmt.Fprintf(stdout, "%s %s %s: %s\n", l.Time.Local().Format(time.StampMilli), host, l.Unit, l.Text)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	a, err := askJournal(*socket, req)
	if err != nil {
		fmt.Fprintf(stderr, "journalctl: %v\n", err)
		return exitFailed
	}
	if len(a.Lines) == 0 && !*follow {
		fmt.Fprintln(stdout, "-- No entries --")
		return 0
	}
	if err := print(a); err != nil || !*follow {
		return 0
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	req.N = -1
	for {
		req.After = a.Last
		select {
		case <-stop:
			return 0
		case <-time.After(*interval):
		}
		if a, err = askJournal(*socket, req); err != nil {
			fmt.Fprintf(stderr, "journalctl: %v\n", err)
			return exitFailed
		}
		if err := print(a); err != nil {
			return 0 // the reader went away (a closed pipe)
		}
	}
}

func askJournal(socket string, req journalRequest) (*journalAnswer, error) {
	if socket == "" {
		return nil, errors.New("no control socket: BOXINIT_SOCKET is empty")
	}
	var a journalAnswer
	if err := status.Call(socket, req, &a, time.Minute); err != nil {
		if strings.Contains(err.Error(), "unknown request") {
			return nil, errors.New("the running boxinit keeps no unit lines (it is older, or runs no services)")
		}
		return nil, err
	}
	if a.Error != "" {
		return nil, errors.New(a.Error)
	}
	return &a, nil
}

// journal answers a journal request: each unit's lines after the number
// the client has seen, merged by time, the last N of them.
func (h *serviceHost) journal(raw []byte) journalAnswer {
	var req journalRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return journalAnswer{Error: "bad journal request: " + err.Error()}
	}
	m, err := h.manager()
	if err != nil {
		return journalAnswer{Error: err.Error()}
	}
	names := req.Units
	if len(names) == 0 {
		for _, st := range m.List() {
			names = append(names, st.Name)
		}
	}
	a := journalAnswer{Last: map[string]uint64{}}
	for _, n := range names {
		lines, last, err := m.Journal(n, req.After[n], req.N)
		if err != nil {
			continue // no such unit: no entries, as journalctl -u says
		}
		a.Last[n] = last
		for _, l := range lines {
			a.Lines = append(a.Lines, journalLine{Unit: n, JournalLine: l})
		}
	}
	slices.SortStableFunc(a.Lines, func(x, y journalLine) int { return x.Time.Compare(y.Time) })
	if req.N >= 0 && len(a.Lines) > req.N {
		a.Lines = a.Lines[len(a.Lines)-req.N:]
	}
	return a
}
