package rqtt

import (
	"fmt"
	"strings"
)

// The response checks of ksqlDB's RestTestExecutor (verifyResponses,
// RqttAdminResponse, RqttQueryResponse, matchResponseFields,
// verifyResponseFields), rule for rule. A check returns a *mismatch
// naming the first difference.

type mismatch struct{ msg string }

func (m *mismatch) Error() string { return m.msg }

func mismatchf(format string, args ...any) error {
	return &mismatch{msg: fmt.Sprintf(format, args...)}
}

// response is one actual response: an admin entity of /ksql or the rows
// of a /query stream.
type response struct {
	admin *object // nil for a query response
	rows  []any   // the StreamedRow objects of a query
}

// verifyResponses checks the actual responses against the expected ones,
// in order; actual responses past the expected ones are not checked.
func verifyResponses(actual []response, expected []*object, statements []string, verifyOrder bool) error {
	if len(actual) < len(expected) {
		return mismatchf("Not enough responses: expected %d, got %d", len(expected), len(actual))
	}
	for idx, exp := range expected {
		if len(exp.keys) != 1 {
			return mismatchf("responses[%d]: an expected response has exactly one key (admin or query), got %d", idx, len(exp.keys))
		}
		typ := exp.keys[0]
		payload := exp.vals[typ]
		if err := actual[idx].verify(typ, payload, statements, idx, verifyOrder); err != nil {
			return err
		}
	}
	return nil
}

func (r response) verify(typ string, payload any, statements []string, idx int, verifyOrder bool) error {
	counts := newRowCounts()
	if r.admin != nil {
		if typ != "admin" {
			return mismatchf("responses[%d]: expected a %s response, got an admin response %s", idx, typ, render(r.admin))
		}
		exp, ok := payload.(*object)
		if !ok {
			return mismatchf("responses[%d]: admin payload should be a JSON object", idx)
		}
		if err := matchFields(r.admin, exp, statements, idx, fmt.Sprintf("responses[%d]->admin", idx), counts, verifyOrder); err != nil {
			return err
		}
		return counts.verify()
	}
	if typ != "query" {
		return mismatchf("responses[%d]: expected a %s response, got a query response", idx, typ)
	}
	expRows, ok := payload.([]any)
	if !ok {
		return mismatchf("responses[%d]: query response should be an array", idx)
	}
	if len(r.rows) != len(expRows) {
		return mismatchf("responses[%d]: row count mismatch: expected %d, got %d. Expected: %s Got: %s",
			idx, len(expRows), len(r.rows), renderRows(expRows), renderRows(r.rows))
	}
	for i, row := range r.rows {
		exp, ok := expRows[i].(*object)
		if !ok {
			return mismatchf("responses[%d]->query[%d]: each expected row should be a JSON object", idx, i)
		}
		act, ok := row.(*object)
		if !ok {
			return mismatchf("responses[%d]->query[%d]: the server sent %s, not a JSON object", idx, i, render(row))
		}
		if err := matchFields(act, exp, statements, idx, fmt.Sprintf("responses[%d]->query[%d]", idx, i), counts, verifyOrder); err != nil {
			return err
		}
	}
	return counts.verify()
}

func renderRows(rows []any) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = render(r)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// matchFields is matchResponseFields: every key the expected object lists
// must be in the actual one; nested objects match the same way; other
// values must be equal, or start with the expected text under the
// "|STARTS_WITH" operator; row columns, when the order is not verified,
// are counted and compared as a multiset afterwards.
func matchFields(actual, expected *object, statements []string, idx int, path string, counts *rowCounts, verifyOrder bool) error {
	for _, rawKey := range expected.keys {
		key, op := rawKey, "EQUALS"
		if i := strings.Index(rawKey, "|"); i >= 0 {
			key, op = rawKey[:i], strings.ToUpper(rawKey[i+1:])
			if op != "EQUALS" && op != "STARTS_WITH" {
				return mismatchf("%s: unknown match operator %q in key %q", path, rawKey[i+1:], rawKey)
			}
		}
		expVal := replaceMacros(expected.vals[rawKey], statements, idx)
		actVal, ok := actual.get(key)
		if !ok {
			return mismatchf("Response mismatch at %s: expected key %q, got %s", path, key, render(actual))
		}
		newPath := path + "->" + key
		if expObj, isObj := expVal.(*object); isObj {
			actObj, ok := actVal.(*object)
			if !ok {
				return mismatchf("Response mismatch at %s: expected an object, got %s", newPath, render(actVal))
			}
			if err := matchFields(actObj, expObj, statements, idx, newPath, counts, verifyOrder); err != nil {
				return err
			}
			continue
		}
		if op == "STARTS_WITH" {
			as, ok := actVal.(string)
			if !ok {
				return mismatchf("Response mismatch at %s: expected a string starting with %s, got %s", newPath, render(expVal), render(actVal))
			}
			es, ok := expVal.(string)
			if !ok {
				return mismatchf("%s: the STARTS_WITH operator needs a string, the case gives %s", newPath, render(expVal))
			}
			if !strings.HasPrefix(as, es) {
				return mismatchf("Response mismatch at %s: expected a string starting with %q, got %q", newPath, es, as)
			}
			continue
		}
		if !verifyOrder && strings.Contains(newPath, "query") && strings.Contains(newPath, "row") && strings.EqualFold(key, "columns") {
			counts.add(actVal, expVal, "Response mismatch at "+newPath)
			continue
		}
		if !equal(actVal, expVal) {
			return mismatchf("Response mismatch at %s: expected %s, got %s", newPath, render(expVal), render(actVal))
		}
	}
	return nil
}

// replaceMacros substitutes {STATEMENT} in an expected string with the
// statement of the same index.
func replaceMacros(v any, statements []string, idx int) any {
	s, ok := v.(string)
	if !ok || idx >= len(statements) {
		return v
	}
	return strings.ReplaceAll(s, "{STATEMENT}", statements[idx])
}

// rowCounts is the multiset comparison of unordered row columns
// (verifyResponseFields).
type rowCounts struct {
	actualOrder []string
	actual      map[string]int
	expected    map[string]int
	expOrder    []string
	values      map[string]any
	reason      map[string]string
}

func newRowCounts() *rowCounts {
	return &rowCounts{actual: map[string]int{}, expected: map[string]int{}, values: map[string]any{}, reason: map[string]string{}}
}

func (c *rowCounts) add(act, exp any, reason string) {
	ak, ek := canonical(act), canonical(exp)
	if _, seen := c.actual[ak]; !seen {
		c.actualOrder = append(c.actualOrder, ak)
	}
	if _, seen := c.expected[ek]; !seen {
		c.expOrder = append(c.expOrder, ek)
	}
	c.actual[ak]++
	c.expected[ek]++
	c.values[ak], c.values[ek] = act, exp
	c.reason[ak] = reason
}

func (c *rowCounts) verify() error {
	for _, ak := range c.actualOrder {
		n, ok := c.expected[ak]
		if !ok {
			want := `""`
			if len(c.expOrder) == 1 {
				want = render(c.values[c.expOrder[0]])
			} else {
				exp := make([]string, len(c.expOrder))
				for i, k := range c.expOrder {
					exp[i] = render(c.values[k])
				}
				want = "one of " + strings.Join(exp, ", ")
			}
			return mismatchf("%s: unexpected row %s (expected %s)", c.reason[ak], render(c.values[ak]), want)
		}
		if n != c.actual[ak] {
			return mismatchf("Uneven occurrence of expected vs actual for row %s: expected %d, got %d", render(c.values[ak]), n, c.actual[ak])
		}
	}
	return nil
}

// errorResponse is a non-200 answer of /ksql or /query, as ksqlDB's
// client reads it.
type errorResponse struct {
	path   string // "/ksql" or "/query"
	status int
	// statementError is set when the body is a KsqlStatementErrorMessage
	// (@type "statement_error").
	statementError bool
	message        string
	statementText  string
}

// expectedError is ksqlDB's ExpectedErrorNode.
type expectedError struct {
	Type    *string `json:"type"`
	Message *string `json:"message"`
	Status  *int    `json:"status"`
}

const (
	genericErrorClass   = "io.confluent.ksql.rest.entity.KsqlErrorMessage"
	statementErrorClass = "io.confluent.ksql.rest.entity.KsqlStatementErrorMessage"
)

// check is the matcher ExpectedErrorNode builds: the error's class, and
// for a statement error that its text contains the (masked) last
// statement; a message containing the expected text; the HTTP status.
func (e *expectedError) check(got *errorResponse, lastStatement string) error {
	if e.Type != nil {
		switch *e.Type {
		case genericErrorClass:
		case statementErrorClass:
			if !got.statementError {
				return mismatchf("Expected error mismatch: expected a statement error (%s), got %s", statementErrorClass, got)
			}
			masked := maskStatement(lastStatement)
			if !strings.Contains(got.statementText, masked) {
				return mismatchf("Expected error mismatch: the error's statementText %q does not contain the last statement %q", got.statementText, masked)
			}
		default:
			return mismatchf("invalid test case: expectedError.type %q is not an error message class", *e.Type)
		}
	}
	if e.Message != nil && !strings.Contains(got.message, *e.Message) {
		return mismatchf("Expected error mismatch: expected a message containing %q, got %s", *e.Message, got)
	}
	if e.Status != nil && got.status != *e.Status {
		return mismatchf("Expected error mismatch: expected status %d, got %s", *e.Status, got)
	}
	return nil
}

func (e *errorResponse) String() string {
	kind := "generic_error"
	if e.statementError {
		kind = "statement_error"
	}
	return fmt.Sprintf("POST %s: %d %s %q", e.path, e.status, kind, e.message)
}
