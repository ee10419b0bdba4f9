package engine

import (
	"context"
	"errors"
)
import "github.com/ksqlgo/ksql/sql/ast"

func (e *Engine) startPrint(ctx context.Context, s *ast.Print, sess *Session) (RunningQuery, error) {
	return nil, errors.New("PRINT is not supported yet")
}
