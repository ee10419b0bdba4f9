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
// source at the leaves, one node per operator.
func explainStages(p *QueryPlan, src *catalog.Source) *Node {
	var leaf *Node
	for si, st := range p.Stages {
		var n *Node
		if si == 0 {
			n = &Node{Op: "SOURCE", Detail: fmt.Sprintf("%s (%s) | Schema: %s", src.Name, describeTopic(st.Input.Topic), src.Schema)}
		} else {
			n = leaf
		}
		for _, op := range st.Ops {
			n = &Node{Op: op.opName(), Detail: describeOp(op), Children: []*Node{n}}
		}
		switch {
		case st.Repartition != nil:
			r := st.Repartition
			n = &Node{Op: "REPARTITION", Detail: fmt.Sprintf("by %s (%s)", columnNames(r.Topic.Key), describeTopic(r.Topic)), Children: []*Node{n}}
		case st.Sink != nil:
			kind := "STREAM"
			if st.Sink.Table {
				kind = "TABLE"
			}
			n = &Node{Op: "SINK", Detail: fmt.Sprintf("%s %s (%s) | Schema: %s", kind, st.Sink.Name, describeTopic(st.Sink.Topic), schemaOf(st.Sink.Key, st.Sink.Value)), Children: []*Node{n}}
		}
		leaf = n
	}
	return leaf
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
	case *FlatMap:
		parts := make([]string, len(o.Calls))
		for i, c := range o.Calls {
			parts[i] = c.Name + "(" + joinExprs(c.Args) + ")"
		}
		return strings.Join(parts, ", ")
	}
	return ""
}
