package units

import "strings"

// builtinTargets are the targets systemd ships in its own package, which an
// image without systemd lacks: boxinit provides them, with the dependencies
// systemd gives them that matter for ordering (systemd.special(7)).
var builtinTargets = map[string]string{
	"multi-user.target":        "Requires=basic.target\nAfter=basic.target",
	"graphical.target":         "Requires=multi-user.target\nAfter=multi-user.target",
	"basic.target":             "Requires=sysinit.target\nWants=sockets.target timers.target paths.target slices.target\nAfter=sysinit.target sockets.target paths.target slices.target",
	"sysinit.target":           "DefaultDependencies=no\nWants=local-fs.target swap.target\nAfter=local-fs.target swap.target",
	"timers.target":            "DefaultDependencies=no",
	"sockets.target":           "",
	"paths.target":             "",
	"slices.target":            "",
	"local-fs.target":          "DefaultDependencies=no\nAfter=local-fs-pre.target",
	"local-fs-pre.target":      "DefaultDependencies=no",
	"swap.target":              "",
	"remote-fs.target":         "After=remote-fs-pre.target",
	"remote-fs-pre.target":     "",
	"network.target":           "After=network-pre.target",
	"network-pre.target":       "",
	"network-online.target":    "After=network.target",
	"nss-lookup.target":        "",
	"nss-user-lookup.target":   "",
	"time-set.target":          "",
	"time-sync.target":         "After=time-set.target",
	"getty.target":             "",
	"rescue.target":            "",
	"emergency.target":         "",
	"shutdown.target":          "DefaultDependencies=no",
	"sound.target":             "",
	"printer.target":           "",
	"bluetooth.target":         "",
	"smartcard.target":         "",
	"cryptsetup.target":        "",
	"rpcbind.target":           "",
	"remote-cryptsetup.target": "",
	"syslog.target":            "",
}

// BuiltinFile is the file name diagnostics give for a built-in target.
const BuiltinFile = "(built in)"

// builtinTarget returns the [Unit] assignments of a built-in target, or nil.
func builtinTarget(name string) []Assignment {
	body, ok := builtinTargets[name]
	if !ok {
		return nil
	}
	out := []Assignment{{Section: "Unit", Key: "Description", Value: name, File: BuiltinFile}}
	for _, l := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			out = append(out, Assignment{Section: "Unit", Key: k, Value: v, File: BuiltinFile})
		}
	}
	return out
}
