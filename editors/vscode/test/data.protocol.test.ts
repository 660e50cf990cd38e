// The extension's data-plane code (src/model/dataApi.ts, records.ts, produce.ts, resources.ts: what the tree, the
// message viewer and the produce command call) against the real ide-sidecar and a tansu broker, through vscode-jsonrpc:
// create a topic, produce from the template with a dry run first, read the records back page by page as the viewer
// does (start, partition, search), tail, watch a group's lag, the schema commands' calls (compatibility, register with a
// dry run, levels, soft and permanent deletes), delete the topic.
//
// Needs the binary (`cargo build`; or IDE_SIDECAR_BIN) and tansu (TANSU, ~/.cargo/bin/tansu or PATH).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { DataApi } from "../src/model/dataApi";
import { parseProduceDocument, produceTemplate, summarizeProduce } from "../src/model/produce";
import { EVENT_NOTIFICATION, Notifications } from "../src/model/protocolExtras";
import { RecordPager, RecordStore, recordJson, recordRow, tailParams, type ViewerQuery } from "../src/model/records";
import { compatibilityLines, deletedMessage, describeDryRun, describeLevel, guessSchemaType } from "../src/model/schemas";
import { LagBook, groupNode, subjectNode, topicNode, versionNode } from "../src/model/resources";
import { SidecarApi } from "../src/model/sidecarApi";
import type { ConnectionEvent, LagEvent, Record as KafkaRecord, RecordsBatch, TailEnded } from "../src/protocol";
import { FakeRegistry } from "./fakeRegistry";
import { exitOf, freePort, sidecarBinary, stopSidecar, tansuBinary, waitForPort, within } from "./harness";

const CONNECTION = "data-test";
const TOPIC = "viewer-test";

/** Notifications of one method in arrival order, and a way to wait for the first that matches. */
class Inbox<T> {
  private readonly seen: T[] = [];
  private waiters: { match: (item: T) => boolean; done: (item: T) => void }[] = [];

  push(item: T): void {
    this.seen.push(item);
    this.waiters = this.waiters.filter((w) => (w.match(item) ? (w.done(item), false) : true));
  }

  next(match: (item: T) => boolean, what: string): Promise<T> {
    const found = this.seen.find(match);
    if (found) return Promise.resolve(found);
    return within(new Promise((done) => this.waiters.push({ match, done })), what);
  }
}

/** Every page of a query, as the viewer's "Load more" would fetch them, into the viewer's store. */
async function loadAll(pager: RecordPager, store = new RecordStore()): Promise<RecordStore> {
  for (let pages = 0; pages < 50; pages++) {
    const page = await within(pager.next(), "a page of records");
    store.add(page.records);
    if (page.atEnd) return store;
  }
  throw new Error("the pager never reached the end of the topic");
}

describe("the viewer's and produce's code against the real ide-sidecar and a tansu broker", () => {
  let tansu: ChildProcess | undefined;
  let sidecar: ChildProcess;
  let connection: MessageConnection;
  let data: DataApi;
  let partitions: number[] = [];
  let stderr = "";
  const events = new Inbox<ConnectionEvent>();
  const batches = new Inbox<RecordsBatch>();
  const ended = new Inbox<TailEnded>();
  const lag = new Inbox<LagEvent>();
  const registry = new FakeRegistry();

  before(async () => {
    const brokerPort = await freePort();
    const url = `tcp://127.0.0.1:${brokerPort}`;
    tansu = spawn(tansuBinary(), ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    tansu.stderr?.on("data", () => undefined);
    await waitForPort(brokerPort, "tansu");
    await registry.start();
    sidecar = spawn(sidecarBinary(), ["serve"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "info" } });
    sidecar.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    connection = createMessageConnection(new StreamMessageReader(sidecar.stdout!), new StreamMessageWriter(sidecar.stdin!));
    connection.onNotification(EVENT_NOTIFICATION, (event: ConnectionEvent) => events.push(event));
    connection.onNotification(Notifications.tailBatch, (batch: RecordsBatch) => batches.push(batch));
    connection.onNotification(Notifications.tailStopped, (end: TailEnded) => ended.push(end));
    connection.onNotification(Notifications.lagChanged, (event: LagEvent) => lag.push(event));
    connection.listen();
    const request = (method: string, params: unknown) => connection.sendRequest(method, params);
    data = new DataApi(request);
    await within(connection.sendRequest("initialize", { processId: process.pid, capabilities: {}, initializationOptions: { check_timeout_seconds: 10 } }), "initialize");
    await connection.sendNotification("initialized", {});
    await within(
      new SidecarApi(request).create({
        id: CONNECTION,
        name: "Data test",
        type: "DIRECT",
        kafka_cluster: { bootstrap_servers: `127.0.0.1:${brokerPort}`, ssl: { enabled: false } },
        schema_registry: { uri: registry.url },
      }),
      "creating the connection",
    );
    await events.next((e) => e.connection.id === CONNECTION && e.action === "CONNECTED", "the CONNECTED event");
  });

  after(async () => {
    await stopSidecar(connection, sidecar);
    await registry.stop();
    if (tansu && tansu.exitCode === null) {
      tansu.kill();
      await within(exitOf(tansu), "tansu to stop", 5000).catch(() => tansu?.kill("SIGKILL"));
    }
  });

  it("creates a topic that the Topics folder lists with its partition count", async () => {
    await within(data.createTopic({ connection_id: CONNECTION, topic: TOPIC, partitions: 2 }), "creating the topic");
    const topics = await within(data.listTopics(CONNECTION), "listing topics");
    const node = topicNode(CONNECTION, topics.find((t) => t.name === TOPIC)!);
    assert.equal(node.description, "2 partitions");
    partitions = (await within(data.describeTopic(CONNECTION, TOPIC), "describing the topic")).partitions.map((p) => p.partition);
    assert.deepEqual(partitions, [0, 1]);
  });

  it("refuses a bad record in the dry run with the path of its field, and writes nothing", async () => {
    const result = await within(
      data.produce({ connection_id: CONNECTION, topic: TOPIC, dry_run: true, records: [{ value: { data: "not base64!", format: "BYTES" } }] }),
      "the dry run",
    );
    const summary = summarizeProduce(result, true);
    assert.equal(summary.failed, 1);
    assert.match(summary.lines[0], /^records\[0\]: not written at records\[0\]\.value\.data: /);
    const store = await loadAll(new RecordPager(data, { connectionId: CONNECTION, topic: TOPIC, start: { from: "beginning" } }, partitions));
    assert.equal(store.length, 0, "the dry run wrote nothing");
  });

  it("produces the template's records: a dry run first, then for real, with partition and offset", async () => {
    const text = produceTemplate(CONNECTION, TOPIC).replace('"headers": [{ "key": "source"', '"partition": 1,\n      "headers": [{ "key": "source"');
    const parsed = parseProduceDocument(text);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    const second = { key: { data: "key-2" }, value: { data: { id: 2, note: "a refund" } }, partition: 0 };
    const params = { connection_id: parsed.document.connectionId!, topic: parsed.document.topic!, records: [...parsed.document.records, second] };
    const dry = summarizeProduce(await within(data.produce({ ...params, dry_run: true }), "the dry run"), true);
    assert.equal(dry.failed, 0, dry.lines.join("\n"));
    assert.match(dry.lines[0], /^records\[0\]: ready \(key 5 bytes, value \d+ bytes\)$/);
    const sent = summarizeProduce(await within(data.produce(params), "producing"), false);
    assert.deepEqual(sent.lines.map((line) => line.replace(/ \(key.*$/, "")), ["records[0]: partition 1, offset 0", "records[1]: partition 0, offset 0"]);
  });

  it("reads them back page by page as the viewer does, decoded, with headers", async () => {
    const query: ViewerQuery = { connectionId: CONNECTION, topic: TOPIC, start: { from: "beginning" } };
    const store = await loadAll(new RecordPager(data, query, partitions, 1));
    // Pages follow partitions one after another, in whichever order the reads came back: sort to compare.
    const records: KafkaRecord[] = [...store.all()].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    assert.deepEqual(records.map((r) => [r.partition, r.offset]), [[0, 0], [1, 0]]);
    const row = recordRow(records[1]);
    assert.deepEqual([row.key, row.format, row.value], ["key-1", "JSON", '{"id":1,"note":"hello from VS Code"}']);
    const whole = JSON.parse(recordJson(records[1])) as { headers: unknown; value: unknown };
    assert.deepEqual(whole.headers, [{ key: "source", value: "vscode" }]);
    assert.deepEqual(whole.value, { format: "JSON", data: { id: 1, note: "hello from VS Code" } });
  });

  it("narrows by partition, offset and search", async () => {
    const one = await loadAll(new RecordPager(data, { connectionId: CONNECTION, topic: TOPIC, start: { from: "offset", offset: 0 }, partitions: [1] }, partitions));
    assert.deepEqual(one.all().map((r) => [r.partition, r.offset]), [[1, 0]]);
    const past = await loadAll(new RecordPager(data, { connectionId: CONNECTION, topic: TOPIC, start: { from: "offset", offset: 1 } }, partitions));
    assert.equal(past.length, 0);
    const found = await loadAll(new RecordPager(data, { connectionId: CONNECTION, topic: TOPIC, start: { from: "beginning" }, contains: "REFUND" }, partitions));
    assert.deepEqual(found.all().map((r) => recordRow(r).key), ["key-2"]);
  });

  it("tails new records and reports the end of the tail", async () => {
    const query: ViewerQuery = { connectionId: CONNECTION, topic: TOPIC, start: { from: "beginning" }, contains: "tailed" };
    const id = await within(data.tail(tailParams(query)), "starting the tail");
    // A tail starts at the end once its reader is assigned: keep producing until a batch shows up.
    let batch: RecordsBatch | undefined;
    const arrived = batches.next((b) => b.subscription_id === id && b.records.length > 0, "a tail batch").then((b) => (batch = b));
    for (let i = 0; !batch && i < 100; i++) {
      await within(data.produce({ connection_id: CONNECTION, topic: TOPIC, records: [{ value: { data: `tailed ${i}` } }, { value: { data: "skipped by the search" } }] }), "producing for the tail");
      await Promise.race([arrived, new Promise((r) => setTimeout(r, 200))]);
    }
    await arrived;
    assert.ok(batch!.records.every((r) => recordRow(r).value.startsWith("tailed ")), JSON.stringify(batch!.records.map(recordRow)));
    await within(data.untail(id), "untail");
    const end = await ended.next((e) => e.subscription_id === id, "kafka/tail/ended");
    assert.equal(end.reason, "UNTAIL");
  });

  it("watches a group's lag as the Consumer Groups folder does", async () => {
    // A group positioned by a reset has committed offsets and no members: the cluster knows it, with lag.
    await within(connection.sendRequest("kafka/groups/resetOffsets", { connection_id: CONNECTION, group_id: "viewer-group", topic: TOPIC, to: "earliest" }), "resetting the group");
    const groups = await within(data.listGroups(CONNECTION), "listing groups");
    const summary = groups.find((g) => g.group_id === "viewer-group");
    assert.ok(summary, JSON.stringify(groups));
    const watchId = await within(data.watchLag(CONNECTION, ["viewer-group"], 500), "watching the lag");
    const book = new LagBook(CONNECTION, watchId);
    const first = await lag.next((e) => e.watch_id === watchId, "the first lag reading");
    assert.ok(book.apply(first));
    assert.ok(first.total_lag > 0, JSON.stringify(first));
    assert.equal(groupNode(CONNECTION, summary, book.get("viewer-group")).description, `${first.state}, lag ${first.total_lag}`);
    await within(data.unwatchLag(watchId), "unwatching");
  });

  it("lists schema subjects and versions, opens one, and shows records written with it decoded, with the schema id", async () => {
    const schema = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "string" }, { name: "quantity", type: "int" }] });
    const registered = await within(
      connection.sendRequest<{ id: number; version: number }>("schemas/register", { connection_id: CONNECTION, subject: `${TOPIC}-value`, schema_type: "AVRO", schema }),
      "registering a schema",
    );
    const subjects = await within(data.listSubjects(CONNECTION), "listing subjects");
    assert.deepEqual(subjects.map((subject) => subjectNode(CONNECTION, subject).label), [`${TOPIC}-value`]);
    const versions = await within(data.listVersions(CONNECTION, `${TOPIC}-value`), "listing versions");
    assert.deepEqual(versions.map((version) => versionNode(CONNECTION, `${TOPIC}-value`, version).label), ["version 1"]);
    const read = await within(data.getSchema(CONNECTION, `${TOPIC}-value`, 1), "reading the schema");
    assert.deepEqual([read.id, read.schema_type, JSON.parse(read.schema)], [registered.id, "AVRO", JSON.parse(schema)]);

    const document = parseProduceDocument(
      JSON.stringify({ records: [{ key: { data: "avro-1" }, value: { data: { id: "o-1", quantity: 2 }, schema: { subject: `${TOPIC}-value` } }, partition: 0 }] }),
    );
    assert.ok(document.ok, JSON.stringify(document));
    const sent = summarizeProduce(await within(data.produce({ connection_id: CONNECTION, topic: TOPIC, records: document.document.records }), "producing Avro"), false);
    assert.equal(sent.failed, 0, sent.lines.join("\n"));
    const store = await loadAll(new RecordPager(data, { connectionId: CONNECTION, topic: TOPIC, start: { from: "beginning" }, partitions: [0], contains: "avro-1" }, partitions));
    assert.equal(store.length, 1);
    const row = recordRow(store.at(0)!);
    assert.deepEqual([row.format, row.value, row.error], [`AVRO #${registered.id}`, '{"id":"o-1","quantity":2}', undefined]);
    const whole = JSON.parse(recordJson(store.at(0)!)) as { value: unknown };
    assert.deepEqual(whole.value, { format: "AVRO", schema_id: registered.id, data: { id: "o-1", quantity: 2 } });
  });

  it("checks, registers (a dry run first), sets the level and deletes as the schema commands do", async () => {
    const subject = `${TOPIC}-value`;
    const base = JSON.parse((await within(data.getSchema(CONNECTION, subject, 1), "reading version 1")).schema) as { fields: object[] };
    const adding = (field: object) => JSON.stringify({ type: "record", name: "Order", fields: [...base.fields, { name: "currency", type: "string", ...field }] });
    assert.equal(guessSchemaType(adding({})), "AVRO");
    const refused = await within(data.checkCompatibility({ connection_id: CONNECTION, subject, schema_type: "AVRO", schema: adding({}) }), "checking compatibility");
    const lines = compatibilityLines(subject, "latest", refused);
    assert.equal(lines[0], `Not compatible with '${subject}' version latest:`);
    assert.match(lines[1], /currency/);
    const dryRefused = describeDryRun(subject, await within(data.registerSchema({ connection_id: CONNECTION, subject, schema_type: "AVRO", schema: adding({}), dry_run: true }), "a refused dry run"));
    assert.equal(dryRefused.kind, "refused");
    assert.match(dryRefused.details[0], /currency/);

    const params = { connection_id: CONNECTION, subject, schema_type: "AVRO" as const, schema: adding({ default: "EUR" }) };
    assert.equal(describeDryRun(subject, await within(data.registerSchema({ ...params, dry_run: true }), "a dry run")).kind, "ready");
    assert.deepEqual(await within(data.listVersions(CONNECTION, subject), "versions after the dry run"), [1], "the dry run registered nothing");
    const registered = await within(data.registerSchema(params), "registering");
    assert.equal(registered.version, 2);
    assert.equal(describeDryRun(subject, await within(data.registerSchema({ ...params, dry_run: true }), "a dry run of a registered schema")).kind, "exists");

    assert.equal(describeLevel(subject, await within(data.getCompatibility(CONNECTION, subject), "the level")), `'${subject}' follows the global compatibility level: BACKWARD`);
    assert.deepEqual(await within(data.setCompatibility(CONNECTION, "NONE", subject), "setting the level"), { compatibility: "NONE", source: "subject" });
    assert.equal(registry.level(subject), "NONE");
    const global = await within(data.setCompatibility(CONNECTION, "FULL"), "setting the global level");
    assert.deepEqual([global.compatibility, registry.level()], ["FULL", "FULL"]);
    // NONE: the field without a default is accepted now.
    assert.equal((await within(data.checkCompatibility({ connection_id: CONNECTION, subject, schema_type: "AVRO", schema: adding({}) }), "checking under NONE")).is_compatible, true);

    // A permanent delete is refused before a soft one; soft, then permanent, as the Delete Permanently button does.
    await assert.rejects(data.deleteSchema(CONNECTION, subject, 2, true), (error: { code: number }) => error.code === -32057);
    assert.equal(deletedMessage(subject, (await within(data.deleteSchema(CONNECTION, subject, 2, false), "a soft delete")).versions, false), `Deleted (soft) version 2 of '${subject}'`);
    assert.equal(deletedMessage(subject, (await within(data.deleteSchema(CONNECTION, subject, 2, true), "a permanent delete")).versions, true), `Permanently deleted version 2 of '${subject}'`);
    assert.deepEqual(await within(data.listVersions(CONNECTION, subject), "versions after the delete"), [1]);
  });

  it("deletes the topic", async () => {
    await within(data.deleteTopic(CONNECTION, TOPIC), "deleting the topic");
    const topics = await within(data.listTopics(CONNECTION), "listing topics");
    assert.ok(!topics.some((t) => t.name === TOPIC));
    assert.equal(sidecar.exitCode, null, stderr);
  });
});
