package engine

import "testing"

func TestInternalTopics(t *testing.T) {
	eng := openStreamEngine(t, t.TempDir(), map[string]string{"ksql.service.id": "svc_"})
	defer eng.Close()
	for topic, want := range map[string]bool{
		"_confluent-ksql-svc__command_topic":                               true,
		"svc_ksql_processing_log":                                          true,
		"_confluent-ksql-svc_query_CSAS_X_1-Aggregate-GroupBy-repartition": true,
		"_confluent-ksql-svc_query_CSAS_X_1-S0-changelog":                  true,
		"pageviews": false,
		"_confluent-ksql-other_query_CSAS_X_1-S0-changelog": false,
	} {
		if got := eng.InternalTopic(topic); got != want {
			t.Errorf("InternalTopic(%q) = %v, want %v", topic, got, want)
		}
	}
}
