package users

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// passwordAging holds the shadow fields useradd fills from login.defs.
type passwordAging struct{ min, max, warn string }

// readLoginDefs reads PASS_MIN_DAYS, PASS_MAX_DAYS and PASS_WARN_AGE from
// /etc/login.defs as useradd does. Without the file (Alpine, distroless)
// it uses Debian's shipped values, which busybox's adduser writes too.
func readLoginDefs(root string) passwordAging {
	p := passwordAging{min: "0", max: "99999", warn: "7"}
	f, err := os.Open(filepath.Join(root, "/etc/login.defs"))
	if err != nil {
		return p
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if _, err := atoiID(fields[1]); err != nil && fields[1] != "-1" {
			continue
		}
		switch fields[0] {
		case "PASS_MIN_DAYS":
			p.min = fields[1]
		case "PASS_MAX_DAYS":
			p.max = fields[1]
		case "PASS_WARN_AGE":
			p.warn = fields[1]
		}
	}
	return p
}
