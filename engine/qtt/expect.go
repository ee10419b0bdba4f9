package qtt

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
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
	// detail is the unlogged details when they differ from msg (a
	// ParseFailedException from a syntax error), or "".
	detail string
	cause  error
}

func (e *runError) Error() string { return e.msg }

// unlogged is KsqlStatementException.getUnloggedMessage().
func (e *runError) unlogged() string {
	d := e.msg
	if e.detail != "" {
		d = e.detail
	}
	if e.statement == "" {
		return d
	}
	return d + "\nStatement: " + e.statement
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
		re := &runError{javaType: "ParseFailedException", msg: fmt.Sprintf("line %d:%d: %s", pe.Pos.Line, pe.Pos.Col, pe.Msg),
			statement: strings.TrimSpace(text), cause: errors.Unwrap(err)}
		if detail, ok := syntaxErrorDetail(pe.Msg, pe.Pos.Line, pe.Pos.Col); ok {
			// DefaultKsqlParser.parse: the ParsingException's message and
			// unlogged details, and the failed line as the statement.
			re.msg = fmt.Sprintf("line %d:%d: Syntax error at line %d:%d", pe.Pos.Line, pe.Pos.Col, pe.Pos.Line, pe.Pos.Col)
			re.detail = fmt.Sprintf("line %d:%d: %s", pe.Pos.Line, pe.Pos.Col, detail)
			if pe.Line != "" {
				re.statement = pe.Line
			}
		}
		return re
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

// ANTLR's syntax error messages, which the parser reproduces: what
// ksqlDB's SyntaxErrorValidator receives for an error in the grammar (as
// opposed to one AstBuilder raises once the text has parsed).
var (
	antlrExpecting  = regexp.MustCompile(`^(mismatched|extraneous) input (.*) expecting `)
	antlrMissing    = regexp.MustCompile(`^missing .* at (.*)$`)
	antlrNoViable   = regexp.MustCompile(`^no viable alternative at input `)
	antlrTokenError = regexp.MustCompile(`^token recognition error at: `)
)

// syntaxCommands are the statements SyntaxErrorValidator suggests.
var syntaxCommands = []string{"SELECT", "CREATE", "INSERT", "DESCRIBE",
	"PRINT", "EXPLAIN", "SHOW", "LIST", "TERMINATE", "PAUSE", "RESUME", "DROP", "SET", "DEFINE",
	"UNDEFINE", "UNSET", "ASSERT", "ALTER"}

// syntaxErrorDetail is SyntaxErrorValidator.syntaxError: the details
// ksqlDB gives an ANTLR syntax error message (ok is false for a message
// ANTLR does not write). The reserved-keyword hint is not modelled.
func syntaxErrorDetail(msg string, line, col int) (string, bool) {
	switch {
	case strings.Contains(msg, "expecting") && antlrExpecting.MatchString(msg):
		offending := strings.Trim(antlrExpecting.FindStringSubmatch(msg)[2], "'")
		return "Syntax Error\n" + syntaxExpectations(msg, offending), true
	case antlrNoViable.MatchString(msg):
		// The offending token is the last one of the input ANTLR quotes.
		in := strings.Trim(strings.TrimPrefix(msg, "no viable alternative at input "), "'")
		tok := in
		if f := strings.Fields(in); len(f) > 0 {
			tok = f[len(f)-1]
		}
		return fmt.Sprintf("Syntax Error\nSyntax error at or near '%s' at line %d:%d", tok, line, col), true
	case antlrMissing.MatchString(msg):
		return "Syntax Error\n" + msg, true
	case antlrTokenError.MatchString(msg):
		// A lexer error: the lexer's listener is the same validator,
		// with no Token as the offending symbol.
		return msg, true
	}
	return "", false
}

// syntaxExpectations is SyntaxErrorValidator.getExpectations.
func syntaxExpectations(msg, offending string) string {
	expecting := msg[strings.Index(msg, "expecting ")+len("expecting "):]
	list := strings.NewReplacer("{", "", "}", "", "<EOF>,", "", " '", "", "'", "").Replace(expecting)
	if slices.Equal(strings.Split(list, ","), syntaxCommands) {
		best, min := "", -1
		for _, c := range syntaxCommands {
			if d := levenshtein(c, strings.ToUpper(offending)); min < 0 || d < min {
				best, min = c, d
			}
		}
		return fmt.Sprintf("Unknown statement '%s'\nDid you mean '%s'?", offending, best)
	}
	if strings.Contains(msg, "EOF") {
		return "Syntax error at or near \";\"\n'}', ']', or ')' is missing"
	}
	if len(strings.Split(expecting, ",")) <= 3 {
		return "Expecting " + expecting
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
