// The extension's side of the sidecar's shared store: the initializationOptions it sends, and which saved
// connections it restores and keeps (model/sharedStore.ts). The real two-sidecar behaviour is in
// store.protocol.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Connection, ConnectionSpec } from "../src/protocol";
import { SavedConnections, type SecretStore } from "../src/model/savedConnections";
import { hasMaskedSecret, initializationOptions, keepsOwnCopy, savedAfterStart, toRestore } from "../src/model/sharedStore";

const plain: ConnectionSpec = { id: "plain", name: "Plain", type: "DIRECT", kafka_cluster: { bootstrap_servers: "a:1" } };
const secret: ConnectionSpec = {
  id: "secret",
  name: "Secret",
  type: "DIRECT",
  kafka_cluster: { bootstrap_servers: "a:1", credentials: { username: "u", password: "p" } },
};
/** A connection as the sidecar answers it: secrets masked. */
function held(spec: ConnectionSpec): Connection {
  const masked = JSON.parse(JSON.stringify(spec).replace(/"password":"[^"]*"/g, '"password":"********"')) as ConnectionSpec;
  return { id: spec.id!, metadata: {}, spec: masked, status: {} } as unknown as Connection;
}
const withKeychain = { directory: "/s", keychain: true, message: null };
const noKeychain = { directory: "/s", keychain: false, message: "No OS keychain answered" };

test("initializationOptions: the setting turns the store on unless the user's options say otherwise", () => {
  assert.deepEqual(initializationOptions(true, undefined), { store: { enabled: true } });
  assert.deepEqual(initializationOptions(true, { check_timeout_seconds: 5 }), { check_timeout_seconds: 5, store: { enabled: true } });
  assert.deepEqual(initializationOptions(false, {}), {});
  // A directory from the user's options, on/off from the setting.
  assert.deepEqual(initializationOptions(true, { store: { directory: "/tmp/x" } }), { store: { enabled: true, directory: "/tmp/x" } });
  assert.deepEqual(initializationOptions(false, { store: { directory: "/tmp/x" } }), { store: { enabled: false, directory: "/tmp/x" } });
  // An explicit `enabled` wins over the setting.
  assert.deepEqual(initializationOptions(false, { store: { enabled: true } }), { store: { enabled: true } });
  assert.deepEqual(initializationOptions(true, { store: { enabled: false } }), { store: { enabled: false } });
});

test("hasMaskedSecret finds a mask anywhere in a spec", () => {
  assert.equal(hasMaskedSecret(held(plain).spec), false);
  assert.equal(hasMaskedSecret(held(secret).spec), true);
  assert.equal(hasMaskedSecret({ a: [{ b: "********" }] }), true);
  assert.equal(hasMaskedSecret("*******"), false);
});

test("store off: every saved connection is restored and the list stays", () => {
  assert.deepEqual(toRestore(undefined, [plain, secret], [held(plain)]), [plain, secret]);
  assert.equal(savedAfterStart(undefined, [plain, secret], [held(plain), held(secret)]), undefined);
  assert.equal(keepsOwnCopy(undefined, held(plain)), true);
});

test("store on: only what the store lacks is restored; the list then keeps only what the store cannot hold", () => {
  // First start with the store on (an empty store): the whole list migrates into it.
  assert.deepEqual(toRestore(withKeychain, [plain, secret], []), [plain, secret]);
  assert.deepEqual(savedAfterStart(withKeychain, [plain, secret], [held(plain), held(secret)]), []);
  // The store holds it already (an earlier run, another window): not created again, not reverted.
  assert.deepEqual(toRestore(withKeychain, [plain, secret], [held(plain)]), [secret]);
  // A restore that failed stays in the list, to be tried at the next start.
  assert.deepEqual(savedAfterStart(withKeychain, [plain, secret], [held(plain)]), [secret]);
  // No keychain: the sidecar keeps a connection with a secret in its window's memory only: the extension keeps it.
  assert.deepEqual(savedAfterStart(noKeychain, [plain, secret], [held(plain), held(secret)]), [secret]);
  assert.equal(keepsOwnCopy(noKeychain, held(secret)), true);
  assert.equal(keepsOwnCopy(noKeychain, held(plain)), false);
  assert.equal(keepsOwnCopy(withKeychain, held(secret)), false);
});

test("store on: a connection deleted in another window is not in the list any more, so nothing brings it back", () => {
  // Window A's first start migrates 'plain' into the store and drops it from its list.
  const afterMigration = savedAfterStart(withKeychain, [plain], [held(plain)]);
  assert.deepEqual(afterMigration, []);
  // Window B deleted it; A's next start finds an empty store and restores nothing.
  assert.deepEqual(toRestore(withKeychain, afterMigration, []), []);
});

test("store on: a saved spec without an id stays only when its restore failed", () => {
  const anonymous: ConnectionSpec = { name: "Old", type: "DIRECT", kafka_cluster: { bootstrap_servers: "a:1" } };
  assert.deepEqual(toRestore(withKeychain, [anonymous], []), [anonymous]);
  assert.deepEqual(savedAfterStart(withKeychain, [anonymous], [], []), []);
  assert.deepEqual(savedAfterStart(withKeychain, [anonymous], [], [anonymous]), [anonymous]);
});

test("SavedConnections.removeAll removes those specs and keeps one saved meanwhile", async () => {
  const values = new Map<string, string>();
  const store: SecretStore = {
    get: (key) => Promise.resolve(values.get(key)),
    store: (key, value) => Promise.resolve(void values.set(key, value)),
  };
  const saved = new SavedConnections(store);
  await saved.save(plain as ConnectionSpec & { id: string });
  await saved.save(secret as ConnectionSpec & { id: string });
  const anonymous: ConnectionSpec = { name: "Old", type: "DIRECT", kafka_cluster: { bootstrap_servers: "a:1" } };
  await store.store("ide-sidecar.connections", JSON.stringify({ version: 1, specs: [anonymous, ...(await saved.list())] }));
  await saved.removeAll([plain, anonymous]);
  assert.deepEqual(await saved.list(), [secret]);
});
