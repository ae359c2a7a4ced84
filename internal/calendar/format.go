package calendar

import (
	"fmt"
	"strings"
)

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// String is the normalized form, as `systemd-analyze calendar` prints it.
func (s *Spec) String() string {
	var b strings.Builder
	if s.weekdays != 0 {
		b.WriteString(formatWeekdays(s.weekdays))
		b.WriteByte(' ')
	}
	b.WriteString(formatList(s.year, 4, false))
	b.WriteByte('-')
	b.WriteString(formatList(s.month, 2, false))
	if s.endOfMonth {
		b.WriteByte('~')
	} else {
		b.WriteByte('-')
	}
	b.WriteString(formatList(s.day, 2, false))
	b.WriteByte(' ')
	b.WriteString(formatList(s.hour, 2, false))
	b.WriteByte(':')
	b.WriteString(formatList(s.minute, 2, false))
	b.WriteByte(':')
	b.WriteString(formatList(s.second, 2, true))
	switch {
	case s.utc:
		b.WriteString(" UTC")
	case s.zone != "":
		b.WriteString(" " + s.zone)
	}
	return b.String()
}

// formatWeekdays writes runs of three days or more as ranges, shorter ones
// as lists: "Mon..Wed,Fri,Sat".
func formatWeekdays(bits uint8) string {
	var parts []string
	for d := 0; d < 7; {
		if bits&(1<<d) == 0 {
			d++
			continue
		}
		end := d
		for end+1 < 7 && bits&(1<<(end+1)) != 0 {
			end++
		}
		switch end - d {
		case 0:
			parts = append(parts, dayNames[d])
		case 1:
			parts = append(parts, dayNames[d], dayNames[end])
		default:
			parts = append(parts, dayNames[d]+".."+dayNames[end])
		}
		d = end + 1
	}
	return strings.Join(parts, ",")
}

func formatList(list []component, width int, usec bool) string {
	if list == nil || usec && len(list) == 1 && list[0] == (component{start: 0, stop: -1, repeat: usecs}) {
		return "*"
	}
	parts := make([]string, len(list))
	for i, c := range list {
		parts[i] = c.format(width, usec)
	}
	return strings.Join(parts, ",")
}

// format writes start[..stop][/repeat]; a range's repetition by one unit
// is implied.
func (c component) format(width int, usec bool) string {
	unit := 1
	if usec {
		unit = usecs
	}
	num := func(v int, pad int) string {
		s := fmt.Sprintf("%0*d", pad, v/unit)
		if v%unit > 0 {
			s += fmt.Sprintf(".%06d", v%unit)
		}
		return s
	}
	s := num(c.start, width)
	if c.stop > 0 {
		s += ".." + num(c.stop, width)
	}
	if c.repeat > 0 && !(c.stop > 0 && c.repeat == unit) {
		s += "/" + num(c.repeat, 0)
	}
	return s
}
