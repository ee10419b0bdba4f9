package functions

import (
	"fmt"
	"strings"
	"time"

	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/types"
)

// Date/time scalar functions (ksqlDB's io.confluent.ksql.function.udf.datetime).
// Patterns are java.time.format.DateTimeFormatter patterns (see
// time_format.go); zones are java.time.ZoneId ids (see time_zone.go). The
// JVM default zone of ksqlDB is taken to be UTC.

func init() { builtins = append(builtins, registerTimeScalars) }

const (
	timeMsPerDay = int64(86400000)
	timeNsPerDay = int64(86400000000000)
)

func timeFloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func timeFloorMod(a, b int64) int64 { return a - timeFloorDiv(a, b)*b }

// timeUnitNanos is java.util.concurrent.TimeUnit's length in nanoseconds
// of a unit name ("SECONDS", "SECOND", ...).
func timeUnitNanos(unit string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(unit))
	if !strings.HasSuffix(u, "S") {
		u += "S"
	}
	switch u {
	case "NANOSECONDS":
		return 1, nil
	case "MICROSECONDS":
		return 1e3, nil
	case "MILLISECONDS":
		return 1e6, nil
	case "SECONDS":
		return 1e9, nil
	case "MINUTES":
		return 60e9, nil
	case "HOURS":
		return 3600e9, nil
	case "DAYS":
		return 86400e9, nil
	}
	return 0, fmt.Errorf("Unknown time unit: %s", unit)
}

// timeUnitMillis is TimeUnit.toMillis(interval) (truncating sub-millisecond units).
func timeUnitMillis(unit string, interval int32) (int64, error) {
	ns, err := timeUnitNanos(unit)
	if err != nil {
		return 0, err
	}
	if ns < 1e6 {
		return int64(interval) * ns / 1e6, nil
	}
	return int64(interval) * (ns / 1e6), nil
}

// timeUnitDef defines DATEADD/DATESUB/TIMEADD/TIMESUB/TIMESTAMPADD/
// TIMESTAMPSUB: (unit, INTEGER interval, value). The unit is a bare time
// unit keyword, passed at runtime as its name.
func timeUnitDef(name, desc string, target *types.Type, eval ScalarFn) *ScalarDef {
	lower := strings.ToLower(name)
	resolve := func(args []planner.ArgInfo) (*ScalarImpl, *types.Type, []*types.Type, error) {
		isNull := func(t *types.Type) bool { return t == nil || t.Kind == types.KindNull }
		ok := len(args) == 3 && args[0].TimeUnit &&
			(isNull(args[1].Type) || args[1].Type.Kind == types.KindInteger) &&
			(isNull(args[2].Type) || args[2].Type.Kind == target.Kind)
		if !ok {
			return nil, nil, nil, fmt.Errorf("Function '%s' does not accept parameters %s.\nValid alternatives are:\n%s(INTERVALUNIT unit, INTEGER interval, %s %s)",
				lower, describeArgs(args), lower, target, strings.ToLower(target.String()))
		}
		params := make([]*types.Type, 3)
		if isNull(args[1].Type) {
			params[1] = types.IntegerType
		}
		if isNull(args[2].Type) {
			params[2] = target
		}
		return &ScalarImpl{Name: name, Eval: eval}, target, params, nil
	}
	return &ScalarDef{Name: name, Description: desc, Resolve: resolve}
}

// timeLoc resolves an optional zone argument.
func timeLoc(a []types.Value, i int) (*time.Location, error) {
	if len(a) <= i {
		return timeDefaultZone, nil
	}
	return timeZoneOf(a[i].(string))
}

func registerTimeScalars(r *Registry) {
	str, i32, i64 := types.StringType, types.IntegerType, types.BigintType
	ts, date, tod := types.TimestampType, types.DateType, types.TimeType

	for _, sub := range []bool{false, true} {
		sign, verb, suffix := int64(1), "Adds a duration to", "ADD"
		if sub {
			sign, verb, suffix = -1, "Subtracts a duration from", "SUB"
		}
		r.AddScalar(timeUnitDef("DATE"+suffix, verb+" a DATE value.", date, func(a []types.Value) (types.Value, error) {
			ms, err := timeUnitMillis(a[0].(string), a[1].(int32))
			if err != nil {
				return nil, err
			}
			// TimeUnit.MILLISECONDS.toDays truncates towards zero.
			return types.Date((int64(a[2].(types.Date))*timeMsPerDay + sign*ms) / timeMsPerDay), nil
		}))
		r.AddScalar(timeUnitDef("TIME"+suffix, verb+" a TIME value.", tod, func(a []types.Value) (types.Value, error) {
			ns, err := timeUnitNanos(a[0].(string))
			if err != nil {
				return nil, err
			}
			// Only the interval modulo a day matters (and this avoids overflow).
			shift := (int64(a[1].(int32)) % (timeNsPerDay / ns)) * ns
			total := int64(a[2].(types.TimeOfDay))*1e6 + sign*shift
			return types.TimeOfDay(timeFloorMod(total, timeNsPerDay) / 1e6), nil
		}))
		r.AddScalar(timeUnitDef("TIMESTAMP"+suffix, verb+" a TIMESTAMP value.", ts, func(a []types.Value) (types.Value, error) {
			ms, err := timeUnitMillis(a[0].(string), a[1].(int32))
			if err != nil {
				return nil, err
			}
			return types.Timestamp(int64(a[2].(types.Timestamp)) + sign*ms), nil
		}))
	}

	r.AddScalar(&ScalarDef{Name: "CONVERT_TZ", Description: "Converts a TIMESTAMP from one time zone to another.", Sigs: []Sig{
		{Params: []Param{P(ts), P(str), P(str)}, Ret: ts, Eval: func(a []types.Value) (types.Value, error) {
			ms := int64(a[0].(types.Timestamp))
			from, err := timeZoneOf(a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("Invalid time zone: %v", err)
			}
			to, err := timeZoneOf(a[2].(string))
			if err != nil {
				return nil, fmt.Errorf("Invalid time zone: %v", err)
			}
			t := time.UnixMilli(ms)
			offTo := timeLegacyOffset(a[2].(string), to, t)
			offFrom := timeLegacyOffset(a[1].(string), from, t)
			return types.Timestamp(ms + int64(offTo-offFrom)*1000), nil
		}},
	}})

	formatTS := func(a []types.Value) (types.Value, error) {
		ms := int64(a[0].(types.Timestamp))
		loc, err := timeLoc(a, 2)
		if err == nil {
			var s string
			if s, err = timeFormatInstant(ms, a[1].(string), loc); err == nil {
				return s, nil
			}
		}
		return nil, fmt.Errorf("Failed to format timestamp %s with formatter '%s': %v", types.FormatTimestamp(types.Timestamp(ms)), a[1], err)
	}
	r.AddScalar(&ScalarDef{Name: "FORMAT_TIMESTAMP", Description: "Formats a TIMESTAMP with a DateTimeFormatter pattern, in UTC or the given time zone.", Sigs: []Sig{
		{Params: []Param{P(ts), P(str)}, Ret: str, Eval: formatTS},
		{Params: []Param{P(ts), P(str), P(str)}, Ret: str, Eval: formatTS},
	}})
	tsToString := func(a []types.Value) (types.Value, error) {
		ms := a[0].(int64)
		loc, err := timeLoc(a, 2)
		if err == nil {
			var s string
			if s, err = timeFormatInstant(ms, a[1].(string), loc); err == nil {
				return s, nil
			}
		}
		return nil, fmt.Errorf("Failed to format timestamp %d with formatter '%s': %v", ms, a[1], err)
	}
	r.AddScalar(&ScalarDef{Name: "TIMESTAMPTOSTRING", Description: "Formats a BIGINT of milliseconds since the epoch with a DateTimeFormatter pattern, in UTC or the given time zone (deprecated: use FORMAT_TIMESTAMP).", Sigs: []Sig{
		{Params: []Param{P(i64), P(str)}, Ret: str, Eval: tsToString},
		{Params: []Param{P(i64), P(str), P(str)}, Ret: str, Eval: tsToString},
	}})

	parseTS := func(a []types.Value) (time.Time, error) {
		loc, err := timeLoc(a, 2)
		if err == nil {
			var t time.Time
			if t, err = timeParseTimestamp(a[0].(string), a[1].(string), loc); err == nil {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("Failed to parse timestamp '%s' with formatter '%s': %v", a[0], a[1], err)
	}
	parseTSEval := func(a []types.Value) (types.Value, error) {
		t, err := parseTS(a)
		if err != nil {
			return nil, err
		}
		return types.Timestamp(t.UnixMilli()), nil
	}
	r.AddScalar(&ScalarDef{Name: "PARSE_TIMESTAMP", Description: "Parses a string with a DateTimeFormatter pattern into a TIMESTAMP, in UTC or the given time zone.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: ts, Eval: parseTSEval},
		{Params: []Param{P(str), P(str), P(str)}, Ret: ts, Eval: parseTSEval},
	}})
	stringToTS := func(a []types.Value) (types.Value, error) {
		t, err := parseTS(a)
		if err != nil {
			return nil, err
		}
		return t.UnixMilli(), nil
	}
	r.AddScalar(&ScalarDef{Name: "STRINGTOTIMESTAMP", Description: "Parses a string with a DateTimeFormatter pattern into milliseconds since the epoch (deprecated: use PARSE_TIMESTAMP).", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: i64, Eval: stringToTS},
		{Params: []Param{P(str), P(str), P(str)}, Ret: i64, Eval: stringToTS},
	}})

	r.AddScalar(&ScalarDef{Name: "FORMAT_DATE", Description: "Formats a DATE with a DateTimeFormatter pattern.", Sigs: []Sig{
		{Params: []Param{P(date), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			d := a[0].(types.Date)
			s, err := timeFormatDays(int64(d), a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("Failed to format date %s with formatter '%s': %v", types.FormatDate(d), a[1], err)
			}
			return s, nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "DATETOSTRING", Description: "Formats an INTEGER of days since the epoch with a DateTimeFormatter pattern (deprecated: use FORMAT_DATE).", Sigs: []Sig{
		{Params: []Param{P(i32), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			d := a[0].(int32)
			s, err := timeFormatDays(int64(d), a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("Failed to format date %d with formatter '%s': %v", d, a[1], err)
			}
			return s, nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "FORMAT_TIME", Description: "Formats a TIME with a DateTimeFormatter pattern.", Sigs: []Sig{
		{Params: []Param{P(tod), P(str)}, Ret: str, Eval: func(a []types.Value) (types.Value, error) {
			t := a[0].(types.TimeOfDay)
			s, err := timeFormatClock(int64(t), a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("Failed to format time %s with formatter '%s': %v", types.FormatTime(t), a[1], err)
			}
			return s, nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "PARSE_DATE", Description: "Parses a string with a DateTimeFormatter pattern into a DATE.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: date, Eval: func(a []types.Value) (types.Value, error) {
			t, err := timeParseDate(a[0].(string), a[1].(string), true)
			if err != nil {
				return nil, fmt.Errorf("Failed to parse date '%s' with formatter '%s': %v", a[0], a[1], err)
			}
			return types.Date(timeFloorDiv(t.Unix(), 86400)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "STRINGTODATE", Description: "Parses a string with a DateTimeFormatter pattern into an INTEGER of days since the epoch (deprecated: use PARSE_DATE).", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			t, err := timeParseDate(a[0].(string), a[1].(string), false)
			if err != nil {
				return nil, fmt.Errorf("Failed to parse date '%s' with formatter '%s': %v", a[0], a[1], err)
			}
			return int32(timeFloorDiv(t.Unix(), 86400)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "PARSE_TIME", Description: "Parses a string with a DateTimeFormatter pattern into a TIME.", Sigs: []Sig{
		{Params: []Param{P(str), P(str)}, Ret: tod, Eval: func(a []types.Value) (types.Value, error) {
			ns, err := timeParseTimeOfDay(a[0].(string), a[1].(string))
			if err != nil {
				return nil, fmt.Errorf("Failed to parse time '%s' with formatter '%s': %v", a[0], a[1], err)
			}
			return types.TimeOfDay(ns / 1e6), nil
		}},
	}})

	r.AddScalar(&ScalarDef{Name: "FROM_DAYS", Description: "Converts an INTEGER number of days since the epoch to a DATE.", Sigs: []Sig{
		{Params: []Param{P(i32)}, Ret: date, Eval: func(a []types.Value) (types.Value, error) {
			return types.Date(a[0].(int32)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "FROM_UNIXTIME", Description: "Converts a BIGINT of milliseconds since the epoch to a TIMESTAMP.", Sigs: []Sig{
		{Params: []Param{P(i64)}, Ret: ts, Eval: func(a []types.Value) (types.Value, error) {
			return types.Timestamp(a[0].(int64)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "UNIX_DATE", Description: "The number of days since the epoch of a DATE, or of the current date.", Sigs: []Sig{
		{Params: []Param{}, Ret: i32, Eval: func([]types.Value) (types.Value, error) {
			return int32(timeFloorDiv(time.Now().Unix(), 86400)), nil
		}},
		{Params: []Param{P(date)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			return int32(a[0].(types.Date)), nil
		}},
	}})
	r.AddScalar(&ScalarDef{Name: "UNIX_TIMESTAMP", Description: "The milliseconds since the epoch of a TIMESTAMP, or of the current time.", Sigs: []Sig{
		{Params: []Param{}, Ret: i64, Eval: func([]types.Value) (types.Value, error) {
			return time.Now().UnixMilli(), nil
		}},
		{Params: []Param{P(ts)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) {
			return int64(a[0].(types.Timestamp)), nil
		}},
	}})
}
