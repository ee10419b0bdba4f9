// Package cli is the interactive ksql> shell, modelled on ksqlDB's CLI:
// the banner, multi-line statements ending at ';' (split.go), history
// and completion through chzyer/readline (interactive.go), ksqlDB's
// output (render.go: the Message and SHOW/DESCRIBE tables, boxed query
// rows), CLI-local SET/UNSET/DEFINE/UNDEFINE, RUN SCRIPT and the shell's
// own commands (shell.go), and the command line (options.go: -e, -f,
// --output, -u/-p, --config-file). It reaches servers only through the
// REST API's Go client (rest/client); it never imports engine.
package cli
