package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ksqlgo/ksql/broker"
	"github.com/ksqlgo/ksql/catalog"
	"github.com/ksqlgo/ksql/exec"
	"github.com/ksqlgo/ksql/planner"
	"github.com/ksqlgo/ksql/sql"
	"github.com/ksqlgo/ksql/sql/ast"
	"github.com/ksqlgo/ksql/sql/types"
)

// command is a validated statement that changes the engine: what the
// command log records and what apply carries out.
type command struct {
	id    string // ksqlDB-style command id, e.g. "stream/`S`/create"
	stmt  ast.Statement
	text  string
	props map[string]string
	seq   int64

	// Prepared effects.
	source      *catalog.Source // CREATE STREAM/TABLE, or a CSAS/CTAS sink
	createTopic bool            // the source's topic must be created
	replace     bool            // CREATE OR REPLACE of an existing source
	plan        *planner.QueryPlan
	query       *catalog.Query
	drop        *catalog.Source
	deleteTopic bool
	terminate   []string
	typeName    string
	typeDef     *types.Type
	dropType    bool
	noop        string // message for IF [NOT] EXISTS no-ops
}

// record is the command log's JSON value.
type record struct {
	Statement  string            `json:"statement"`
	Properties map[string]string `json:"streamsProperties,omitempty"`
	QueryID    string            `json:"queryId,omitempty"`
	Version    int               `json:"version"`
}

// commandVersion is the version of the records this binary writes; replay
// refuses newer ones (see checkCommandVersion). Records carry it so that a
// later change of their meaning can be told apart from the data
// directory's format (format.go), which covers their encoding.
const commandVersion = 1

// appendCommand durably records a command and returns its sequence number.
func (e *Engine) appendCommand(ctx context.Context, cmd *command) (int64, error) {
	if cmd.noop != "" {
		return -1, nil
	}
	rec := record{Statement: cmd.text, Properties: cmd.props, Version: commandVersion}
	if cmd.query != nil {
		rec.QueryID = cmd.query.ID
	}
	val, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	off, err := e.log.Append(ctx, e.cmdTopic, 0, []broker.Record{{Key: []byte(cmd.id), Value: val, Timestamp: e.now().UnixMilli()}})
	if err != nil {
		return 0, fmt.Errorf("could not record the statement in the command log: %w", err)
	}
	return off, nil
}

// replay re-executes the command log at start-up, then starts the queries.
func (e *Engine) replay(ctx context.Context) error {
	if err := e.log.CreateTopic(ctx, e.cmdTopic, broker.TopicConfig{Partitions: 1, RetentionMs: -1, RetentionBytes: -1}); err != nil && !errors.Is(err, broker.ErrTopicExists) {
		return fmt.Errorf("engine: creating the command log: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.replaying = true
	off := int64(0)
	for {
		recs, next, err := e.log.Read(ctx, e.cmdTopic, 0, off, broker.ReadOptions{MaxRecords: 1000, Isolation: broker.ReadUncommitted})
		if err != nil {
			return fmt.Errorf("engine: reading the command log: %w", err)
		}
		for _, r := range recs {
			if err := ctx.Err(); err != nil {
				// Stopped while starting: the rest of the log is replayed
				// at the next start; half a replay must not run.
				return fmt.Errorf("engine: replay of the command log interrupted at offset %d: %w", r.Offset, err)
			}
			var rec record
			if err := json.Unmarshal(r.Value, &rec); err != nil {
				e.logf("command log: skipping unreadable command at offset %d: %v", r.Offset, err)
				continue
			}
			if err := checkCommandVersion(rec.Version, r.Offset); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			if err := e.replayOne(ctx, rec, r.Offset); err != nil {
				e.logf("command log: command at offset %d failed on replay: %v\n  %s", r.Offset, err, rec.Statement)
			}
		}
		if next == off {
			break
		}
		off = next
	}
	e.replaying = false
	if err := e.finishReplayedDeletes(ctx); err != nil {
		return err
	}
	if !e.cfg.Synchronous {
		for _, q := range e.sortedQueries() {
			q.Start()
		}
	}
	return nil
}

// finishReplayedDeletes deletes the topics of replayed DROP ... DELETE
// TOPIC commands that no source uses after replay.
func (e *Engine) finishReplayedDeletes(ctx context.Context) error {
	inUse := map[string]bool{}
	for _, kind := range []ast.SourceKind{ast.Stream, ast.Table} {
		for _, s := range e.cat.Sources(kind) {
			inUse[s.Topic] = true
		}
	}
	for _, topic := range e.replayDeletes {
		if inUse[topic] {
			continue
		}
		if err := e.log.DeleteTopic(ctx, topic); err != nil && !errors.Is(err, broker.ErrUnknownTopic) {
			return fmt.Errorf("engine: finishing DROP ... DELETE TOPIC of %s: %w", topic, err)
		}
	}
	e.replayDeletes = nil
	return nil
}

func (e *Engine) replayOne(ctx context.Context, rec record, offset int64) error {
	stmts, err := sql.ParseWithTypes(rec.Statement, nil, e.cat.Type)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return fmt.Errorf("expected one statement, got %d", len(stmts))
	}
	sess := &Session{Properties: rec.Properties, Variables: map[string]string{}}
	if sess.Properties == nil {
		sess.Properties = map[string]string{}
	}
	if rec.QueryID != "" {
		sess.Properties[replayQueryIDProp] = rec.QueryID
	}
	cmd, err := e.prepare(ctx, stmts[0], sess)
	if err != nil {
		return err
	}
	cmd.seq = offset
	_, err = e.apply(ctx, cmd)
	return err
}

// replayQueryIDProp carries a recorded query id into prepare on replay.
const replayQueryIDProp = "__replay.query.id"

// nextQueryID allocates a query id in ksqlDB's style.
func (e *Engine) nextQueryID(prefix string, sink string, sess *Session, props ast.Properties) (string, error) {
	if id := sess.Properties[replayQueryIDProp]; id != "" {
		return id, nil
	}
	if lit, ok := props.Get("QUERY_ID"); ok {
		s, isStr := lit.Value.(string)
		if !isStr || s == "" {
			return "", fmt.Errorf("Invalid value for property QUERY_ID: must be a non-empty string")
		}
		id := strings.ToUpper(s)
		if _, exists := e.queries[id]; exists {
			return "", fmt.Errorf("Query ID '%s' already exists.", id)
		}
		return id, nil
	}
	for {
		var id string
		if sink != "" {
			id = fmt.Sprintf("%s_%s_%d", prefix, strings.ToUpper(sanitizeID(sink)), e.nextQuery)
		} else {
			id = fmt.Sprintf("%s_%d", prefix, e.nextQuery)
		}
		if _, exists := e.queries[id]; !exists {
			if _, inCat := e.cat.Query(id); !inCat {
				return id, nil
			}
		}
		e.nextQuery++
	}
}

func sanitizeID(s string) string {
	var b strings.Builder
	for _, c := range s {
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// topicInfo says whether topic exists and with how many partitions; an
// error other than "unknown topic" (a log that cannot answer) is returned.
func (e *Engine) topicInfo(ctx context.Context, topic string) (planner.SourceDefaults, error) {
	info, err := e.log.Topic(ctx, topic)
	switch {
	case errors.Is(err, broker.ErrUnknownTopic):
		return planner.SourceDefaults{}, nil
	case err != nil:
		return planner.SourceDefaults{}, fmt.Errorf("looking up topic %s: %w", topic, err)
	}
	return planner.SourceDefaults{TopicExists: true, TopicPartitions: info.Config.Partitions}, nil
}

// prepare validates a statement and works out its effects, without
// changing anything.
func (e *Engine) prepare(ctx context.Context, st ast.Statement, sess *Session) (*command, error) {
	cmd := &command{stmt: st, text: st.Text(), props: copyProps(sess.Properties)}
	delete(cmd.props, replayQueryIDProp)
	pcfg := e.plannerConfig(sess.Properties)
	switch s := st.(type) {
	case *ast.CreateSource:
		kind := strings.ToLower(s.Kind.String())
		cmd.id = fmt.Sprintf("%s/`%s`/create", kind, s.Name.Name)
		if existing, ok := e.cat.Source(s.Name.Name); ok && s.IfNotExists {
			cmd.noop = fmt.Sprintf("Cannot add %s %s: A %s with the same name already exists.", kind, s.Name.Name, strings.ToLower(existing.Kind.String()))
			return cmd, nil
		}
		src, err := planner.PlanCreateSource(s, e.cat, pcfg, func(topic string) (planner.SourceDefaults, error) {
			return e.topicInfo(ctx, topic)
		})
		if err != nil {
			return nil, err
		}
		if err := validateFormats(src); err != nil {
			return nil, err
		}
		if existing, ok := e.cat.Source(src.Name); ok && s.OrReplace {
			cmd.replace = true
			src.Query = existing.Query
		}
		cmd.source = src
		info, err := e.topicInfo(ctx, src.Topic)
		if err != nil {
			return nil, err
		}
		cmd.createTopic = !info.TopicExists
		return cmd, nil
	case *ast.CreateAsSelect:
		kind := strings.ToLower(s.Kind.String())
		cmd.id = fmt.Sprintf("%s/`%s`/create", kind, s.Name.Name)
		if existing, ok := e.cat.Source(s.Name.Name); ok {
			if s.IfNotExists {
				cmd.noop = fmt.Sprintf("Cannot add %s %s: A %s with the same name already exists.", kind, s.Name.Name, strings.ToLower(existing.Kind.String()))
				return cmd, nil
			}
			if !s.OrReplace {
				return nil, fmt.Errorf("Cannot add %s '%s': A %s with the same name already exists",
					kind, s.Name.Name, strings.ToLower(existing.Kind.String()))
			}
			return nil, fmt.Errorf("CREATE OR REPLACE of a query's sink is not supported yet: terminate the query writing %s and drop it first.", s.Name.Name)
		}
		prefix := "CSAS"
		if s.Kind == ast.Table {
			prefix = "CTAS"
		}
		id, err := e.nextQueryID(prefix, s.Name.Name, sess, s.Props)
		if err != nil {
			return nil, err
		}
		plan, sink, err := planner.PlanQuery(planner.QueryRequest{
			ID: id, Select: s.Query, SinkName: s.Name.Name, SinkKind: s.Kind, Props: s.Props,
			Text: s.Text(), ServiceID: e.serviceID(),
		}, e.cat, e.funcs, pcfg)
		if err != nil {
			return nil, err
		}
		if err := e.checkSinkTopic(ctx, sink); err != nil {
			return nil, err
		}
		if err := validateFormats(sink); err != nil {
			return nil, err
		}
		if err := validateQuery(plan, e.effectiveProps(sess.Properties)); err != nil {
			return nil, err
		}
		cmd.source, cmd.plan = sink, plan
		info, err := e.topicInfo(ctx, sink.Topic)
		if err != nil {
			return nil, err
		}
		cmd.createTopic = !info.TopicExists
		cmd.query = &catalog.Query{ID: id, Kind: catalog.CreateAsQuery, SQL: s.Text(), Sink: sink.Name, Sources: sourcesOf(s.Query)}
		return cmd, nil
	case *ast.InsertInto:
		cmd.id = fmt.Sprintf("stream/`%s`/create", s.Target.Name)
		target, ok := e.cat.Source(s.Target.Name)
		if !ok {
			// AstSanitizer.visitInsertInto: located just after INSERT INTO.
			return nil, fmt.Errorf("Line: %d, Col: %d: Source `%s` does not exist.", s.At.Line, s.At.Col+len("INSERT INTO")+1, s.Target.Name)
		}
		if target.Kind != ast.Stream {
			return nil, fmt.Errorf("INSERT INTO can only be used to insert into a stream. %s is a table.", target.Name)
		}
		if hasHeaderColumns(target) {
			return nil, fmt.Errorf("Cannot insert into %s because it has header columns", target.Name)
		}
		if target.ReadOnly {
			return nil, fmt.Errorf("Cannot insert into read-only %s: %s", strings.ToLower(target.Kind.String()), target.Name)
		}
		id, err := e.nextQueryID("INSERTQUERY", "", sess, s.Props)
		if err != nil {
			return nil, err
		}
		plan, sink, err := planner.PlanQuery(planner.QueryRequest{
			ID: id, Select: s.Query, SinkName: target.Name, SinkKind: target.Kind, Props: s.Props,
			Insert: true, Existing: target, Text: s.Text(), ServiceID: e.serviceID(),
		}, e.cat, e.funcs, pcfg)
		if err != nil {
			return nil, err
		}
		if err := validateQuery(plan, e.effectiveProps(sess.Properties)); err != nil {
			return nil, err
		}
		cmd.plan = plan
		cmd.query = &catalog.Query{ID: id, Kind: catalog.InsertQuery, SQL: s.Text(), Sink: sink.Name, Sources: sourcesOf(s.Query)}
		return cmd, nil
	case *ast.Drop:
		kind := strings.ToLower(s.Kind.String())
		cmd.id = fmt.Sprintf("%s/`%s`/drop", kind, s.Name.Name)
		src, ok := e.cat.Source(s.Name.Name)
		if !ok {
			if s.IfExists {
				cmd.noop = fmt.Sprintf("Source %s does not exist.", s.Name.Name)
				return cmd, nil
			}
			return nil, fmt.Errorf("%s %s does not exist.", capitalize(kind), s.Name.Name)
		}
		if src.Kind != s.Kind {
			return nil, fmt.Errorf("Incompatible data source type is %s, but statement was DROP %s", src.Kind, s.Kind)
		}
		if src.Name == ProcessingLogStream {
			return nil, fmt.Errorf("Cannot drop the built-in processing log stream %s.", ProcessingLogStream)
		}
		if src.ReadOnly && s.DeleteTopic {
			return nil, fmt.Errorf("Cannot delete topic for read-only source: %s", src.Name)
		}
		if w := e.cat.QueriesWriting(src.Name); len(w) > 0 {
			return nil, fmt.Errorf("Cannot drop %s.\nThe following queries write into this source: [%s].\nYou need to terminate them before dropping %s.",
				src.Name, strings.Join(w, ", "), src.Name)
		}
		if r := e.cat.QueriesReading(src.Name); len(r) > 0 {
			return nil, fmt.Errorf("Cannot drop %s.\nThe following queries read from this source: [%s].\nYou need to terminate them before dropping %s.",
				src.Name, strings.Join(r, ", "), src.Name)
		}
		cmd.drop, cmd.deleteTopic = src, s.DeleteTopic
		return cmd, nil
	case *ast.Terminate:
		if s.All {
			cmd.id = "terminate/ALL/execute"
			for _, q := range e.cat.Queries() {
				cmd.terminate = append(cmd.terminate, q.ID)
			}
			return cmd, nil
		}
		id := strings.ToUpper(s.QueryID.Name)
		if _, ok := e.cat.Query(id); !ok {
			if _, ok := e.cat.Query(s.QueryID.Name); !ok {
				return nil, fmt.Errorf("Unknown queryId: %s", s.QueryID.Name)
			}
			id = s.QueryID.Name
		}
		cmd.id = fmt.Sprintf("terminate/%s/execute", id)
		cmd.terminate = []string{id}
		return cmd, nil
	case *ast.CreateType:
		cmd.id = fmt.Sprintf("type/`%s`/create", s.Name.Name)
		if _, ok := e.cat.Type(s.Name.Name); ok {
			if s.IfNotExists {
				cmd.noop = fmt.Sprintf("Type %s already exists.", s.Name.Name)
				return cmd, nil
			}
			return nil, fmt.Errorf("Cannot register custom type '%s' since it is already registered with type: %s", s.Name.Name, mustType(e.cat.Type(s.Name.Name)))
		}
		cmd.typeName, cmd.typeDef = s.Name.Name, s.Type
		return cmd, nil
	case *ast.DropType:
		cmd.id = fmt.Sprintf("type/`%s`/drop", s.Name.Name)
		if _, ok := e.cat.Type(s.Name.Name); !ok {
			if s.IfExists {
				cmd.noop = fmt.Sprintf("Type %s does not exist.", s.Name.Name)
				return cmd, nil
			}
			return nil, fmt.Errorf("Type %s does not exist.", s.Name.Name)
		}
		cmd.typeName, cmd.dropType = s.Name.Name, true
		return cmd, nil
	}
	return nil, fmt.Errorf("Unsupported statement: %s", strings.SplitN(st.Text(), " ", 2)[0])
}

func mustType(t *types.Type, _ bool) string { return t.String() }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func copyProps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sourcesOf lists the sources a query reads.
func sourcesOf(sel *ast.Select) []string {
	var out []string
	var walk func(r ast.Relation)
	walk = func(r ast.Relation) {
		switch x := r.(type) {
		case *ast.SourceRef:
			out = append(out, x.Name.Name)
		case *ast.Join:
			walk(x.Left)
			walk(x.Right)
		}
	}
	walk(sel.From)
	return out
}

// hasHeaderColumns reports whether a source has HEADER or HEADERS columns.
func hasHeaderColumns(src *catalog.Source) bool {
	for _, c := range src.Schema.Columns {
		if c.Kind == catalog.HeaderColumn || c.Kind == catalog.HeadersColumn {
			return true
		}
	}
	return false
}

// unknownSourceHint is ksqlDB's MetaStoreImpl.checkAlternatives: the
// sources whose names differ from name only in case.
func (e *Engine) unknownSourceHint(name string) string {
	var matched []*catalog.Source
	for _, kind := range []ast.SourceKind{ast.Stream, ast.Table} {
		for _, src := range e.cat.Sources(kind) {
			if strings.EqualFold(src.Name, name) {
				matched = append(matched, src)
			}
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	if len(matched) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nDid you mean ")
	if n := len(matched); n > 1 {
		for i, src := range matched {
			punct := "? "
			switch {
			case i < n-2:
				punct = ", "
			case i == n-2 && i == 0:
				punct = " or "
			case i == n-2:
				punct = ", or "
			}
			fmt.Fprintf(&b, "\"%s\" (%s)%s", src.Name, strings.ToUpper(src.Kind.String()), punct)
		}
		b.WriteString("Hint: wrap the source name in double quotes to make it case-sensitive.")
	} else if n := matched[0].Name; strings.ToUpper(n) != n {
		fmt.Fprintf(&b, "\"%s\"? Hint: wrap the source name in double quotes to make it case-sensitive.", n)
	} else {
		fmt.Fprintf(&b, "%s? Hint: try removing double quotes from the source name.", n)
	}
	return b.String()
}

// validateFormats checks that a source's formats can serialize its schema.
func validateFormats(src *catalog.Source) error {
	if _, err := exec.NewCodec(src.KeyFormat, src.Schema.Key(), true); err != nil {
		if len(src.Schema.Key()) > 0 || src.KeyFormat.Name != "NONE" {
			return fmt.Errorf("Key format does not support schema.\nformat: %s\nschema: %s\nreason: %v", src.KeyFormat.Name, persistenceSchema(src.KeyFormat, src.Schema.Key(), true), err)
		}
	}
	if _, err := exec.NewCodec(src.ValueFormat, src.Schema.Value(), false); err != nil {
		return fmt.Errorf("Value format does not support schema.\nformat: %s\nschema: %s\nreason: %v", src.ValueFormat.Name, persistenceSchema(src.ValueFormat, src.Schema.Value(), false), err)
	}
	return nil
}

// persistenceSchema is ksqlDB's PersistenceSchema.toString: the columns
// a format serializes and the serde features SerdeFeaturesFactory gives
// it (the wrapping of a single column, for the formats that can wrap).
func persistenceSchema(f catalog.Format, cols []catalog.Column, key bool) string {
	features := ""
	switch strings.ToUpper(f.Name) {
	case "JSON", "JSON_SR", "AVRO", "PROTOBUF", "PROTOBUF_NOSR":
		if len(cols) != 1 {
			break
		}
		switch {
		case key:
			features = "UNWRAP_SINGLE_VALUES"
		case f.WrapSingleValue != nil && *f.WrapSingleValue:
			features = "WRAP_SINGLE_VALUES"
		case f.WrapSingleValue != nil:
			features = "UNWRAP_SINGLE_VALUES"
		}
	}
	return fmt.Sprintf("Persistence{columns=[%s], features=[%s]}", catalog.Schema{Columns: cols}, features)
}

// checkSinkTopic rejects a sink whose existing topic disagrees.
func (e *Engine) checkSinkTopic(ctx context.Context, sink *catalog.Source) error {
	info, err := e.log.Topic(ctx, sink.Topic)
	switch {
	case errors.Is(err, broker.ErrUnknownTopic):
		return nil
	case err != nil:
		return fmt.Errorf("looking up topic %s: %w", sink.Topic, err)
	}
	if info.Config.Partitions != sink.Partitions {
		return fmt.Errorf("A Kafka topic with the name '%s' already exists, with different partition/replica configuration than required. KSQL expects %d partitions (topic has %d).",
			sink.Topic, sink.Partitions, info.Config.Partitions)
	}
	return nil
}

// apply carries out a prepared command.
func (e *Engine) apply(ctx context.Context, cmd *command) (*Result, error) {
	res := &Result{Type: "currentStatus", Status: "SUCCESS", CommandID: cmd.id}
	if cmd.noop != "" {
		res.Message = cmd.noop
		return res, nil
	}
	switch {
	case cmd.typeName != "":
		if cmd.dropType {
			e.cat.DropType(cmd.typeName)
			res.Message = "Dropped type '" + cmd.typeName + "'"
		} else {
			e.cat.PutType(cmd.typeName, cmd.typeDef)
			res.Message = "Registered custom type with name '" + cmd.typeName + "' and SQL type " + cmd.typeDef.String()
		}
		return res, nil
	case cmd.drop != nil:
		e.cat.DropSource(cmd.drop.Name)
		if cmd.deleteTopic && e.replaying {
			// The deletion was done when the command ran (or a crash cut
			// it short): it is finished after replay, unless a later
			// command created a source on the topic again, whose data it
			// would destroy.
			e.replayDeletes = append(e.replayDeletes, cmd.drop.Topic)
		} else if cmd.deleteTopic {
			if err := e.log.DeleteTopic(ctx, cmd.drop.Topic); err != nil && !errors.Is(err, broker.ErrUnknownTopic) {
				return nil, err
			}
		}
		res.Message = fmt.Sprintf("Source `%s` (topic: %s) was dropped.", cmd.drop.Name, cmd.drop.Topic)
		return res, nil
	case cmd.terminate != nil:
		for _, id := range cmd.terminate {
			if err := e.terminate(ctx, id); err != nil {
				return nil, err
			}
		}
		res.Message = "Query terminated."
		return res, nil
	}
	if cmd.source != nil {
		if cmd.createTopic {
			cfg := broker.TopicConfig{Partitions: cmd.source.Partitions}
			if err := e.log.CreateTopic(ctx, cmd.source.Topic, cfg); err != nil && !errors.Is(err, broker.ErrTopicExists) {
				return nil, fmt.Errorf("could not create topic %s: %w", cmd.source.Topic, err)
			}
		}
		e.cat.PutSource(cmd.source)
	}
	if cmd.plan == nil {
		if cmd.source.Kind == ast.Table {
			res.Message = "Table created"
		} else {
			res.Message = "Stream created"
		}
		if cmd.replace {
			res.Message = strings.Replace(res.Message, "created", "replaced", 1)
		}
		return res, nil
	}
	props := e.effectiveProps(cmd.props)
	cacheBytes, _ := recordCacheBytes(props) // checked when prepared; the default otherwise
	q, err := exec.NewQuery(ctx, e.rt, cmd.plan, exec.QueryOptions{StartAtEnd: e.startAtEnd(cmd.props), Properties: props, RecordCacheBytes: cacheBytes})
	if err != nil {
		if cmd.source != nil && cmd.query.Kind == catalog.CreateAsQuery {
			e.cat.DropSource(cmd.source.Name)
		}
		return nil, err
	}
	e.cat.PutQuery(cmd.query)
	e.queries[q.ID] = q
	if n := queryOrder(q.ID); n < 1<<62 && n >= e.nextQuery {
		e.nextQuery = n + 1
	}
	if !e.cfg.Synchronous && !e.replaying {
		q.Start()
	}
	res.QueryID = q.ID
	res.Message = "Created query with ID " + q.ID
	return res, nil
}

// terminate stops a query and deletes its state and internal topics.
func (e *Engine) terminate(ctx context.Context, id string) error {
	q, ok := e.queries[id]
	if ok {
		if err := q.Stop(); err != nil {
			// Its state decides the open transaction at the next start:
			// keep it, and keep the query known, so TERMINATE can be retried.
			return fmt.Errorf("query %s stopped, but its last transaction could not be ended (the next start resolves it): %w", id, err)
		}
		// The transactions' markers must be durable before the commit
		// records that decide them go.
		if err := e.log.Sync(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("query %s stopped, but its output could not be made durable: %w", id, err)
		}
		delete(e.queries, id)
		for _, topic := range e.rt.InternalTopics(q.Plan) {
			if err := e.log.DeleteTopic(ctx, topic); err != nil && !errors.Is(err, broker.ErrUnknownTopic) {
				return err
			}
		}
		if err := exec.DropState(e.rt, id); err != nil {
			return err
		}
	}
	e.cat.DropQuery(id)
	return nil
}
