// Runs the sidecar with vscode-languageclient and keeps the connections model in step with it: events update the
// model as they arrive, and every time the sidecar (re)starts the saved connections it lacks are created in it. With
// the shared store on (`ide-sidecar.sharedStore`, the default) the store holds the connections across runs and
// windows, and the saved list only what the store cannot hold (model/sharedStore.ts).
import * as vscode from "vscode";
import { LanguageClient, State, type Executable, type LanguageClientOptions } from "vscode-languageclient/node";
import type { ConnectionEvent } from "./protocol";
import { findSidecarBinary } from "./model/binary";
import { describeError } from "./model/errors";
import { DataApi } from "./model/dataApi";
import { EVENT_NOTIFICATION, Notifications, sidecarCapabilities, type SidecarCapabilities } from "./model/protocolExtras";
import type { SavedConnections } from "./model/savedConnections";
import { initializationOptions, syncAtStart } from "./model/sharedStore";
import { SidecarApi } from "./model/sidecarApi";
import type { ConnectionsModel } from "./model/tree";

const NOT_RUNNING = "The sidecar is not running: see the 'ide-sidecar' output, or run 'Kafka: Restart the Sidecar'";

export class SidecarProcess implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private clientApi: SidecarApi | undefined;
  private capabilities: SidecarCapabilities = {};
  private clientData: DataApi | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The data plane's notifications (lag, tail batches, ends), for whoever listens, across restarts. */
  private readonly notifications = new vscode.EventEmitter<{ method: string; params: unknown }>();

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly model: ConnectionsModel,
    private readonly saved: SavedConnections,
    /** The extension's folder, where a platform-specific .vsix carries the binary (bin/ide-sidecar). */
    private readonly extensionPath: string,
    /** Where the extension remembers, for every window, that it already showed the store's keychain message. */
    private readonly globalState: vscode.Memento,
  ) {}

  /** The running sidecar's methods; throws a readable error when it is not running. */
  get api(): SidecarApi {
    if (!this.clientApi || !this.client?.isRunning()) {
      throw new Error(NOT_RUNNING);
    }
    return this.clientApi;
  }

  /** The running sidecar's data-plane methods (topics, groups, records, schemas). */
  get data(): DataApi {
    if (!this.clientData || !this.client?.isRunning()) throw new Error(NOT_RUNNING);
    return this.clientData;
  }

  /** Calls `listener` with the params of every `method` notification, from this and later sidecar processes. */
  onNotification<T>(method: string, listener: (params: T) => void): vscode.Disposable {
    return this.notifications.event((n) => {
      if (n.method === method) listener(n.params as T);
    });
  }

  /** A connection's name for titles, its id when unknown. */
  connectionName(id: string): string {
    return this.model.get(id)?.spec.name ?? id;
  }

  get serverVersion(): string {
    const info = this.client?.initializeResult?.serverInfo;
    return info ? `${info.name} ${info.version ?? ""}`.trim() : "ide-sidecar";
  }

  /** What this sidecar build supports, from its `initialize` result. */
  get sidecarCapabilities(): SidecarCapabilities {
    return this.capabilities;
  }

  async start(): Promise<void> {
    const config = vscode.workspace.getConfiguration("ide-sidecar");
    const binary = findSidecarBinary(config.get<string>("path"), process.env.PATH, this.extensionPath);
    if ("error" in binary) {
      this.model.reset(binary.error);
      this.output.appendLine(binary.error);
      const choice = await vscode.window.showErrorMessage(binary.error, "Open Settings");
      if (choice === "Open Settings") {
        await vscode.commands.executeCommand("workbench.action.openSettings", "ide-sidecar.path");
      }
      return;
    }
    this.output.appendLine(`Starting ${binary.path}`);
    // No `transport`: vscode-languageclient would add a `--stdio` argument, and stdio is what `ide-sidecar serve` speaks.
    const server: Executable = {
      command: binary.path,
      args: ["serve"],
      options: { env: { ...process.env, RUST_LOG: config.get<string>("logLevel") || "warn" } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [],
      outputChannel: this.output,
      initializationOptions: initializationOptions(
        config.get<boolean>("sharedStore") ?? true,
        config.get<Record<string, unknown>>("initializationOptions"),
      ),
    };
    const client = new LanguageClient("ide-sidecar", "ide-sidecar", server, clientOptions);
    this.client = client;
    this.clientApi = new SidecarApi((method, params) => client.sendRequest(method, params));
    this.clientData = new DataApi((method, params) => client.sendRequest(method, params));
    this.disposables.push(
      client.onNotification(EVENT_NOTIFICATION, (event: ConnectionEvent) => this.model.apply(event)),
      ...Object.values(Notifications)
        .filter((method) => method !== EVENT_NOTIFICATION)
        .map((method) => client.onNotification(method, (params: unknown) => this.notifications.fire({ method, params }))),
      // Running again after a crash means an empty sidecar: restore into it as on the first start.
      client.onDidChangeState((change) => {
        if (change.newState === State.Running) void this.afterStart();
        else if (change.newState === State.Stopped && this.client === client) {
          this.model.reset("The sidecar is not running: run 'Kafka: Restart the Sidecar'");
        }
      }),
    );
    try {
      await client.start();
    } catch (error) {
      const message = describeError("start the sidecar", error);
      this.model.reset(message);
      this.output.appendLine(message);
      void vscode.window.showErrorMessage(message, "Show Output").then((choice) => {
        if (choice) this.output.show();
      });
    }
  }

  private async afterStart(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.capabilities = sidecarCapabilities(client.initializeResult);
    this.output.appendLine(`Connected to ${this.serverVersion} (protocol ${this.capabilities.protocol_version ?? "?"})`);
    const store = this.capabilities.store;
    if (store) {
      this.output.appendLine(`Shared store: ${store.directory ?? "?"}${store.keychain ? ", secrets in the OS keychain" : ""}`);
      void this.tellNoKeychain(store.keychain === false ? (store.message ?? "No OS keychain: secrets are kept in memory only") : undefined);
    }
    try {
      const { failures, connections } = await syncAtStart(this.api, this.saved, store);
      for (const { spec, error } of failures) {
        const message = describeError(`restore the connection '${spec.name}'`, error);
        this.output.appendLine(message);
        void vscode.window.showWarningMessage(message);
      }
      this.model.replaceAll(connections);
    } catch (error) {
      this.model.reset(describeError("list the connections", error));
    }
  }

  /**
   * The store's "no keychain" message: always in the output, as a notification only the first time in any window
   * (not at every start of every window); a keychain that answers again re-arms it.
   */
  private async tellNoKeychain(message: string | undefined): Promise<void> {
    const key = "ide-sidecar.noKeychainShown";
    if (message === undefined) {
      if (this.globalState.get(key)) await this.globalState.update(key, undefined);
      return;
    }
    this.output.appendLine(message);
    if (this.globalState.get(key)) return;
    await this.globalState.update(key, true);
    const choice = await vscode.window.showWarningMessage(`Kafka: ${message}`, "Show Output");
    if (choice) this.output.show();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.clientApi = undefined;
    this.clientData = undefined;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    if (client) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.appendLine(describeError("stop the sidecar", error));
      }
      await client.dispose().catch(() => undefined);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.model.reset();
    await this.start();
  }

  dispose(): void {
    this.notifications.dispose();
    void this.stop();
  }
}
