// The tree nodes of what a connection holds (folders, topics, groups with their live lag, schema versions).
import assert from "node:assert/strict";
import { test } from "node:test";
import { LagBook, cloudNodes, folderId, folderKinds, groupNode, showsCloudResources, topicNode, versionNode } from "../src/model/resources";
import { connectionNode } from "../src/model/tree";
import type { CloudResourcesResult, LagEvent } from "../src/protocol";
import { ccloud, direct } from "./fixtures";

test("folders follow what a connection has: Kafka gives Topics and Groups, a registry Subjects, CCLOUD none of its own", () => {
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

// A `ccloud/resources` reply as the sidecar answers it (README "Confluent Cloud resources").
const RESOURCES: CloudResourcesResult = {
  organizations: [{ id: "org-1", name: "Wonderland", current: true }],
  environments: [
    {
      id: "env-prod",
      name: "production",
      kafka_clusters: [
        { id: "lkc-prod1", name: "orders", provider: "AWS", region: "us-east-2", bootstrap_servers: "pkc-prod1.us-east-2.aws.confluent.cloud:9092", rest_endpoint: "https://pkc-prod1:443" },
      ],
      schema_registry: { id: "lsrc-prod1", uri: "https://psrc-prod1.us-east-2.aws.confluent.cloud" },
      flink_compute_pools: [],
    },
    { id: "env-empty", name: "sandbox", kafka_clusters: [], schema_registry: null, flink_compute_pools: [] },
  ],
  read_at: "2026-12-06T10:12:31Z",
};

test("a signed-in CCLOUD connection shows its environments, their clusters and registry, with the folders naming the cluster", () => {
  assert.equal(showsCloudResources(ccloud("c", "SUCCESS")), true);
  assert.equal(showsCloudResources(ccloud("c", "NONE")), false);
  assert.equal(showsCloudResources(ccloud("c", "EXPIRED")), false);
  assert.equal(connectionNode(ccloud("c", "SUCCESS")).cloud, true);
  assert.equal(connectionNode(ccloud("c", "NONE")).cloud, undefined);
  assert.equal(connectionNode(direct("d", "SUCCESS")).cloud, undefined);

  const [prod, empty] = cloudNodes("c", RESOURCES);
  assert.deepEqual([prod.kind, prod.label, prod.description, prod.contextValue], ["environment", "production", "env-prod", "environment"]);
  const [cluster, registry] = prod.children;
  assert.deepEqual([cluster.kind, cluster.label, cluster.description, cluster.clusterId], ["cluster", "orders", "AWS us-east-2", "lkc-prod1"]);
  assert.match(cluster.tooltip, /pkc-prod1\.us-east-2\.aws\.confluent\.cloud:9092/);
  assert.deepEqual(
    cluster.children.map((folder) => [folder.id, folder.label, folder.folder, folder.clusterId, folder.lazy, folder.contextValue]),
    [
      [folderId("c", "topics", "lkc-prod1"), "Topics", "topics", "lkc-prod1", true, "folder.topics"],
      [folderId("c", "groups", "lkc-prod1"), "Consumer Groups", "groups", "lkc-prod1", true, "folder.groups"],
    ],
  );
  assert.equal(folderId("c", "topics", "lkc-prod1"), "connection:c:cluster:lkc-prod1:folder:topics");
  assert.deepEqual([registry.kind, registry.clusterId], ["registry", "lsrc-prod1"]);
  assert.deepEqual(registry.children.map((folder) => [folder.folder, folder.clusterId]), [["subjects", "lsrc-prod1"]]);
  assert.deepEqual(empty.children.map((node) => [node.kind, node.label]), [["message", "No Kafka clusters or Schema Registry"]]);

  // What the folders list carries the cluster too, and stays apart from another cluster's nodes of the same name.
  const topic = topicNode("c", { name: "orders", partitions_count: 6, replication_factor: 3, internal: false }, "lkc-prod1");
  assert.deepEqual([topic.id, topic.clusterId], ["connection:c:cluster:lkc-prod1:topic:orders", "lkc-prod1"]);
  assert.notEqual(topic.id, topicNode("c", { name: "orders", partitions_count: 6, replication_factor: 3, internal: false }, "lkc-other").id);
  assert.equal(versionNode("c", "orders-value", 2, "lsrc-prod1").id, "connection:c:cluster:lsrc-prod1:subject:orders-value:v2");
  assert.deepEqual(cloudNodes("c", { ...RESOURCES, environments: [] }).map((node) => node.label), ["No environments in this organization"]);
});
