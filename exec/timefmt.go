package exec

import (
	"fmt"
	"strings"
)

// JavaTimeLayout translates a java.time pattern such as
// "yyyy-MM-dd'T'HH:mm:ss.SSS" into a Go time layout.
// TODO(ksql): share the translator of exec/functions once it lands.
func JavaTimeLayout(pattern string) (string, error) {
	var b strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); {
		c := rs[i]
		j := i
		for j < len(rs) && rs[j] == c {
			j++
		}
		n := j - i
		switch c {
		case '\'':
			k := i + 1
			for k < len(rs) && rs[k] != '\'' {
				b.WriteRune(rs[k])
				k++
			}
			i = k + 1
			continue
		case 'y', 'u':
			if n == 2 {
				b.WriteString("06")
			} else {
				b.WriteString("2006")
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString("1")
			case 2:
				b.WriteString("01")
			case 3:
				b.WriteString("Jan")
			default:
				b.WriteString("January")
			}
		case 'd':
			if n == 1 {
				b.WriteString("2")
			} else {
				b.WriteString("02")
			}
		case 'H':
			b.WriteString("15")
		case 'h':
			if n == 1 {
				b.WriteString("3")
			} else {
				b.WriteString("03")
			}
		case 'm':
			if n == 1 {
				b.WriteString("4")
			} else {
				b.WriteString("04")
			}
		case 's':
			if n == 1 {
				b.WriteString("5")
			} else {
				b.WriteString("05")
			}
		case 'S':
			b.WriteString(strings.Repeat("0", n))
		case 'a':
			b.WriteString("PM")
		case 'X':
			b.WriteString("Z07:00")
		case 'Z':
			b.WriteString("-0700")
		case 'z':
			b.WriteString("MST")
		case 'E':
			if n >= 4 {
				b.WriteString("Monday")
			} else {
				b.WriteString("Mon")
			}
		default:
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				return "", fmt.Errorf("unsupported pattern letter '%c' in '%s'", c, pattern)
			}
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	return b.String(), nil
}
