// Package rqtt runs ksqlDB's REST query-validation tests (RQTT, the
// rest-query-validation-tests JSON files) against a real server over
// loopback HTTP, as ksqlDB's RestQueryTranslationTest and
// RestTestExecutor do: per case a fresh engine with the REST API on a
// loopback port, the case's topics created, the statements before the
// first SELECT sent in one POST /ksql, inputs produced (after the push
// query started when the case waits for it), every SELECT sent to
// POST /query, expected output records read back from the topics, and
// the responses compared with ksqlDB's rules: admin entities and query
// rows on the keys the case lists, "|STARTS_WITH", rows as a multiset
// unless outputConditions.verifyOrder, expectedError by class, message
// and status.
//
// Results use engine/qtt's Result and Summary, so `ksql test --rqtt`
// prints the same lines as `ksql test`. The package imports rest and
// engine (a harness of both); nothing imports it but cmd/ksql.
package rqtt
