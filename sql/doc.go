// Package sql parses KSQL, ksqlDB's dialect of SQL, into the project's
// syntax tree (package sql/ast).
//
// It owns three parts:
//
//   - the lexer (lexer.go): case-insensitive keywords, identifiers
//     (unquoted ones upper-cased; "double-quoted" and `back-quoted` ones kept
//     as written), string and number literals, operators and comments, and
//     the substitution of ${name} variables;
//   - the statement parser (parser.go, query.go, types.go): a recursive-descent
//     parser of every statement and clause of ksqlDB's grammar (SqlBase.g4),
//     including the types of column definitions, CAST and CREATE TYPE;
//   - the expression bridge (expr.go, tidb.go): one flat pass over the
//     tokens finds where each expression ends, checks the few rules in which
//     KSQL's grammar differs from MySQL's, and writes the expression as MySQL
//     text, lowering in that one place what MySQL lacks (->, [i], ARRAY, MAP
//     and STRUCT constructors, lambdas, KSQL types in CAST, ||, IS DISTINCT
//     FROM, KSQL's identifier rules); the TiDB parser
//     (github.com/pingcap/tidb/pkg/parser) parses that text, and its tree is
//     converted into the project's ast, with TiDB's offsets mapped back to
//     the user's text.
//
// This package is the only importer of the TiDB parser, and no TiDB type
// crosses its API. It depends on sql/ast and sql/types only.
//
// Every error points into the text the user typed: an *Error carries the
// position, the message, the source line and renders a caret under the
// column; a parse returns an ErrorList. Every node carries the position of
// its first character in that text.
package sql
