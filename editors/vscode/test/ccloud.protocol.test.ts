// Confluent Cloud through the extension's own code, against the real ide-sidecar and the fake Confluent Cloud of the
// Rust tests run as a program (examples/fake_ccloud.rs): sign a CCLOUD connection in (following the authorize URI as a
// browser would, to the sidecar's loopback callback), list its environments as the tree does (src/model/resources.ts),
// offer its clusters to the palette commands (src/model/targets.ts), then on a cloud cluster named by `cluster_id`:
// list topics, read a page as the viewer does (an Avro record decoded through the environment's Schema Registry),
// produce from the produce document, and read a schema.
//
// Needs the binary and the fake (`cargo build && cargo build --example fake_ccloud`; or IDE_SIDECAR_BIN and
// FAKE_CCLOUD_BIN).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { get } from "node:http";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { DataApi } from "../src/model/dataApi";
import { parseProduceDocument, produceTemplate, summarizeProduce } from "../src/model/produce";
import { EVENT_NOTIFICATION } from "../src/model/protocolExtras";
import { RecordPager, RecordStore, recordJson, recordRow } from "../src/model/records";
import { cloudNodes, showsCloudResources, subjectNode, topicNode, versionNode } from "../src/model/resources";
import { SidecarApi } from "../src/model/sidecarApi";
import { targetItems } from "../src/model/targets";
import type { TreeNode } from "../src/model/tree";
import type { CloudResourcesResult, ConnectionEvent } from "../src/protocol";
import { exitOf, fakeCCloudBinary, sidecarBinary, stopSidecar, within } from "./harness";

const CLOUD = "cloud-test";

/** One GET without following redirects: the status, the Location and the body. */
function httpGet(uri: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(uri, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, location: response.headers.location, body }));
    }).on("error", reject);
  });
}

function find(nodes: readonly TreeNode[], match: (node: TreeNode) => boolean): TreeNode {
  const stack = [...nodes];
  for (let node = stack.shift(); node; node = stack.shift()) {
    if (match(node)) return node;
    stack.push(...node.children);
  }
  throw new Error(`no such node in ${JSON.stringify(nodes.map((n) => n.label))}`);
}

describe("Confluent Cloud through the extension's code, against the real ide-sidecar and the fake Confluent Cloud", () => {
  let fake: ChildProcess;
  let sidecar: ChildProcess;
  let connection: MessageConnection;
  let api: SidecarApi;
  let data: DataApi;
  let fakeLog = "";
  let stderr = "";
  let resources: CloudResourcesResult;
  let tree: TreeNode[] = [];
  const events: ConnectionEvent[] = [];
  const waiters: { match: (e: ConnectionEvent) => boolean; done: (e: ConnectionEvent) => void }[] = [];

  function nextEvent(match: (e: ConnectionEvent) => boolean, what: string): Promise<ConnectionEvent> {
    const seen = events.find(match);
    if (seen) return Promise.resolve(seen);
    return within(new Promise((done) => waiters.push({ match, done })), what);
  }

  before(async () => {
    fake = spawn(fakeCCloudBinary(), [], { stdio: ["pipe", "pipe", "pipe"] });
    fake.stderr?.on("data", (chunk: Buffer) => (fakeLog += chunk.toString()));
    const firstLine = new Promise<string>((resolve, reject) => {
      createInterface({ input: fake.stdout! }).once("line", resolve);
      fake.once("exit", (code) => reject(new Error(`the fake Confluent Cloud exited (${code}): ${fakeLog}`)));
    });
    const options = JSON.parse(await within(firstLine, "the fake Confluent Cloud's options")) as { ccloud: Record<string, unknown> };
    sidecar = spawn(sidecarBinary(), ["serve"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "info" } });
    sidecar.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    connection = createMessageConnection(new StreamMessageReader(sidecar.stdout!), new StreamMessageWriter(sidecar.stdin!));
    connection.onNotification(EVENT_NOTIFICATION, (event: ConnectionEvent) => {
      events.push(event);
      for (const waiter of waiters.splice(0)) {
        if (waiter.match(event)) waiter.done(event);
        else waiters.push(waiter);
      }
    });
    connection.listen();
    const request = (method: string, params: unknown) => connection.sendRequest(method, params);
    api = new SidecarApi(request);
    data = new DataApi(request);
    await within(connection.sendRequest("initialize", { processId: process.pid, capabilities: {}, initializationOptions: { check_timeout_seconds: 10, ccloud: options.ccloud } }), "initialize");
    await connection.sendNotification("initialized", {});
  });

  after(async () => {
    await stopSidecar(connection, sidecar);
    if (fake && fake.exitCode === null) {
      fake.stdin?.end();
      await within(exitOf(fake), "the fake Confluent Cloud to stop", 5000).catch(() => fake.kill());
    }
  });

  it("signs in: the authorize URI, followed as a browser would, redirects to the sidecar's callback", async () => {
    await within(api.create({ id: CLOUD, name: "Confluent Cloud", type: "CCLOUD" }), "creating the CCLOUD connection");
    const started = await within(api.signIn(CLOUD, false), "ccloud/signIn");
    assert.equal(started.kind, "started", JSON.stringify(started));
    const signInUri = (started as { signInUri: string }).signInUri;
    const authorize = await within(httpGet(signInUri), "the authorize endpoint");
    assert.equal(authorize.status, 302, authorize.body);
    const callback = await within(httpGet(authorize.location!), "the sidecar's callback page");
    assert.equal(callback.status, 200, callback.body);
    const signedIn = await nextEvent((e) => e.connection.id === CLOUD && e.connection.status.ccloud?.state === "SUCCESS", "the signed-in event");
    assert.ok(showsCloudResources(signedIn.connection), "the tree shows the environments of a signed-in connection");
  });

  it("lists the environments, clusters and registry as the tree shows them", async () => {
    resources = await within(data.cloudResources(CLOUD), "ccloud/resources");
    tree = cloudNodes(CLOUD, resources);
    assert.deepEqual(
      tree.map((env) => [env.label, env.children.map((child) => `${child.kind}:${child.label}`)]),
      [
        ["production", ["cluster:orders", "cluster:payments", "registry:Schema Registry"]],
        ["development", ["cluster:scratch"]],
      ],
    );
    const cluster = find(tree, (n) => n.kind === "cluster" && n.clusterId === "lkc-prod1");
    assert.deepEqual(cluster.children.map((folder) => [folder.label, folder.clusterId]), [["Topics", "lkc-prod1"], ["Consumer Groups", "lkc-prod1"]]);
  });

  it("offers the cloud clusters and the registry to the palette commands", async () => {
    const connections = await within(api.list(), "connections/list");
    const kafka = targetItems("kafka", connections, new Map([[CLOUD, resources]]));
    assert.deepEqual(kafka.map((item) => [item.connectionId, item.clusterId, item.label]), [
      [CLOUD, "lkc-prod1", "$(cloud) orders"],
      [CLOUD, "lkc-prod2", "$(cloud) payments"],
      [CLOUD, "lkc-dev1", "$(cloud) scratch"],
    ]);
    assert.equal(kafka[0].description, "production (env-prod) · Confluent Cloud");
    const registries = targetItems("registry", connections, new Map([[CLOUD, resources]]));
    assert.deepEqual(registries.map((item) => [item.clusterId, item.label]), [["lsrc-prod1", "$(cloud) Schema Registry lsrc-prod1"]]);
  });

  it("lists a cloud cluster's topics and reads a page as the viewer does, the Avro record decoded", async () => {
    const folder = find(tree, (n) => n.kind === "folder" && n.folder === "topics" && n.clusterId === "lkc-prod1");
    const topics = await within(data.listTopics(CLOUD, folder.clusterId), "kafka/topics/list on lkc-prod1");
    assert.deepEqual(topics.map((t) => topicNode(CLOUD, t, folder.clusterId)).map((n) => [n.label, n.description, n.clusterId]), [["orders", "2 partitions", "lkc-prod1"]]);
    const partitions = (await within(data.describeTopic(CLOUD, "orders", "lkc-prod1"), "describing orders")).partitions.map((p) => p.partition);
    assert.deepEqual(partitions, [0, 1]);
    const pager = new RecordPager(data, { connectionId: CLOUD, clusterId: "lkc-prod1", topic: "orders", start: { from: "beginning" } }, partitions);
    const store = new RecordStore();
    for (let pages = 0; pages < 10; pages++) {
      const page = await within(pager.next(), "a page of records");
      store.add(page.records);
      if (page.atEnd) break;
    }
    const rows = store.all().map(recordRow).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    assert.deepEqual(rows.map((r) => [r.partition, r.offset, r.key]), [[0, 0, "order-1"], [0, 1, "order-2"], [1, 0, "note-1"]]);
    const schemaId = (await within(data.getSchema(CLOUD, "orders-value", 1, "lsrc-prod1"), "the schema")).id;
    assert.deepEqual([rows[1].format, rows[1].value, rows[1].error], [`AVRO #${schemaId}`, '{"id":2,"item":"coffee"}', undefined]);
    assert.deepEqual([rows[0].format, rows[2].format], ["JSON", "STRING"]);
    const avro = store.all().find((r) => r.offset === 1 && r.partition === 0)!;
    assert.deepEqual((JSON.parse(recordJson(avro)) as { value: unknown }).value, { format: "AVRO", schema_id: schemaId, data: { id: 2, item: "coffee" } });
  });

  it("produces from the produce document (a dry run first) and reads the record back", async () => {
    const text = produceTemplate(CLOUD, "orders", "lkc-prod1").replace('"headers": [{ "key": "source"', '"partition": 1,\n      "headers": [{ "key": "source"');
    const parsed = parseProduceDocument(text);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.equal(parsed.document.clusterId, "lkc-prod1", "the template names the cluster");
    const avro = { value: { data: { id: 3, item: "cake" }, schema: { subject: "orders-value" } }, partition: 1 };
    const params = { connection_id: CLOUD, cluster_id: parsed.document.clusterId, topic: "orders", records: [...parsed.document.records, avro] };
    const dry = summarizeProduce(await within(data.produce({ ...params, dry_run: true }), "the dry run"), true);
    assert.equal(dry.failed, 0, dry.lines.join("\n"));
    const sent = summarizeProduce(await within(data.produce(params), "producing"), false);
    assert.deepEqual(sent.lines.map((line) => line.replace(/ \(key.*$/, "")), ["records[0]: partition 1, offset 1", "records[1]: partition 1, offset 2"]);
    const pager = new RecordPager(data, { connectionId: CLOUD, clusterId: "lkc-prod1", topic: "orders", start: { from: "offset", offset: 1 }, partitions: [1] }, [0, 1]);
    const page = await within(pager.next(), "the produced records");
    assert.deepEqual(page.records.map(recordRow).map((r) => [r.offset, r.value]), [[1, '{"id":1,"note":"hello from VS Code"}'], [2, '{"id":3,"item":"cake"}']]);
  });

  it("reads the environment's schemas with the registry's cluster_id, as the Schema Subjects folder does", async () => {
    const registry = find(tree, (n) => n.kind === "registry");
    const folder = registry.children[0];
    assert.deepEqual([folder.folder, folder.clusterId], ["subjects", "lsrc-prod1"]);
    const subjects = await within(data.listSubjects(CLOUD, folder.clusterId), "schemas/subjects/list");
    assert.deepEqual(subjects.map((s) => subjectNode(CLOUD, s, folder.clusterId).label), ["orders-value"]);
    const versions = await within(data.listVersions(CLOUD, "orders-value", folder.clusterId), "the versions");
    const version = versionNode(CLOUD, "orders-value", versions[0], folder.clusterId);
    const schema = await within(data.getSchema(CLOUD, version.subject!, version.version!, version.clusterId), "schemas/get");
    assert.equal(schema.schema_type, "AVRO");
    assert.equal((JSON.parse(schema.schema) as { name: string }).name, "Order");
    assert.equal(sidecar.exitCode, null, stderr);
    assert.doesNotMatch(fakeLog, /requests refused/);
  });
});
