package boot

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// visudoPath is where Debian, Ubuntu, Fedora and Alpine install visudo.
const visudoPath = "/usr/sbin/visudo"

// runVisudo runs `visudo -c -f file` and returns its complaint. Load runs
// before the reaper exists (boxinit's init mode starts it later, `check`
// never does), so os/exec may wait for its own child here; tests that hold
// a reaper swap this.
var runVisudo = func(visudo, file string) error {
	out, err := exec.Command(visudo, "-c", "-f", file).CombinedOutput()
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("%s", strings.ReplaceAll(first, file, "line"))
	}
	return nil
}

// checkWithVisudo asks the image's own sudo whether it takes the line
// "user rule", when the image has visudo: the grammar boxinit checks is
// sudoers(5)'s, but the sudo of the image has the last word.
//
// The default rule is asked of no visudo: every sudo takes it for every
// name DEFAULT_USER may have (TestVisudo_TakesTheDefaultRuleForEveryValidName),
// and asking costs every boot a fork and exec, about 3 ms.
func (c *Config) checkWithVisudo(user, rule string) error {
	if rule == defaultSudoRule {
		return nil
	}
	visudo := c.path(visudoPath)
	if _, err := os.Stat(visudo); err != nil {
		return nil
	}
	dir, err := os.MkdirTemp("", "boxinit-sudo-")
	if err != nil {
		return nil // nowhere to write: the grammar check stands alone
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "rule")
	if err := os.WriteFile(file, []byte(user+" "+rule+"\n"), 0o440); err != nil {
		return nil
	}
	return runVisudo(visudo, file)
}
