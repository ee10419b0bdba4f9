package engine

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec/functions"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

func sourceInfo(s *catalog.Source) SourceInfo {
	return SourceInfo{
		Type:        s.Kind.String(),
		Name:        s.Name,
		Topic:       s.Topic,
		KeyFormat:   s.KeyFormat.Name,
		ValueFormat: s.ValueFormat.Name,
		IsWindowed:  s.IsWindowed(),
	}
}

func (e *Engine) show(ctx context.Context, s *ast.Show, sess *Session) (*Result, error) {
	res := &Result{Statement: s.Text()}
	switch s.What {
	case ast.ShowStreams:
		res.Type = "streams"
		res.Streams = []SourceInfo{}
		for _, src := range e.cat.Sources(ast.Stream) {
			res.Streams = append(res.Streams, sourceInfo(src))
		}
	case ast.ShowTables:
		res.Type = "tables"
		res.Tables = []SourceInfo{}
		for _, src := range e.cat.Sources(ast.Table) {
			res.Tables = append(res.Tables, sourceInfo(src))
		}
	case ast.ShowQueries:
		res.Type = "queries"
		res.Queries = e.queryInfos()
	case ast.ShowTopics, ast.ShowAllTopics:
		res.Type = "kafka_topics"
		res.Topics = []TopicInfo{}
		topics, err := e.log.Topics(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing topics: %w", err)
		}
		for _, t := range topics {
			internal := strings.HasPrefix(t.Name, "_") || t.Name == e.processingLogTopic()
			if internal && s.What != ast.ShowAllTopics {
				continue
			}
			res.Topics = append(res.Topics, TopicInfo{Name: t.Name, Partitions: t.Config.Partitions, Internal: internal})
		}
	case ast.ShowProperties:
		res.Type = "properties"
		res.Properties = map[string]string{}
		for k, v := range e.cfg.Properties {
			res.Properties[k] = v
		}
		for k, v := range sess.Properties {
			res.Properties[k] = v
		}
		if _, ok := res.Properties[propServiceID]; !ok {
			res.Properties[propServiceID] = e.serviceID()
		}
	case ast.ShowFunctions:
		res.Type = "function_names"
		res.Names = e.funcs.Names()
		// Properties gives each name's kind: SCALAR, AGGREGATE or TABLE.
		res.Properties = map[string]string{}
		for _, n := range res.Names {
			switch e.funcs.Kind(n) {
			case planner.AggregateFunc:
				res.Properties[n] = "AGGREGATE"
			case planner.TableFunc:
				res.Properties[n] = "TABLE"
			default:
				res.Properties[n] = "SCALAR"
			}
		}
	case ast.ShowTypes:
		res.Type = "type_list"
		res.Properties = map[string]string{}
		res.TypeSchemas = map[string]*Schema{}
		for _, n := range e.cat.TypeNames() {
			t, _ := e.cat.Type(n)
			res.Properties[n] = t.String()
			res.TypeSchemas[n] = schemaOf(t)
		}
	case ast.ShowVariables:
		res.Type = "variables"
		res.Properties = map[string]string{}
		for k, v := range sess.Variables {
			res.Properties[k] = v
		}
	default:
		return nil, fmt.Errorf("SHOW %s is not supported", strings.ToUpper(strings.Fields(s.Text())[1]))
	}
	return res, nil
}

func (e *Engine) queryInfos() []QueryInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := []QueryInfo{}
	for _, q := range e.cat.Queries() {
		info := QueryInfo{ID: q.ID, QueryType: "PERSISTENT", SQL: q.SQL, Sinks: []string{q.Sink}, State: "UNKNOWN"}
		if src, ok := e.cat.Source(q.Sink); ok {
			info.SinkTopics = []string{src.Topic}
		}
		if rq, ok := e.queries[q.ID]; ok {
			st, err := rq.State()
			info.State = string(st)
			if err != nil {
				info.Error = err.Error()
			}
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return queryOrder(out[i].ID) < queryOrder(out[j].ID) })
	return out
}

func (e *Engine) describe(s *ast.Describe) (*Result, error) {
	if s.Function {
		return e.describeFunction(s)
	}
	if s.AllStreams || s.AllTables {
		kind := ast.Stream
		if s.AllTables {
			kind = ast.Table
		}
		res := &Result{Type: "source_descriptions", Statement: s.Text(), Sources: []*SourceDescription{}}
		for _, src := range e.cat.Sources(kind) {
			res.Sources = append(res.Sources, e.sourceDescription(src, s.Extended))
		}
		return res, nil
	}
	src, ok := e.cat.Source(s.Name.Name)
	if !ok {
		return nil, fmt.Errorf("Could not find STREAM/TABLE '%s' in the Metastore", s.Name.Name)
	}
	return &Result{Type: "sourceDescription", Statement: s.Text(), Source: e.sourceDescription(src, s.Extended)}, nil
}

func (e *Engine) sourceDescription(src *catalog.Source, extended bool) *SourceDescription {
	d := &SourceDescription{
		Name:         src.Name,
		Type:         src.Kind.String(),
		Topic:        src.Topic,
		KeyFormat:    src.KeyFormat.Name,
		ValueFormat:  src.ValueFormat.Name,
		Partitions:   src.Partitions,
		Windowed:     src.IsWindowed(),
		Timestamp:    src.TimestampColumn,
		Statement:    src.SQL,
		ReadQueries:  e.cat.QueriesReading(src.Name),
		WriteQueries: e.cat.QueriesWriting(src.Name),
		Extended:     extended,
	}
	if src.IsWindowed() {
		d.WindowType = src.Window.Type.String()
	}
	d.Fields = sourceFields(src)
	infos := e.queryInfos()
	byID := map[string]QueryInfo{}
	for _, q := range infos {
		byID[q.ID] = q
	}
	for _, id := range d.ReadQueries {
		d.ReadQueryInfo = append(d.ReadQueryInfo, byID[id])
	}
	for _, id := range d.WriteQueries {
		d.WriteQueryInfo = append(d.WriteQueryInfo, byID[id])
	}
	if extended {
		d.Statistics = e.sourceStatistics(src)
	}
	return d
}

func (e *Engine) describeFunction(s *ast.Describe) (*Result, error) {
	name := strings.ToUpper(s.Name.Name)
	switch e.funcs.Kind(name) {
	case planner.UnknownFunc:
		return nil, fmt.Errorf("Can't find any functions with the name '%s'", name)
	}
	res := &Result{Type: "describe_function", Statement: s.Text(), Names: []string{name}}
	fd := &FunctionDescription{Name: name}
	switch e.funcs.Kind(name) {
	case planner.AggregateFunc:
		fd.Type = "AGGREGATE"
	case planner.TableFunc:
		fd.Type = "TABLE"
	default:
		fd.Type = "SCALAR"
	}
	if d, ok := e.funcs.Scalar(name); ok {
		res.Message = d.Description
		fd.Description = d.Description
		for _, sig := range d.Sigs {
			fd.Variants = append(fd.Variants, functionVariant(sig, d.Description))
		}
	}
	if vs, ok := e.funcs.Variants(name); ok {
		fd.Description = e.funcs.Description(name)
		res.Message = fd.Description
		for _, v := range vs {
			if v.Description == "" {
				v.Description = fd.Description
			}
			fv := FunctionVariant{Description: v.Description, ReturnType: v.Return, Arguments: []FunctionArg{}}
			for _, a := range v.Args {
				fv.Arguments = append(fv.Arguments, FunctionArg{Name: a.Name, Type: a.Type, Variadic: a.Variadic})
			}
			fd.Variants = append(fd.Variants, fv)
		}
	}
	res.Function = fd
	return res, nil
}

// functionVariant renders one declared overload as ksqlDB's FunctionInfo.
func functionVariant(sig functions.Sig, desc string) FunctionVariant {
	v := FunctionVariant{Description: desc, Arguments: []FunctionArg{}, ReturnType: "ANY"}
	if sig.Ret != nil {
		v.ReturnType = sig.Ret.String()
	}
	for i, p := range sig.Params {
		a := FunctionArg{Type: "ANY"}
		switch {
		case p.Type != nil:
			a.Type = p.Type.String()
		case p.Kind != types.KindNull:
			a.Type = p.Kind.String()
		}
		if sig.Variadic && i == len(sig.Params)-1 {
			a.Variadic = true
			a.Type += "[]"
		}
		v.Arguments = append(v.Arguments, a)
	}
	return v
}

// sourceFields lists a source's columns for DESCRIBE: key, value and
// header columns, as ksqlDB's (since 0.9 without the pseudo columns such
// as ROWTIME).
func sourceFields(src *catalog.Source) []FieldInfo {
	var out []FieldInfo
	for _, c := range src.Schema.Columns {
		f := FieldInfo{Name: c.Name, Type: c.Type.String(), Schema: schemaOf(c.Type)}
		switch c.Kind {
		case catalog.KeyColumn:
			f.Key = "KEY"
			if src.Kind == ast.Table {
				f.Key = "PRIMARY"
			}
		case catalog.HeadersColumn, catalog.HeaderColumn:
			f.Header, f.HeaderKey = true, c.HeaderKey
		}
		out = append(out, f)
	}
	return out
}

// schemaOf describes a type as ksqlDB's SchemaInfo.
func schemaOf(t *types.Type) *Schema {
	if t == nil {
		return nil
	}
	s := &Schema{Type: t.Kind.String()}
	switch t.Kind {
	case types.KindDecimal:
		s.Parameters = map[string]any{"precision": t.Precision, "scale": t.Scale}
	case types.KindArray:
		s.Member = schemaOf(t.Elem)
	case types.KindMap:
		s.Member = schemaOf(t.Value)
	case types.KindStruct:
		s.Fields = []FieldInfo{}
		for _, f := range t.Fields {
			s.Fields = append(s.Fields, FieldInfo{Name: f.Name, Type: f.Type.String(), Schema: schemaOf(f.Type)})
		}
	}
	return s
}

func (e *Engine) explain(ctx context.Context, s *ast.Explain, sess *Session) (*Result, error) {
	if s.Statement == nil {
		id := strings.ToUpper(s.QueryID.Name)
		e.mu.Lock()
		q, ok := e.queries[id]
		e.mu.Unlock()
		cq, cok := e.cat.Query(id)
		if !ok || !cok {
			return nil, fmt.Errorf("Query with id:%s does not exist, use SHOW QUERIES to view the full set of queries.", id)
		}
		st, _ := q.State()
		qd := &QueryDescription{
			ID: id, SQL: cq.SQL, Sinks: []string{cq.Sink}, Sources: cq.Sources, Plan: q.Plan.Explain.String(), State: string(st),
			Properties: map[string]string{},
		}
		e.describeSink(qd, cq.Sink)
		return &Result{Type: "queryDescription", Statement: s.Text(), Query: qd}, nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch st := s.Statement.(type) {
	case *ast.CreateAsSelect, *ast.InsertInto:
		cmd, err := e.prepare(ctx, st, sess)
		if err != nil {
			return nil, err
		}
		if cmd.plan == nil {
			return nil, fmt.Errorf("nothing to explain: %s", cmd.noop)
		}
		qd := &QueryDescription{
			ID: cmd.plan.ID, SQL: st.Text(), Sinks: []string{cmd.query.Sink}, Sources: cmd.query.Sources, Plan: cmd.plan.Explain.String(),
			Properties: map[string]string{},
		}
		for k, v := range sess.Properties {
			qd.Properties[k] = v
		}
		if cmd.source != nil {
			qd.Fields = sourceFields(cmd.source)
			if cmd.source.IsWindowed() {
				qd.WindowType = cmd.source.Window.Type.String()
			}
		} else {
			e.describeSink(qd, cmd.query.Sink)
		}
		return &Result{Type: "queryDescription", Statement: s.Text(), Query: qd}, nil
	}
	return nil, fmt.Errorf("EXPLAIN supports CREATE ... AS SELECT, INSERT INTO ... SELECT and query ids.")
}

// describeSink fills a query description's fields and window type from
// its sink in the catalog.
func (e *Engine) describeSink(qd *QueryDescription, sink string) {
	src, ok := e.cat.Source(sink)
	if !ok {
		return
	}
	qd.Fields = sourceFields(src)
	if src.IsWindowed() {
		qd.WindowType = src.Window.Type.String()
	}
}
