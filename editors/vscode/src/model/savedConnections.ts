// The user's connection specs, secrets included, kept in a secret store (VS Code's SecretStorage in the extension)
// because the sidecar forgets everything when it stops. With the sidecar's shared store on, only what that store
// cannot hold stays here (see sharedStore.ts). No `vscode` import: the store is an interface.
import type { ConnectionSpec } from "../protocol";

/** The part of `vscode.SecretStorage` this needs. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
}

export const SAVED_CONNECTIONS_KEY = "ide-sidecar.connections";

interface Stored {
  version: 1;
  specs: ConnectionSpec[];
}

export class SavedConnections {
  /** Writes run one after another so that two quick changes cannot lose one another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: SecretStore,
    private readonly key: string = SAVED_CONNECTIONS_KEY,
  ) {}

  async list(): Promise<ConnectionSpec[]> {
    await this.queue;
    return this.read();
  }

  async get(id: string): Promise<ConnectionSpec | undefined> {
    return (await this.list()).find((spec) => spec.id === id);
  }

  /** Adds the spec, or replaces the saved one with the same id. */
  save(spec: ConnectionSpec & { id: string }): Promise<void> {
    return this.change((specs) => {
      const index = specs.findIndex((saved) => saved.id === spec.id);
      if (index >= 0) specs[index] = spec;
      else specs.push(spec);
      return specs;
    });
  }

  /** Removes these specs (by id; one without an id by its content): the shared store took them over (sharedStore.ts). */
  removeAll(specs: ConnectionSpec[]): Promise<void> {
    const ids = new Set(specs.flatMap((spec) => (spec.id ? [spec.id] : [])));
    const anonymous = new Set(specs.filter((spec) => !spec.id).map((spec) => JSON.stringify(spec)));
    return this.change((list) => list.filter((spec) => (spec.id ? !ids.has(spec.id) : !anonymous.has(JSON.stringify(spec)))));
  }

  remove(id: string): Promise<void> {
    return this.change((specs) => specs.filter((spec) => spec.id !== id));
  }

  private async read(): Promise<ConnectionSpec[]> {
    const raw = await this.store.get(this.key);
    if (!raw) return [];
    try {
      const parsed = JSON.parse(raw) as Partial<Stored>;
      return Array.isArray(parsed.specs) ? parsed.specs : [];
    } catch {
      return [];
    }
  }

  private change(edit: (specs: ConnectionSpec[]) => ConnectionSpec[]): Promise<void> {
    const next = this.queue.then(async () => {
      const specs = edit(await this.read());
      const stored: Stored = { version: 1, specs };
      await this.store.store(this.key, JSON.stringify(stored));
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
