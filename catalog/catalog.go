// Package catalog holds what the engine knows about: streams and tables
// (their schemas, topics, formats and windowing), persistent queries, and
// custom types. It imports sql/ast and sql/types only; the planner reads
// it, the engine writes it.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// ColumnKind says where a column lives in a record.
type ColumnKind int

// Column kinds.
const (
	ValueColumn ColumnKind = iota
	KeyColumn
	HeadersColumn // all headers, ARRAY<STRUCT<KEY STRING, VALUE BYTES>>
	HeaderColumn  // one header's value, BYTES
)

// Column is one column of a source's schema.
type Column struct {
	Name      string
	Type      *types.Type
	Kind      ColumnKind
	HeaderKey string // HeaderColumn only
}

// Schema is a source's logical schema: key columns first, then value (and
// header) columns, each in declaration order.
type Schema struct {
	Columns []Column
}

// Key returns the key columns.
func (s Schema) Key() []Column {
	var out []Column
	for _, c := range s.Columns {
		if c.Kind == KeyColumn {
			out = append(out, c)
		}
	}
	return out
}

// Value returns the non-key columns (value and header columns).
func (s Schema) Value() []Column {
	var out []Column
	for _, c := range s.Columns {
		if c.Kind != KeyColumn {
			out = append(out, c)
		}
	}
	return out
}

// Find returns the column with the given name.
func (s Schema) Find(name string) (Column, int, bool) {
	for i, c := range s.Columns {
		if c.Name == name {
			return c, i, true
		}
	}
	return Column{}, -1, false
}

// String renders the schema as ksqlDB does in DESCRIBE-like contexts and
// test post-conditions: "`ID` INTEGER KEY, `NAME` STRING".
func (s Schema) String() string {
	var b strings.Builder
	for i, c := range s.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('`')
		b.WriteString(c.Name)
		b.WriteString("` ")
		b.WriteString(c.Type.SQLString())
		switch c.Kind {
		case KeyColumn:
			b.WriteString(" KEY")
		case HeadersColumn:
			b.WriteString(" HEADERS")
		case HeaderColumn:
			fmt.Fprintf(&b, " HEADER('%s')", c.HeaderKey)
		}
	}
	return b.String()
}

// Format is a serialization format with its options.
type Format struct {
	Name string // JSON, DELIMITED, KAFKA, NONE, ...
	// WrapSingleValue is nil when unset (format default).
	WrapSingleValue *bool
	// Delimiter for DELIMITED ("" = default ',').
	Delimiter string
	// NullableRepresentation is PROTOBUF_NOSR's nullableRepresentation
	// property ("", "optional" or "wrapper").
	NullableRepresentation string
}

// WindowType is the windowing of a windowed source's key.
type WindowType int

// Window types. NoWindow means the key is not windowed.
const (
	NoWindow WindowType = iota
	TumblingWindow
	HoppingWindow
	SessionWindow
)

func (w WindowType) String() string {
	return [...]string{"", "TUMBLING", "HOPPING", "SESSION"}[w]
}

// Window describes a windowed key: its type and, for time windows, its
// size (needed to derive WINDOWEND from the serialized window start).
type Window struct {
	Type   WindowType
	SizeMs int64
}

// Source is a stream or a table.
type Source struct {
	Name        string
	Kind        ast.SourceKind
	Schema      Schema
	Topic       string
	Partitions  int32
	KeyFormat   Format
	ValueFormat Format
	Window      Window
	// TimestampColumn names the column that supplies event time ("" =
	// ROWTIME); TimestampFormat parses it when it is a STRING.
	TimestampColumn string
	TimestampFormat string
	// SQL is the statement that created the source.
	SQL string
	// ReadOnly is set for CREATE SOURCE STREAM/TABLE.
	ReadOnly bool
	// Query is the id of the persistent query writing this source, if any.
	Query string
}

// IsWindowed reports whether the source's key is windowed.
func (s *Source) IsWindowed() bool { return s.Window.Type != NoWindow }

// QueryKind is the type of a persistent query.
type QueryKind int

// Query kinds.
const (
	CreateAsQuery QueryKind = iota // CSAS / CTAS
	InsertQuery                    // INSERT INTO ... SELECT
)

// Query is a persistent query.
type Query struct {
	ID      string
	Kind    QueryKind
	SQL     string
	Sink    string
	Sources []string
}

// Catalog is the set of sources, queries and custom types. It is safe for
// concurrent use; Sources and Queries returned are shared and must be
// treated as read-only.
type Catalog struct {
	mu      sync.RWMutex
	sources map[string]*Source
	queries map[string]*Query
	types   map[string]*types.Type
}

// New returns an empty catalog.
func New() *Catalog {
	return &Catalog{
		sources: map[string]*Source{},
		queries: map[string]*Query{},
		types:   map[string]*types.Type{},
	}
}

// Source returns the named source.
func (c *Catalog) Source(name string) (*Source, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.sources[name]
	return s, ok
}

// PutSource adds or replaces a source.
func (c *Catalog) PutSource(s *Source) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sources[s.Name] = s
}

// DropSource removes a source.
func (c *Catalog) DropSource(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.sources, name)
}

// Sources returns all sources of a kind, sorted by name.
func (c *Catalog) Sources(kind ast.SourceKind) []*Source {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []*Source
	for _, s := range c.sources {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Query returns a persistent query by id.
func (c *Catalog) Query(id string) (*Query, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	q, ok := c.queries[id]
	return q, ok
}

// PutQuery adds a persistent query.
func (c *Catalog) PutQuery(q *Query) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.queries[q.ID] = q
}

// DropQuery removes a persistent query.
func (c *Catalog) DropQuery(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.queries, id)
}

// Queries returns all persistent queries sorted by id.
func (c *Catalog) Queries() []*Query {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]*Query, 0, len(c.queries))
	for _, q := range c.queries {
		out = append(out, q)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// QueriesReading returns the ids of queries that read the named source.
func (c *Catalog) QueriesReading(source string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, q := range c.queries {
		for _, s := range q.Sources {
			if s == source {
				out = append(out, q.ID)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// QueriesWriting returns the ids of queries that write the named source.
func (c *Catalog) QueriesWriting(sink string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	for _, q := range c.queries {
		if q.Sink == sink {
			out = append(out, q.ID)
		}
	}
	sort.Strings(out)
	return out
}

// Type returns a custom type registered with CREATE TYPE.
func (c *Catalog) Type(name string) (*types.Type, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.types[name]
	return t, ok
}

// PutType registers a custom type.
func (c *Catalog) PutType(name string, t *types.Type) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.types[name] = t
}

// DropType removes a custom type.
func (c *Catalog) DropType(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.types, name)
}

// TypeNames returns the custom type names, sorted.
func (c *Catalog) TypeNames() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.types))
	for n := range c.types {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
