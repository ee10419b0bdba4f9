package functions

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

func TestTimeScratch2VsJava(t *testing.T) {
	f, err := os.Open("/tmp/nt_helper/jv/d17.txt")
	if err != nil {
		t.Skip()
	}
	sc := bufio.NewScanner(f)
	same := func(got, want string) bool {
		return got == want || (strings.HasPrefix(got, "ERR") && strings.HasPrefix(want, "ERR"))
	}
	for sc.Scan() {
		p := strings.Split(sc.Text(), "\t")
		switch p[0] {
		case "PD":
			for i, reject := range []bool{true, false} {
				got := ""
				tm, err := timeParseDate(p[1], p[2], reject)
				if err != nil {
					got = "ERR " + err.Error()
				} else {
					got = strconv.FormatInt(timeFloorDiv(tm.Unix(), 86400), 10)
				}
				if !same(got, p[3+i]) {
					t.Errorf("parse date %q %q reject=%v: got %q want %q", p[1], p[2], reject, got, p[3+i])
				}
			}
		case "PT":
			got := ""
			ns, err := timeParseTimeOfDay(p[1], p[2])
			if err != nil {
				got = "ERR " + err.Error()
			} else {
				got = strconv.FormatInt(ns/1e6, 10)
			}
			if !same(got, p[3]) {
				t.Errorf("parse time %q %q: got %q want %q", p[1], p[2], got, p[3])
			}
		case "FD", "FT":
			n, _ := strconv.ParseInt(p[1], 10, 64)
			var got string
			var err error
			if p[0] == "FD" {
				got, err = timeFormatDays(n, p[2])
			} else {
				got, err = timeFormatClock(n, p[2])
			}
			if err != nil {
				got = "ERR " + err.Error()
			}
			if !same(got, p[3]) {
				t.Errorf("%s %d %q: got %q want %q", p[0], n, p[2], got, p[3])
			}
		}
	}
}
