package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
)

// Session carries per-client settings: properties set with SET and
// variables set with DEFINE.
type Session struct {
	Properties map[string]string
	Variables  map[string]string
}

// NewSession returns an empty session.
func NewSession() *Session {
	return &Session{Properties: map[string]string{}, Variables: map[string]string{}}
}

// StatementError is a statement that was rejected. It names the statement
// and, when known, the position in the submitted text.
type StatementError struct {
	Statement string
	Pos       ast.Pos
	Msg       string
	// Detail is the source line with a caret, when a position is known.
	Detail string
	Err    error
}

func (e *StatementError) Error() string {
	if e.Detail != "" {
		return e.Msg + "\n" + e.Detail
	}
	return e.Msg
}

func (e *StatementError) Unwrap() error { return e.Err }

// Parse parses text with the session's variables and the catalog's types.
func (e *Engine) Parse(text string, sess *Session) ([]ast.Statement, error) {
	var vars map[string]string
	if sess != nil {
		vars = sess.Variables
	}
	return sql.ParseWithTypes(text, vars, e.cat.Type)
}

// Execute parses and runs every statement of text in order and returns
// one result per statement. It stops at the first failing statement; the
// results of the statements before it are returned with the error.
func (e *Engine) Execute(ctx context.Context, text string, sess *Session) ([]*Result, error) {
	if sess == nil {
		sess = NewSession()
	}
	stmts, err := e.Parse(text, sess)
	if err != nil {
		return nil, err
	}
	var results []*Result
	for _, st := range stmts {
		r, err := e.ExecuteStatement(ctx, st, sess)
		if err != nil {
			return results, e.wrapError(st, text, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// wrapError attaches the statement and position to a failure.
func (e *Engine) wrapError(st ast.Statement, text string, err error) error {
	var se *StatementError
	if errors.As(err, &se) {
		return err
	}
	out := &StatementError{Statement: st.Text(), Msg: err.Error(), Err: err}
	var pe interface{ Position() ast.Pos }
	if errors.As(err, &pe) {
		out.Pos = pe.Position()
	}
	if out.Pos.IsValid() {
		out.Detail = caret(text, out.Pos)
	}
	return out
}

// caret renders the line of pos with a caret under its column.
func caret(text string, pos ast.Pos) string {
	lines := strings.Split(text, "\n")
	if pos.Line < 1 || pos.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[pos.Line-1], "\r")
	col := pos.Col - 1
	if col < 0 {
		col = 0
	}
	if col > len(line) {
		col = len(line)
	}
	return fmt.Sprintf("line %d:%d:\n  %s\n  %s^", pos.Line, pos.Col, line, strings.Repeat(" ", col))
}

// ExecuteStatement runs one parsed statement.
func (e *Engine) ExecuteStatement(ctx context.Context, st ast.Statement, sess *Session) (*Result, error) {
	if err := e.Err(); err != nil {
		return nil, err
	}
	if sess == nil {
		sess = NewSession()
	}
	switch s := st.(type) {
	// SET, UNSET, DEFINE and UNDEFINE change the session; ksqlDB's /ksql
	// answers them with no entity (PropertyExecutor, VariableExecutor),
	// except a warning for undefining a variable never defined.
	case *ast.SetProperty:
		sess.Properties[s.Name] = s.Value
		return &Result{Type: NoEntity, Statement: s.Text()}, nil
	case *ast.UnsetProperty:
		delete(sess.Properties, s.Name)
		return &Result{Type: NoEntity, Statement: s.Text()}, nil
	case *ast.Define:
		sess.Variables[s.Name] = s.Value
		return &Result{Type: NoEntity, Statement: s.Text()}, nil
	case *ast.Undefine:
		if _, ok := sess.Variables[s.Name]; !ok {
			return &Result{Type: "warning_entity", Statement: s.Text(),
				Message: fmt.Sprintf("Cannot undefine variable '%s' which was never defined", s.Name)}, nil
		}
		delete(sess.Variables, s.Name)
		return &Result{Type: NoEntity, Statement: s.Text()}, nil
	case *ast.Show:
		return e.show(ctx, s, sess)
	case *ast.Describe:
		return e.describe(s)
	case *ast.Explain:
		return e.explain(ctx, s, sess)
	case *ast.InsertValues:
		return e.insertValues(ctx, s, sess)
	case *ast.Query:
		return nil, queryEndpointError("SELECT queries are run through the REST API's /query endpoint or the ksql shell, not as statements. Use CREATE STREAM/TABLE ... AS SELECT for a persistent query.")
	case *ast.Print:
		return nil, queryEndpointError("PRINT is run through the REST API's /query endpoint or the ksql shell.")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, errors.New("the engine is shut down")
	}
	cmd, err := e.prepare(ctx, st, sess)
	if err != nil {
		return nil, err
	}
	if !e.cfg.Headless {
		seq, err := e.appendCommand(ctx, cmd)
		if err != nil {
			return nil, err
		}
		cmd.seq = seq
	}
	res, err := e.apply(ctx, cmd)
	if err != nil {
		return nil, err
	}
	res.Statement = st.Text()
	res.CommandSeq = cmd.seq
	return res, nil
}
