// Package cli will hold the interactive ksql> shell (readline, boxed
// result tables, CLI-local SET/UNSET/DEFINE, RUN SCRIPT), talking to a
// server only through the REST API's Go client (rest/client). The shell is
// a later capability; nothing here yet. It must never import engine.
package cli
