package planner

import (
	"fmt"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/sql/types"
)

// ParseLiteral converts the text of a string literal into a value of type
// t (used where ksqlDB coerces string literals, e.g. comparisons with
// TIMESTAMP columns and INSERT VALUES).
func ParseLiteral(s string, t *types.Type) (types.Value, error) {
	return types.Cast(s, types.StringType, t)
}

// The physical plan of a persistent query is pure data: exec builds
// operators from it and nothing in it refers to the AST.
//
// A query runs as a chain of stages. Stage 0 reads the query's source
// topic; each later stage reads the internal repartition topic written by
// the stage before it. Every stage runs one task per partition of its
// input topic.
//
// Inside a stage, rows are positional. A stage's input row is laid out as
//
//	[key columns..., value columns..., ROWTIME, ROWPARTITION, ROWOFFSET, (WINDOWSTART, WINDOWEND)]
//
// (window bounds only for windowed inputs), and each Op maps the row to
// the layout documented on it.

// QueryPlan is a compiled persistent query.
type QueryPlan struct {
	ID     string
	Stages []*Stage
	// Sink is the output of the last stage.
	Sink *Sink
	// Explain is the logical plan, for EXPLAIN.
	Explain *Node
}

// Stage is a pipeline from its input topics to one output topic. A
// stage has one input, except a join stage: there Input is the left-most
// source of the join and Sides are the other sources, each read by the
// same task (partition p of every input; the planner checks that they
// are co-partitioned). A side's Ops bring its rows to the layout of the
// right input of the Join at Ops[Side.Join]; the rows of Input go
// through Ops in order, the Join ops included (its left input is the row
// so far).
type Stage struct {
	Input Input
	Ops   []Op
	Sides []Side
	// Exactly one of Sink and Repartition is set: the last stage writes the
	// sink; earlier stages write a repartition topic.
	Sink        *Sink
	Repartition *Repartition
}

// Topic describes a topic and how its records are serialized.
type Topic struct {
	Name        string
	Partitions  int32
	KeyFormat   catalog.Format
	ValueFormat catalog.Format
	// Key and Value are the serialized columns, in order.
	Key   []catalog.Column
	Value []catalog.Column
	// Window is set when keys are windowed.
	Window catalog.Window
	// Internal topics use the engine's own binary row encoding for values
	// (KeyFormat/ValueFormat are then informational).
	Internal bool
}

// Input is a stage's source.
type Input struct {
	Topic
	// Table is set when the input is a table's changelog: records upsert
	// by key and a null value deletes.
	Table bool
	// TimestampColumn is the slot of the input row that supplies event
	// time, or -1 for the record timestamp. TimestampFormat parses it when
	// it is a STRING.
	TimestampColumn int
	TimestampFormat string
	// Pseudo says which pseudo columns follow the key and value columns.
	Windowed bool
	// SourceName is the catalog name of the source ("" for internal topics).
	SourceName string
}

// Side is a further input of a join stage.
type Side struct {
	Input
	// Ops run on the side's input rows; the last one yields the right
	// row of the join Ops[Join] of the stage.
	Ops  []Op
	Join int
}

// RowWidth is the number of slots of the input row.
func (in *Input) RowWidth() int {
	n := len(in.Key) + len(in.Value) + 3
	if in.Windowed {
		n += 2
	}
	return n
}

// Pseudo column slots relative to the end of key+value columns.
const (
	PseudoRowtime = iota
	PseudoRowpartition
	PseudoRowoffset
	PseudoWindowstart
	PseudoWindowend
)

// Op is one operator in a stage.
type Op interface{ opName() string }

// Filter drops rows for which Pred is not TRUE. The layout is unchanged.
type Filter struct {
	Pred Expr
	// Clause names where the predicate came from (WHERE, HAVING) for the
	// processing log.
	Clause string
}

// Project maps the row to len(Exprs) slots. Names name them (for errors).
type Project struct {
	Exprs []Expr
	Names []string
	// NullOnNullRow, when set, marks the expressions that are NULL for a
	// null row (a stream record without a value) instead of evaluated.
	NullOnNullRow []bool
}

// AggregateCall is one aggregate function over the aggregate's input row.
type AggregateCall struct {
	Name string
	Fn   Function
	Args []Expr // non-constant arguments, over the input row
	// Consts are the literal arguments (e.g. TOPK's k), in order of
	// appearance after the first argument.
	Consts []types.Value
	T      *types.Type
}

// WindowSpec is a window of an aggregation.
type WindowSpec struct {
	Type      catalog.WindowType
	SizeMs    int64 // tumbling/hopping size; session gap
	AdvanceMs int64 // hopping advance (== size for tumbling)
	// GraceMs is how long after a window ends late records are still
	// accepted. RetentionMs is how long a window's state is kept.
	GraceMs     int64
	RetentionMs int64
	// EmitFinal (EMIT FINAL) emits one result per window once it closes
	// (stream time past its end plus grace) instead of every change.
	// StoreRetentionMs is the retention Kafka Streams gives the window
	// store (RETENTION, or size plus grace): a closed window older than
	// that, relative to the newest window start stored, is not emitted,
	// as Kafka Streams' time-ordered store no longer returns it.
	EmitFinal        bool
	StoreRetentionMs int64
}

// Aggregate groups rows by the first KeyCount slots of its input and
// folds them with Calls. Its output row is
//
//	[key slots..., one slot per call..., (WINDOWSTART, WINDOWEND)]
//
// which Having filters (tombstoning keys that stop passing) and Project
// maps to the sink row.
type Aggregate struct {
	KeyCount int
	KeyTypes []*types.Type
	Calls    []AggregateCall
	Window   *WindowSpec
	Having   Expr   // nil when absent
	Project  []Expr // over the output row; yields the sink row
	// StoreName names the state store (unique within the query).
	StoreName string
}

// TableCall is one table function (EXPLODE, ...) over the input row.
type TableCall struct {
	Name string
	Fn   Function
	Args []Expr
	T    *types.Type // the type of each produced value
}

// FlatMap runs table functions: for an input row it emits as many rows as
// the longest result, each the input row followed by one slot per call
// (NULL once a shorter result is exhausted).
type FlatMap struct {
	Calls []TableCall
}

// TableSource materializes a table input so that each update carries the
// previous row for its key (needed to retract it from aggregates).
type TableSource struct {
	StoreName string
}

// JoinKind says what a join joins.
type JoinKind int

const (
	StreamStream JoinKind = iota
	StreamTable
	TableTable
	// ForeignKey is a table-table join of the left table's FKSlot (any
	// expression over its row) to the right table's key: the result is
	// keyed by the left table's key (KeyCount slots) and the right row
	// has RightKeyCount key slots.
	ForeignKey
)

// JoinType is INNER, LEFT, RIGHT or FULL (OUTER), as written.
type JoinType int

const (
	InnerJoin JoinType = iota
	LeftJoin
	RightJoin
	FullJoin
)

// Join joins the row so far (the left input) with the rows of the stage's
// side Right. Both inputs are keyed by the join key: their first KeyCount
// slots (plus the event's window bounds when Windowed), and rows meet
// when their keys (and windows) are equal. A left row has LeftWidth
// slots, a right row RightWidth. The output row is
//
//	[key slots..., left[KeyCount:LeftWidth]..., right[KeyCount:RightWidth]...,
//	 (ForeignKey: right[RightKeyCount:RightWidth]...)
//	 ROWTIME, ROWPARTITION, ROWOFFSET, (WINDOWSTART, WINDOWEND)]
//
// with the side that did not match all NULL (outer joins), ROWTIME the
// result's timestamp and ROWPARTITION/ROWOFFSET the triggering record's.
// The key slots are the key of the record that produced the result.
//
// Semantics are Kafka Streams' (docs/design-joins.md, sections 5-7):
// StreamTable looks up the table's current row per stream record (table
// updates emit nothing); TableTable emits on updates of either side, with
// old values for table flows that retract; StreamStream matches records
// within [ts-BeforeMs, ts+AfterMs] of the other side, kept in window
// stores for BeforeMs+AfterMs+GraceMs.
type Join struct {
	Kind                  JoinKind
	Type                  JoinType
	Right                 int // index into Stage.Sides
	KeyCount              int
	LeftWidth, RightWidth int
	Windowed              bool
	// Stream-stream window: BeforeMs, AfterMs, GraceMs. Grace says whether
	// GRACE PERIOD was given (Kafka Streams' spurious-result fix for outer
	// joins: unmatched rows wait until their window closes); without it
	// unmatched rows are emitted at once.
	BeforeMs, AfterMs, GraceMs int64
	Grace                      bool
	// StoreName prefixes the join's state stores (unique in the query).
	StoreName string
	// LeftTypes and RightTypes are the types of the left and right rows'
	// slots (for reading rows back from state).
	LeftTypes, RightTypes []*types.Type
	// ForeignKey joins: the slot of the left row holding the foreign key,
	// and the right row's key slots.
	FKSlot        int
	RightKeyCount int
	// A foreign-key join runs as two stages, Kafka Streams'
	// subscription/response protocol (docs/design-joins.md, section 8):
	// the left half (FKRole FKLeftHalf) reads the left table as its main
	// input and the Response topic as its side Right, and writes the
	// Subscription topic; the right half (FKRightHalf) reads the right
	// table (rows of RightWidth slots) as its main input and the
	// Subscription topic as its side, and writes Response (its stage's
	// Repartition). Both halves carry the same Join numbers.
	//
	// Subscription: keyed by the foreign key in the right table's key
	// format (so co-partitioned with it); values [left key slots...,
	// FK_HASH BYTES, FK_INSTRUCTION INTEGER, FK_PARTITION INTEGER,
	// FK_OFFSET BIGINT]. Response: keyed by the left key in the left
	// table's key format, written to the partition the subscription names;
	// values [FK_HASH BYTES, FK_FOUND BOOLEAN, right[RightKeyCount:RightWidth]...,
	// FK_PARTITION INTEGER, FK_OFFSET BIGINT].
	FKRole                 FKRole
	Subscription, Response Topic
}

// FKTopics completes the internal topics of foreign-key join j from sub
// and resp, which name them and give their partitions, key formats and
// key columns (the right table's key column; the left table's key
// columns): it sets their value columns (see Join) and marks them
// internal.
func FKTopics(j *Join, sub, resp Topic) (Topic, Topic) {
	internal := catalog.Format{Name: "INTERNAL"}
	sub.ValueFormat, sub.Internal, sub.Value = internal, true, nil
	for i := 0; i < j.KeyCount && i < len(j.LeftTypes); i++ {
		sub.Value = append(sub.Value, catalog.Column{Name: fmt.Sprintf("FK_KEY_%d", i), Type: j.LeftTypes[i]})
	}
	sub.Value = append(sub.Value,
		catalog.Column{Name: "FK_HASH", Type: types.BytesType},
		catalog.Column{Name: "FK_INSTRUCTION", Type: types.IntegerType},
		catalog.Column{Name: "FK_PARTITION", Type: types.IntegerType},
		catalog.Column{Name: "FK_OFFSET", Type: types.BigintType})
	resp.ValueFormat, resp.Internal = internal, true
	resp.Value = []catalog.Column{{Name: "FK_HASH", Type: types.BytesType}, {Name: "FK_FOUND", Type: types.BooleanType}}
	for i := j.RightKeyCount; i < j.RightWidth && i < len(j.RightTypes); i++ {
		resp.Value = append(resp.Value, catalog.Column{Name: fmt.Sprintf("FK_RIGHT_%d", i), Type: j.RightTypes[i]})
	}
	resp.Value = append(resp.Value,
		catalog.Column{Name: "FK_PARTITION", Type: types.IntegerType},
		catalog.Column{Name: "FK_OFFSET", Type: types.BigintType})
	return sub, resp
}

// FKRole is the half of a foreign-key join a Join op runs.
type FKRole int

const (
	FKLeftHalf FKRole = iota
	FKRightHalf
)

// OutputWidth is the number of slots of the join's output row.
func (j *Join) OutputWidth() int {
	rk := j.KeyCount
	if j.Kind == ForeignKey {
		rk = j.RightKeyCount
	}
	n := j.LeftWidth + j.RightWidth - rk + 3
	if j.Windowed {
		n += 2
	}
	return n
}

func (*Filter) opName() string      { return "FILTER" }
func (*Join) opName() string        { return "JOIN" }
func (*Project) opName() string     { return "PROJECT" }
func (*Aggregate) opName() string   { return "AGGREGATE" }
func (*TableSource) opName() string { return "TABLE_SOURCE" }
func (*FlatMap) opName() string     { return "FLAT_MAP" }

// Repartition writes the row to an internal topic keyed by its first
// KeyCount slots; the next stage reads it back.
type Repartition struct {
	Topic    Topic
	KeyCount int
}

// Sink writes the row to the query's output topic. The row is
// [key columns..., value columns...] as in Topic.Key and Topic.Value.
type Sink struct {
	Topic
	Name  string // the catalog name of the sink source
	Table bool
	// KeyFromSource is set when the sink's key columns are the source
	// record's key columns unchanged, so a record without a key keeps
	// having none.
	KeyFromSource bool
	// TimestampColumn, when >= 0, is the slot of the row whose value
	// becomes the output record's timestamp.
	TimestampColumn int
	TimestampFormat string
	// Transient marks the sink of a push query: rows go to the client
	// through exec's delivery callback, not to a topic (Topic names no
	// topic; Key is empty and Value lists the result columns).
	Transient bool
}
