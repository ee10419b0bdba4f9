// Package exec runs persistent queries. A query is a chain of stages, each
// run by one task per input partition; a task reads a batch of records
// from the log, decodes them (exec/serde) into rows, passes them through
// compiled operators (filter, project, table materialization, aggregate
// over tumbling and hopping windows, repartition, sink) and buffers the
// results.
//
// A task commits exactly once: it appends its output records under a log
// transaction and prepares (fsyncs) them, then commits its operators'
// state, its input position and the transaction's sequence number in one
// state batch, then commits the log transaction. ResolveInDoubt settles
// transactions a crash left open from those state records.
//
// Records that cannot be decoded or evaluated go to the processing log
// (KSQL_PROCESSING_LOG) and the query keeps running.
//
// It imports planner (physical plans and bound expressions), state,
// broker and sql/types; never the parser or the AST.
package exec
