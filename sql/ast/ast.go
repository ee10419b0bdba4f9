// Package ast is the project's own syntax tree for KSQL statements.
//
// The parser (package sql) produces it; the catalog and the planner consume
// it. It depends only on sql/types. Identifiers are stored already
// normalised: unquoted identifiers upper-cased, quoted ones verbatim.
// Every node carries the position of its first character in the text the
// user typed, so that later stages can point errors at it.
package ast

import (
	"fmt"

	"github.com/ksqlgo/ksql/sql/types"
)

// Pos is a position in the user's text. Offset is a byte offset into the
// whole submitted text; Line and Col are 1-based (Col counts bytes).
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// IsValid reports whether the position was set.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	if !p.IsValid() {
		return "-"
	}
	return fmt.Sprintf("%d:%d", p.Line, p.Col)
}

// Node is anything with a position.
type Node interface {
	Position() Pos
}

// Statement is one KSQL statement.
type Statement interface {
	Node
	// Text is the statement's own source text, trimmed, including the
	// terminating semicolon.
	Text() string
	stmt()
}

// StmtBase is embedded in every statement.
type StmtBase struct {
	At     Pos
	Source string // the statement text as written, ending with ';'
}

// Position returns where the statement starts.
func (s *StmtBase) Position() Pos { return s.At }

// Text returns the statement text.
func (s *StmtBase) Text() string { return s.Source }
func (*StmtBase) stmt()          {}

// SourceKind distinguishes streams from tables.
type SourceKind int

// The two kinds of source.
const (
	Stream SourceKind = iota
	Table
)

func (k SourceKind) String() string {
	if k == Table {
		return "TABLE"
	}
	return "STREAM"
}

// Ident is a normalised identifier with its position.
type Ident struct {
	Name string
	At   Pos
}

// Position returns where the identifier starts.
func (i Ident) Position() Pos { return i.At }

// Property is one entry of a WITH (...) clause. Name is upper-cased.
// Value is a literal: string, number or boolean.
type Property struct {
	Name  string
	Value *Literal
	At    Pos
}

// Properties is an ordered WITH clause.
type Properties []Property

// Get returns the property with the given (upper-case) name.
func (ps Properties) Get(name string) (*Literal, bool) {
	for i := range ps {
		if ps[i].Name == name {
			return ps[i].Value, true
		}
	}
	return nil, false
}

// ColumnConstraint marks a column as part of the key or as a header column.
type ColumnConstraint int

// Column constraints.
const (
	NoConstraint         ColumnConstraint = iota
	KeyConstraint                         // KEY (streams)
	PrimaryKeyConstraint                  // PRIMARY KEY (tables)
	HeadersConstraint                     // HEADERS: all headers as ARRAY<STRUCT<KEY STRING, VALUE BYTES>>
	HeaderConstraint                      // HEADER('name'): one header's bytes
)

// TableElement is one column definition of CREATE STREAM/TABLE.
type TableElement struct {
	Name       Ident
	Type       *types.Type
	Constraint ColumnConstraint
	HeaderKey  string // for HeaderConstraint
}

// CreateSource is CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name (cols) WITH (...).
type CreateSource struct {
	StmtBase
	Kind        SourceKind
	OrReplace   bool
	IsSource    bool // CREATE SOURCE STREAM/TABLE: read-only
	IfNotExists bool
	Name        Ident
	Elements    []TableElement
	Props       Properties
}

// CreateAsSelect is CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (...)] AS SELECT ...
type CreateAsSelect struct {
	StmtBase
	Kind        SourceKind
	OrReplace   bool
	IfNotExists bool
	Name        Ident
	Props       Properties
	Query       *Select
}

// InsertInto is INSERT INTO target [WITH (...)] SELECT ...
type InsertInto struct {
	StmtBase
	Target Ident
	Props  Properties
	Query  *Select
}

// InsertValues is INSERT INTO target [(cols)] VALUES (...).
type InsertValues struct {
	StmtBase
	Target  Ident
	Columns []Ident // empty: all columns in schema order
	Values  []Expr
}

// Query is a bare SELECT statement (a push query with EMIT CHANGES, or a
// pull query without).
type Query struct {
	StmtBase
	Select *Select
}

// ShowKind is what SHOW/LIST lists.
type ShowKind int

// The SHOW/LIST targets.
const (
	ShowStreams ShowKind = iota
	ShowTables
	ShowQueries
	ShowTopics
	ShowAllTopics
	ShowProperties
	ShowFunctions
	ShowTypes
	ShowVariables
	ShowConnectors
)

// Show is SHOW|LIST ... [EXTENDED].
type Show struct {
	StmtBase
	What     ShowKind
	Extended bool
}

// Describe is DESCRIBE name [EXTENDED], DESCRIBE STREAMS|TABLES [EXTENDED]
// or DESCRIBE FUNCTION name.
type Describe struct {
	StmtBase
	Name     Ident
	Extended bool
	// Exactly one of the following may be set instead of Name.
	AllStreams bool
	AllTables  bool
	Function   bool // Name is a function name
}

// Drop is DROP STREAM|TABLE [IF EXISTS] name [DELETE TOPIC].
type Drop struct {
	StmtBase
	Kind        SourceKind
	Name        Ident
	IfExists    bool
	DeleteTopic bool
}

// Terminate is TERMINATE query_id | TERMINATE ALL.
type Terminate struct {
	StmtBase
	QueryID Ident // upper-cased unless quoted
	All     bool
}

// SetProperty is SET 'name' = 'value'.
type SetProperty struct {
	StmtBase
	Name  string
	Value string
}

// UnsetProperty is UNSET 'name'.
type UnsetProperty struct {
	StmtBase
	Name string
}

// Define is DEFINE name = 'value'.
type Define struct {
	StmtBase
	Name  string
	Value string
}

// Undefine is UNDEFINE name.
type Undefine struct {
	StmtBase
	Name string
}

// Explain is EXPLAIN statement | EXPLAIN query_id.
type Explain struct {
	StmtBase
	Statement Statement // nil when QueryID is set
	QueryID   Ident
}

// Print is PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n].
type Print struct {
	StmtBase
	Topic         string
	FromBeginning bool
	Interval      int64
	Limit         int64 // 0 = none
}

// CreateType is CREATE TYPE [IF NOT EXISTS] name AS type.
type CreateType struct {
	StmtBase
	Name        Ident
	IfNotExists bool
	Type        *types.Type
}

// DropType is DROP TYPE [IF EXISTS] name.
type DropType struct {
	StmtBase
	Name     Ident
	IfExists bool
}

// TimeUnit is a unit of a duration literal.
type TimeUnit int

// Time units, as KSQL spells them (plurals accepted).
const (
	Milliseconds TimeUnit = iota
	Seconds
	Minutes
	Hours
	Days
)

// Millis is the number of milliseconds in one unit.
func (u TimeUnit) Millis() int64 {
	switch u {
	case Seconds:
		return 1000
	case Minutes:
		return 60 * 1000
	case Hours:
		return 60 * 60 * 1000
	case Days:
		return 24 * 60 * 60 * 1000
	}
	return 1
}

func (u TimeUnit) String() string {
	return [...]string{"MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS"}[u]
}

// Duration is "n UNIT".
type Duration struct {
	Value int64
	Unit  TimeUnit
	At    Pos
}

// Millis is the duration in milliseconds.
func (d Duration) Millis() int64 { return d.Value * d.Unit.Millis() }

func (d Duration) String() string { return fmt.Sprintf("%d %s", d.Value, d.Unit) }

// WindowKind is the type of a WINDOW clause.
type WindowKind int

// Window kinds.
const (
	Tumbling WindowKind = iota
	Hopping
	Session
)

func (k WindowKind) String() string {
	return [...]string{"TUMBLING", "HOPPING", "SESSION"}[k]
}

// Window is WINDOW TUMBLING|HOPPING|SESSION (...).
type Window struct {
	Kind      WindowKind
	Size      Duration  // session: the inactivity gap
	Advance   Duration  // hopping only
	Retention *Duration // optional
	Grace     *Duration // optional
	At        Pos
}

// EmitKind is the EMIT clause.
type EmitKind int

// Emit kinds.
const (
	EmitNone EmitKind = iota
	EmitChanges
	EmitFinal
)

// Select is the SELECT query of a push/pull query, CSAS, CTAS or INSERT INTO.
type Select struct {
	At          Pos
	Items       []SelectItem
	From        Relation
	Window      *Window
	Where       Expr
	GroupBy     []Expr // nil: no GROUP BY; GROUP BY () gives an empty non-nil slice
	PartitionBy []Expr
	Having      Expr
	Emit        EmitKind
	Limit       *int64
}

// Position returns where SELECT starts.
func (s *Select) Position() Pos { return s.At }

// SelectItem is one entry of the projection.
type SelectItem struct {
	// Star is set for "*" and "src.*"; StarSource holds src (normalised) or "".
	Star       bool
	StarSource string
	// Expr and Alias for an expression item; Alias.Name is "" when absent.
	// For "expr->*" StructStar is set and Expr is the struct.
	Expr       Expr
	Alias      Ident
	StructStar bool
	At         Pos
}

// Relation is a FROM item: a source reference or a join.
type Relation interface {
	Node
	relation()
}

// SourceRef is a named source with an optional alias.
type SourceRef struct {
	Name  Ident
	Alias Ident // Name == "" when absent
}

// Position returns where the source name starts.
func (r *SourceRef) Position() Pos { return r.Name.At }
func (*SourceRef) relation()       {}

// JoinType is INNER, LEFT, RIGHT or FULL.
type JoinType int

// Join types.
const (
	InnerJoin JoinType = iota
	LeftJoin
	RightJoin
	FullJoin
)

func (t JoinType) String() string {
	return [...]string{"INNER", "LEFT", "RIGHT", "FULL"}[t]
}

// Within is the WITHIN clause of a stream-stream join.
type Within struct {
	Before Duration
	After  Duration // equal to Before for the single-value form
	Grace  *Duration
}

// Join is "left JOIN right [WITHIN ...] ON cond".
type Join struct {
	Type   JoinType
	Left   Relation
	Right  Relation
	Within *Within
	On     Expr
	At     Pos
}

// Position returns where the JOIN keyword starts.
func (j *Join) Position() Pos { return j.At }
func (*Join) relation()       {}
