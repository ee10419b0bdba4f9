package functions

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// Expected strings and instants below were produced by java.time (JDK 17,
// en_US) with the same patterns, zones and instants.

func TestTimeFormatPatterns(t *testing.T) {
	cases := []struct {
		pattern string
		ms      int64
		zone    string
		want    string
	}{
		{"yyyy-MM-dd HH:mm:ss.SSS", -1, "America/Los_Angeles", "1969-12-31 15:59:59.999"},
		{"yyyy-MM-dd HH:mm:ss.SSS", 1609459199999, "+05:30", "2021-01-01 05:29:59.999"},
		{"yyyy-MM-dd HH:mm:ss.SSS", 951782400000, "Z", "2000-02-29 00:00:00.000"},
		{"yyyy-MM-dd'T'HH:mm:ssX", 0, "America/Los_Angeles", "1969-12-31T16:00:00-08"},
		{"yyyy-MM-dd'T'HH:mm:ssX", 1589234313000, "+05:30", "2020-05-12T03:28:33+0530"},
		{"yyyy-MM-dd'T'HH:mm:ssX", 1609459199999, "Europe/London", "2020-12-31T23:59:59Z"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", 951782400000, "+05:30", "2000-02-29T05:30:00+05:30"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", 1609459199999, "GMT+2", "2021-01-01T01:59:59+02:00"},
		{"yyyy-MM-dd'T'HH:mm:ssXXX", 1609459199999, "+05:30", "2021-01-01T05:29:59+05:30"},
		{"dd/MM/yy h:mm a", 1526075913123, "Asia/Kolkata", "12/05/18 3:28 AM"},
		{"dd/MM/yy h:mm a", 1609459199999, "Europe/London", "31/12/20 11:59 PM"},
		{"dd/MM/yy h:mm a", 1526075913123, "UTC", "11/05/18 9:58 PM"},
		{"EEE, d MMM yyyy HH:mm:ss Z", 951782400000, "+05:30", "Tue, 29 Feb 2000 05:30:00 +0530"},
		{"EEE, d MMM yyyy HH:mm:ss Z", -1, "+05:30", "Thu, 1 Jan 1970 05:29:59 +0530"},
		{"EEE, d MMM yyyy HH:mm:ss Z", 1609459199999, "UTC", "Thu, 31 Dec 2020 23:59:59 +0000"},
		{"EEEE MMMM d, uuuu", -1, "UTC", "Wednesday December 31, 1969"},
		{"EEEE MMMM d, uuuu", 0, "GMT+2", "Thursday January 1, 1970"},
		{"EEEE MMMM d, uuuu", 253402300799999, "Europe/London", "Friday December 31, 9999"},
		{"yyyy-DDD", 951782400000, "+05:30", "2000-060"},
		{"yyyy-DDD", 951782400000, "Z", "2000-060"},
		{"yyyy-DDD", 1609459199999, "UTC", "2020-366"},
		{"D", 951782400000, "+05:30", "60"},
		{"D", 1589234313000, "Asia/Kolkata", "133"},
		{"D", 1609459199999, "GMT+2", "1"},
		{"Q QQ QQQ QQQQ", 0, "+05:30", "1 01 Q1 1st quarter"},
		{"Q QQ QQQ QQQQ", -1, "UTC", "4 04 Q4 4th quarter"},
		{"Q QQ QQQ QQQQ", 1609459199999, "GMT+2", "1 01 Q1 1st quarter"},
		{"G GGGG", 0, "+05:30", "AD Anno Domini"},
		{"G GGGG", 951782400000, "GMT+2", "AD Anno Domini"},
		{"G GGGG", 1589234313000, "Europe/London", "AD Anno Domini"},
		{"hh 'o''clock' a, zzzz", 253402300799999, "GMT+2", "01 o'clock AM, GMT+02:00"},
		{"hh 'o''clock' a, zzzz", 1526075913123, "UTC", "09 o'clock PM, Coordinated Universal Time"},
		{"hh 'o''clock' a, zzzz", 253402300799999, "UTC", "11 o'clock PM, Coordinated Universal Time"},
		{"z", 1526075913123, "Asia/Kolkata", "IST"},
		{"z", 0, "Asia/Kolkata", "IST"},
		{"z", 1609459199999, "Asia/Kolkata", "IST"},
		{"VV", 1526075913123, "+05:30", "+05:30"},
		{"VV", -1, "GMT+2", "GMT+02:00"},
		{"VV", 1526075913123, "America/Los_Angeles", "America/Los_Angeles"},
		{"O OOOO", -1, "Europe/London", "GMT+1 GMT+01:00"},
		{"O OOOO", 951782400000, "+05:30", "GMT+5:30 GMT+05:30"},
		{"O OOOO", 1609459199999, "Europe/London", "GMT GMT"},
		{"x xx xxx xxxx xxxxx", 253402300799999, "Asia/Kolkata", "+0530 +0530 +05:30 +0530 +05:30"},
		{"x xx xxx xxxx xxxxx", 1589234313000, "Europe/London", "+01 +0100 +01:00 +0100 +01:00"},
		{"x xx xxx xxxx xxxxx", 253402300799999, "Europe/London", "+00 +0000 +00:00 +0000 +00:00"},
		{"X XX XXX XXXX XXXXX", 1589234313000, "Z", "Z Z Z Z Z"},
		{"X XX XXX XXXX XXXXX", 1589234313000, "Asia/Kolkata", "+0530 +0530 +05:30 +0530 +05:30"},
		{"X XX XXX XXXX XXXXX", 253402300799999, "Asia/Kolkata", "+0530 +0530 +05:30 +0530 +05:30"},
		{"Z ZZ ZZZ ZZZZ ZZZZZ", 1609459199999, "America/Los_Angeles", "-0800 -0800 -0800 GMT-08:00 -08:00"},
		{"Z ZZ ZZZ ZZZZ ZZZZZ", 951782400000, "UTC", "+0000 +0000 +0000 GMT Z"},
		{"Z ZZ ZZZ ZZZZ ZZZZZ", 0, "America/Los_Angeles", "-0800 -0800 -0800 GMT-08:00 -08:00"},
		{"k K h H", 1589234313000, "+05:30", "3 3 3 3"},
		{"k K h H", 1526075913123, "Z", "21 9 9 21"},
		{"k K h H", 1526075913123, "+05:30", "3 3 3 3"},
		{"A n N", 0, "America/Los_Angeles", "57600000 0 57600000000000"},
		{"A n N", 951782400000, "Europe/London", "0 0 0"},
		{"A n N", 0, "Z", "0 0 0"},
		{"S SS SSSSSS SSSSSSSSS", -1, "+05:30", "9 99 999000 999000000"},
		{"S SS SSSSSS SSSSSSSSS", 253402300799999, "America/Los_Angeles", "9 99 999000 999000000"},
		{"S SS SSSSSS SSSSSSSSS", 1589234313000, "Z", "0 00 000000 000000000"},
		{"e ee eee eeee c", 1609459199999, "GMT+2", "6 06 Fri Friday 6"},
		{"e ee eee eeee c", -1, "GMT+2", "5 05 Thu Thursday 5"},
		{"e ee eee eeee c", 1589234313000, "GMT+2", "2 02 Mon Monday 2"},
		{"w W Y YYYY", 951782400000, "Asia/Kolkata", "10 5 2000 2000"},
		{"w W Y YYYY", 1589234313000, "Europe/London", "20 3 2020 2020"},
		{"w W Y YYYY", 1609459199999, "America/Los_Angeles", "1 5 2021 2021"},
		{"yyyyMMddHHmmssSSS", 1589234313000, "America/Los_Angeles", "20200511145833000"},
		{"yyyyMMddHHmmssSSS", 951782400000, "Z", "20000229000000000"},
		{"yyyyMMddHHmmssSSS", 1609459199999, "+05:30", "20210101052959999"},
		{"y yy yyy yyyyy", 1589234313000, "GMT+2", "2020 20 2020 02020"},
		{"y yy yyy yyyyy", 1609459199999, "+05:30", "2021 21 2021 02021"},
		{"y yy yyy yyyyy", -1, "UTC", "1969 69 1969 01969"},
		{"[yyyy]'x'", 1589234313000, "UTC", "2020x"},
		{"[yyyy]'x'", 253402300799999, "America/Los_Angeles", "9999x"},
		{"[yyyy]'x'", 1526075913123, "America/Los_Angeles", "2018x"},
		{"MMMMM EEEEE", -1, "Europe/London", "J T"},
		{"MMMMM EEEEE", 1609459199999, "Europe/London", "D T"},
		{"MMMMM EEEEE", 253402300799999, "UTC", "D F"},
	}
	for _, c := range cases {
		loc, err := timeZoneOf(c.zone)
		if err != nil {
			t.Fatalf("zone %s: %v", c.zone, err)
		}
		got, err := timeFormatInstant(c.ms, c.pattern, loc)
		if err != nil || got != c.want {
			t.Errorf("format(%d, %q, %s) = %q, %v; want %q", c.ms, c.pattern, c.zone, got, err, c.want)
		}
	}
}

// Parsing as ksqlDB's StringToTimestampParser does (fields missing from
// the text default to 1970-01-01T00:00 in the zone).
func TestTimeParseTimestampPatterns(t *testing.T) {
	cases := []struct{ text, pattern, zone, want string }{
		{"2018-05-11T21:58:33Z", "yyyy-MM-dd'T'HH:mm:ssX", "UTC", "1526075913000"},
		{"2018-05-11T21:58:33Z", "yyyy-MM-dd'T'HH:mm:ssX", "America/Los_Angeles", "1526075913000"},
		{"2020-05-11T21:58:33z", "yyyy-MM-dd'T'HH:mm:ssX", "UTC", "1589234313000"},
		{"2020-05-11T21:58:33z", "yyyy-MM-dd'T'HH:mm:ssX", "America/Los_Angeles", "1589234313000"},
		{"2019-08-27T13:31:09.2+0000", "yyyy-MM-dd'T'HH:mm:ss.SX", "UTC", "1566912669200"},
		{"2019-08-27T13:31:09.2+0000", "yyyy-MM-dd'T'HH:mm:ss.SX", "America/Los_Angeles", "1566912669200"},
		{"2018-05-11T21:58:33 PST", "yyyy-MM-dd'T'HH:mm:ss zzz", "UTC", "1526101113000"},
		{"2018-05-11T21:58:33 PST", "yyyy-MM-dd'T'HH:mm:ss zzz", "America/Los_Angeles", "1526101113000"},
		{"2018-05-11 21:58:33.123", "yyyy-MM-dd HH:mm:ss.SSS", "UTC", "1526075913123"},
		{"2018-05-11 21:58:33.123", "yyyy-MM-dd HH:mm:ss.SSS", "America/Los_Angeles", "1526101113123"},
		{"20180511215833123", "yyyyMMddHHmmssSSS", "UTC", "1526075913123"},
		{"20180511215833123", "yyyyMMddHHmmssSSS", "America/Los_Angeles", "1526101113123"},
		{"20180511", "yyyyMMdd", "UTC", "1525996800000"},
		{"20180511", "yyyyMMdd", "America/Los_Angeles", "1526022000000"},
		{"11/05/19 1:00 PM", "dd/MM/yy h:mm a", "UTC", "1557579600000"},
		{"11/05/19 1:00 PM", "dd/MM/yy h:mm a", "America/Los_Angeles", "1557604800000"},
		{"11/05/19 1:00 pm", "dd/MM/yy h:mm a", "UTC", "1557579600000"},
		{"11/05/19 1:00 pm", "dd/MM/yy h:mm a", "America/Los_Angeles", "1557604800000"},
		{"12:30", "HH:mm", "UTC", "45000000"},
		{"12:30", "HH:mm", "America/Los_Angeles", "73800000"},
		{"2021-02-30", "yyyy-MM-dd", "UTC", "1614470400000"},
		{"2021-02-30", "yyyy-MM-dd", "America/Los_Angeles", "1614499200000"},
		{"2021-13-01", "yyyy-MM-dd", "UTC", "ERR"},
		{"2021-13-01", "yyyy-MM-dd", "America/Los_Angeles", "ERR"},
		{"02-29", "MM-dd", "UTC", "5011200000"},
		{"02-29", "MM-dd", "America/Los_Angeles", "5040000000"},
		{"2020", "yyyy", "UTC", "1577836800000"},
		{"2020", "yyyy", "America/Los_Angeles", "1577865600000"},
		{"2020-060", "yyyy-DDD", "UTC", "1582934400000"},
		{"2020-060", "yyyy-DDD", "America/Los_Angeles", "1582963200000"},
		{"Jan 5 2021", "MMM d yyyy", "UTC", "1609804800000"},
		{"Jan 5 2021", "MMM d yyyy", "America/Los_Angeles", "1609833600000"},
		{"2021-01-05 America/New_York", "yyyy-MM-dd VV", "UTC", "1609822800000"},
		{"2021-01-05 America/New_York", "yyyy-MM-dd VV", "America/Los_Angeles", "1609822800000"},
		{"2021-01-05 +05:30", "yyyy-MM-dd xxx", "UTC", "1609785000000"},
		{"2021-01-05 +05:30", "yyyy-MM-dd xxx", "America/Los_Angeles", "1609785000000"},
		{"2021-01-05 GMT+8", "yyyy-MM-dd O", "UTC", "1609776000000"},
		{"2021-01-05 GMT+8", "yyyy-MM-dd O", "America/Los_Angeles", "1609776000000"},
		{"2021-01-05 GMT+08:00", "yyyy-MM-dd ZZZZ", "UTC", "1609776000000"},
		{"2021-01-05 GMT+08:00", "yyyy-MM-dd ZZZZ", "America/Los_Angeles", "1609776000000"},
		{"2021-01-05 +0800", "yyyy-MM-dd Z", "UTC", "1609776000000"},
		{"2021-01-05 +0800", "yyyy-MM-dd Z", "America/Los_Angeles", "1609776000000"},
		{"2021-01-05 Z", "yyyy-MM-dd XXX", "UTC", "1609804800000"},
		{"2021-01-05 Z", "yyyy-MM-dd XXX", "America/Los_Angeles", "1609804800000"},
		{"2021-1-5", "yyyy-M-d", "UTC", "1609804800000"},
		{"2021-1-5", "yyyy-M-d", "America/Los_Angeles", "1609833600000"},
		{"2021-01-05 5", "yyyy-MM-dd H", "UTC", "1609822800000"},
		{"2021-01-05 5", "yyyy-MM-dd H", "America/Los_Angeles", "1609851600000"},
		{"2021-01-05 05", "yyyy-MM-dd hh", "UTC", "1609822800000"},
		{"2021-01-05 05", "yyyy-MM-dd hh", "America/Los_Angeles", "1609851600000"},
		{"2021-01-05x", "yyyy-MM-dd", "UTC", "ERR"},
		{"2021-01-05x", "yyyy-MM-dd", "America/Los_Angeles", "ERR"},
		{"2021-01-05", "yyyy-MM-dd[ HH:mm]", "UTC", "1609804800000"},
		{"2021-01-05", "yyyy-MM-dd[ HH:mm]", "America/Los_Angeles", "1609833600000"},
		{"2021-01-05 10:11", "yyyy-MM-dd[ HH:mm]", "UTC", "1609841460000"},
		{"2021-01-05 10:11", "yyyy-MM-dd[ HH:mm]", "America/Los_Angeles", "1609870260000"},
		{"Tue 2021-01-05", "EEE yyyy-MM-dd", "UTC", "1609804800000"},
		{"Tue 2021-01-05", "EEE yyyy-MM-dd", "America/Los_Angeles", "1609833600000"},
		{"99-01-05", "yy-MM-dd", "UTC", "4071254400000"},
		{"99-01-05", "yy-MM-dd", "America/Los_Angeles", "4071283200000"},
		{"2021-01-05 24:00", "yyyy-MM-dd kk:mm", "UTC", "1609804800000"},
		{"2021-01-05 24:00", "yyyy-MM-dd kk:mm", "America/Los_Angeles", "1609833600000"},
		{"2021-01-05 25:00", "yyyy-MM-dd HH:mm", "UTC", "ERR"},
		{"2021-01-05 25:00", "yyyy-MM-dd HH:mm", "America/Los_Angeles", "ERR"},
		{"10:15:30.5", "HH:mm:ss.S", "UTC", "36930500"},
		{"10:15:30.5", "HH:mm:ss.S", "America/Los_Angeles", "65730500"},
		{"1000", "A", "UTC", "1000"},
		{"1000", "A", "America/Los_Angeles", "28801000"},
		{"2021-01-05T10:15:30", "yyyy-MM-dd'T'HH:mm:ss", "UTC", "1609841730000"},
		{"2021-01-05T10:15:30", "yyyy-MM-dd'T'HH:mm:ss", "America/Los_Angeles", "1609870530000"},
	}
	for _, c := range cases {
		loc, err := timeZoneOf(c.zone)
		if err != nil {
			t.Fatalf("zone %s: %v", c.zone, err)
		}
		tm, err := timeParseTimestamp(c.text, c.pattern, loc)
		got := "ERR"
		if err == nil {
			got = strconv.FormatInt(tm.UnixMilli(), 10)
		}
		if got != c.want {
			t.Errorf("parse(%q, %q, %s) = %s (%v), want %s", c.text, c.pattern, c.zone, got, err, c.want)
		}
	}
}

func TestTimePatternErrors(t *testing.T) {
	for _, c := range []struct{ pattern, msg string }{
		{"yyyy-bb", "Unknown pattern letter: b"},
		{"'abc", "Pattern ends with an incomplete string literal"},
		{"ddd", "Too many pattern letters: d"},
		{"V", "Pattern letter count must be 2: V"},
		{"yyyy#", "Pattern includes reserved character: '#'"},
		{"]", "Pattern invalid"},
	} {
		_, err := timeCompile(c.pattern)
		if err == nil || !strings.HasPrefix(err.Error(), c.msg) {
			t.Errorf("pattern %q: error %v, want %q", c.pattern, err, c.msg)
		}
	}
	if _, err := timeFormatDays(0, "yyyy-MM-dd HH"); err == nil || err.Error() != "Unsupported field: HourOfDay" {
		t.Errorf("date with hour: %v", err)
	}
	if _, err := timeFormatClock(0, "yyyy HH"); err == nil || err.Error() != "Unsupported field: YearOfEra" {
		t.Errorf("time with year: %v", err)
	}
	if _, err := timeFormatClock(0, "HH:mm z"); err == nil {
		t.Errorf("time with zone should fail")
	}
}

func TestTimeZoneIDs(t *testing.T) {
	for _, c := range []struct {
		id   string
		name string
		off  int
	}{
		{"UTC", "UTC", 0}, {"Z", "Z", 0}, {"+02:00", "+02:00", 7200}, {"+0200", "+02:00", 7200}, {"+02", "+02:00", 7200},
		{"+2", "+02:00", 7200}, {"-08:00", "-08:00", -28800}, {"+05:30:15", "+05:30:15", 19815}, {"+053015", "+05:30:15", 19815},
		{"GMT", "GMT", 0}, {"GMT+2", "GMT+02:00", 7200}, {"UTC-05:30", "UTC-05:30", -19800},
		{"America/Los_Angeles", "America/Los_Angeles", -25200}, {"CET", "CET", 7200}, {"PST8PDT", "PST8PDT", -25200},
		{"Etc/GMT+5", "Etc/GMT+5", -18000}, {"Asia/Kolkata", "Asia/Kolkata", 19800}, {"US/Pacific", "US/Pacific", -25200},
	} {
		loc, err := timeZoneOf(c.id)
		if err != nil {
			t.Errorf("zone %q: %v", c.id, err)
			continue
		}
		_, off := timeTestInstant().In(loc).Zone()
		if loc.String() != c.name || off != c.off {
			t.Errorf("zone %q: %s %d, want %s %d", c.id, loc, off, c.name, c.off)
		}
	}
	for _, bad := range []string{"PST", "EST", "america/los_angeles", "Local", "", "+19:00", "+2:00", "GMT+", "Europe/Nowhere"} {
		if _, err := timeZoneOf(bad); err == nil {
			t.Errorf("zone %q should be rejected", bad)
		}
	}
}

func timeTestInstant() time.Time { return time.UnixMilli(1589234313000) }

func TestTimeParseZoneNames(t *testing.T) {
	for _, c := range []struct {
		text string
		want int64
	}{
		{"2018-05-11 21:58:33 Pacific Daylight Time", 1526101113000},
		{"2018-05-11 21:58:33 PDT", 1526101113000},
		{"2018-05-11 21:58:33 pst", 1526101113000},
		{"2018-05-11 21:58:33 America/New_York", 1526090313000},
		{"2018-05-11 21:58:33 GMT+02:00", 1526068713000},
		{"2018-05-11 21:58:33 UTC", 1526075913000},
	} {
		tm, err := timeParseTimestamp(c.text, "yyyy-MM-dd HH:mm:ss z", time.UTC)
		if err != nil || tm.UnixMilli() != c.want {
			t.Errorf("parse %q = %v, %v; want %d", c.text, tm.UnixMilli(), err, c.want)
		}
	}
}
