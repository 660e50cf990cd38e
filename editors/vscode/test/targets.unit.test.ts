// What the palette commands offer when they are not run on a tree item (src/model/targets.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { targetItems } from "../src/model/targets";
import type { CloudResourcesResult } from "../src/protocol";
import { ccloud, direct } from "./fixtures";

const RESOURCES = {
  organizations: [],
  environments: [
    {
      id: "env-1",
      name: "prod",
      kafka_clusters: [{ id: "lkc-1", name: "orders", provider: "AWS", region: "us-east-2", bootstrap_servers: "x:9092", rest_endpoint: "https://x" }],
      schema_registry: { id: "lsrc-1", uri: "https://sr" },
      flink_compute_pools: [],
    },
    { id: "env-2", name: "dev", kafka_clusters: [], flink_compute_pools: [] },
  ],
} as unknown as CloudResourcesResult;

describe("targetItems", () => {
  it("offers connections with their own cluster, then the clusters of signed-in Confluent Cloud connections", () => {
    const connections = [direct("a", "SUCCESS"), direct("b", undefined, "SUCCESS"), ccloud("c", "SUCCESS"), ccloud("d", "NONE")];
    const cloud = new Map([["c", RESOURCES], ["d", RESOURCES]]);
    assert.deepEqual(
      targetItems("kafka", connections, cloud).map((i) => [i.connectionId, i.clusterId, i.label, i.description]),
      [
        ["a", undefined, "Cluster a", "localhost:9092"],
        ["c", "lkc-1", "$(cloud) orders", "prod (env-1) · Confluent Cloud"],
      ],
    );
    assert.deepEqual(
      targetItems("registry", connections, cloud).map((i) => [i.connectionId, i.clusterId]),
      [["b", undefined], ["c", "lsrc-1"]],
    );
  });

  it("leaves out a signed-in connection whose resources could not be read", () => {
    assert.deepEqual(targetItems("kafka", [ccloud("c", "SUCCESS")], new Map()), []);
  });
});
