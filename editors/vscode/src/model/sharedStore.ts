// The sidecar's shared store from the extension's side (README "Shared store"): the `initializationOptions` that
// turn it on, and which of the extension's own saved connections still have a use once it is on. No `vscode` import.
//
// Decision: with the store on, the store is the truth. The extension's saved list (SavedConnections, in VS Code's
// SecretStorage) keeps only what the store cannot hold: connections with a secret while the sidecar has no OS
// keychain (the sidecar keeps those in its window's memory only), and saved connections that failed to go into the
// store. At every start the saved connections the store does not hold are created in it (the first start with the
// store on migrates the whole list this way), then the list is cut down to those two kinds. So a connection deleted
// in another window is not in the saved list any more and does not come back. With the store off, nothing changes:
// the saved list is re-created in the sidecar at every start.
import type { Connection, ConnectionSpec } from "../protocol";
import type { SavedConnections } from "./savedConnections";
import type { SidecarApi } from "./sidecarApi";

/** What `initialize` reports under `capabilities.experimental.sidecar.store`. */
export interface StoreInfo {
  directory?: string;
  keychain?: boolean;
  message?: string | null;
}

/** How the sidecar shows a secret it holds. */
export const SECRET_MASK = "********";

/**
 * The `initializationOptions` sent to the sidecar: the user's (`ide-sidecar.initializationOptions`), with
 * `store.enabled` from `ide-sidecar.sharedStore` unless the user's options set it themselves (so
 * `{"store": {"directory": "/tmp/x"}}` there picks the directory and keeps the setting's on/off).
 */
export function initializationOptions(sharedStore: boolean, user: Record<string, unknown> | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = { ...(user ?? {}) };
  const store = options.store;
  if (store !== null && typeof store === "object" && !Array.isArray(store)) {
    const given = store as Record<string, unknown>;
    options.store = "enabled" in given ? given : { enabled: sharedStore, ...given };
  } else if (store === undefined && sharedStore) {
    options.store = { enabled: true };
  }
  return options;
}

/** Whether a spec, as the sidecar shows it, holds a secret (the sidecar masks every secret as "********"). */
export function hasMaskedSecret(value: unknown): boolean {
  if (value === SECRET_MASK) return true;
  if (Array.isArray(value)) return value.some(hasMaskedSecret);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasMaskedSecret);
  return false;
}

/** Whether the extension must keep its own copy of `connection` (as the sidecar answered it) for the next start. */
export function keepsOwnCopy(store: StoreInfo | undefined, connection: Connection): boolean {
  return !store || (store.keychain === false && hasMaskedSecret(connection.spec));
}

/** The saved connections to create in a sidecar that just started, which already holds `present`. */
export function toRestore(store: StoreInfo | undefined, saved: ConnectionSpec[], present: Connection[]): ConnectionSpec[] {
  if (!store) return saved;
  const ids = new Set(present.map((connection) => connection.id));
  return saved.filter((spec) => !spec.id || !ids.has(spec.id));
}

/**
 * The saved list after the start's restore, given what the sidecar then holds (`after`) and the restores that failed:
 * with the store on, only the saved connections that are not in the sidecar (their restore failed: kept to try
 * again) and those it holds without the store (`keepsOwnCopy`). A saved spec without an id (none is saved so, but an
 * old list might hold one) got a new id when restored: it stays only when its restore failed (else it would be
 * created again at every start). `undefined`: leave the list as it is (the store is off).
 */
export function savedAfterStart(
  store: StoreInfo | undefined,
  saved: ConnectionSpec[],
  after: Connection[],
  failed: ConnectionSpec[] = [],
): ConnectionSpec[] | undefined {
  if (!store) return undefined;
  const byId = new Map(after.map((connection) => [connection.id, connection]));
  return saved.filter((spec) => {
    if (!spec.id) return failed.includes(spec);
    const held = byId.get(spec.id);
    return !held || keepsOwnCopy(store, held);
  });
}

/**
 * What the extension does every time a sidecar has started: creates the saved connections it lacks, cuts the saved
 * list down (store on), and returns the restores that failed and the sidecar's connections.
 */
export async function syncAtStart(
  api: SidecarApi,
  saved: SavedConnections,
  store: StoreInfo | undefined,
): Promise<{ failures: { spec: ConnectionSpec; error: unknown }[]; connections: Connection[] }> {
  const specs = await saved.list();
  const missing = toRestore(store, specs, store ? await api.list() : []);
  const failures = await api.restore(missing);
  const connections = await api.list();
  const keep = savedAfterStart(store, specs, connections, failures.map((failure) => failure.spec));
  // Only those dropped are removed: a connection saved meanwhile stays.
  if (keep && keep.length !== specs.length) await saved.removeAll(specs.filter((spec) => !keep.includes(spec)));
  return { failures, connections };
}
