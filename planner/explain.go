package planner

import (
	"fmt"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
)

// Node is one node of the logical plan as EXPLAIN prints it.
type Node struct {
	Op       string // SOURCE, FILTER, PROJECT, REPARTITION, AGGREGATE, SINK, ...
	Detail   string
	Children []*Node
}

// String renders the plan as an indented tree, root (the sink) first:
//
//	> [ SINK ] | OUTPUT (topic: OUTPUT, key: KAFKA, value: JSON)
//	    > [ PROJECT ] | ...
func (n *Node) String() string {
	var b strings.Builder
	n.write(&b, 0)
	return b.String()
}

func (n *Node) write(b *strings.Builder, depth int) {
	b.WriteString(strings.Repeat("    ", depth))
	fmt.Fprintf(b, "> [ %s ]", n.Op)
	if n.Detail != "" {
		b.WriteString(" | ")
		b.WriteString(n.Detail)
	}
	b.WriteByte('\n')
	for _, c := range n.Children {
		c.write(b, depth+1)
	}
}

func describeTopic(t Topic) string {
	s := fmt.Sprintf("topic: %s, partitions: %d, key: %s, value: %s", t.Name, t.Partitions, t.KeyFormat.Name, t.ValueFormat.Name)
	if t.Window.Type != catalog.NoWindow {
		s += ", window: " + t.Window.Type.String()
	}
	return s
}

func schemaOf(key, value []catalog.Column) string {
	return catalog.Schema{Columns: append(append([]catalog.Column{}, key...), value...)}.String()
}

// explainStages builds the logical tree of a plan: sink at the root,
// sources at the leaves, one node per operator. A stage reading a
// repartition topic continues the tree of the stage that wrote it; a join
// stage's sides are the join node's second children.
func explainStages(p *QueryPlan, cat *catalog.Catalog) *Node {
	written := map[string]*Node{} // repartition topic -> its stage's tree
	input := func(in Input) *Node {
		if n, ok := written[in.Name]; ok {
			return n
		}
		detail := describeTopic(in.Topic)
		if src, ok := cat.Source(in.SourceName); ok && in.SourceName != "" {
			detail = fmt.Sprintf("%s (%s) | Schema: %s", src.Name, detail, src.Schema)
		}
		return &Node{Op: "SOURCE", Detail: detail}
	}
	var last *Node
	for _, st := range p.Stages {
		n := input(st.Input)
		for _, op := range st.Ops {
			children := []*Node{n}
			if j, ok := op.(*Join); ok && j.Right < len(st.Sides) {
				side := st.Sides[j.Right]
				r := input(side.Input)
				for _, sop := range side.Ops {
					r = &Node{Op: sop.opName(), Detail: describeOp(sop), Children: []*Node{r}}
				}
				children = append(children, r)
			}
			n = &Node{Op: op.opName(), Detail: describeOp(op), Children: children}
		}
		switch {
		case st.Repartition != nil:
			r := st.Repartition
			n = &Node{Op: "REPARTITION", Detail: fmt.Sprintf("by %s (%s)", columnNames(r.Topic.Key), describeTopic(r.Topic)), Children: []*Node{n}}
			written[r.Topic.Name] = n
		case st.Sink != nil:
			kind := "STREAM"
			if st.Sink.Table {
				kind = "TABLE"
			}
			n = &Node{Op: "SINK", Detail: fmt.Sprintf("%s %s (%s) | Schema: %s", kind, st.Sink.Name, describeTopic(st.Sink.Topic), schemaOf(st.Sink.Key, st.Sink.Value)), Children: []*Node{n}}
		}
		last = n
	}
	return last
}

func columnNames(cols []catalog.Column) string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return strings.Join(names, ", ")
}

func describeOp(op Op) string {
	switch o := op.(type) {
	case *Filter:
		return o.Clause + " " + o.Pred.String()
	case *Project:
		parts := make([]string, len(o.Exprs))
		for i, e := range o.Exprs {
			parts[i] = e.String() + " AS " + o.Names[i]
		}
		return strings.Join(parts, ", ")
	case *Aggregate:
		var parts []string
		for _, c := range o.Calls {
			parts = append(parts, c.Name+"("+joinExprs(c.Args)+")")
		}
		s := fmt.Sprintf("group by %d key column(s): %s", o.KeyCount, strings.Join(parts, ", "))
		if w := o.Window; w != nil {
			s += fmt.Sprintf(" | window %s size %dms", w.Type, w.SizeMs)
			if w.Type == catalog.HoppingWindow {
				s += fmt.Sprintf(" advance %dms", w.AdvanceMs)
			}
			s += fmt.Sprintf(" grace %dms retention %dms", w.GraceMs, w.RetentionMs)
			if w.EmitFinal {
				s += " | emit final"
			}
		}
		if o.Having != nil {
			s += " | having " + o.Having.String()
		}
		s += " | project " + joinExprs(o.Project)
		return s
	case *TableSource:
		return "materialize " + o.StoreName
	case *Join:
		kind := [...]string{"stream-stream", "stream-table", "table-table", "foreign-key table-table"}[o.Kind]
		typ := [...]string{"INNER", "LEFT", "RIGHT", "FULL OUTER"}[o.Type]
		s := fmt.Sprintf("%s %s on the key", typ, kind)
		if o.Kind == ForeignKey {
			s = fmt.Sprintf("%s %s on the foreign key in slot %d | left half: subscribes through %s", typ, kind, o.FKSlot, o.Subscription.Name)
			if o.FKRole == FKRightHalf {
				s = fmt.Sprintf("%s %s | right half: answers subscriptions through %s", typ, kind, o.Response.Name)
			}
		}
		if o.Kind == StreamStream {
			s += fmt.Sprintf(" | within %dms before, %dms after, grace %dms", o.BeforeMs, o.AfterMs, o.GraceMs)
		}
		return s
	case *FlatMap:
		parts := make([]string, len(o.Calls))
		for i, c := range o.Calls {
			parts[i] = c.Name + "(" + joinExprs(c.Args) + ")"
		}
		return strings.Join(parts, ", ")
	}
	return ""
}
