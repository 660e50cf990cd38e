// The tree nodes of what a connection holds (folders, topics, groups with their live lag, schema versions).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LagBook, folderKinds, groupNode, topicNode, versionNode } from "../src/model/resources";
import type { LagEvent } from "../src/protocol";
import { ccloud, direct } from "./fixtures";

test("folders follow what a connection has: Kafka gives Topics and Groups, a registry Subjects, CCLOUD nothing yet", () => {
  assert.deepEqual(folderKinds(direct("k", "SUCCESS")), ["topics", "groups"]);
  assert.deepEqual(folderKinds(direct("k", "SUCCESS", "SUCCESS")), ["topics", "groups", "subjects"]);
  assert.deepEqual(folderKinds(direct("r", undefined, "SUCCESS")), ["subjects"]);
  assert.deepEqual(folderKinds(ccloud("c", "SUCCESS")), []);
});

test("a topic shows its partition count", () => {
  const node = topicNode("dev", { name: "orders", partitions_count: 3, replication_factor: 1, internal: false });
  assert.deepEqual([node.id, node.label, node.description, node.contextValue, node.topic], ["connection:dev:topic:orders", "orders", "3 partitions", "topic", "orders"]);
  assert.equal(topicNode("dev", { name: "one", partitions_count: 1, replication_factor: 1, internal: false }).description, "1 partition");
});

test("a group shows its state and total lag; the latest lag event of its watch wins", () => {
  const summary = { group_id: "billing", state: "Empty", protocol_type: "consumer", members_count: 0 };
  assert.equal(groupNode("dev", summary).description, "Empty, lag …");
  const book = new LagBook("dev", "lag-1");
  const event = (total: number, extra: Partial<LagEvent> = {}): LagEvent => ({
    watch_id: "lag-1",
    connection_id: "dev",
    group_id: "billing",
    state: "Stable",
    total_lag: total,
    partitions: [{ topic: "orders", partition: 0, committed_offset: 1, latest_offset: 1 + total, lag: total }],
    ...extra,
  });
  assert.equal(book.apply(event(4)), true);
  assert.equal(book.apply({ ...event(9), watch_id: "lag-2" }), false, "another watch's event is not this folder's");
  let node = groupNode("dev", summary, book.get("billing"));
  assert.equal(node.description, "Stable, lag 4");
  assert.equal(node.icon.id, "arrow-circle-down");
  assert.match(node.tooltip, /orders\[0\]: lag 4/);
  book.apply(event(0));
  node = groupNode("dev", summary, book.get("billing"));
  assert.equal(node.description, "Stable, lag 0");
  assert.equal(node.icon.id, "check");
  book.apply(event(0, { gone: true }));
  assert.equal(groupNode("dev", summary, book.get("billing")).description, "Stable, gone");
});

test("a schema version node opens read-only", () => {
  const node = versionNode("dev", "orders-value", 2);
  assert.deepEqual([node.label, node.subject, node.version, node.contextValue], ["version 2", "orders-value", 2, "version"]);
});
