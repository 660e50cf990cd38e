// Two (then three) real ide-sidecar processes sharing one store directory, driven as the extension drives them: the
// initializationOptions from `ide-sidecar.sharedStore`, and the extension's start-up restore (syncAtStart) over its
// saved list. What one window creates the other sees; what one deletes is gone in the other and is not brought back
// by the extension's restore at the next start.
//
// No keychain: the sidecars run without a D-Bus session (so never the user's keychain either); connections without
// secrets are shared all the same, and one with a secret stays in its window (and in that window's saved list).
// Needs the binary (`cargo build`; or IDE_SIDECAR_BIN).
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { EVENT_NOTIFICATION, sidecarCapabilities } from "../src/model/protocolExtras";
import { SavedConnections, type SecretStore } from "../src/model/savedConnections";
import { initializationOptions, syncAtStart, type StoreInfo } from "../src/model/sharedStore";
import { SidecarApi } from "../src/model/sidecarApi";
import type { ConnectionEvent, ConnectionSpec, EventAction } from "../src/protocol";
import { freePort, sidecarBinary, stopSidecar, within } from "./harness";

const PASSWORD = "planted-secret-4711";

/** One editor window: its sidecar, the extension's API over it, and the events it received. */
class Window {
  readonly events: ConnectionEvent[] = [];
  readonly api: SidecarApi;
  store: StoreInfo | undefined;
  stderr = "";
  private readonly child: ChildProcess;
  private readonly connection: MessageConnection;

  constructor(
    private readonly directory: string,
    home: string,
  ) {
    const env: NodeJS.ProcessEnv = { ...process.env, RUST_LOG: "info", XDG_STATE_HOME: join(home, "state"), HOME: home };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    this.child = spawn(sidecarBinary(), ["serve"], { stdio: ["pipe", "pipe", "pipe"], env });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.connection = createMessageConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));
    this.connection.onNotification(EVENT_NOTIFICATION, (event: ConnectionEvent) => this.events.push(event));
    this.connection.listen();
    this.api = new SidecarApi((method, params) => this.connection.sendRequest(method, params));
  }

  async initialize(): Promise<void> {
    // What SidecarProcess sends with the setting on and the user's options naming a directory.
    const options = initializationOptions(true, { check_timeout_seconds: 2, store: { directory: this.directory } });
    const result = await within(
      this.connection.sendRequest("initialize", { processId: process.pid, capabilities: {}, initializationOptions: options }),
      "the initialize result",
    );
    this.store = sidecarCapabilities(result).store;
    await this.connection.sendNotification("initialized", {});
  }

  /** Waits for an event for `id` with `action` (already received or to come). */
  async event(id: string, action: EventAction, ms = 10_000): Promise<ConnectionEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find((e) => e.connection.id === id && e.action === action);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${action} event for '${id}' within ${ms} ms; events: ${JSON.stringify(this.events.map((e) => [e.action, e.connection.id]))}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await stopSidecar(this.connection, this.child, 10_000);
  }
}

function memorySecrets(): SecretStore {
  const values = new Map<string, string>();
  return { get: (key) => Promise.resolve(values.get(key)), store: (key, value) => Promise.resolve(void values.set(key, value)) };
}

describe("two sidecars sharing a store directory, with the extension's restore logic", () => {
  const work = mkdtempSync(join(tmpdir(), "ide-sidecar-store-test-"));
  const directory = join(work, "store");
  const windows: Window[] = [];
  let a: Window;
  let b: Window;
  let plain: ConnectionSpec;
  let secret: ConnectionSpec;
  // Window A's saved list, as VS Code's SecretStorage would hold it from before the store was turned on.
  const savedA = new SavedConnections(memorySecrets());

  const open = async (): Promise<Window> => {
    const window = new Window(directory, work);
    windows.push(window);
    await window.initialize();
    return window;
  };

  before(async () => {
    const port = await freePort();
    plain = { id: "shared-plain", name: "Shared plain", type: "DIRECT", kafka_cluster: { bootstrap_servers: `127.0.0.1:${port}`, ssl: { enabled: false } } };
    secret = {
      id: "window-secret",
      name: "Window secret",
      type: "DIRECT",
      kafka_cluster: { bootstrap_servers: `127.0.0.1:${port}`, ssl: { enabled: false }, credentials: { username: "u", password: PASSWORD } },
    };
    await savedA.save(plain as ConnectionSpec & { id: string });
    await savedA.save(secret as ConnectionSpec & { id: string });
  });

  after(async () => {
    await Promise.all(windows.map((w) => w.close()));
    rmSync(work, { recursive: true, force: true });
  });

  it("both start with the store in the given directory and say there is no keychain", async () => {
    a = await open();
    b = await open();
    for (const window of [a, b]) {
      assert.equal(window.store?.directory, directory);
      assert.equal(window.store?.keychain, false);
      assert.match(window.store?.message ?? "", /keychain/i);
    }
  });

  it("the first start migrates the saved list into the store; the list keeps only the connection with a secret", async () => {
    const { failures, connections } = await within(syncAtStart(a.api, savedA, a.store), "the start-up restore");
    assert.deepEqual(failures, []);
    assert.deepEqual(connections.map((c) => c.id).sort(), ["shared-plain", "window-secret"]);
    assert.deepEqual((await savedA.list()).map((s) => s.id), ["window-secret"]);
  });

  it("the other window sees the connection without secrets as CREATED, and not the one with a secret", async () => {
    const created = await b.event("shared-plain", "CREATED");
    assert.equal(created.connection.spec.name, "Shared plain");
    assert.deepEqual((await b.api.list()).map((c) => c.id), ["shared-plain"]);
    // The secret is in no file of the store.
    for (const name of readdirSync(directory)) {
      const path = join(directory, name);
      if (name.endsWith(".lock")) continue;
      assert.ok(!readFileSync(path, "utf8").includes(PASSWORD), `${name} holds the secret`);
    }
  });

  it("created in B, seen in A", async () => {
    await b.api.create({ id: "from-b", name: "From B", type: "DIRECT", kafka_cluster: { bootstrap_servers: "127.0.0.1:1", ssl: { enabled: false } } });
    assert.equal((await a.event("from-b", "CREATED")).connection.spec.name, "From B");
  });

  it("deleted in B, gone in A", async () => {
    await b.api.delete("shared-plain");
    await a.event("shared-plain", "DELETED");
    assert.ok(!(await a.api.list()).some((c) => c.id === "shared-plain"));
  });

  it("A restarted: the extension's restore does not bring the deleted one back; the store's and its own are there", async () => {
    await a.close();
    a = await open();
    const { failures, connections } = await within(syncAtStart(a.api, savedA, a.store), "the start-up restore");
    assert.deepEqual(failures, []);
    assert.deepEqual(connections.map((c) => c.id).sort(), ["from-b", "window-secret"]);
    assert.deepEqual((await savedA.list()).map((s) => s.id), ["window-secret"]);
    // B did not get the deleted connection back either.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual((await b.api.list()).map((c) => c.id), ["from-b"]);
    assert.equal(b.events.filter((e) => e.connection.id === "shared-plain" && e.action === "CREATED").length, 1);
    assert.ok(!b.events.some((e) => e.connection.id === "window-secret"), "the connection with a secret reached B");
  });

  it("a third window started later finds what the store holds, with no saved list of its own", async () => {
    const c = await open();
    const { connections } = await syncAtStart(c.api, new SavedConnections(memorySecrets()), c.store);
    assert.deepEqual(connections.map((x) => x.id), ["from-b"]);
  });
});
