package functions

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/sql/types"
)

// Numeric scalar functions (ksqlDB's io.confluent.ksql.function.udf.math
// and udf.geo packages). Transcendental functions compute in DOUBLE, as
// java.lang.Math does; INTEGER/BIGINT/DECIMAL arguments widen to DOUBLE.

func init() { builtins = append(builtins, registerNumericScalars) }

// numRoundMode is a java.math.RoundingMode used by ROUND, TRUNC, CEIL and FLOOR.
type numRoundMode int

const (
	numRoundHalfUp   numRoundMode = iota // ties away from zero
	numRoundHalfDown                     // ties towards zero
	numRoundDown                         // towards zero
	numRoundCeiling                      // towards +infinity
	numRoundFloor                        // towards -infinity
)

var numBigTen = big.NewInt(10)

// numSetScale rounds d to the given number of decimal places (negative:
// to the left of the point) as BigDecimal.setScale does. The result has
// scale max(places, 0), or d's own scale when no digit is dropped.
func numSetScale(d types.Dec, places int, mode numRoundMode) types.Dec {
	u := d.Unscaled()
	s := d.Scale()
	if places >= s {
		return d // nothing to round (callers restore the scale they need)
	}
	if intDigits := d.Precision() - s; places < -(intDigits+1) && mode != numRoundCeiling && mode != numRoundFloor {
		return types.DecFromInt64(0) // |d| < half a unit of the rounding place
	}
	div := new(big.Int).Exp(numBigTen, big.NewInt(int64(s-places)), nil)
	q, r := new(big.Int).QuoRem(u, div, new(big.Int))
	if r.Sign() != 0 {
		sign := u.Sign()
		twice := new(big.Int).Abs(r)
		twice.Lsh(twice, 1)
		c := twice.Cmp(div)
		bump := false
		switch mode {
		case numRoundHalfUp:
			bump = c >= 0
		case numRoundHalfDown:
			bump = c > 0
		case numRoundCeiling:
			bump = sign > 0
		case numRoundFloor:
			bump = sign < 0
		}
		if bump {
			q.Add(q, big.NewInt(int64(sign)))
		}
	}
	if places < 0 && q.Sign() != 0 {
		q.Mul(q, new(big.Int).Exp(numBigTen, big.NewInt(int64(-places)), nil))
		return types.NewDec(q, 0)
	}
	return types.NewDec(q, places)
}

// numDecFloat converts a decimal to the nearest double (BigDecimal.doubleValue).
func numDecFloat(d types.Dec) float64 {
	f, err := strconv.ParseFloat(d.String(), 64)
	if err != nil {
		return d.Float64()
	}
	return f
}

// numDoubleToLong converts like Java's (long) cast: truncation, NaN to 0,
// saturation at the bounds.
func numDoubleToLong(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int64(f)
}

// numJavaRound is java.lang.Math.round(double): the closest long, ties
// rounding towards positive infinity.
func numJavaRound(f float64) int64 {
	if math.IsNaN(f) {
		return 0
	}
	fl := math.Floor(f)
	if f-fl >= 0.5 {
		fl++
	}
	return numDoubleToLong(fl)
}

// numRoundDouble rounds a double to the given decimal places through its
// decimal text (BigDecimal.valueOf), with ksqlDB's sign-dependent mode.
func numRoundDouble(v float64, places int, mode numRoundMode) (types.Value, error) {
	d, err := types.DecFromFloat64(v)
	if err != nil {
		return nil, err
	}
	return numDecFloat(numSetScale(d, places, mode)), nil
}

// numRoundModeFor returns ROUND's rounding mode for a value: HALF_UP for
// positive values and HALF_DOWN otherwise, which reproduces Math.round's
// "ties towards positive infinity".
func numRoundModeFor(sign int) numRoundMode {
	if sign > 0 {
		return numRoundHalfUp
	}
	return numRoundHalfDown
}

// numDecimalIntegral is DECIMAL(p - s, 0), the type of ROUND/TRUNC(DECIMAL).
func numDecimalIntegral(args []*types.Type) (*types.Type, error) {
	t := args[0]
	if t.Kind != types.KindDecimal {
		return nil, errors.New("expected a DECIMAL argument")
	}
	p := t.Precision - t.Scale
	if p < 1 {
		p = 1
	}
	return types.DecimalOf(p, 0), nil
}

// numSameType returns the type of the first argument.
func numSameType(args []*types.Type) (*types.Type, error) { return args[0], nil }

// numFloatFn builds the INT/BIGINT/DOUBLE overloads of a DOUBLE function of
// one argument.
func numFloatFn(name, desc string, f func(float64) float64) *ScalarDef {
	eval := func(a []types.Value) (types.Value, error) { return f(types.AsFloat64(a[0])), nil }
	return &ScalarDef{Name: name, Description: desc, Sigs: []Sig{
		{Params: []Param{P(types.IntegerType)}, Ret: types.DoubleType, Eval: eval},
		{Params: []Param{P(types.BigintType)}, Ret: types.DoubleType, Eval: eval},
		{Params: []Param{P(types.DoubleType)}, Ret: types.DoubleType, Eval: eval},
	}}
}

// numFloatFn2 builds the overloads of a DOUBLE function of two arguments.
func numFloatFn2(name, desc string, f func(a, b float64) float64) *ScalarDef {
	eval := func(a []types.Value) (types.Value, error) {
		return f(types.AsFloat64(a[0]), types.AsFloat64(a[1])), nil
	}
	return &ScalarDef{Name: name, Description: desc, Sigs: []Sig{
		{Params: []Param{P(types.IntegerType), P(types.IntegerType)}, Ret: types.DoubleType, Eval: eval},
		{Params: []Param{P(types.BigintType), P(types.BigintType)}, Ret: types.DoubleType, Eval: eval},
		{Params: []Param{P(types.DoubleType), P(types.DoubleType)}, Ret: types.DoubleType, Eval: eval},
	}}
}

func registerNumericScalars(r *Registry) {
	i32, i64, f64 := types.IntegerType, types.BigintType, types.DoubleType

	r.AddScalar(&ScalarDef{Name: "ABS", Description: "The absolute value of a value.", Sigs: []Sig{
		{Params: []Param{P(i32)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			v := a[0].(int32)
			if v < 0 {
				v = -v // Math.abs(Integer.MIN_VALUE) overflows as in Java
			}
			return v, nil
		}},
		{Params: []Param{P(i64)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) {
			v := a[0].(int64)
			if v < 0 {
				v = -v
			}
			return v, nil
		}},
		{Params: []Param{P(f64)}, Ret: f64, Eval: func(a []types.Value) (types.Value, error) {
			return math.Abs(a[0].(float64)), nil
		}},
		{Params: []Param{P(AnyDecimal)}, Return: numSameType, Eval: func(a []types.Value) (types.Value, error) {
			return types.AsDec(a[0]).Abs(), nil
		}},
	}})

	for _, ceil := range []bool{true, false} {
		name, mode, fn := "FLOOR", numRoundFloor, math.Floor
		desc := "The largest integer value less than or equal to a value."
		if ceil {
			name, mode, fn = "CEIL", numRoundCeiling, math.Ceil
			desc = "The smallest integer value greater than or equal to a value."
		}
		r.AddScalar(&ScalarDef{Name: name, Description: desc, Sigs: []Sig{
			{Params: []Param{P(i32)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) { return a[0], nil }},
			{Params: []Param{P(i64)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) { return a[0], nil }},
			{Params: []Param{P(f64)}, Ret: f64, Eval: func(a []types.Value) (types.Value, error) {
				return fn(a[0].(float64)), nil
			}},
			{Params: []Param{P(AnyDecimal)}, Return: numSameType, Eval: func(a []types.Value) (types.Value, error) {
				d := types.AsDec(a[0])
				return numSetScale(d, 0, mode).Rescale(d.Scale()), nil
			}},
		}})
	}

	for _, trunc := range []bool{false, true} {
		name := "ROUND"
		desc := "Rounds a value to the given number of decimal places (default 0); ties round towards positive infinity."
		if trunc {
			name = "TRUNC"
			desc = "Truncates a value to the given number of decimal places (default 0)."
		}
		modeFor := func(sign int) numRoundMode {
			if trunc {
				return numRoundDown
			}
			return numRoundModeFor(sign)
		}
		r.AddScalar(&ScalarDef{Name: name, Description: desc, Sigs: []Sig{
			{Params: []Param{P(i32)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) {
				return int64(a[0].(int32)), nil
			}},
			{Params: []Param{P(i64)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) { return a[0], nil }},
			{Params: []Param{P(f64)}, Ret: i64, Eval: func(a []types.Value) (types.Value, error) {
				if trunc {
					return numDoubleToLong(a[0].(float64)), nil
				}
				return numJavaRound(a[0].(float64)), nil
			}},
			{Params: []Param{P(f64), P(i32)}, Ret: f64, Eval: func(a []types.Value) (types.Value, error) {
				v := a[0].(float64)
				sign := 0
				if v > 0 {
					sign = 1
				}
				return numRoundDouble(v, int(a[1].(int32)), modeFor(sign))
			}},
			{Params: []Param{P(AnyDecimal)}, Return: numDecimalIntegral, Eval: func(a []types.Value) (types.Value, error) {
				d := types.AsDec(a[0])
				return numSetScale(d, 0, modeFor(d.Sign())), nil
			}},
			{Params: []Param{P(AnyDecimal), P(i32)}, Return: numSameType, Eval: func(a []types.Value) (types.Value, error) {
				// The result keeps the argument's scale (ksql issue #6235).
				d := types.AsDec(a[0])
				return numSetScale(d, int(a[1].(int32)), modeFor(d.Sign())).Rescale(d.Scale()), nil
			}},
		}})
	}

	r.AddScalar(&ScalarDef{Name: "SIGN", Description: "The sign of a value: -1, 0 or 1.", Sigs: []Sig{
		{Params: []Param{P(i32)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			return numSignum(float64(a[0].(int32))), nil
		}},
		{Params: []Param{P(i64)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			return numSignum(float64(a[0].(int64))), nil
		}},
		{Params: []Param{P(f64)}, Ret: i32, Eval: func(a []types.Value) (types.Value, error) {
			return numSignum(a[0].(float64)), nil
		}},
	}})

	r.AddScalar(numFloatFn("ACOS", "The inverse (arc) cosine of a value, in radians.", math.Acos))
	r.AddScalar(numFloatFn("ASIN", "The inverse (arc) sine of a value, in radians.", math.Asin))
	r.AddScalar(numFloatFn("ATAN", "The inverse (arc) tangent of a value, in radians.", math.Atan))
	r.AddScalar(numFloatFn("CBRT", "The cube root of a value.", math.Cbrt))
	r.AddScalar(numFloatFn("COS", "The cosine of a value in radians.", math.Cos))
	r.AddScalar(numFloatFn("COSH", "The hyperbolic cosine of a value.", math.Cosh))
	r.AddScalar(numFloatFn("COT", "The cotangent of a value in radians.", func(x float64) float64 { return 1.0 / math.Tan(x) }))
	r.AddScalar(numFloatFn("DEGREES", "Converts radians to degrees.", func(x float64) float64 { return x * (180.0 / math.Pi) }))
	r.AddScalar(numFloatFn("EXP", "Euler's number raised to the power of a value.", numExp))
	r.AddScalar(numFloatFn("LN", "The natural logarithm of a value.", numLog))
	r.AddScalar(numFloatFn("RADIANS", "Converts degrees to radians.", func(x float64) float64 { return x * (math.Pi / 180.0) }))
	r.AddScalar(numFloatFn("SIN", "The sine of a value in radians.", math.Sin))
	r.AddScalar(numFloatFn("SINH", "The hyperbolic sine of a value.", math.Sinh))
	r.AddScalar(numFloatFn("SQRT", "The positive square root of a value.", math.Sqrt))
	r.AddScalar(numFloatFn("TAN", "The tangent of a value in radians.", math.Tan))
	r.AddScalar(numFloatFn("TANH", "The hyperbolic tangent of a value.", math.Tanh))
	r.AddScalar(numFloatFn2("ATAN2", "The inverse (arc) tangent of y / x, in radians.", math.Atan2))
	r.AddScalar(numFloatFn2("POWER", "A base raised to the power of an exponent.", numPow))

	logDef := numFloatFn("LOG", "The natural logarithm of a value, or its logarithm in a given base: LOG(base, value).", numLog)
	logDef.Sigs = append(logDef.Sigs, numFloatFn2("LOG", "", func(base, v float64) float64 {
		if base <= 0 || base == 1 {
			return math.NaN()
		}
		return numLog(v) / numLog(base)
	}).Sigs...)
	r.AddScalar(logDef)

	r.AddScalar(&ScalarDef{Name: "PI", Description: "The value of pi.", Sigs: []Sig{
		{Params: []Param{}, Ret: f64, Eval: func([]types.Value) (types.Value, error) { return math.Pi, nil }},
	}})
	r.AddScalar(&ScalarDef{Name: "RANDOM", Description: "A random DOUBLE in [0.0, 1.0).", Sigs: []Sig{
		{Params: []Param{}, Ret: f64, Eval: func([]types.Value) (types.Value, error) { return rand.Float64(), nil }},
	}})

	geo := func(a []types.Value) (types.Value, error) {
		for _, v := range a[:4] {
			if v == nil {
				return nil, nil
			}
		}
		var units string
		if len(a) > 4 && a[4] != nil {
			units = a[4].(string)
		}
		return numGeoDistance(types.AsFloat64(a[0]), types.AsFloat64(a[1]), types.AsFloat64(a[2]), types.AsFloat64(a[3]), units)
	}
	r.AddScalar(&ScalarDef{Name: "GEO_DISTANCE",
		Description: "The great-circle distance between two (lat, lon) points in decimal degrees, in KM (default) or MI.",
		Sigs: []Sig{
			{Params: []Param{P(f64), P(f64), P(f64), P(f64)}, Ret: f64, Eval: geo, NullSafe: true},
			{Params: []Param{P(f64), P(f64), P(f64), P(f64), P(types.StringType)}, Ret: f64, Eval: geo, NullSafe: true},
		}})
}

// numSignum is Math.signum as an INTEGER (NaN gives 0, as (int) NaN does).
func numSignum(f float64) int32 {
	switch {
	case f > 0:
		return 1
	case f < 0:
		return -1
	}
	return 0
}

const (
	numEarthRadiusKM    = 6371.0
	numEarthRadiusMiles = 3959.0
)

// numGeoDistance is the haversine great-circle distance.
func numGeoDistance(lat1, lon1, lat2, lon2 float64, units string) (types.Value, error) {
	if lat1 < -90 || lat2 < -90 || lat1 > 90 || lat2 > 90 {
		return nil, errors.New("valid latitude values for GeoDistance function are in the range of -90 to 90 decimal degrees")
	}
	if lon1 < -180 || lon2 < -180 || lon1 > 180 || lon2 > 180 {
		return nil, errors.New("valid longitude values for GeoDistance function are in the range of -180 to +180 decimal degrees")
	}
	radius := numEarthRadiusKM
	if u := strings.ToLower(strings.TrimSpace(units)); u != "" {
		switch u {
		case "mi", "mile", "miles":
			radius = numEarthRadiusMiles
		case "km", "kilometer", "kilometers", "kilometre", "kilometres":
		default:
			return nil, errors.New("GeoDistance function units parameter must be one of mi, mile, miles, km, kilometer, kilometers, kilometre or kilometres. Values are case-insensitive.")
		}
	}
	toRad := func(d float64) float64 { return d * (math.Pi / 180.0) }
	haversin := func(v float64) float64 { return numPow(math.Sin(v/2), 2) }
	dLat := toRad(lat2 - lat1)
	dLon := toRad(lon2 - lon1)
	a := haversin(dLat) + haversin(dLon)*math.Cos(toRad(lat1))*math.Cos(toRad(lat2))
	return 2 * math.Asin(math.Sqrt(a)) * radius, nil
}
