package functions

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A formatter/parser for java.time.format.DateTimeFormatter patterns, as
// ksqlDB's date/time functions take them ('yyyy-MM-dd''T''HH:mm:ss.SSSX').
//
// Supported pattern letters: G u y Y Q q M L w W E e c F d D a h K k H m s
// S A n N V z O X x Z, quoted literals ('T', '' for a quote), optional
// sections [...] and any other non-letter character as a literal. Text
// (month and day names, AM/PM, eras) is English; parsing is
// case-insensitive (as ksqlDB's parsers are built with
// parseCaseInsensitive) and resolves like Java's SMART resolver.

// timeTok is one element of a compiled pattern.
type timeTok struct {
	kind   byte // 'l' literal, 'f' field, '[' / ']' optional section
	lit    string
	letter byte
	count  int
}

// timePattern is a compiled pattern.
type timePattern struct {
	src  string
	toks []timeTok
}

var (
	timePatternCache   sync.Map // string -> *timePattern
	timePatternCacheN  int
	timePatternCacheMu sync.Mutex
)

// timeCompile compiles (and caches) a pattern.
func timeCompile(pattern string) (*timePattern, error) {
	if p, ok := timePatternCache.Load(pattern); ok {
		return p.(*timePattern), nil
	}
	p, err := timeCompilePattern(pattern)
	if err != nil {
		return nil, err
	}
	timePatternCacheMu.Lock()
	if timePatternCacheN >= 1000 {
		timePatternCache.Clear()
		timePatternCacheN = 0
	}
	timePatternCacheN++
	timePatternCacheMu.Unlock()
	timePatternCache.Store(pattern, p)
	return p, nil
}

// timeMaxCount is the largest repeat count of each pattern letter.
var timeMaxCount = map[byte]int{
	'G': 5, 'u': 19, 'y': 19, 'Y': 19, 'Q': 5, 'q': 5, 'M': 5, 'L': 5, 'w': 2, 'W': 1,
	'E': 5, 'e': 5, 'c': 5, 'F': 1, 'd': 2, 'D': 3, 'a': 1, 'h': 2, 'K': 2, 'k': 2,
	'H': 2, 'm': 2, 's': 2, 'S': 9, 'A': 19, 'n': 19, 'N': 19, 'V': 2, 'z': 4,
	'O': 4, 'X': 5, 'x': 5, 'Z': 5,
}

func timeCompilePattern(pattern string) (*timePattern, error) {
	p := &timePattern{src: pattern}
	depth := 0
	for i := 0; i < len(pattern); {
		c := pattern[i]
		switch {
		case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			j := i
			for j < len(pattern) && pattern[j] == c {
				j++
			}
			n := j - i
			maxN, ok := timeMaxCount[c]
			if !ok {
				return nil, fmt.Errorf("Unknown pattern letter: %c", c)
			}
			if n > maxN {
				return nil, fmt.Errorf("Too many pattern letters: %c", c)
			}
			switch {
			case c == 'V' && n != 2:
				return nil, errors.New("Pattern letter count must be 2: V")
			case c == 'O' && n != 1 && n != 4:
				return nil, errors.New("Pattern letter count must be 1 or 4: O")
			case c == 'c' && n == 2:
				return nil, errors.New("Invalid pattern \"cc\"")
			}
			p.toks = append(p.toks, timeTok{kind: 'f', letter: c, count: n})
			i = j
		case c == '\'':
			j := i + 1
			var lit strings.Builder
			closed := false
			for j < len(pattern) {
				if pattern[j] == '\'' {
					if j+1 < len(pattern) && pattern[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				lit.WriteByte(pattern[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("Pattern ends with an incomplete string literal: %s", pattern)
			}
			if j == i+2 { // '' is a quote
				p.addLit("'")
			} else {
				p.addLit(lit.String())
			}
			i = j
		case c == '[':
			depth++
			p.toks = append(p.toks, timeTok{kind: '['})
			i++
		case c == ']':
			if depth == 0 {
				return nil, fmt.Errorf("Pattern invalid as it contains ] without previous [")
			}
			depth--
			p.toks = append(p.toks, timeTok{kind: ']'})
			i++
		case c == '{' || c == '}' || c == '#':
			return nil, fmt.Errorf("Pattern includes reserved character: '%c'", c)
		default:
			p.addLit(string(c))
			i++
		}
	}
	for ; depth > 0; depth-- {
		p.toks = append(p.toks, timeTok{kind: ']'})
	}
	return p, nil
}

func (p *timePattern) addLit(s string) {
	if n := len(p.toks); n > 0 && p.toks[n-1].kind == 'l' {
		p.toks[n-1].lit += s
		return
	}
	p.toks = append(p.toks, timeTok{kind: 'l', lit: s})
}

// Field names, as Java's error messages spell them.
var timeFieldNames = map[byte]string{
	'G': "Era", 'u': "Year", 'y': "YearOfEra", 'Y': "WeekBasedYear", 'Q': "QuarterOfYear",
	'q': "QuarterOfYear", 'M': "MonthOfYear", 'L': "MonthOfYear", 'w': "WeekOfWeekBasedYear",
	'W': "WeekOfMonth", 'E': "DayOfWeek", 'e': "DayOfWeek", 'c': "DayOfWeek",
	'F': "AlignedDayOfWeekInMonth", 'd': "DayOfMonth", 'D': "DayOfYear", 'a': "AmPmOfDay",
	'h': "ClockHourOfAmPm", 'K': "HourOfAmPm", 'k': "ClockHourOfDay", 'H': "HourOfDay",
	'm': "MinuteOfHour", 's': "SecondOfMinute", 'S': "NanoOfSecond", 'A': "MilliOfDay",
	'n': "NanoOfSecond", 'N': "NanoOfDay",
}

func timeIsDateLetter(c byte) bool { return strings.IndexByte("GuyYQqMLwWEecFdD", c) >= 0 }
func timeIsTimeLetter(c byte) bool { return strings.IndexByte("ahKkHmsSAnN", c) >= 0 }
func timeIsZoneLetter(c byte) bool { return strings.IndexByte("VzOXxZ", c) >= 0 }

var (
	timeMonthNames = []string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
	timeDayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)

// timeValue is what is being formatted: a date, a time of day, or an
// instant in a zone.
type timeValue struct {
	t                         time.Time // wall clock in the value's zone
	hasDate, hasTime, hasZone bool
}

// format renders v with the pattern.
func (p *timePattern) format(v timeValue) (string, error) {
	var b strings.Builder
	for _, tok := range p.toks {
		switch tok.kind {
		case 'l':
			b.WriteString(tok.lit)
		case 'f':
			if err := timeFormatField(&b, tok, v); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// timeWeekFields computes the US-locale week fields (weeks start on
// Sunday; week 1 is the week containing January 1st).
func timeWeekFields(t time.Time) (weekYear, week, weekOfMonth int) {
	y := t.Year()
	dow0 := func(tt time.Time) int { return int(tt.Weekday()) } // Sunday = 0
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	day := time.Date(y, t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	nextJan1 := time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
	// Saturday ending this date's week.
	sat := day.AddDate(0, 0, 6-dow0(day))
	if !sat.Before(nextJan1) {
		weekYear, week = y+1, 1
	} else {
		weekYear = y
		week = (t.YearDay()-1+dow0(jan1))/7 + 1
	}
	first := time.Date(y, t.Month(), 1, 0, 0, 0, 0, time.UTC)
	weekOfMonth = (t.Day()-1+dow0(first))/7 + 1
	return
}

func timePad(b *strings.Builder, n int64, width int) {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
		b.WriteByte('-')
	}
	for i := len(s); i < width; i++ {
		b.WriteByte('0')
	}
	b.WriteString(s)
}

func timeFormatField(b *strings.Builder, tok timeTok, v timeValue) error {
	c, n := tok.letter, tok.count
	switch {
	case timeIsDateLetter(c) && !v.hasDate, timeIsTimeLetter(c) && !v.hasTime:
		return fmt.Errorf("Unsupported field: %s", timeFieldNames[c])
	case timeIsZoneLetter(c) && !v.hasZone:
		return errors.New("Unable to extract ZoneId from temporal")
	}
	t := v.t
	num := func(val int64) {
		if n == 1 {
			timePad(b, val, 0)
		} else {
			timePad(b, val, n)
		}
	}
	switch c {
	case 'G':
		ad := t.Year() > 0
		switch {
		case n == 4 && ad:
			b.WriteString("Anno Domini")
		case n == 4:
			b.WriteString("Before Christ")
		case n == 5 && ad:
			b.WriteString("A")
		case n == 5:
			b.WriteString("B")
		case ad:
			b.WriteString("AD")
		default:
			b.WriteString("BC")
		}
	case 'u', 'y', 'Y':
		y := int64(t.Year())
		if c == 'Y' {
			wy, _, _ := timeWeekFields(t)
			y = int64(wy)
		}
		if c == 'y' && y <= 0 {
			y = 1 - y
		}
		switch {
		case n == 2:
			m := y % 100
			if m < 0 {
				m += 100
			}
			timePad(b, m, 2)
		case n >= 4 && y > 9999 && len(strconv.FormatInt(y, 10)) > n:
			b.WriteByte('+')
			timePad(b, y, n)
		default:
			num(y)
		}
	case 'Q', 'q':
		q := int64((int(t.Month())-1)/3 + 1)
		switch n {
		case 3:
			fmt.Fprintf(b, "Q%d", q)
		case 4:
			b.WriteString([]string{"1st quarter", "2nd quarter", "3rd quarter", "4th quarter"}[q-1])
		case 5:
			timePad(b, q, 0)
		default:
			num(q)
		}
	case 'M', 'L':
		m := int(t.Month())
		switch n {
		case 3:
			b.WriteString(timeMonthNames[m-1][:3])
		case 4:
			b.WriteString(timeMonthNames[m-1])
		case 5:
			b.WriteString(timeMonthNames[m-1][:1])
		default:
			num(int64(m))
		}
	case 'w', 'W':
		_, w, wm := timeWeekFields(t)
		if c == 'W' {
			w = wm
		}
		num(int64(w))
	case 'E', 'e', 'c':
		idx := (int(t.Weekday()) + 6) % 7 // Monday = 0
		if (c == 'e' || c == 'c') && n <= 2 {
			num(int64(t.Weekday()) + 1) // US locale: Sunday = 1
			break
		}
		switch n {
		case 4:
			b.WriteString(timeDayNames[idx])
		case 5:
			b.WriteString(timeDayNames[idx][:1])
		default:
			b.WriteString(timeDayNames[idx][:3])
		}
	case 'F':
		num(int64((t.Day()-1)%7 + 1))
	case 'd':
		num(int64(t.Day()))
	case 'D':
		num(int64(t.YearDay()))
	case 'a':
		if t.Hour() < 12 {
			b.WriteString("AM")
		} else {
			b.WriteString("PM")
		}
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		num(int64(h))
	case 'K':
		num(int64(t.Hour() % 12))
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		num(int64(h))
	case 'H':
		num(int64(t.Hour()))
	case 'm':
		num(int64(t.Minute()))
	case 's':
		num(int64(t.Second()))
	case 'S':
		frac := fmt.Sprintf("%09d", t.Nanosecond())
		b.WriteString(frac[:n])
	case 'A':
		num(int64(t.Hour())*3600000 + int64(t.Minute())*60000 + int64(t.Second())*1000 + int64(t.Nanosecond())/1e6)
	case 'n':
		num(int64(t.Nanosecond()))
	case 'N':
		num(int64(t.Hour())*3600e9 + int64(t.Minute())*60e9 + int64(t.Second())*1e9 + int64(t.Nanosecond()))
	case 'V':
		b.WriteString(t.Location().String())
	case 'z':
		name, _ := t.Zone()
		if n == 4 {
			if long, ok := timeZoneLongNames[t.Location().String()]; ok {
				if t.IsDST() {
					name = long[1]
				} else {
					name = long[0]
				}
			}
		}
		b.WriteString(name)
	case 'O':
		_, off := t.Zone()
		b.WriteString(timeFormatLocalizedOffset(off, n == 4))
	case 'X', 'x', 'Z':
		_, off := t.Zone()
		b.WriteString(timeFormatOffset(c, n, off))
	}
	return nil
}

// timeFormatLocalizedOffset renders "GMT", "GMT+8" (short) or "GMT+08:00" (full).
func timeFormatLocalizedOffset(off int, full bool) string {
	if off == 0 {
		return "GMT"
	}
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	h, m, s := off/3600, off/60%60, off%60
	if full {
		r := fmt.Sprintf("GMT%s%02d:%02d", sign, h, m)
		if s != 0 {
			r += fmt.Sprintf(":%02d", s)
		}
		return r
	}
	r := fmt.Sprintf("GMT%s%d", sign, h)
	if m != 0 || s != 0 {
		r += fmt.Sprintf(":%02d", m)
		if s != 0 {
			r += fmt.Sprintf(":%02d", s)
		}
	}
	return r
}

// timeFormatOffset renders an offset for the X, x and Z pattern letters.
func timeFormatOffset(c byte, n int, off int) string {
	if c == 'Z' {
		switch n {
		case 4:
			return timeFormatLocalizedOffset(off, true)
		case 5:
			if off == 0 {
				return "Z"
			}
			return timeOffsetString(off, true, true, false)
		default:
			return timeOffsetString(off, false, true, true) // +HHMM
		}
	}
	if c == 'X' && off == 0 {
		return "Z"
	}
	switch n {
	case 1: // +HHmm: minutes only when non-zero
		return timeOffsetString(off, false, off%3600/60 != 0 || off%60 != 0, true)
	case 2:
		return timeOffsetString(off, false, true, true)
	case 3:
		return timeOffsetString(off, true, true, true)
	case 4:
		return timeOffsetString(off, false, true, false)
	default:
		return timeOffsetString(off, true, true, false)
	}
}

// timeOffsetString renders +HH[[:]MM[[:]ss]]; seconds appear when
// non-zero unless noSecs.
func timeOffsetString(off int, colon, withMins, noSecs bool) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	var b strings.Builder
	b.WriteByte(sign)
	fmt.Fprintf(&b, "%02d", off/3600)
	sep := ""
	if colon {
		sep = ":"
	}
	if withMins {
		fmt.Fprintf(&b, "%s%02d", sep, off/60%60)
		if !noSecs && off%60 != 0 {
			fmt.Fprintf(&b, "%s%02d", sep, off%60)
		}
	}
	return b.String()
}

// timeParsed holds the fields parsed from text.
type timeParsed struct {
	vals map[string]int64
	loc  *time.Location
}

func (tp *timeParsed) set(field string, v int64) error {
	if old, ok := tp.vals[field]; ok && old != v {
		return fmt.Errorf("Conflict found: %s %d differs from %d", field, old, v)
	}
	tp.vals[field] = v
	return nil
}

func (tp *timeParsed) has(field string) bool { _, ok := tp.vals[field]; return ok }

func (tp *timeParsed) clone() *timeParsed {
	c := &timeParsed{vals: make(map[string]int64, len(tp.vals)), loc: tp.loc}
	for k, v := range tp.vals {
		c.vals[k] = v
	}
	return c
}

// timeNumWidths gives the digit widths a numeric field parses (min, max)
// and whether it is fixed-width (taking part in adjacent value parsing).
func timeNumWidths(tok timeTok) (minW, maxW int, fixed, numeric bool) {
	c, n := tok.letter, tok.count
	switch c {
	case 'u', 'y', 'Y':
		switch {
		case n == 2:
			return 2, 2, true, true
		case n == 1:
			return 1, 19, false, true
		default:
			return n, 19, false, true
		}
	case 'M', 'L', 'Q', 'q':
		if n >= 3 {
			return 0, 0, false, false
		}
		if n == 2 {
			return 2, 2, true, true
		}
		return 1, 19, false, true
	case 'e', 'c':
		if n >= 3 {
			return 0, 0, false, false
		}
		return n, n, true, true
	case 'd', 'h', 'K', 'k', 'H', 'm', 's', 'w':
		if n == 2 {
			return 2, 2, true, true
		}
		return 1, 19, false, true
	case 'D':
		switch n {
		case 1:
			return 1, 19, false, true
		case 2:
			return 2, 3, false, true
		default:
			return 3, 3, true, true
		}
	case 'W', 'F':
		return 1, 19, false, true
	case 'S':
		return n, n, true, true
	case 'A', 'n', 'N':
		if n == 1 {
			return 1, 19, false, true
		}
		return n, 19, false, true
	}
	return 0, 0, false, false
}

// timeParseError is Java's DateTimeParseException message.
func timeParseError(text string, idx int) error {
	return fmt.Errorf("Text '%s' could not be parsed at index %d", text, idx)
}

// parse parses text completely.
func (p *timePattern) parse(text string) (*timeParsed, error) {
	tp := &timeParsed{vals: map[string]int64{}}
	pos, err := p.parseToks(p.toks, text, 0, tp)
	if err != nil {
		return nil, err
	}
	if pos != len(text) {
		return nil, fmt.Errorf("Text '%s' could not be parsed, unparsed text found at index %d", text, pos)
	}
	return tp, nil
}

func (p *timePattern) parseToks(toks []timeTok, text string, pos int, tp *timeParsed) (int, error) {
	for i := 0; i < len(toks); i++ {
		tok := toks[i]
		switch tok.kind {
		case 'l':
			if len(text)-pos < len(tok.lit) || !strings.EqualFold(text[pos:pos+len(tok.lit)], tok.lit) {
				return pos, timeParseError(text, pos)
			}
			pos += len(tok.lit)
		case '[':
			end := timeMatchingBracket(toks, i)
			trial := tp.clone()
			if np, err := p.parseToks(toks[i+1:end], text, pos, trial); err == nil {
				*tp = *trial
				pos = np
			}
			i = end
		case ']':
		case 'f':
			np, err := timeParseField(toks, i, text, pos, tp)
			if err != nil {
				return pos, err
			}
			pos = np
		}
	}
	return pos, nil
}

func timeMatchingBracket(toks []timeTok, open int) int {
	depth := 0
	for j := open; j < len(toks); j++ {
		switch toks[j].kind {
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(toks) - 1
}

func timeDigitsAt(text string, pos int) int {
	n := 0
	for pos+n < len(text) && text[pos+n] >= '0' && text[pos+n] <= '9' {
		n++
	}
	return n
}

// timeMatchText matches the longest of the candidate names at pos,
// case-insensitively; it returns the index of the match.
func timeMatchText(text string, pos int, names []string) (int, int) {
	best, bestLen := -1, 0
	for i, nm := range names {
		if len(nm) > bestLen && len(text)-pos >= len(nm) && strings.EqualFold(text[pos:pos+len(nm)], nm) {
			best, bestLen = i, len(nm)
		}
	}
	return best, bestLen
}

// timeFieldKey maps a numeric pattern letter to its parsed field.
var timeFieldKey = map[byte]string{
	'u': "year", 'y': "yoe", 'Y': "wby", 'Q': "quarter", 'q': "quarter", 'M': "month", 'L': "month",
	'w': "woy", 'W': "wom", 'e': "ldow", 'c': "ldow", 'F': "adom", 'd': "day", 'D': "doy",
	'h': "h12", 'K': "K", 'k': "k24", 'H': "hour", 'm': "minute", 's': "second",
	'A': "milliOfDay", 'n': "nano", 'N': "nanoOfDay",
}

func timeParseField(toks []timeTok, i int, text string, pos int, tp *timeParsed) (int, error) {
	tok := toks[i]
	c, n := tok.letter, tok.count
	if minW, maxW, fixed, numeric := timeNumWidths(tok); numeric {
		start := pos
		neg := false
		if (c == 'u' || c == 'y' || c == 'Y') && n >= 4 && pos < len(text) && (text[pos] == '+' || text[pos] == '-') {
			neg = text[pos] == '-'
			pos++
		}
		avail := timeDigitsAt(text, pos)
		take := avail
		if !fixed {
			reserve := 0
			for j := i + 1; j < len(toks) && toks[j].kind == 'f'; j++ {
				_, mx, fx, num := timeNumWidths(toks[j])
				if !num || !fx {
					break
				}
				reserve += mx
			}
			take = avail - reserve
		}
		if take > maxW {
			take = maxW
		}
		if take < minW {
			return start, timeParseError(text, start)
		}
		digits := text[pos : pos+take]
		pos += take
		if c == 'S' {
			frac := (digits + "000000000")[:9]
			v, _ := strconv.ParseInt(frac, 10, 64)
			return pos, tp.set("nano", v)
		}
		v, err := strconv.ParseInt(digits, 10, 64)
		if err != nil {
			return start, timeParseError(text, start)
		}
		if neg {
			v = -v
		}
		if (c == 'u' || c == 'y' || c == 'Y') && n == 2 {
			v += 2000 // reduced two-digit year, base 2000
		}
		return pos, tp.set(timeFieldKey[c], v)
	}
	switch c {
	case 'G':
		idx, l := timeMatchText(text, pos, []string{"BC", "AD", "Before Christ", "Anno Domini", "B", "A"})
		if idx < 0 {
			return pos, timeParseError(text, pos)
		}
		return pos + l, tp.set("era", int64(1-idx%2))
	case 'Q', 'q':
		names := []string{"Q1", "Q2", "Q3", "Q4", "1st quarter", "2nd quarter", "3rd quarter", "4th quarter"}
		idx, l := timeMatchText(text, pos, names)
		if idx < 0 {
			return pos, timeParseError(text, pos)
		}
		return pos + l, tp.set("quarter", int64(idx%4+1))
	case 'M', 'L':
		names := make([]string, 0, 24)
		for _, m := range timeMonthNames {
			names = append(names, m, m[:3])
		}
		idx, l := timeMatchText(text, pos, names)
		if idx < 0 {
			return pos, timeParseError(text, pos)
		}
		return pos + l, tp.set("month", int64(idx/2+1))
	case 'E', 'e', 'c':
		names := make([]string, 0, 14)
		for _, d := range timeDayNames {
			names = append(names, d, d[:3])
		}
		idx, l := timeMatchText(text, pos, names)
		if idx < 0 {
			return pos, timeParseError(text, pos)
		}
		return pos + l, tp.set("dow", int64(idx/2+1))
	case 'a':
		idx, l := timeMatchText(text, pos, []string{"AM", "PM"})
		if idx < 0 {
			return pos, timeParseError(text, pos)
		}
		return pos + l, tp.set("ampm", int64(idx))
	case 'V', 'z':
		return timeParseZoneName(text, pos, tp, c == 'z')
	case 'O':
		if len(text)-pos < 3 || !strings.EqualFold(text[pos:pos+3], "GMT") {
			return pos, timeParseError(text, pos)
		}
		np, off, ok := timeParseOffsetText(text, pos+3, true)
		if !ok {
			np, off = pos+3, 0
		}
		tp.loc = timeFixedZone(off)
		return np, nil
	case 'X', 'x', 'Z':
		if c == 'Z' && n == 4 {
			if len(text)-pos >= 3 && strings.EqualFold(text[pos:pos+3], "GMT") {
				np, off, ok := timeParseOffsetText(text, pos+3, true)
				if !ok {
					np, off = pos+3, 0
				}
				tp.loc = timeFixedZone(off)
				return np, nil
			}
		}
		if (c == 'X' || (c == 'Z' && n == 5)) && pos < len(text) && (text[pos] == 'Z' || text[pos] == 'z') {
			tp.loc = timeFixedZone(0)
			return pos + 1, nil
		}
		np, off, ok := timeParseOffsetText(text, pos, false)
		if !ok {
			return pos, timeParseError(text, pos)
		}
		tp.loc = timeFixedZone(off)
		return np, nil
	}
	return pos, fmt.Errorf("Unsupported pattern letter: %c", c)
}

// timeParseOffsetText parses [+-]H[H][[:]MM[[:]SS]] at pos.
func timeParseOffsetText(text string, pos int, lenientHour bool) (int, int, bool) {
	if pos >= len(text) || (text[pos] != '+' && text[pos] != '-') {
		return pos, 0, false
	}
	sign := 1
	if text[pos] == '-' {
		sign = -1
	}
	p := pos + 1
	nd := timeDigitsAt(text, p)
	var h int
	switch {
	case nd >= 2 && !(lenientHour && nd == 3):
		h, _ = strconv.Atoi(text[p : p+2])
		p += 2
	case nd >= 1 && lenientHour:
		h = int(text[p] - '0')
		p++
	default:
		return pos, 0, false
	}
	secs := h * 3600
	for part := 0; part < 2; part++ {
		q := p
		if q < len(text) && text[q] == ':' {
			q++
		}
		if timeDigitsAt(text, q) < 2 {
			break
		}
		v, _ := strconv.Atoi(text[q : q+2])
		if part == 0 {
			secs += v * 60
		} else {
			secs += v
		}
		p = q + 2
	}
	if h > 18 {
		return pos, 0, false
	}
	return p, sign * secs, true
}

// timeParseZoneName parses a zone id ('V') or zone name ('z').
func timeParseZoneName(text string, pos int, tp *timeParsed, names bool) (int, error) {
	if names {
		best, bestLen := "", 0
		for zid, long := range timeZoneLongNames {
			for _, nm := range long {
				if len(nm) > bestLen && len(text)-pos >= len(nm) && strings.EqualFold(text[pos:pos+len(nm)], nm) {
					best, bestLen = zid, len(nm)
				}
			}
		}
		if bestLen > 0 {
			if loc, err := timeZoneOf(best); err == nil {
				tp.loc = loc
				return pos + bestLen, nil
			}
		}
	}
	end := pos
	for end < len(text) {
		ch := text[end]
		if ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("/_+-:~.", ch) >= 0 {
			end++
			continue
		}
		break
	}
	// Try the longest candidate first, then shorter prefixes.
	for e := end; e > pos; e-- {
		cand := text[pos:e]
		if names {
			if zid, ok := timeZoneAbbreviations[strings.ToUpper(cand)]; ok {
				loc, err := timeZoneOf(zid)
				if err == nil {
					tp.loc = loc
					return e, nil
				}
			}
		}
		if loc, err := timeZoneOf(cand); err == nil {
			tp.loc = loc
			return e, nil
		}
	}
	return pos, timeParseError(text, pos)
}

// Resolution of parsed fields.

func (tp *timeParsed) year() (int64, bool) {
	if y, ok := tp.vals["year"]; ok {
		return y, true
	}
	if y, ok := tp.vals["yoe"]; ok {
		if era, ok := tp.vals["era"]; ok && era == 0 {
			return 1 - y, true
		}
		return y, true
	}
	return 0, false
}

func timeDaysIn(year int64, month int) int {
	return time.Date(int(year), time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func timeRangeErr(field string, lo, hi, v int64) error {
	return fmt.Errorf("Invalid value for %s (valid values %d - %d): %d", field, lo, hi, v)
}

// date resolves a complete date (year-month-day or year-day-of-year).
func (tp *timeParsed) date() (y int64, m, d int, ok bool, err error) {
	y, hasY := tp.year()
	if !hasY {
		return 0, 0, 0, false, nil
	}
	if mo, okM := tp.vals["month"]; okM {
		day, okD := tp.vals["day"]
		if !okD {
			return 0, 0, 0, false, nil
		}
		if mo < 1 || mo > 12 {
			return 0, 0, 0, false, timeRangeErr("MonthOfYear", 1, 12, mo)
		}
		if day < 1 || day > 31 {
			return 0, 0, 0, false, timeRangeErr("DayOfMonth", 1, 31, day)
		}
		if dim := int64(timeDaysIn(y, int(mo))); day > dim {
			day = dim // SMART resolution clamps to the end of the month
		}
		return y, int(mo), int(day), true, nil
	}
	if doy, okD := tp.vals["doy"]; okD {
		if doy < 1 || doy > 366 {
			return 0, 0, 0, false, timeRangeErr("DayOfYear", 1, 366, doy)
		}
		t := time.Date(int(y), 1, int(doy), 0, 0, 0, 0, time.UTC)
		if int64(t.Year()) != y {
			return 0, 0, 0, false, fmt.Errorf("Invalid date 'DayOfYear 366' as '%d' is not a leap year", y)
		}
		return y, int(t.Month()), t.Day(), true, nil
	}
	return 0, 0, 0, false, nil
}

// clock resolves the time of day in nanoseconds; ok is false when no hour
// of day can be derived.
func (tp *timeParsed) clock() (nanos int64, ok bool, err error) {
	check := func(field, name string, lo, hi int64) error {
		if v, ok := tp.vals[field]; ok && (v < lo || v > hi) {
			return timeRangeErr(name, lo, hi, v)
		}
		return nil
	}
	for _, c := range []struct {
		f, n   string
		lo, hi int64
	}{{"hour", "HourOfDay", 0, 23}, {"k24", "ClockHourOfDay", 1, 24}, {"h12", "ClockHourOfAmPm", 1, 12},
		{"K", "HourOfAmPm", 0, 11}, {"minute", "MinuteOfHour", 0, 59}, {"second", "SecondOfMinute", 0, 59},
		{"milliOfDay", "MilliOfDay", 0, 86399999}, {"nanoOfDay", "NanoOfDay", 0, 86399999999999}} {
		if err := check(c.f, c.n, c.lo, c.hi); err != nil {
			return 0, false, err
		}
	}
	if v, ok := tp.vals["nanoOfDay"]; ok {
		return v, true, nil
	}
	if v, ok := tp.vals["milliOfDay"]; ok {
		return v * 1e6, true, nil
	}
	hour := int64(-1)
	switch {
	case tp.has("hour"):
		hour = tp.vals["hour"]
	case tp.has("k24"):
		hour = tp.vals["k24"] % 24
	case tp.has("ampm") && tp.has("h12"):
		hour = tp.vals["ampm"]*12 + tp.vals["h12"]%12
	case tp.has("ampm") && tp.has("K"):
		hour = tp.vals["ampm"]*12 + tp.vals["K"]
	}
	if hour < 0 {
		return 0, false, nil
	}
	return hour*3600e9 + tp.vals["minute"]*60e9 + tp.vals["second"]*1e9 + tp.vals["nano"], true, nil
}

func (tp *timeParsed) hasAny(letters string) bool {
	for _, f := range strings.Split(letters, ",") {
		if tp.has(f) {
			return true
		}
	}
	return false
}

const (
	timeDateFields = "year,yoe,era,wby,quarter,month,woy,wom,dow,ldow,adom,day,doy"
	timeTimeFields = "hour,k24,h12,K,ampm,minute,second,nano,milliOfDay,nanoOfDay"
)

// timeParseTimestamp parses text into an instant as ksqlDB's
// StringToTimestampParser does: fields missing from the text default to
// 1970-01-01T00:00:00.000 in the zone of the text, else in zone.
func timeParseTimestamp(text, pattern string, zone *time.Location) (time.Time, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return time.Time{}, err
	}
	tp, err := p.parse(text)
	if err != nil {
		return time.Time{}, err
	}
	loc := zone
	if tp.loc != nil {
		loc = tp.loc
	}
	y, m, d, ok, err := tp.date()
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		// Apply the fields present onto 1970-01-01, in ChronoField order.
		y, m, d = 1970, 1, 1
		if v, has := tp.vals["day"]; has {
			if v < 1 || v > 31 {
				return time.Time{}, timeRangeErr("DayOfMonth", 1, 31, v)
			}
			d = int(v)
		}
		if v, has := tp.vals["doy"]; has {
			t := time.Date(int(y), 1, int(v), 0, 0, 0, 0, time.UTC)
			m, d = int(t.Month()), t.Day()
		}
		if v, has := tp.vals["month"]; has {
			if v < 1 || v > 12 {
				return time.Time{}, timeRangeErr("MonthOfYear", 1, 12, v)
			}
			m = int(v)
			d = min(d, timeDaysIn(y, m))
		}
		if v, has := tp.year(); has {
			y = v
			d = min(d, timeDaysIn(y, m))
		}
	}
	nanos, ok, err := tp.clock()
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		hour := tp.vals["h12"] % 12
		if tp.has("K") {
			hour = tp.vals["K"]
		}
		hour += tp.vals["ampm"] * 12
		nanos = hour*3600e9 + tp.vals["minute"]*60e9 + tp.vals["second"]*1e9 + tp.vals["nano"]
	}
	return time.Date(int(y), time.Month(m), d, 0, 0, 0, 0, loc).Add(time.Duration(nanos)), nil
}

// timeParseDate parses a date; withTimeFields tells whether time fields in
// the pattern are an error (PARSE_DATE) or ignored (STRINGTODATE).
func timeParseDate(text, pattern string, rejectTimeFields bool) (time.Time, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return time.Time{}, err
	}
	tp, err := p.parse(text)
	if err != nil {
		return time.Time{}, err
	}
	if rejectTimeFields && tp.hasAny(timeTimeFields) {
		return time.Time{}, errors.New("Date format contains time field.")
	}
	y, m, d, ok, err := tp.date()
	if err != nil {
		return time.Time{}, err
	}
	if !ok {
		return time.Time{}, fmt.Errorf("Text '%s' could not be parsed: Unable to obtain LocalDate from TemporalAccessor", text)
	}
	return time.Date(int(y), time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// timeParseTimeOfDay parses a time of day into nanoseconds since midnight.
func timeParseTimeOfDay(text, pattern string) (int64, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return 0, err
	}
	tp, err := p.parse(text)
	if err != nil {
		return 0, err
	}
	for _, f := range strings.Split(timeDateFields, ",") {
		if tp.has(f) {
			return 0, fmt.Errorf("Unsupported field: %s", f)
		}
	}
	nanos, ok, err := tp.clock()
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("Text '%s' could not be parsed: Unable to obtain LocalTime from TemporalAccessor", text)
	}
	return nanos, nil
}

// timeFormatInstant formats an instant (ms since the epoch) in a zone.
func timeFormatInstant(ms int64, pattern string, zone *time.Location) (string, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return "", err
	}
	return p.format(timeValue{t: time.UnixMilli(ms).In(zone), hasDate: true, hasTime: true, hasZone: true})
}

// timeFormatDays formats a date (days since the epoch).
func timeFormatDays(days int64, pattern string) (string, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return "", err
	}
	return p.format(timeValue{t: time.Unix(days*86400, 0).UTC(), hasDate: true})
}

// timeFormatClock formats a time of day (ms since midnight).
func timeFormatClock(ms int64, pattern string) (string, error) {
	p, err := timeCompile(pattern)
	if err != nil {
		return "", err
	}
	return p.format(timeValue{t: time.UnixMilli(ms).UTC(), hasTime: true})
}

// ParseTimestamp parses text with a java.time DateTimeFormatter pattern
// (as TIMESTAMP_FORMAT and PARSE_TIMESTAMP take it) into milliseconds
// since the epoch; text without a zone is read in UTC.
func ParseTimestamp(text, pattern string) (int64, error) {
	t, err := timeParseTimestamp(text, pattern, time.UTC)
	if err != nil {
		return 0, fmt.Errorf("failed to parse timestamp '%s' with formatter '%s': %w", text, pattern, err)
	}
	return t.UnixMilli(), nil
}
