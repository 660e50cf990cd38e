import assert from "node:assert/strict";
import { test } from "node:test";
import { STATE_ICONS, components, describeConnection, overallState, testOutcome } from "../src/model/status";
import type { ConnectedState } from "../src/protocol";
import { REFUSED, ccloud, direct } from "./fixtures";

test("every state has its icon: spinning while attempting, warning when failed", () => {
  assert.deepEqual(STATE_ICONS.ATTEMPTING, { id: "loading~spin" });
  assert.equal(STATE_ICONS.SUCCESS.id, "pass");
  assert.equal(STATE_ICONS.FAILED.id, "warning");
  assert.equal(STATE_ICONS.EXPIRED.id, "history");
  assert.equal(STATE_ICONS.NONE.id, "circle-outline");
  const states: ConnectedState[] = ["NONE", "ATTEMPTING", "SUCCESS", "EXPIRED", "FAILED"];
  assert.equal(new Set(states.map((s) => STATE_ICONS[s].id)).size, states.length, "icons tell the states apart");
});

test("the overall state is the one needing attention most", () => {
  const cases: [ConnectedState | undefined, ConnectedState | undefined, ConnectedState][] = [
    ["SUCCESS", "SUCCESS", "SUCCESS"],
    ["SUCCESS", undefined, "SUCCESS"],
    ["ATTEMPTING", "SUCCESS", "ATTEMPTING"],
    ["FAILED", "SUCCESS", "FAILED"],
    ["FAILED", "ATTEMPTING", "FAILED"],
    ["SUCCESS", "EXPIRED", "EXPIRED"],
    ["NONE", "SUCCESS", "NONE"],
  ];
  for (const [kafka, registry, expected] of cases) {
    assert.equal(overallState(direct("a", kafka, registry)), expected, `kafka=${kafka} registry=${registry}`);
  }
  assert.equal(overallState(ccloud("c", "NONE")), "NONE");
  assert.equal(overallState(ccloud("c", "EXPIRED")), "EXPIRED");
  assert.equal(overallState(direct("a", undefined)), "NONE", "no component at all");
});

test("components carry the first error and the learned facts", () => {
  const connection = direct("a", "FAILED", "SUCCESS", {
    kafka_cluster: { state: "FAILED", errors: { auth_status_check: { message: REFUSED, is_transient: true } } },
  });
  assert.deepEqual(components(connection), [
    { key: "kafka_cluster", state: "FAILED", error: REFUSED, transient: true, detail: undefined },
    { key: "schema_registry", state: "SUCCESS" },
  ]);
  const ok = direct("b", "SUCCESS", undefined, { kafka_cluster: { state: "SUCCESS", cluster_id: "tansu_cluster" } });
  assert.equal(components(ok)[0].detail, "cluster tansu_cluster");
  const signedIn = ccloud("c", "FAILED");
  signedIn.status.ccloud!.errors = { sign_in: { message: "sign-in failed", is_transient: false }, auth_status_check: { message: "later", is_transient: true } };
  assert.equal(components(signedIn)[0].error, "sign-in failed", "sign_in comes before auth_status_check");
});

test("descriptions and test outcomes read as sentences", () => {
  const failed = direct("a", "FAILED", "SUCCESS", {
    kafka_cluster: { state: "FAILED", errors: { auth_status_check: { message: REFUSED, is_transient: true } } },
  });
  assert.equal(describeConnection(failed), `Cluster a: Kafka cluster: failed (${REFUSED}); Schema Registry: connected`);
  assert.deepEqual(testOutcome(failed), { passed: false, summary: `Kafka cluster: failed (${REFUSED}); Schema Registry: connected` });
  assert.equal(testOutcome(direct("b", "SUCCESS", "SUCCESS")).passed, true);
  assert.equal(testOutcome(direct("c", undefined)).passed, false, "nothing checked is not a pass");
});
