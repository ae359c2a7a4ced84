// Package units reads systemd unit files as systemd does, without systemd:
// the syntax of systemd.syntax(7), the search path and the drop-ins, aliases,
// masks and template instances of systemd.unit(5), the settings of
// systemd.service(5) and systemd.exec(5) that boxinit can honour in a
// container, and the set of units a boot starts with their order.
//
//   - [ParseFile] splits a file into section/key/value assignments with
//     their file:line; it never fails on a line systemd would ignore, it
//     reports it as a [Diag] instead.
//   - [Loader] finds a unit by name under a root directory (the search
//     path of [SearchPath]), follows alias and mask symlinks inside that
//     root, instantiates templates and applies the drop-ins in systemd's
//     order.
//   - [Unit] and [Service] are the typed result; every setting boxinit does
//     not honour is listed in [Unit.Diags], so `boxinit check` can show it.
//   - [Loader.Boot] computes what a boot starts: the units that
//     multi-user.target, default.target and timers.target pull in, ordered
//     by After=/Before=, with ordering cycles broken as systemd breaks them.
//   - [ParseExec], [ExpandCommand], [ParseEnvironment] and
//     [ParseEnvironmentFile] give the supervisor the argv and environment
//     of each command.
//   - [Loader.Check] lists every unit's problems once, for `boxinit check`;
//     [Loader.Enable], [Loader.Disable], [Loader.Mask], [Loader.Unmask] and
//     [Loader.EnabledState] are systemctl's verbs on files, making the links
//     deb-systemd-helper makes.
//   - Package tmpfiles (below this one) reads and applies tmpfiles.d.
//
// Nothing here starts a process: internal/services does.
package units
