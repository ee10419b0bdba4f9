package exec

import (
	"errors"

	"github.com/ksqlgo/ksql/planner"
)

// newStreamStreamJoin builds a stream-stream join operator.
func newStreamStreamJoin(o *planner.Join) (joinOperator, error) {
	return nil, errors.New("stream-stream joins are not supported yet")
}
