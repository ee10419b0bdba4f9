package engine

import (
	"context"
	"errors"
)
import "github.com/ksqlgo/ksql/sql/ast"

func (e *Engine) startPull(ctx context.Context, s *ast.Query, sess *Session) (RunningQuery, error) {
	return nil, errors.New("pull queries are not supported yet")
}
