import assert from "node:assert/strict";
import { test } from "node:test";
import { ResponseError } from "vscode-jsonrpc";
import { bundledBinary, findSidecarBinary } from "../src/model/binary";
import { SIGN_IN_UNAVAILABLE, describeError, validationProblems } from "../src/model/errors";
import { SavedConnections } from "../src/model/savedConnections";
import { SidecarApi } from "../src/model/sidecarApi";
import { chmodSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const invalid = new ResponseError(-32602, "Invalid params: 2 problems", {
  errors: [
    { source: "name", detail: "Connection name must not be blank" },
    { source: "kafka_cluster.bootstrap_servers", detail: "Bootstrap server 'broker' needs a port" },
  ],
});

test("validation errors list every problem with its field", () => {
  assert.deepEqual(validationProblems(invalid), [
    "name: Connection name must not be blank",
    "kafka_cluster.bootstrap_servers: Bootstrap server 'broker' needs a port",
  ]);
  assert.equal(
    describeError("add the connection", invalid),
    "Could not add the connection: name: Connection name must not be blank; kafka_cluster.bootstrap_servers: Bootstrap server 'broker' needs a port",
  );
  assert.match(describeError("refresh", new ResponseError(-32010, "Connection not found: x")), /does not know this connection/);
  assert.equal(describeError("go", new Error("boom")), "Could not go: boom");
});

test("sign-in on a sidecar without ccloud/signIn is 'unavailable', not an error", async () => {
  const calls: string[] = [];
  const api = new SidecarApi((method) => {
    calls.push(method);
    return Promise.reject(new ResponseError(-32601, "Method not found"));
  });
  assert.deepEqual(await api.signIn("c", true), { kind: "unavailable", message: SIGN_IN_UNAVAILABLE });
  assert.deepEqual(calls, ["ccloud/signIn"]);
  const failing = new SidecarApi(() => Promise.reject(new ResponseError(-32020, "Sign-in failed")));
  await assert.rejects(failing.signIn("c", true), /Sign-in failed/);
  const working = new SidecarApi((_m, params) => {
    assert.deepEqual(params, { id: "c", open_browser: false });
    return Promise.resolve({ sign_in_uri: "https://login/x" });
  });
  assert.deepEqual(await working.signIn("c", false), { kind: "started", signInUri: "https://login/x" });
});

test("a test is a dry-run create without the saved id", async () => {
  let sent: unknown;
  const api = new SidecarApi((method, params) => {
    sent = { method, params };
    return Promise.resolve({});
  });
  await api.test({ id: "dev", name: "Dev", type: "DIRECT" });
  assert.deepEqual(sent, { method: "connections/create", params: { spec: { name: "Dev", type: "DIRECT" }, dry_run: true } });
});

test("restore re-creates saved connections and reports the ones that fail", async () => {
  const sent: string[] = [];
  const api = new SidecarApi((method, params) => {
    const spec = (params as { spec: { id: string } }).spec;
    sent.push(`${method} ${spec.id}`);
    if (method === "connections/create" && spec.id === "exists") return Promise.reject(new ResponseError(-32011, "exists"));
    if (spec.id === "bad") return Promise.reject(invalid);
    return Promise.resolve({});
  });
  const failures = await api.restore([
    { id: "ok", name: "ok", type: "DIRECT" },
    { id: "bad", name: "bad", type: "DIRECT" },
    { id: "exists", name: "exists", type: "DIRECT" },
  ]);
  assert.deepEqual(sent, ["connections/create ok", "connections/create bad", "connections/create exists", "connections/update exists"]);
  assert.deepEqual(failures.map((f) => f.spec.id), ["bad"]);
});

test("saved connections keep secrets, replace by id and survive quick successive changes", async () => {
  const data = new Map<string, string>();
  const store = {
    get: (key: string) => Promise.resolve(data.get(key)),
    store: async (key: string, value: string) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      data.set(key, value);
    },
  };
  const saved = new SavedConnections(store);
  assert.deepEqual(await saved.list(), []);
  const secret = { username: "alice", password: "real-secret" };
  await Promise.all([
    saved.save({ id: "a", name: "A", type: "DIRECT", kafka_cluster: { bootstrap_servers: "a:1", credentials: secret } }),
    saved.save({ id: "b", name: "B", type: "DIRECT" }),
    saved.save({ id: "a", name: "A2", type: "DIRECT", kafka_cluster: { bootstrap_servers: "a:1", credentials: secret } }),
  ]);
  assert.deepEqual((await saved.list()).map((s) => [s.id, s.name]), [["a", "A2"], ["b", "B"]]);
  assert.equal((await saved.get("a"))?.kafka_cluster?.credentials?.password, "real-secret");
  await saved.remove("a");
  assert.deepEqual((await saved.list()).map((s) => s.id), ["b"]);
  data.set("ide-sidecar.connections", "not json");
  assert.deepEqual(await saved.list(), [], "a damaged entry reads as empty");
});

test("the binary comes from the setting, else from PATH", () => {
  const dir = mkdtempSync(join(tmpdir(), "sidecar-bin-"));
  const binary = join(dir, "ide-sidecar");
  writeFileSync(binary, "#!/bin/sh\n");
  chmodSync(binary, 0o755);
  assert.deepEqual(findSidecarBinary("", `/nonexistent:${dir}`), { path: binary });
  assert.deepEqual(findSidecarBinary(binary, ""), { path: binary });
  assert.match((findSidecarBinary("relative/ide-sidecar", "") as { error: string }).error, /absolute path/);
  assert.match((findSidecarBinary(join(dir, "missing"), "") as { error: string }).error, /not an executable file/);
  assert.match((findSidecarBinary(undefined, "/nonexistent") as { error: string }).error, /Cannot find ide-sidecar \(not bundled in this extension, not on PATH\)/);
});

test("a bundled binary (bin/ide-sidecar in the extension's folder) comes before PATH, the setting before both", () => {
  const onPath = mkdtempSync(join(tmpdir(), "sidecar-path-"));
  writeFileSync(join(onPath, "ide-sidecar"), "#!/bin/sh\n");
  chmodSync(join(onPath, "ide-sidecar"), 0o755);
  const extension = mkdtempSync(join(tmpdir(), "sidecar-ext-"));
  // Not bundled: PATH.
  assert.deepEqual(findSidecarBinary("", onPath, extension), { path: join(onPath, "ide-sidecar") });
  mkdirSync(join(extension, "bin"));
  const bundled = bundledBinary(extension);
  assert.equal(bundled, join(extension, "bin", "ide-sidecar"));
  // Bundled without its executable bit (an unzip that lost the mode): made executable and used.
  writeFileSync(bundled, "#!/bin/sh\n");
  chmodSync(bundled, 0o644);
  assert.deepEqual(findSidecarBinary(undefined, onPath, extension), { path: bundled });
  assert.equal(statSync(bundled).mode & 0o111, 0o111);
  // The setting still overrides it.
  assert.deepEqual(findSidecarBinary(join(onPath, "ide-sidecar"), onPath, extension), { path: join(onPath, "ide-sidecar") });
});
