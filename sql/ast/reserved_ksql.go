package ast

// ksqlReserved completes the reserved words of format.go with the rest of
// the words that ksqlDB's grammar (SqlBase.g4) reserves: keywords outside
// its nonReserved rule. QuoteIdent must quote all of them for FormatExpr's
// text to parse back to the same tree; package sql checks that this list
// and its parser agree.
var ksqlReserved = []string{
	"ADVANCE", "ALL", "AT", "BEGINNING", "CATALOG", "CONNECTOR", "CONNECTORS", "DAYS",
	"DECIMAL", "DELETE", "EXPORT", "EXTENDED", "HOPPING", "HOURS", "LOAD", "MATERIALIZED",
	"MILLISECOND", "MILLISECONDS", "MINUTES", "MONTHS", "NAMESPACE", "PROPERTIES", "QUERIES",
	"QUERY", "RENAME", "RETENTION", "RUN", "SAMPLE", "SCRIPT", "SECONDS", "SIZE", "STREAMS",
	"TO", "TOPIC", "TOPICS", "TUMBLING", "VIEW", "YEARS",
}

func init() {
	for _, w := range ksqlReserved {
		reserved[w] = true
	}
}
