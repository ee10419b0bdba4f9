// Drives a ksqlDB-compatible server through the npm package ksqldb-client
// (github.com/Streaminy/ksqldb-client), which speaks HTTP/2 cleartext with
// prior knowledge through Node's http2 module. Run by rest/interop_test.go:
//   KSQL_HOST=127.0.0.1 KSQL_PORT=NNNN node ksqldb-client.js
// Every step asserts what it gets; on success the script prints one JSON
// object with what it saw (the Go test checks it again) and exits 0.
"use strict";
const assert = require("assert");
const KsqldbClient = require("ksqldb-client");

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const client = new KsqldbClient({ host: process.env.KSQL_HOST, port: Number(process.env.KSQL_PORT) });
  await client.connect();
  const out = {};

  // DDL through /ksql: the client insists on a commandId or sequence number.
  const created = await client.executeStatement(
    "CREATE STREAM riders (id INT KEY, name STRING) WITH (kafka_topic='riders', value_format='JSON', partitions=1);"
  );
  assert.strictEqual(created.status, 200, JSON.stringify(created));
  out.created = created.data.rows[0].commandStatus.message;

  // A push query over /query-stream (delimited); rows inserted once its
  // header arrived must reach it.
  const pushRows = [];
  let queryId;
  let gotHeader;
  const header = new Promise((r) => (gotHeader = r));
  let gotRows;
  const rowsArrived = new Promise((r) => (gotRows = r));
  const push = client.streamQuery("SELECT * FROM riders EMIT CHANGES;", (data) => {
    assert.strictEqual(data.status, 200, JSON.stringify(data));
    queryId = data.metadata.queryId;
    gotHeader(data.metadata);
    for (const row of data.rows || []) {
      pushRows.push(row);
      if (pushRows.length === 2) gotRows();
    }
  });
  out.pushMetadata = await header;

  // Inserts through /inserts-stream, one request per row.
  out.inserts = [];
  for (const row of [{ id: 1, name: "ann" }, { ID: 2, NAME: "bob" }]) {
    const res = await client.insertInto("riders", row);
    assert.strictEqual(res.status, 200, JSON.stringify(res));
    assert.strictEqual(res.error, undefined, JSON.stringify(res));
    out.inserts.push(res.data.rows);
  }
  await rowsArrived;
  out.pushRows = pushRows;
  const closed = await client.terminatePushQuery(queryId);
  assert.strictEqual(closed.status, 200, JSON.stringify(closed));
  const pushEnd = await push;
  assert.strictEqual(pushEnd.status, 200, JSON.stringify(pushEnd));

  // A table and a pull query on it (/query-stream, JSON form).
  const ctas = await client.executeStatement(
    "CREATE TABLE ride_counts AS SELECT id, COUNT(*) AS n FROM riders GROUP BY id;",
    { streamsProperties: { "auto.offset.reset": "earliest" } }
  );
  assert.strictEqual(ctas.status, 200, JSON.stringify(ctas));
  out.ctas = ctas.data.rows[0].commandStatus.message;
  for (let i = 0; ; i++) {
    const pull = await client.query("SELECT * FROM ride_counts WHERE id = 2;");
    assert.strictEqual(pull.status, 200, JSON.stringify(pull));
    if (pull.data.rows.length === 1) {
      out.pull = pull.data;
      break;
    }
    assert.ok(i < 200, "the pull query never saw the row");
    await sleep(50);
  }

  // Describe and list.
  const desc = await client.describeSource("riders");
  out.describe = { name: desc.name, type: desc.type, fields: desc.fields.map((f) => [f.name, f.schema.type, f.fieldType || ""]) };
  out.streams = (await client.listStreams()).map((s) => s.name).sort();
  out.tables = (await client.listTables()).map((s) => s.name).sort();
  out.queries = (await client.listQueries()).map((q) => q.queryType + " " + q.sinks.join(","));

  // An error comes back as ksqlDB's error entity.
  const bad = await client.executeStatement("DROP STREAM nosuch;");
  assert.strictEqual(bad.status, 400, JSON.stringify(bad));
  out.error = bad.error.error_code;

  await client.disconnect();
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
