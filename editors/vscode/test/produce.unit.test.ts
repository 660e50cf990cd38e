// Produce documents: the template, comments, parsing with JSON paths, where a path is in the text, results.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseProduceDocument, problemLines, produceTemplate, rangeOf, refusals, stripComments, summarizeProduce, valueRanges } from "../src/model/produce";

test("the template parses as it is, with its connection and topic", () => {
  const parsed = parseProduceDocument(produceTemplate("dev", "orders"));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.equal(parsed.document.connectionId, "dev");
  assert.equal(parsed.document.topic, "orders");
  assert.deepEqual(parsed.document.records, [
    { key: { data: "key-1" }, value: { data: { id: 1, note: "hello from VS Code" } }, headers: [{ key: "source", value: "vscode" }] },
  ]);
});

test("a Confluent Cloud topic's template names its cluster, which parses as the cluster to produce to", () => {
  const parsed = parseProduceDocument(produceTemplate("cloud", "orders", "lkc-prod1"));
  assert.ok(parsed.ok, JSON.stringify(parsed));
  assert.deepEqual([parsed.document.connectionId, parsed.document.clusterId, parsed.document.topic], ["cloud", "lkc-prod1", "orders"]);
  assert.equal(parseProduceDocument(produceTemplate("dev", "orders")).ok && (parseProduceDocument(produceTemplate("dev", "orders")) as { document: { clusterId?: string } }).document.clusterId, undefined);
  const blank = parseProduceDocument('{"cluster_id": "", "records": [{"value": null}]}');
  assert.deepEqual(blank.ok ? [] : problemLines(blank.problems), ["cluster_id: Give a non-empty string, or leave it out to be asked"]);
});

test("comments become spaces, strings with slashes stay, offsets are kept", () => {
  const text = '// top\n{"url": "http://x//y", /* a\nb */ "n": 1}';
  const stripped = stripComments(text);
  assert.deepEqual(JSON.parse(stripped), { url: "http://x//y", n: 1 });
  assert.equal(stripped.length, text.length);
  assert.equal(stripped.indexOf('"n"'), text.indexOf('"n"'));
  assert.deepEqual(JSON.parse(stripComments('{"a": "quote \\" // not a comment"}')), { a: 'quote " // not a comment' });
});

test("every problem has the JSON path of its field, and nothing is parsed when there is one", () => {
  const parsed = parseProduceDocument(
    JSON.stringify({
      topic: "",
      extra: 1,
      records: [
        { key: { data: "k" }, value: { data: { amount: 1 }, schema: { subject: "orders-value", version: 0 } } },
        { key: "plain", value: { format: "YAML", data: 1 }, headers: [{ key: 1, value: 2 }], partition: -1 },
        { value: { format: "BYTES", data: 5, schema: { subject_name_strategy: "BY_GUESS", colour: "red" } }, timestamp: 1.5, oops: true },
        "not a record",
        { value: { format: "JSON" } },
      ],
    }),
  );
  assert.equal(parsed.ok, false);
  if (parsed.ok) return;
  assert.deepEqual(
    parsed.problems.map((p) => p.path),
    [
      "extra",
      "topic",
      "records[0].value.schema.version",
      "records[1].key",
      "records[1].value.format",
      "records[1].headers[0].key",
      "records[1].headers[0].value",
      "records[1].partition",
      "records[2].oops",
      "records[2].value.data",
      "records[2].value.schema.colour",
      "records[2].value.schema.subject_name_strategy",
      "records[2].timestamp",
      "records[3]",
      "records[4].value.data",
    ],
  );
  assert.match(problemLines(parsed.problems)[0], /^extra: Unknown field: use connection_id, cluster_id, topic, records$/);
});

test("broken JSON and an empty list are refused with a sentence", () => {
  const broken = parseProduceDocument('{"records": [');
  assert.ok(!broken.ok && /^The document is not valid JSON/.test(broken.problems[0].message));
  const empty = parseProduceDocument('{"records": []}');
  assert.ok(!empty.ok && empty.problems[0].path === "records");
  const tooMany = parseProduceDocument(JSON.stringify({ records: Array.from({ length: 10_001 }, () => ({})) }));
  assert.ok(!tooMany.ok && /at most 10000/.test(tooMany.problems[0].message));
});

test("results say where each record went, or where it was refused", () => {
  const result = {
    records: [
      { key_size: 3, error: { source: "records[0].value.data.quantity", message: "expected an int, found a string (schema id 1)" } },
      { partition: 1, offset: 7, timestamp: 1, key_size: 4, value_size: 13 },
    ],
  };
  assert.deepEqual(summarizeProduce(result, false), {
    failed: 1,
    lines: [
      "records[0]: not written at records[0].value.data.quantity: expected an int, found a string (schema id 1)",
      "records[1]: partition 1, offset 7 (key 4 bytes, value 13 bytes)",
    ],
  });
  assert.deepEqual(summarizeProduce({ records: [{ key_size: 1, value_size: 2 }] }, true), { failed: 0, lines: ["records[0]: ready (key 1 bytes, value 2 bytes)"] });
});

test("a problem's path finds its value in the document, or the closest enclosing one", () => {
  const text = '// c\n{"records": [ {"key": {"data": "k"}}, {"value": {"data": {"amount": "x"}, "format": "JSON"}} ]}';
  const ranges = valueRanges(text);
  const at = (path: string) => {
    const range = rangeOf(ranges, path);
    return range ? text.slice(range[0], range[1]) : undefined;
  };
  assert.equal(at("records[1].value.data.amount"), '"x"');
  assert.equal(at("records[0].key"), '{"data": "k"}');
  assert.equal(at("records[1].value.format"), '"JSON"');
  assert.equal(at("records[0].value.data"), '{"key": {"data": "k"}}', "a missing field points at its record");
  assert.equal(at("records[7]"), text.slice(text.indexOf("[ {"), text.lastIndexOf("]") + 1));
  assert.equal(at(""), text.slice(5));
  assert.ok(valueRanges('{"records": [1, ').has("records[0]"), "what was read before a syntax error");
});

test("refused records become problems at their field, else at the record", () => {
  const result = { records: [{ error: { source: "records[0].value.data.quantity", message: "expected an int" } }, { partition: 0, offset: 1 }, { error: { message: "too large" } }] };
  assert.deepEqual(refusals(result), [
    { path: "records[0].value.data.quantity", message: "expected an int" },
    { path: "records[2]", message: "too large" },
  ]);
});
