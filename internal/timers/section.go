package timers

import (
	"fmt"
	"strings"
	"time"

	"github.com/boxinit/boxinit/internal/calendar"
)

// Setting is one assignment of a timer unit's [Timer] section, as the unit
// file reader found it (drop-ins included, in order).
type Setting struct {
	File  string
	Line  int
	Key   string
	Value string
}

// Problem is a setting systemd would ignore (with a warning) or refuse;
// boxinit check reports each with its file:line.
type Problem struct {
	Setting Setting
	Reason  string
}

func (p Problem) Error() string {
	if p.Setting.Line == 0 {
		return fmt.Sprintf("%s: %s", p.Setting.File, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s=%s: %s", p.Setting.File, p.Setting.Line, p.Setting.Key, p.Setting.Value, p.Reason)
}

// Section is a [Timer] section read into a Config, with the unit it
// activates (Unit=, by default the timer's own name as a .service).
type Section struct {
	Config Config
	Unit   string
}

// ParseSection reads the [Timer] settings of the timer unit name as
// systemd 252 does: OnCalendar= and the On*Sec= values add up, an empty
// value of any of them clears all of them; a bad value is a Problem and is
// left out, as systemd leaves it out. Time spans are read by duration
// (systemd.time(7) spans, the unit reader's), calendar events with parser.
func ParseSection(name string, settings []Setting, duration func(string) (time.Duration, error), parser calendar.Parser) (Section, []Problem) {
	s := Section{
		Config: Config{Name: name, RemainAfterElapse: true, Accuracy: DefaultAccuracy},
		Unit:   strings.TrimSuffix(name, ".timer") + ".service",
	}
	c := &s.Config
	var problems []Problem
	bad := func(st Setting, format string, args ...any) {
		problems = append(problems, Problem{Setting: st, Reason: fmt.Sprintf(format, args...)})
	}
	monotonic := map[string]*[]time.Duration{
		"OnActiveSec": &c.OnActive, "OnBootSec": &c.OnBoot, "OnStartupSec": &c.OnStartup,
		"OnUnitActiveSec": &c.OnUnitActive, "OnUnitInactiveSec": &c.OnUnitInactive,
	}
	flags := map[string]*bool{
		"Persistent": &c.Persistent, "RemainAfterElapse": &c.RemainAfterElapse,
		"FixedRandomDelay": &c.FixedRandomDelay,
		// Accepted and without effect in a container, as in systemd
		// without the privileges they need.
		"WakeSystem": new(bool), "OnClockChange": new(bool), "OnTimezoneChange": new(bool),
	}
	for _, st := range settings {
		v := strings.TrimSpace(st.Value)
		if list, ok := monotonic[st.Key]; ok || st.Key == "OnCalendar" {
			if v == "" {
				c.OnCalendar, c.OnActive, c.OnBoot, c.OnStartup, c.OnUnitActive, c.OnUnitInactive = nil, nil, nil, nil, nil, nil
				continue
			}
			if st.Key == "OnCalendar" {
				spec, err := parser.Parse(v)
				if err != nil {
					bad(st, "%v", err)
					continue
				}
				c.OnCalendar = append(c.OnCalendar, spec)
				continue
			}
			d, err := duration(v)
			if err != nil {
				bad(st, "%v", err)
				continue
			}
			*list = append(*list, d)
			continue
		}
		if f, ok := flags[st.Key]; ok {
			b, err := parseBool(v)
			if err != nil {
				bad(st, "%v", err)
				continue
			}
			*f = b
			continue
		}
		switch st.Key {
		case "AccuracySec", "RandomizedDelaySec":
			d, err := duration(v)
			if err != nil {
				bad(st, "%v", err)
				continue
			}
			if st.Key == "AccuracySec" {
				if d <= 0 {
					d = eventLoopAccuracy // what sd-event makes of 0
				}
				c.Accuracy = d
			} else {
				c.RandomizedDelay = d
			}
		case "Unit":
			if v == "" || strings.ContainsRune(v, '/') || !strings.Contains(v, ".") || strings.HasSuffix(v, ".timer") {
				bad(st, "not a unit a timer can activate")
				continue
			}
			s.Unit = v
		default:
			bad(st, "unknown setting in [Timer]")
		}
	}
	if err := c.Validate(); err != nil {
		problems = append(problems, Problem{Setting: Setting{File: firstFile(settings)}, Reason: err.Error()})
	}
	return s, problems
}

func firstFile(settings []Setting) string {
	if len(settings) > 0 {
		return settings[0].File
	}
	return ""
}

// eventLoopAccuracy is the accuracy systemd's event loop gives a timer
// whose AccuracySec= is 0.
const eventLoopAccuracy = 250 * time.Millisecond

// parseBool reads systemd's booleans.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "yes", "y", "true", "t", "on":
		return true, nil
	case "0", "no", "n", "false", "f", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", s)
}
