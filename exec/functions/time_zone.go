package functions

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	// Embedded zone database, so that zone ids resolve on machines
	// without system tzdata.
	_ "time/tzdata"
)

// Time-zone handling shared by the date/time functions. Zone arguments
// follow java.time.ZoneId.of: "Z", offsets ("+05:00", "+0530", "-08",
// "+5"), "UTC"/"GMT"/"UT" optionally followed by an offset ("GMT+2"), and
// tz database region ids ("America/Los_Angeles"). Abbreviations such as
// "PST" are not zone ids (as in Java) but are understood when parsing text
// with the 'z' pattern letter.

// timeDefaultZone stands in for the JVM's default zone, which is UTC on
// ksqlDB's servers and in its tests.
var timeDefaultZone = time.UTC

var timeZoneCache sync.Map // string -> *time.Location

// timeZoneOf resolves a zone id as java.time.ZoneId.of does.
func timeZoneOf(id string) (*time.Location, error) {
	if loc, ok := timeZoneCache.Load(id); ok {
		return loc.(*time.Location), nil
	}
	loc, err := timeZoneParse(id)
	if err != nil {
		return nil, err
	}
	timeZoneCache.Store(id, loc)
	return loc, nil
}

func timeZoneParse(id string) (*time.Location, error) {
	switch {
	case id == "Z" || strings.HasPrefix(id, "+") || strings.HasPrefix(id, "-"):
		secs, err := timeParseOffsetID(id)
		if err != nil {
			return nil, err
		}
		return timeFixedZone(secs), nil
	case id == "UTC" || id == "GMT" || id == "UT":
		return time.FixedZone(id, 0), nil
	}
	for _, prefix := range []string{"UTC", "GMT", "UT"} {
		rest, ok := strings.CutPrefix(id, prefix)
		if ok && (strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "-")) {
			secs, err := timeParseOffsetID(rest)
			if err != nil {
				return nil, fmt.Errorf("Invalid ID for offset-based ZoneId: %s", id)
			}
			if secs == 0 {
				return time.FixedZone(prefix, 0), nil
			}
			return time.FixedZone(prefix+timeOffsetID(secs), secs), nil
		}
	}
	if timeJavaOnlyShortIDs[id] {
		return nil, fmt.Errorf("Unknown time-zone ID: %s", id)
	}
	if !timeValidRegionID(id) {
		return nil, fmt.Errorf("Invalid ID for region-based ZoneId, invalid format: %s", id)
	}
	loc, err := time.LoadLocation(id)
	if err != nil {
		return nil, fmt.Errorf("Unknown time-zone ID: %s", id)
	}
	return loc, nil
}

// timeJavaOnlyShortIDs are tz database names Java does not accept as zone
// ids (they are only in ZoneId.SHORT_IDS).
var timeJavaOnlyShortIDs = map[string]bool{"EST": true, "MST": true, "HST": true}

// timeLegacyOffset is the offset java.util.TimeZone.getTimeZone(ZoneId)
// gives for a zone at an instant, as CONVERT_TZ computes it: ids
// java.util.TimeZone does not know ("UTC+01:00", "UT-02:00", offsets with
// seconds) silently become GMT.
func timeLegacyOffset(id string, loc *time.Location, t time.Time) int {
	if strings.HasPrefix(id, "UTC+") || strings.HasPrefix(id, "UTC-") ||
		strings.HasPrefix(id, "UT+") || strings.HasPrefix(id, "UT-") {
		return 0
	}
	_, off := t.In(loc).Zone()
	if off%60 != 0 && (strings.HasPrefix(id, "+") || strings.HasPrefix(id, "-") || strings.HasPrefix(id, "GMT")) {
		return 0 // offsets with seconds
	}
	return off
}

// timeValidRegionID checks Java's region id syntax [A-Za-z][A-Za-z0-9~/._+-]+.
func timeValidRegionID(id string) bool {
	if len(id) < 2 || id == "Local" {
		return false
	}
	for i, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || strings.ContainsRune("~/._+-", c)):
		default:
			return false
		}
	}
	return true
}

// timeParseOffsetID parses ZoneOffset.of's formats: Z, +h, +hh, +hh:mm,
// +hhmm, +hh:mm:ss, +hhmmss.
func timeParseOffsetID(s string) (int, error) {
	bad := fmt.Errorf("Invalid ID for ZoneOffset, invalid format: %s", s)
	if s == "Z" {
		return 0, nil
	}
	if len(s) < 2 || (s[0] != '+' && s[0] != '-') {
		return 0, bad
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	body := s[1:]
	num := func(t string) (int, bool) {
		if len(t) != 2 {
			return 0, false
		}
		n, err := strconv.Atoi(t)
		return n, err == nil && t[0] >= '0' && t[1] >= '0'
	}
	var h, m, sec int
	ok := true
	switch len(body) {
	case 1:
		if body[0] < '0' || body[0] > '9' {
			return 0, bad
		}
		h = int(body[0] - '0')
	case 2:
		h, ok = num(body)
	case 4:
		var ok2 bool
		h, ok = num(body[:2])
		m, ok2 = num(body[2:])
		ok = ok && ok2
	case 5:
		var ok2 bool
		h, ok = num(body[:2])
		m, ok2 = num(body[3:])
		ok = ok && ok2 && body[2] == ':'
	case 6:
		var ok2, ok3 bool
		h, ok = num(body[:2])
		m, ok2 = num(body[2:4])
		sec, ok3 = num(body[4:])
		ok = ok && ok2 && ok3
	case 8:
		var ok2, ok3 bool
		h, ok = num(body[:2])
		m, ok2 = num(body[3:5])
		sec, ok3 = num(body[6:])
		ok = ok && ok2 && ok3 && body[2] == ':' && body[5] == ':'
	default:
		return 0, bad
	}
	if !ok {
		return 0, bad
	}
	if h > 18 || m > 59 || sec > 59 || (h == 18 && (m > 0 || sec > 0)) {
		return 0, fmt.Errorf("Zone offset not in valid range: -18:00 to +18:00")
	}
	return sign * (h*3600 + m*60 + sec), nil
}

// timeOffsetID renders an offset as ZoneOffset.getId does: "Z", "+05:30",
// "-08:00", "+01:02:03".
func timeOffsetID(secs int) string {
	if secs == 0 {
		return "Z"
	}
	sign := '+'
	if secs < 0 {
		sign = '-'
		secs = -secs
	}
	s := fmt.Sprintf("%c%02d:%02d", sign, secs/3600, secs/60%60)
	if secs%60 != 0 {
		s += fmt.Sprintf(":%02d", secs%60)
	}
	return s
}

var timeFixedZones sync.Map // int -> *time.Location

// timeFixedZone is a ZoneOffset as a location named by its id.
func timeFixedZone(secs int) *time.Location {
	if loc, ok := timeFixedZones.Load(secs); ok {
		return loc.(*time.Location)
	}
	loc := time.FixedZone(timeOffsetID(secs), secs)
	timeFixedZones.Store(secs, loc)
	return loc
}

// timeZoneAbbreviations maps the zone names Java's 'z' parser accepts (in
// the US locale) to their zones.
var timeZoneAbbreviations = map[string]string{
	"PST": "America/Los_Angeles", "PDT": "America/Los_Angeles", "PT": "America/Los_Angeles",
	"MST": "America/Denver", "MDT": "America/Denver", "MT": "America/Denver",
	"CST": "America/Chicago", "CDT": "America/Chicago", "CT": "America/Chicago",
	"EST": "America/New_York", "EDT": "America/New_York", "ET": "America/New_York",
	"AKST": "America/Anchorage", "AKDT": "America/Anchorage",
	"HST": "Pacific/Honolulu", "HDT": "Pacific/Honolulu",
	"AST": "America/Halifax", "ADT": "America/Halifax",
	"NST": "America/St_Johns", "NDT": "America/St_Johns",
	"GMT": "GMT", "UTC": "UTC", "UT": "UT", "Z": "Z",
	"BST": "Europe/London", "IST": "Asia/Kolkata",
	"WET": "WET", "WEST": "WET", "CET": "CET", "CEST": "CET", "EET": "EET", "EEST": "EET",
	"MSK": "Europe/Moscow", "JST": "Asia/Tokyo", "KST": "Asia/Seoul",
	"HKT": "Asia/Hong_Kong", "SGT": "Asia/Singapore",
	"AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
	"ACST": "Australia/Adelaide", "ACDT": "Australia/Adelaide",
	"AWST": "Australia/Perth", "NZST": "Pacific/Auckland", "NZDT": "Pacific/Auckland",
	"SAST": "Africa/Johannesburg", "WAT": "Africa/Lagos", "EAT": "Africa/Nairobi", "CAT": "Africa/Maputo",
}

// timeZoneLongNames are the names the 'zzzz' pattern prints for some
// common zones (standard, daylight); other zones print their abbreviation.
var timeZoneLongNames = map[string][2]string{
	"America/Los_Angeles": {"Pacific Standard Time", "Pacific Daylight Time"},
	"America/Denver":      {"Mountain Standard Time", "Mountain Daylight Time"},
	"America/Phoenix":     {"Mountain Standard Time", "Mountain Daylight Time"},
	"America/Chicago":     {"Central Standard Time", "Central Daylight Time"},
	"America/New_York":    {"Eastern Standard Time", "Eastern Daylight Time"},
	"America/Anchorage":   {"Alaska Standard Time", "Alaska Daylight Time"},
	"Pacific/Honolulu":    {"Hawaii Standard Time", "Hawaii Daylight Time"},
	"Europe/London":       {"Greenwich Mean Time", "British Summer Time"},
	"Europe/Paris":        {"Central European Standard Time", "Central European Summer Time"},
	"Europe/Berlin":       {"Central European Standard Time", "Central European Summer Time"},
	"CET":                 {"Central European Standard Time", "Central European Summer Time"},
	"Asia/Kolkata":        {"India Standard Time", "India Standard Time"},
	"Asia/Tokyo":          {"Japan Standard Time", "Japan Daylight Time"},
	"UTC":                 {"Coordinated Universal Time", "Coordinated Universal Time"},
	"GMT":                 {"Greenwich Mean Time", "Greenwich Mean Time"},
}
