// Package planner turns parsed statements into plans. It binds names
// (sources, aliases, qualified columns, the pseudo columns ROWTIME,
// ROWPARTITION, ROWOFFSET, WINDOWSTART and WINDOWEND), checks types with
// ksqlDB's rules and messages, validates DDL (CREATE STREAM/TABLE) into
// catalog sources, and compiles persistent queries into physical plans:
// pure data (stages of operators over positional rows) that exec turns
// into running tasks, plus the logical tree EXPLAIN prints.
//
// It imports sql/ast, sql/types and catalog. Functions are resolved
// through the FunctionResolver interface, which exec's registry
// implements, so that the planner holds no implementations.
package planner
