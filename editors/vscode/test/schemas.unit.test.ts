import assert from "node:assert/strict";
import { test } from "node:test";
import { compatibilityLines, deleteQuestion, describeDryRun, describeLevel, guessSchemaType, schemaText, subjectFromFileName } from "../src/model/schemas";

test("the open document's schema type: Protobuf, JSON Schema or Avro, else unknown", () => {
  assert.equal(guessSchemaType('syntax = "proto3";\nmessage Order {}'), "PROTOBUF");
  assert.equal(guessSchemaType("anything", "/w/order.proto"), "PROTOBUF");
  assert.equal(guessSchemaType('{"type": "record", "name": "Order", "fields": []}'), "AVRO");
  assert.equal(guessSchemaType('"string"'), "AVRO");
  assert.equal(guessSchemaType('["null", "string"]'), "AVRO");
  assert.equal(guessSchemaType("{}", "/w/order.avsc"), "AVRO");
  assert.equal(guessSchemaType('{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}'), "JSON");
  assert.equal(guessSchemaType('{"properties": {"id": {"type": "string"}}}'), "JSON");
  assert.equal(guessSchemaType('{"name": "x"}'), undefined);
  assert.equal(guessSchemaType("not json"), undefined);
});

test("the schema text: JSON types must parse, nothing empty", () => {
  assert.deepEqual(schemaText('  {"type": "record"}\n', "AVRO"), { text: '{"type": "record"}' });
  assert.match((schemaText("{oops", "AVRO") as { error: string }).error, /^The document is not valid JSON, so it cannot be an Avro schema: /);
  assert.match((schemaText("{oops", "JSON") as { error: string }).error, /JSON schema/);
  assert.deepEqual(schemaText("message A {}", "PROTOBUF"), { text: "message A {}" });
  assert.match((schemaText("  ", "PROTOBUF") as { error: string }).error, /empty/);
});

test("the subject a file name suggests", () => {
  assert.equal(subjectFromFileName("/w/orders-value.avsc"), "orders-value");
  assert.equal(subjectFromFileName("/1/schemas/orders-value.v2.id7.json"), "orders-value");
  assert.equal(subjectFromFileName("Untitled-1"), undefined);
});

test("words for checks, dry runs, levels and deletes", () => {
  assert.deepEqual(compatibilityLines("s", "latest", { is_compatible: true, messages: [] }), ["Compatible with 's' version latest"]);
  assert.deepEqual(compatibilityLines("s", "2", { is_compatible: false, messages: [] }), ["Not compatible with 's' version 2:", "(the registry gave no reason)"]);
  assert.equal(describeDryRun("s", { dry_run: true, is_compatible: true, id: 3, version: 1 }).kind, "exists");
  assert.deepEqual(describeDryRun("s", { dry_run: true, is_compatible: false, messages: ["why"] }).details, ["why"]);
  assert.equal(describeDryRun("s", { dry_run: true, is_compatible: true }).kind, "ready");
  assert.equal(describeLevel(undefined, { compatibility: "FULL", source: "global" }), "The global compatibility level is FULL");
  assert.equal(describeLevel("s", { compatibility: "NONE", source: "subject" }), "'s' has its own compatibility level: NONE");
  assert.equal(deleteQuestion("s"), "Delete the subject 's' with all its versions?");
  assert.equal(deleteQuestion("s", 2), "Delete version 2 of 's'?");
});
