// Drives the real ide-sidecar binary through vscode-jsonrpc, the library vscode-languageclient is built on, with the
// same SidecarApi and ConnectionsModel the extension uses, against a real Kafka broker (tansu) on 127.0.0.1.
//
// Needs the binary (`cargo build`; or IDE_SIDECAR_BIN) and tansu (TANSU, ~/.cargo/bin/tansu or PATH).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { describeError } from "../src/model/errors";
import { DataApi } from "../src/model/dataApi";
import { EVENT_NOTIFICATION, ErrorCodes, sidecarCapabilities } from "../src/model/protocolExtras";
import { cloudProblemNode } from "../src/model/resources";
import { SidecarApi } from "../src/model/sidecarApi";
import { testOutcome } from "../src/model/status";
import { ConnectionsModel } from "../src/model/tree";
import type { ConnectionEvent, ConnectionSpec, EventAction } from "../src/protocol";
import { exitOf, freePort, sidecarBinary, tansuBinary, waitForPort, within } from "./harness";

/** Events in arrival order, and a way to wait for one. */
class EventLog {
  readonly events: ConnectionEvent[] = [];
  private waiters: { match: (e: ConnectionEvent) => boolean; done: (e: ConnectionEvent) => void }[] = [];

  push(event: ConnectionEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => (w.match(event) ? (w.done(event), false) : true));
  }

  /** The first event (already received or to come) for `id` with `action`. */
  next(id: string, action: EventAction): Promise<ConnectionEvent> {
    const match = (e: ConnectionEvent) => e.connection.id === id && e.action === action;
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return within(new Promise((done) => this.waiters.push({ match, done })), `${action} event for '${id}'`);
  }
}

describe("the extension's protocol code against the real ide-sidecar and a tansu broker", () => {
  let tansu: ChildProcess | undefined;
  let sidecar: ChildProcess;
  let connection: MessageConnection;
  let api: SidecarApi;
  let brokerPort: number;
  let stderr = "";
  const log = new EventLog();
  const model = new ConnectionsModel();

  const spec = (): ConnectionSpec => ({
    id: "protocol-test",
    name: "Protocol test",
    type: "DIRECT",
    kafka_cluster: { bootstrap_servers: `127.0.0.1:${brokerPort}`, ssl: { enabled: false } },
  });

  before(async () => {
    const binary = sidecarBinary();
    brokerPort = await freePort();
    const url = `tcp://127.0.0.1:${brokerPort}`;
    tansu = spawn(tansuBinary(), ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    tansu.stderr?.on("data", () => undefined);
    await waitForPort(brokerPort, "tansu");

    sidecar = spawn(binary, ["serve"], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, RUST_LOG: "info" } });
    sidecar.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    connection = createMessageConnection(new StreamMessageReader(sidecar.stdout!), new StreamMessageWriter(sidecar.stdin!));
    connection.onNotification(EVENT_NOTIFICATION, (event: ConnectionEvent) => {
      log.push(event);
      model.apply(event);
    });
    // What VS Code answers when the sidecar asks it to open the sign-in page (once ccloud/signIn exists).
    connection.onRequest("window/showDocument", () => ({ success: true }));
    connection.listen();
    api = new SidecarApi((method, params) => connection.sendRequest(method, params));
  });

  after(async () => {
    connection?.dispose();
    if (sidecar && sidecar.exitCode === null) sidecar.kill();
    if (tansu && tansu.exitCode === null) {
      tansu.kill();
      await within(exitOf(tansu), "tansu to stop", 5000).catch(() => tansu?.kill("SIGKILL"));
    }
  });

  it("initializes and reports what this build supports", async () => {
    const callbackPort = await freePort();
    const result = await within(
      connection.sendRequest("initialize", {
        processId: process.pid,
        capabilities: { window: { showDocument: { support: true } } },
        initializationOptions: { check_timeout_seconds: 5, direct: { refresh_interval_seconds: 1 }, ccloud: { callback_port: callbackPort } },
      }),
      "the initialize result",
    );
    const info = (result as { serverInfo: { name: string } }).serverInfo;
    assert.equal(info.name, "ide-sidecar");
    assert.ok(sidecarCapabilities(result).methods?.includes("connections/create"), JSON.stringify(result));
    await connection.sendNotification("initialized", {});
  });

  it("tests a spec with a dry run: checked once, nothing stored, no event", async () => {
    const tested = await within(api.test(spec()), "the dry-run result");
    assert.deepEqual(testOutcome(tested), { passed: true, summary: "Kafka cluster: connected (cluster tansu_cluster)" });
    assert.deepEqual(await api.list(), []);
    assert.deepEqual(log.events, []);
  });

  it("turns validation errors into one sentence per field", async () => {
    const error = await api.create({ name: "", type: "DIRECT", kafka_cluster: { bootstrap_servers: "broker" } }).then(
      () => assert.fail("an invalid spec was accepted"),
      (e: unknown) => e,
    );
    const message = describeError("add the connection", error);
    assert.match(message, /^Could not add the connection: name: .+; kafka_cluster\.bootstrap_servers: .*broker/);
  });

  it("creates a connection and follows its CREATED and CONNECTED events in the tree model", async () => {
    const created = await within(api.create(spec()), "the create result");
    assert.equal(created.status.kafka_cluster?.state, "ATTEMPTING");
    const first = await log.next("protocol-test", "CREATED");
    assert.equal(first.connection.status.kafka_cluster?.state, "ATTEMPTING");
    const connected = await log.next("protocol-test", "CONNECTED");
    assert.equal(connected.connection.status.kafka_cluster?.state, "SUCCESS");
    assert.equal(connected.connection.status.kafka_cluster?.cluster_id, "tansu_cluster");
    const [node] = model.nodes();
    assert.equal(node.label, "Protocol test");
    assert.equal(node.icon.id, "pass");
    assert.equal(node.children[0].description, "connected (cluster tansu_cluster)");
  });

  it("handles ccloud/signIn whether or not this sidecar has it", async () => {
    await within(api.create({ id: "cloud", name: "Cloud", type: "CCLOUD" }), "the CCLOUD create result");
    const outcome = await within(api.signIn("cloud", false), "the sign-in outcome");
    if (outcome.kind === "unavailable") assert.match(outcome.message, /not available in this sidecar version/);
    else assert.match(outcome.signInUri, /^https?:\/\//);
    // Not signed in: the environments' request fails, and the tree shows the sidecar's words as one row.
    const data = new DataApi((method, params) => connection.sendRequest(method, params));
    const failure = await data.cloudResources("cloud").then(
      () => assert.fail("ccloud/resources answered for a connection that is not signed in"),
      (error: unknown) => error,
    );
    assert.equal((failure as { code: number }).code, ErrorCodes.ccloudSignedOut);
    const row = cloudProblemNode("cloud", describeError("list the Confluent Cloud environments", failure));
    assert.match(row.label, /not signed in to Confluent Cloud: sign in with ccloud\/signIn/);
    assert.equal(row.icon.id, "error");
    await within(api.delete("cloud"), "deleting the CCLOUD connection");
    await log.next("cloud", "DELETED");
  });

  it("deletes the connection: DELETED, and the tree is empty", async () => {
    await within(api.delete("protocol-test"), "the delete result");
    await log.next("protocol-test", "DELETED");
    assert.deepEqual(model.nodes(), []);
    assert.deepEqual(await api.list(), []);
  });

  it("shuts down and exits with code 0", async () => {
    await within(connection.sendRequest("shutdown"), "the shutdown result");
    await connection.sendNotification("exit");
    const code = await within(exitOf(sidecar), "the sidecar to exit");
    assert.equal(code, 0, `exit code; the sidecar's stderr:\n${stderr}`);
  });
});
