package qtt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/engine"
	"github.com/ksqlgo/ksql/sql"
)

// Expected exceptions, as ksqlDB's test executor matches them
// (ExpectedExceptionNode, KsqlExpectedException): the exception that ends
// the run must be an instance of the expected type, its message (or, for a
// KsqlStatementException, its unlogged message: the message, a line break
// and "Statement: " with the statement) must contain the expected message,
// and a cause and cause message likewise. Only RuntimeExceptions are
// matched: a failed comparison (an AssertionError) always fails the case,
// and so does a statement that is rejected before the last one
// (TestExecutorUtil: "Only the last statement in a negative test should
// fail").
//
// The engine is not Java: what ends a run is given the type of the
// exception ksqlDB raises in the same place. A syntax error is a
// ParseFailedException, any other rejected statement a
// KsqlStatementException, a query that fails while processing a
// StreamsException, a wrong number of output records a KsqlException
// (TestExecutor.validateTopicData), an output topic no source describes a
// TestFrameworkException (TopicInfoCache).

// javaTypes lists each exception type with its superclasses.
var javaTypes = map[string][]string{
	"ParseFailedException":   {"io.confluent.ksql.parser.exception.ParseFailedException", "io.confluent.ksql.util.KsqlStatementException", "io.confluent.ksql.util.KsqlException"},
	"KsqlStatementException": {"io.confluent.ksql.util.KsqlStatementException", "io.confluent.ksql.util.KsqlException"},
	"KsqlException":          {"io.confluent.ksql.util.KsqlException"},
	"StreamsException":       {"org.apache.kafka.streams.errors.StreamsException", "org.apache.kafka.common.KafkaException"},
	"TestFrameworkException": {"io.confluent.ksql.test.TestFrameworkException"},
}

var javaRoots = []string{"java.lang.RuntimeException", "java.lang.Exception", "java.lang.Throwable"}

// runError is a RuntimeException that ended a run: the engine's error
// with the Java type ksqlDB raises in its place.
type runError struct {
	javaType  string // a key of javaTypes
	msg       string // getMessage()
	statement string // KsqlStatementException's statement text, or ""
	cause     error
}

func (e *runError) Error() string { return e.msg }

// unlogged is KsqlStatementException.getUnloggedMessage().
func (e *runError) unlogged() string {
	if e.statement == "" {
		return e.msg
	}
	return e.msg + "\nStatement: " + e.statement
}

func (e *runError) isA(class string) bool {
	for _, c := range append(append([]string(nil), javaTypes[e.javaType]...), javaRoots...) {
		if c == class {
			return true
		}
	}
	return false
}

// statementError gives a rejected statement its Java type and message.
func statementError(err error, text string) *runError {
	var pe *sql.Error
	if errors.As(err, &pe) {
		return &runError{javaType: "ParseFailedException", msg: fmt.Sprintf("line %d:%d: %s", pe.Pos.Line, pe.Pos.Col, pe.Msg),
			statement: strings.TrimSpace(text), cause: errors.Unwrap(err)}
	}
	re := &runError{javaType: "KsqlStatementException", msg: err.Error(), statement: strings.TrimSpace(text), cause: errors.Unwrap(err)}
	var se *engine.StatementError
	if errors.As(err, &se) {
		re.msg, re.statement, re.cause = se.Msg, se.Statement, se.Err
	}
	return re
}

// matchException reports why err does not match the expected exception,
// or "" when it does.
func matchException(exp *ExceptionNode, err *runError) string {
	if exp.Type != "" && !err.isA(exp.Type) {
		return fmt.Sprintf("expected a %s, got a %s: %s", exp.Type, javaTypes[err.javaType][0], oneLine(err.msg))
	}
	if exp.Message != "" && !strings.Contains(err.msg, exp.Message) && !strings.Contains(err.unlogged(), exp.Message) {
		return fmt.Sprintf("the error message does not contain the expected message %q: %s", exp.Message, oneLine(err.unlogged()))
	}
	if exp.Cause != "" || exp.CauseMessage != "" {
		if err.cause == nil {
			return fmt.Sprintf("expected a cause %s %q, the error has none: %s", exp.Cause, exp.CauseMessage, oneLine(err.msg))
		}
		// The cause is given the type of the error it caused.
		cause := &runError{javaType: err.javaType, msg: err.cause.Error()}
		if exp.Cause != "" && !cause.isA(exp.Cause) {
			return fmt.Sprintf("expected a cause %s, got a %s: %s", exp.Cause, javaTypes[cause.javaType][0], oneLine(cause.msg))
		}
		if !strings.Contains(cause.msg, exp.CauseMessage) {
			return fmt.Sprintf("the cause's message does not contain %q: %s", exp.CauseMessage, oneLine(cause.msg))
		}
	}
	return ""
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
