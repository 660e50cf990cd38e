import assert from "node:assert/strict";
import { test } from "node:test";
import { ConnectionsModel, connectionNode } from "../src/model/tree";
import type { Connection } from "../src/protocol";
import { REFUSED, ccloud, direct } from "./fixtures";

test("a connection node shows its name, overall icon, the components and then its folders as children", () => {
  const node = connectionNode(
    direct("dev", "FAILED", "SUCCESS", {
      kafka_cluster: { state: "FAILED", errors: { auth_status_check: { message: REFUSED, is_transient: true } } },
    }),
  );
  assert.equal(node.id, "connection:dev");
  assert.equal(node.label, "Cluster dev");
  assert.equal(node.icon.id, "warning");
  assert.equal(node.contextValue, "connection.DIRECT");
  assert.equal(node.description, "failed: Kafka cluster", "the failing component, its error on the child row only");
  assert.match(node.tooltip, /^Cluster dev \(DIRECT, localhost:9092\)\nKafka cluster: failed \(Connection refused/);
  assert.deepEqual(
    node.children.map((c) => [c.label, c.icon.id, c.description, c.tooltip]),
    [
      ["Kafka cluster", "warning", `failed: ${REFUSED}`, REFUSED],
      ["Schema Registry", "pass", "connected", "Schema Registry: connected"],
      ["Topics", "list-unordered", undefined, "Topics of 'Cluster dev'"],
      ["Consumer Groups", "organization", undefined, "Consumer Groups of 'Cluster dev'"],
      ["Schema Subjects", "symbol-structure", undefined, "Schema Subjects of 'Cluster dev'"],
    ],
  );
  assert.deepEqual(
    node.children.filter((c) => c.lazy).map((c) => [c.id, c.contextValue]),
    [
      ["connection:dev:folder:topics", "folder.topics"],
      ["connection:dev:folder:groups", "folder.groups"],
      ["connection:dev:folder:subjects", "folder.subjects"],
    ],
  );
});

test("attempting spins; success shows the cluster id; CCLOUD nodes have their own context", () => {
  assert.equal(connectionNode(direct("a", "ATTEMPTING")).icon.id, "loading~spin");
  assert.equal(connectionNode(direct("a", "ATTEMPTING")).description, "connecting…");
  const ok = connectionNode(direct("b", "SUCCESS", undefined, { kafka_cluster: { state: "SUCCESS", cluster_id: "tansu_cluster" } }));
  assert.equal(ok.description, "connected");
  assert.equal(ok.children[0].description, "connected (cluster tansu_cluster)");
  const cloud = connectionNode(ccloud("c", "NONE"));
  assert.equal(cloud.contextValue, "connection.CCLOUD");
  assert.equal(cloud.icon.id, "circle-outline");
  assert.equal(cloud.children[0].label, "Confluent Cloud");
  assert.equal(connectionNode(ccloud("c", "EXPIRED")).description, "expired: sign in again");
});

test("the model follows connections/event: created, connected, disconnected, deleted", () => {
  const model = new ConnectionsModel();
  let changes = 0;
  const subscription = model.onDidChange(() => changes++);
  model.replaceAll([direct("one", "SUCCESS")]);
  model.apply({ action: "CREATED", connection: direct("two", "ATTEMPTING") });
  assert.deepEqual(model.nodes().map((n) => [n.label, n.icon.id]), [["Cluster one", "pass"], ["Cluster two", "loading~spin"]]);
  model.apply({ action: "CONNECTED", connection: direct("two", "SUCCESS") });
  assert.equal(model.nodes()[1].icon.id, "pass");
  model.apply({ action: "DISCONNECTED", connection: direct("one", "FAILED") });
  assert.equal(model.nodes()[0].icon.id, "warning", "updated in place, order kept");
  model.apply({ action: "DELETED", connection: direct("one", "FAILED") });
  assert.deepEqual(model.nodes().map((n) => n.label), ["Cluster two"]);
  assert.equal(changes, 5);
  subscription.dispose();
  model.remove("two");
  assert.equal(changes, 5, "no calls after dispose");
  assert.deepEqual(model.nodes(), []);
});

test("a problem replaces the connections until the next list", () => {
  const model = new ConnectionsModel();
  model.replaceAll([direct("one", "SUCCESS")]);
  model.reset("The sidecar is not running");
  assert.deepEqual(model.nodes().map((n) => [n.kind, n.label, n.icon.id]), [["message", "The sidecar is not running", "error"]]);
  model.replaceAll([direct("one", "SUCCESS")]);
  assert.equal(model.nodes()[0].kind, "connection");
});

function at(revision: number, connection: Connection): Connection {
  return { ...connection, metadata: { ...connection.metadata, revision } };
}

test("a reply older than an event already applied never overwrites it (the save that stayed 'connecting…')", () => {
  const model = new ConnectionsModel();
  // The CONNECTED event arrives while the save still awaits SecretStorage; the create reply (ATTEMPTING) comes after.
  model.apply({ action: "CREATED", connection: at(1, direct("dev", "ATTEMPTING")) });
  model.apply({ action: "CONNECTED", connection: at(2, direct("dev", "SUCCESS")) });
  assert.equal(model.upsert(at(1, direct("dev", "ATTEMPTING"))), false, "the stale reply is ignored");
  assert.equal(model.nodes()[0].icon.id, "pass");
  assert.equal(model.nodes()[0].description, "connected");
  // A newer one still applies, and so does a list, unless it is older than what is held.
  assert.equal(model.upsert(at(3, direct("dev", "FAILED"))), true);
  assert.equal(model.nodes()[0].icon.id, "warning");
  model.replaceAll([at(2, direct("dev", "SUCCESS")), at(4, direct("new", "SUCCESS"))]);
  assert.deepEqual(model.nodes().map((n) => [n.label, n.icon.id]), [["Cluster dev", "warning"], ["Cluster new", "pass"]]);
  // A reply that arrives after the connection's deletion does not bring it back; a new one with the id does.
  model.apply({ action: "DELETED", connection: at(5, direct("dev", "FAILED")) });
  assert.equal(model.upsert(at(3, direct("dev", "FAILED"))), false);
  assert.deepEqual(model.nodes().map((n) => n.label), ["Cluster new"]);
  assert.equal(model.upsert(at(6, direct("dev", "ATTEMPTING"))), true, "created again under the same id");
  // A restarted sidecar counts from the start again.
  model.reset();
  assert.equal(model.upsert(at(1, direct("dev", "SUCCESS"))), true);
});
