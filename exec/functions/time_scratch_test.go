package functions

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestTimeScratchVsJava(t *testing.T) {
	f, err := os.Open("/tmp/nt_helper/jv/fmt17.txt")
	if err != nil {
		t.Skip()
	}
	sc := bufio.NewScanner(f)
	bad := 0
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		switch p[0] {
		case "F":
			ms, _ := strconv.ParseInt(p[2], 10, 64)
			loc, err := timeZoneOf(p[3])
			if err != nil {
				t.Errorf("zone %s: %v", p[3], err)
				continue
			}
			got, err := timeFormatInstant(ms, p[1], loc)
			if err != nil {
				got = "ERR " + err.Error()
			}
			if got != p[4] && !(strings.HasPrefix(got, "ERR") && strings.HasPrefix(p[4], "ERR")) {
				bad++
				if bad < 60 {
					t.Errorf("format %q %d %s: got %q want %q", p[1], ms, p[3], got, p[4])
				}
			}
		case "P":
			loc, _ := timeZoneOf(p[3])
			tm, err := timeParseTimestamp(p[1], p[2], loc)
			got := ""
			if err != nil {
				got = "ERR " + err.Error()
			} else {
				got = strconv.FormatInt(tm.UnixMilli(), 10)
			}
			if got != p[4] && !(strings.HasPrefix(got, "ERR") && strings.HasPrefix(p[4], "ERR")) {
				t.Errorf("parse %q %q %s: got %q want %q", p[1], p[2], p[3], got, p[4])
			}
		}
	}
}
