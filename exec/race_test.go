//go:build race

package exec

// raceEnabled reports whether the race detector is on (it makes
// allocation counts meaningless).
const raceEnabled = true
