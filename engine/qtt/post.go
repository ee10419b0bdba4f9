package qtt

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ksqlgo/ksql/catalog"
)

// PostTopics is post.topics (PostConditionsNode.PostTopicsNode): a
// blacklist of topic names (a regular expression found anywhere in a
// name, as Java's Pattern.asPredicate) and topics that must exist.
type PostTopics struct {
	Blacklist string          `json:"blacklist"`
	Topics    []PostTopicNode `json:"topics"`
}

// PostTopicNode is one expected topic: name, formats, and optionally its
// partitions, schema ids and schemas.
type PostTopicNode struct {
	Name          string          `json:"name"`
	KeyFormat     *PostFormat     `json:"keyFormat"`
	ValueFormat   *PostFormat     `json:"valueFormat"`
	Partitions    *int32          `json:"partitions"`
	KeySchemaID   *int            `json:"keySchemaId"`
	ValueSchemaID *int            `json:"valueSchemaId"`
	KeySchema     json.RawMessage `json:"keySchema"`
	ValueSchema   json.RawMessage `json:"valueSchema"`
}

// PostFormat is a KeyFormat or ValueFormat as ksqlDB serializes it.
type PostFormat struct {
	Format     string            `json:"format"`
	Properties map[string]string `json:"properties"`
	Features   []string          `json:"features"`
	WindowInfo *struct {
		Type         string       `json:"type"`
		Size         *json.Number `json:"size"` // a java.time.Duration: seconds
		EmitStrategy string       `json:"emitStrategy"`
	} `json:"windowInfo"`
}

// topicFacts is what ksqlDB's test executor knows of a topic
// (PostTopicNode built from TopicInfoCache): its formats, from the source
// over it, and its partitions.
type topicFacts struct {
	name                  string
	keyFormat, valueFmt   string
	keyProps, valueProps  map[string]string
	keyFeats, valueFeats  []string
	windowType            string
	windowSizeMs          int64
	partitions            int32
	hasSchemaIDsOrSchemas bool
}

// facts describes a topic through the source over it; nil when no source
// is (an internal topic, or one nothing reads or writes).
func (r *runner) facts(ctx context.Context, topic string) *topicFacts {
	src := SourceFor(r.eng.Catalog(), topic)
	if src == nil {
		return nil
	}
	f := &topicFacts{name: topic, keyFormat: strings.ToUpper(src.KeyFormat.Name), valueFmt: strings.ToUpper(src.ValueFormat.Name)}
	if info, err := r.eng.Log().Topic(ctx, topic); err == nil {
		f.partitions = info.Config.Partitions
	}
	f.keyProps, f.valueProps = formatProps(src.KeyFormat), formatProps(src.ValueFormat)
	// SerdeFeaturesFactory: a single key column in a format that both
	// wraps and unwraps (JSON here) is UNWRAP_SINGLES.
	if len(src.Schema.Key()) == 1 && f.keyFormat == "JSON" {
		f.keyFeats = []string{"UNWRAP_SINGLES"}
	}
	if len(ValueCols(src)) == 1 {
		wrap := src.ValueFormat.WrapSingleValue
		if wrap == nil {
			if v, ok := r.c.Properties["ksql.persistence.wrap.single.values"]; ok {
				if b, err := strconv.ParseBool(fmt.Sprint(v)); err == nil {
					wrap = &b
				}
			}
		}
		switch {
		case wrap == nil:
		case *wrap && f.valueFmt == "JSON":
			f.valueFeats = []string{"WRAP_SINGLES"}
		case !*wrap && (f.valueFmt == "JSON" || f.valueFmt == "KAFKA" || f.valueFmt == "DELIMITED"):
			f.valueFeats = []string{"UNWRAP_SINGLES"}
		}
	}
	if src.IsWindowed() {
		f.windowType = src.Window.Type.String()
		if src.Window.Type != catalog.SessionWindow {
			f.windowSizeMs = src.Window.SizeMs
		}
	}
	return f
}

func formatProps(f catalog.Format) map[string]string {
	if strings.EqualFold(f.Name, "DELIMITED") && f.Delimiter != "" {
		return map[string]string{"delimiter": f.Delimiter}
	}
	if f.NullableRepresentation != "" {
		return map[string]string{"nullableRepresentation": f.NullableRepresentation}
	}
	return nil
}

// matchTopic is PostTopicNode's matcher against one known topic.
func (n PostTopicNode) matchTopic(f *topicFacts) bool {
	if n.Name != f.name || n.KeyFormat == nil || n.ValueFormat == nil {
		return false
	}
	if !n.KeyFormat.matches(f.keyFormat, f.keyProps, f.keyFeats) || !n.ValueFormat.matches(f.valueFmt, f.valueProps, f.valueFeats) {
		return false
	}
	wi := n.KeyFormat.WindowInfo
	switch {
	case wi == nil && f.windowType != "":
		return false
	case wi != nil:
		if !strings.EqualFold(wi.Type, f.windowType) || wi.EmitStrategy != "" {
			return false
		}
		if (wi.Size == nil) != (f.windowSizeMs == 0) {
			return false
		}
		if wi.Size != nil {
			secs, err := wi.Size.Float64()
			if err != nil || math.Round(secs*1000) != float64(f.windowSizeMs) {
				return false
			}
		}
	}
	if n.Partitions != nil && *n.Partitions != f.partitions {
		return false
	}
	// No topic here has schema ids or registered schemas.
	if n.KeySchemaID != nil || n.ValueSchemaID != nil || !IsNull(n.KeySchema) || !IsNull(n.ValueSchema) {
		return false
	}
	return true
}

func (p *PostFormat) matches(name string, props map[string]string, feats []string) bool {
	if !strings.EqualFold(p.Format, name) || len(p.Properties) != len(props) {
		return false
	}
	for k, v := range p.Properties {
		if props[k] != v {
			return false
		}
	}
	want := append([]string(nil), p.Features...)
	got := append([]string(nil), feats...)
	for i := range want {
		want[i] = strings.ToUpper(want[i])
	}
	sort.Strings(want)
	sort.Strings(got)
	return strings.Join(want, ",") == strings.Join(got, ",")
}

func (p *PostFormat) String() string {
	if p == nil {
		return "none"
	}
	b, _ := json.Marshal(p)
	return string(b)
}

func (f *topicFacts) String() string {
	return fmt.Sprintf("%s (key %s %v %v window %s/%dms, value %s %v %v, %d partitions)", f.name,
		f.keyFormat, f.keyProps, f.keyFeats, f.windowType, f.windowSizeMs, f.valueFmt, f.valueProps, f.valueFeats, f.partitions)
}

// checkPostTopics verifies post.topics against the topics of the run: no
// topic name may contain a match of the blacklist, and every listed topic
// must be known with the same formats (and partitions, when listed).
func (r *runner) checkPostTopics(ctx context.Context, known []string) error {
	pt := r.c.Post.Topics
	if pt == nil {
		return nil
	}
	if pt.Blacklist != "" {
		re, err := regexp.Compile(pt.Blacklist)
		if err != nil {
			return failf("post: blacklist %q is not a valid regular expression", pt.Blacklist)
		}
		var found []string
		for _, n := range known {
			if re.MatchString(n) {
				found = append(found, n)
			}
		}
		if len(found) > 0 {
			return failf("post: blacklisted topics found: %s", strings.Join(found, ", "))
		}
	}
	var facts []*topicFacts
	for _, n := range known {
		if f := r.facts(ctx, n); f != nil {
			facts = append(facts, f)
		}
	}
	for _, want := range pt.Topics {
		found := false
		var same *topicFacts
		for _, f := range facts {
			if want.matchTopic(f) {
				found = true
				break
			}
			if f.name == want.Name {
				same = f
			}
		}
		if !found {
			b, _ := json.Marshal(want)
			if same != nil {
				return failf("post: topic %s is %s, expected %s", want.Name, same, b)
			}
			return failf("post: no known topic matches %s", b)
		}
	}
	return nil
}
