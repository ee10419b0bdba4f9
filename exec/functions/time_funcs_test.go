package functions

import (
	"strings"
	"testing"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

var (
	ntTS   = types.TimestampType
	ntDate = types.DateType
	ntTime = types.TimeType
)

func TestTimeReturnTypes(t *testing.T) {
	cases := []struct {
		name string
		args []planner.ArgInfo
		ret  string
	}{
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), "TIMESTAMP"},
		{"DATEADD", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntDate)}, "DATE"},
		{"DATESUB", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntDate)}, "DATE"},
		{"TIMEADD", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntTime)}, "TIME"},
		{"TIMESUB", []planner.ArgInfo{ntUnit(), ntConst(types.NullType, nil), ntArg(ntTime)}, "TIME"},
		{"TIMESTAMPADD", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntTS)}, "TIMESTAMP"},
		{"TIMESTAMPSUB", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntTS)}, "TIMESTAMP"},
		{"FORMAT_DATE", ntArgs(ntDate, ntStr), "STRING"},
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), "STRING"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr), "STRING"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr, ntStr), "STRING"},
		{"FROM_DAYS", ntArgs(ntI32), "DATE"},
		{"FROM_UNIXTIME", ntArgs(ntI64), "TIMESTAMP"},
		{"FROM_UNIXTIME", ntArgs(ntI32), "TIMESTAMP"},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), "DATE"},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), "TIME"},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr), "TIMESTAMP"},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr, ntStr), "TIMESTAMP"},
		{"UNIX_DATE", nil, "INTEGER"},
		{"UNIX_DATE", ntArgs(ntDate), "INTEGER"},
		{"UNIX_TIMESTAMP", nil, "BIGINT"},
		{"UNIX_TIMESTAMP", ntArgs(ntTS), "BIGINT"},
		{"DATETOSTRING", ntArgs(ntI32, ntStr), "STRING"},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), "INTEGER"},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr), "BIGINT"},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr, ntStr), "BIGINT"},
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr), "STRING"},
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr, ntStr), "STRING"},
	}
	for _, c := range cases {
		if f := ntResolveScalar(t, c.name, c.args...); f.ret.String() != c.ret {
			t.Errorf("%s%s: return %s, want %s", c.name, describeArgs(c.args), f.ret, c.ret)
		}
	}
	errs := []struct {
		name string
		args []planner.ArgInfo
		msg  string
	}{
		{"TIMEADD", ntArgs(ntTime, ntI32, ntTime), "Function 'timeadd' does not accept parameters (TIME, INTEGER, TIME)."},
		{"TIMESUB", ntArgs(ntTime, ntI32, ntTime), "Function 'timesub' does not accept parameters (TIME, INTEGER, TIME)."},
		{"DATEADD", ntArgs(ntDate, ntI32, ntDate), "Function 'dateadd' does not accept parameters (DATE, INTEGER, DATE)."},
		{"TIMESTAMPADD", []planner.ArgInfo{ntUnit(), ntArg(ntI64), ntArg(ntTS)}, "Function 'timestampadd' does not accept parameters"},
		{"TIMESTAMPADD", []planner.ArgInfo{ntUnit(), ntArg(ntI32), ntArg(ntDate)}, "Function 'timestampadd' does not accept parameters"},
		{"TIMESTAMPTOSTRING", ntArgs(ntTS, ntStr), "Function 'timestamptostring' does not accept parameters (TIMESTAMP, STRING)."},
	}
	for _, e := range errs {
		_, err := ntRegistry().ResolveScalar(e.name, e.args)
		if err == nil || !strings.HasPrefix(err.Error(), e.msg) {
			t.Errorf("%s%s: error %v, want %q", e.name, describeArgs(e.args), err, e.msg)
		}
	}
}

// From qtt/timestampadd.json, timestampsub.json, timeadd.json, timesub.json,
// dateadd.json and datesub.json.
func TestTimeUnitArithmetic(t *testing.T) {
	type c struct {
		unit     string
		interval types.Value
		in, want types.Value
	}
	run := func(fn string, target *types.Type, cases []c) {
		f := ntResolveScalar(t, fn, ntUnit(), ntArg(ntI32), ntArg(target))
		for _, k := range cases {
			if got := f.must(t, k.unit, k.interval, k.in); !ntEqual(got, k.want) {
				t.Errorf("%s(%s, %v, %v) = %v, want %v", fn, k.unit, k.interval, k.in, got, k.want)
			}
		}
	}
	ts := func(v int64) types.Value { return types.Timestamp(v) }
	tm := func(v int32) types.Value { return types.TimeOfDay(v) }
	dt := func(v int32) types.Value { return types.Date(v) }
	run("TIMESTAMPADD", ntTS, []c{
		{"MILLISECONDS", int32(10), ts(10), ts(20)},
		{"MILLISECONDS", int32(-5), ts(5), ts(0)}, {"MILLISECONDS", int32(-5), ts(10), ts(5)}, {"MILLISECONDS", int32(-5), ts(2), ts(-3)},
		{"MILLISECONDS", int32(5), nil, nil}, {"MILLISECONDS", nil, ts(5), nil},
		{"SECONDS", int32(5), ts(1000), ts(6000)}, {"DAYS", int32(1), ts(0), ts(86400000)}, {"HOURS", int32(-1), ts(0), ts(-3600000)},
		{"MINUTE", int32(2), ts(0), ts(120000)},
	})
	run("TIMESTAMPSUB", ntTS, []c{
		{"MILLISECONDS", int32(-5), ts(5), ts(10)}, {"MILLISECONDS", int32(-5), ts(0), ts(5)}, {"MILLISECONDS", int32(-5), ts(-100), ts(-95)},
		{"MILLISECONDS", nil, ts(5), nil}, {"DAYS", int32(1), ts(86400000), ts(0)},
	})
	run("TIMEADD", ntTime, []c{
		{"MILLISECONDS", int32(10), tm(10), tm(20)}, {"MILLISECONDS", int32(10), tm(86399995), tm(5)},
		{"MILLISECONDS", int32(-5), tm(5), tm(0)}, {"MILLISECONDS", int32(-5), tm(10), tm(5)}, {"MILLISECONDS", int32(-5), tm(2), tm(86399997)},
		{"HOURS", int32(25), tm(0), tm(3600000)},
	})
	run("TIMESUB", ntTime, []c{
		{"MILLISECONDS", int32(10), tm(20), tm(10)}, {"MILLISECONDS", int32(10), tm(5), tm(86399995)},
		{"MILLISECONDS", int32(-5), tm(5), tm(10)}, {"MILLISECONDS", int32(-5), tm(0), tm(5)}, {"MILLISECONDS", int32(-5), tm(86399997), tm(2)},
		{"MILLISECONDS", nil, tm(5), nil}, {"MILLISECONDS", int32(5), nil, nil},
	})
	run("DATEADD", ntDate, []c{
		{"DAYS", int32(-5), dt(5), dt(0)}, {"DAYS", int32(-5), dt(10), dt(5)}, {"DAYS", int32(-5), dt(2), dt(-3)},
		// TimeUnit.toDays truncates towards zero, as ksqlDB does.
		{"HOURS", int32(-1), dt(0), dt(0)}, {"HOURS", int32(48), dt(1), dt(3)},
	})
	run("DATESUB", ntDate, []c{
		{"MILLISECONDS", int32(5), nil, nil}, {"MILLISECONDS", nil, dt(5), nil}, {"DAYS", int32(3), dt(5), dt(2)},
	})
}

func TestTimeConversions(t *testing.T) {
	cases := []struct {
		fn   string
		args []planner.ArgInfo
		in   []types.Value
		want types.Value
	}{
		// qtt/convert-tz.json
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(100), "+0200", "+0500"}, types.Timestamp(10800100)},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(1589234313000), "+0200", "+0500"}, types.Timestamp(1589245113000)},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(100), "America/Los_Angeles", "America/New_York"}, types.Timestamp(10800100)},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(1589234313000), "America/Los_Angeles", "America/New_York"}, types.Timestamp(1589245113000)},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{nil, "UTC", "UTC"}, nil},
		// java.util.TimeZone does not know "UTC+01:00": it is GMT.
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(0), "UTC", "UTC+01:00"}, types.Timestamp(0)},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(0), "UTC", "GMT+01:00"}, types.Timestamp(3600000)},
		// qtt/from-unixtime.json, from-days.json, unix-date.json
		{"FROM_UNIXTIME", ntArgs(ntI64), []types.Value{int64(1589234313000)}, types.Timestamp(1589234313000)},
		{"FROM_UNIXTIME", ntArgs(ntI64), []types.Value{nil}, nil},
		{"FROM_DAYS", ntArgs(ntI32), []types.Value{int32(-10)}, types.Date(-10)},
		{"UNIX_DATE", ntArgs(ntDate), []types.Value{types.Date(100)}, int32(100)},
		{"UNIX_TIMESTAMP", ntArgs(ntTS), []types.Value{types.Timestamp(1589234313000)}, int64(1589234313000)},
		// qtt/parse-time.json
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"00:01:05Lit", "HH:mm:ss'Lit'"}, types.TimeOfDay(65000)},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"11/05/19", "HH/mm/ss"}, types.TimeOfDay(39919000)},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"01:00:00 PM", "hh:mm:ss a"}, types.TimeOfDay(46800000)},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"01:00:00 Pm", "hh:mm:ss a"}, types.TimeOfDay(46800000)},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"12:00:00 AM", "hh:mm:ss a"}, types.TimeOfDay(0)},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"10:15:30.123456", "HH:mm:ss.SSSSSS"}, types.TimeOfDay(36930123)},
		// qtt/format-time.json
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), []types.Value{types.TimeOfDay(65000), "HH_mm_ss_SSS"}, "00_01_05_000"},
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), []types.Value{types.TimeOfDay(1234567), "HHmmss'AAAAA'"}, "002034AAAAA"},
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), []types.Value{types.TimeOfDay(0), "HH:mm:ss"}, "00:00:00"},
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), []types.Value{nil, "HH:mm:ss"}, nil},
		{"FORMAT_TIME", ntArgs(ntTime, ntStr), []types.Value{types.TimeOfDay(43200000), "hh:mm a k K"}, "12:00 PM 12 0"},
		// qtt/stringdate.json
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"2018-05-11Lit", "yyyy-MM-dd'Lit'"}, int32(17662)},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"11/05/2019", "dd/MM/yyyy"}, int32(18027)},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"01-Jan-2022", "dd-MMM-yyyy"}, int32(18993)},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"01-01-1970", "dd-MM-yyyy"}, int32(0)},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"2022-02-02 10:00", "yyyy-MM-dd HH:mm"}, int32(19025)},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"2022-02-02", "yyyy-MM-dd"}, types.Date(19025)},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"FEB 3 2021", "MMM d yyyy"}, types.Date(18661)},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"2020-366", "yyyy-DDD"}, types.Date(18627)},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"22-3-4", "yy-M-d"}, types.Date(19055)},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"1969-12-31", "yyyy-MM-dd"}, types.Date(-1)},
		{"FORMAT_DATE", ntArgs(ntDate, ntStr), []types.Value{types.Date(18993), "dd/MM/yyyy EEEE"}, "01/01/2022 Saturday"},
		{"FORMAT_DATE", ntArgs(ntDate, ntStr), []types.Value{types.Date(-719162), "G yyyy-MM-dd"}, "AD 0001-01-01"},
		{"DATETOSTRING", ntArgs(ntI32, ntStr), []types.Value{int32(17662), "yyyy-MM-dd"}, "2018-05-11"},
		// qtt/stringtimestamp.json, timestampformat.json
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2018-05-11T21:58:33Z", "yyyy-MM-dd'T'HH:mm:ssX"}, int64(1526075913000)},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2020-05-11T21:58:33z", "yyyy-MM-dd'T'HH:mm:ssX"}, int64(1589234313000)},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2019-08-27T13:31:09.2+0000", "yyyy-MM-dd'T'HH:mm:ss.SX"}, int64(1566912669200)},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr, ntStr), []types.Value{"2018-05-11 21:58:33", "yyyy-MM-dd HH:mm:ss", "America/Los_Angeles"}, int64(1526101113000)},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2018-05-11T21:58:33 PST", "yyyy-MM-dd'T'HH:mm:ss zzz"}, types.Timestamp(1526101113000)},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2019-05-11T21:58:33 PST", "yyyy-MM-dd'T'HH:mm:ss zzz"}, types.Timestamp(1557637113000)},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"2020-05-11T21:58:33 PST", "yyyy-MM-dd'T'HH:mm:ss zzz"}, types.Timestamp(1589259513000)},
		{"PARSE_TIMESTAMP", ntArgs(ntStr, ntStr, ntStr), []types.Value{"2018-05-11 21:58:33.123", "yyyy-MM-dd HH:mm:ss.SSS", "+05:30"}, types.Timestamp(1526056113123)},
		// qtt/timestamp-to-string.json and rqtt windowed pull queries
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr, ntStr), []types.Value{int64(1526075913000), "yyyy-MM-dd HH:mm:ss zzz", "America/Los_Angeles"}, "2018-05-11 14:58:33 PDT"},
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr, ntStr), []types.Value{int64(1526075913000), "yyyy-MM-dd HH:mm:ss zzz", "Europe/London"}, "2018-05-11 22:58:33 BST"},
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr, ntStr), []types.Value{int64(1580318385000), "yyyy-MM-dd HH:mm:ss Z", "UTC"}, "2020-01-29 17:19:45 +0000"},
		{"TIMESTAMPTOSTRING", ntArgs(ntI64, ntStr), []types.Value{int64(1526075913000), "yyyy-MM-dd'T'HH:mm:ss.SSS"}, "2018-05-11T21:58:33.000"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(1526075913000), "yyyy-MM-dd HH:mm:ss zzz", "America/Los_Angeles"}, "2018-05-11 14:58:33 PDT"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr), []types.Value{types.Timestamp(1526075913000), "yyyy-MM-dd HH:mm:ss"}, "2018-05-11 21:58:33"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr), []types.Value{nil, "yyyy-MM-dd HH:mm:ss"}, nil},
	}
	for _, c := range cases {
		f := ntResolveScalar(t, c.fn, c.args...)
		if got := f.must(t, c.in...); !ntEqual(got, c.want) {
			t.Errorf("%s%v = %v (%T), want %v (%T)", c.fn, c.in, got, got, c.want, c.want)
		}
	}

	failures := []struct {
		fn   string
		args []planner.ArgInfo
		in   []types.Value
		msg  string
	}{
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"abcd", "yyyy-MM-dd"}, "Failed to parse date 'abcd' with formatter 'yyyy-MM-dd': Text 'abcd' could not be parsed at index 0"},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"2022-02-02 10:00", "yyyy-MM-dd HH:mm"}, "Date format contains time field."},
		{"PARSE_DATE", ntArgs(ntStr, ntStr), []types.Value{"2022-02", "yyyy-MM"}, "Unable to obtain LocalDate"},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"01:00:00", "hh:mm:ss"}, "Unable to obtain LocalTime"},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"25:00", "HH:mm"}, "Invalid value for HourOfDay (valid values 0 - 23): 25"},
		{"PARSE_TIME", ntArgs(ntStr, ntStr), []types.Value{"2021-01-01 10:00", "yyyy-MM-dd HH:mm"}, "Unsupported field"},
		{"STRINGTODATE", ntArgs(ntStr, ntStr), []types.Value{"foo", "yyyyMMdd"}, "Failed to parse date 'foo'"},
		{"STRINGTOTIMESTAMP", ntArgs(ntStr, ntStr), []types.Value{"not a timestamp", "yyyy-MM-dd'T'HH:mm:ssX"}, "Failed to parse timestamp 'not a timestamp'"},
		{"FORMAT_TIMESTAMP", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(0), "yyyy", "Nowhere/Land"}, "Unknown time-zone ID: Nowhere/Land"},
		{"FORMAT_DATE", ntArgs(ntDate, ntStr), []types.Value{types.Date(0), "yyyy-MM-dd HH"}, "Unsupported field: HourOfDay"},
		{"CONVERT_TZ", ntArgs(ntTS, ntStr, ntStr), []types.Value{types.Timestamp(0), "UTC", "Mars/Base"}, "Invalid time zone: Unknown time-zone ID: Mars/Base"},
	}
	for _, c := range failures {
		f := ntResolveScalar(t, c.fn, c.args...)
		_, err := f.call(t, c.in...)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s%v: error %v, want %q", c.fn, c.in, err, c.msg)
		}
	}
}

func TestTimeNow(t *testing.T) {
	if v := ntResolveScalar(t, "UNIX_TIMESTAMP").must(t).(int64); v <= 100 {
		t.Errorf("UNIX_TIMESTAMP() = %d", v)
	}
	if v := ntResolveScalar(t, "UNIX_DATE").must(t).(int32); v < 19000 {
		t.Errorf("UNIX_DATE() = %d", v)
	}
}

func TestTimeAddLargeIntervals(t *testing.T) {
	f := ntResolveScalar(t, "TIMEADD", ntUnit(), ntArg(ntI32), ntArg(ntTime))
	if got := f.must(t, "DAYS", int32(2147483647), types.TimeOfDay(5)); got != types.TimeOfDay(5) {
		t.Errorf("TIMEADD(DAYS, MAX, 5) = %v", got)
	}
	if got := f.must(t, "HOURS", int32(-2147483647), types.TimeOfDay(0)); got != types.TimeOfDay(61200000) {
		t.Errorf("TIMEADD(HOURS, -MAX, 0) = %v", got)
	}
	ts := ntResolveScalar(t, "TIMESTAMPADD", ntUnit(), ntArg(ntI32), ntArg(ntTS))
	if got := ts.must(t, "DAYS", int32(2147483647), types.Timestamp(0)); got != types.Timestamp(2147483647*int64(86400000)) {
		t.Errorf("TIMESTAMPADD(DAYS, MAX, 0) = %v", got)
	}
	if _, err := ts.call(t, "FORTNIGHTS", int32(1), types.Timestamp(0)); err == nil {
		t.Errorf("unknown unit should fail")
	}
}
