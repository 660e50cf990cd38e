// The message viewer: a webview panel per topic. The extension side does the sidecar calls (pages with the cursor,
// live tail) and hands records to the webview (src/webview/viewer.ts), which keeps at most MAX_LOADED_RECORDS of them
// and draws only the visible rows.
import { randomBytes } from "node:crypto";
import { homedir } from "node:os";
import * as vscode from "vscode";
import type { RecordsBatch, TailEnded } from "./protocol";
import { describeError } from "./model/errors";
import { Notifications } from "./model/protocolExtras";
import { MAX_LOADED_RECORDS, RecordPager, tailParams, type StartChoice, type ViewerQuery } from "./model/records";
import type { FromWebview, ToWebview } from "./model/viewerMessages";
import type { SidecarProcess } from "./sidecarProcess";

export class MessageViewer implements vscode.Disposable {
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private partitions: number[] = [];
  private query: ViewerQuery;
  private pager: RecordPager | undefined;
  /** The pager whose page is on its way, if any: a new query may start its own while an old one's is pending. */
  private loadingFor: RecordPager | undefined;
  private tailId: string | undefined;

  /** The open viewers, by connection and topic: opening a topic again shows its viewer. */
  private static readonly viewers = new Map<string, MessageViewer>();

  /** Shows the topic's viewer; a `start` (from a produce result) always opens a new one there. */
  static open(
    extension: vscode.ExtensionContext,
    sidecar: SidecarProcess,
    connectionId: string,
    topic: string,
    start?: StartChoice,
    partitions?: number[],
    clusterId?: string,
  ): MessageViewer {
    const key = JSON.stringify([connectionId, clusterId ?? null, topic]);
    const existing = MessageViewer.viewers.get(key);
    if (existing && !start) {
      existing.panel.reveal();
      return existing;
    }
    const viewer = new MessageViewer(extension, sidecar, { connectionId, clusterId, topic, start: start ?? { from: "beginning" }, partitions });
    MessageViewer.viewers.set(key, viewer);
    viewer.disposables.push({ dispose: () => MessageViewer.viewers.get(key) === viewer && MessageViewer.viewers.delete(key) });
    return viewer;
  }

  private constructor(
    private readonly extension: vscode.ExtensionContext,
    private readonly sidecar: SidecarProcess,
    initial: ViewerQuery,
  ) {
    this.query = initial;
    const name = sidecar.connectionName(initial.connectionId);
    this.panel = vscode.window.createWebviewPanel("ide-sidecar.messages", `${initial.topic} (${name})`, vscode.ViewColumn.Active, {
      enableScripts: true,
      // Records loaded stay when the tab is hidden (bounded by the viewer's cap).
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extension.extensionUri, "dist"), vscode.Uri.joinPath(extension.extensionUri, "media")],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extension.extensionUri, "media", "kafka.svg");
    this.panel.webview.html = this.html();
    this.disposables.push(
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.webview.onDidReceiveMessage((message: FromWebview) => void this.receive(message)),
      sidecar.onNotification<RecordsBatch>(Notifications.tailBatch, (batch) => {
        if (batch.subscription_id === this.tailId) this.post({ type: "records", records: batch.records, scanned: batch.scanned, source: "tail" });
      }),
      sidecar.onNotification<TailEnded>(Notifications.tailStopped, (ended) => {
        if (ended.subscription_id !== this.tailId) return;
        this.tailId = undefined;
        this.post({ type: "tail", on: false });
        if (ended.reason !== "UNTAIL") this.post({ type: "status", text: `Live tail ended: ${ended.message}`, error: ended.reason === "ERROR" });
      }),
    );
  }

  private post(message: ToWebview): void {
    void this.panel.webview.postMessage(message);
  }

  private async receive(message: FromWebview): Promise<void> {
    try {
      switch (message.type) {
        case "ready": {
          const description = await this.sidecar.data.describeTopic(this.query.connectionId, this.query.topic, this.query.clusterId);
          this.partitions = description.partitions.map((partition) => partition.partition);
          this.post({
            type: "init",
            topic: this.query.topic,
            partitions: this.partitions,
            start: this.query.start,
            selected: this.query.partitions,
            maxRecords: MAX_LOADED_RECORDS,
          });
          await this.restart(this.query);
          return;
        }
        case "query":
          await this.restart({ ...this.query, start: message.start, partitions: message.partitions, contains: message.contains });
          return;
        case "more":
          await this.loadMore();
          return;
        case "tail":
          if (message.on) await this.startTail();
          else await this.stopTail();
          return;
        case "copy":
          await vscode.env.clipboard.writeText(message.text);
          void vscode.window.setStatusBarMessage("Record copied", 3000);
          return;
        case "export":
          await this.export(message.text, message.count);
          return;
      }
    } catch (error) {
      this.post({ type: "status", text: describeError(actionOf(message), error), error: true });
    }
  }

  /** A new query: the loaded records go, a running tail follows the new partitions and search. */
  private async restart(query: ViewerQuery): Promise<void> {
    const tailing = this.tailId !== undefined;
    await this.stopTail();
    this.query = query;
    // The sidecar of the moment, not of the query's start: "Load more" after a restart reaches the new one.
    this.pager = new RecordPager({ consume: (params) => this.sidecar.data.consume(params) }, query, this.partitions);
    this.post({ type: "reset" });
    await this.loadMore();
    if (tailing) await this.startTail();
  }

  private async loadMore(): Promise<void> {
    const pager = this.pager;
    if (!pager || this.loadingFor === pager) return;
    this.loadingFor = pager;
    this.post({ type: "loading", on: true });
    try {
      const page = await pager.next();
      // A newer query replaced this one while the page was on its way: its records do not belong.
      if (pager !== this.pager) return;
      this.post({ type: "records", records: page.records, atEnd: page.atEnd, scanned: page.scanned, source: "page" });
    } finally {
      if (this.loadingFor === pager) {
        this.loadingFor = undefined;
        this.post({ type: "loading", on: false });
      }
    }
  }

  private async startTail(): Promise<void> {
    if (this.tailId) return;
    this.tailId = await this.sidecar.data.tail(tailParams(this.query));
    this.post({ type: "tail", on: true });
  }

  private async stopTail(): Promise<void> {
    const id = this.tailId;
    if (!id) return;
    this.tailId = undefined;
    this.post({ type: "tail", on: false });
    await this.sidecar.data.untail(id).catch(() => undefined);
  }

  private async export(text: string, count: number): Promise<void> {
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(base, `${this.query.topic}.jsonl`),
      filters: { "JSON lines": ["jsonl"] },
      title: `Export ${count} record(s) as JSON lines`,
    });
    if (!target) return;
    await vscode.workspace.fs.writeFile(target, Buffer.from(text, "utf8"));
    void vscode.window.showInformationMessage(`Exported ${count} record(s) to ${target.fsPath}`);
  }

  private html(): string {
    const webview = this.panel.webview;
    const nonce = randomBytes(16).toString("base64");
    const script = webview.asWebviewUri(vscode.Uri.joinPath(this.extension.extensionUri, "dist", "viewer.js"));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(this.extension.extensionUri, "media", "viewer.css"));
    const csp = `default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}'; img-src ${webview.cspSource}; font-src ${webview.cspSource}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Messages</title>
</head>
<body>
<header class="toolbar">
  <label>Start <select id="start">
    <option value="beginning">from the beginning</option>
    <option value="latest">latest records</option>
    <option value="end">from the end (new only)</option>
    <option value="timestamp">from a time</option>
    <option value="offset">from an offset</option>
  </select></label>
  <input id="startValue" class="hidden" size="22">
  <label>Partition <select id="partition"><option value="">all</option></select></label>
  <input id="search" type="search" placeholder="Search key, value, headers" size="24">
  <button id="apply">Load</button>
  <button id="more">Load more</button>
  <label class="check"><input id="tail" type="checkbox"> Live tail</label>
  <button id="export">Export JSON lines</button>
</header>
<div class="status"><span id="status">Loading…</span> <span class="note">The viewer keeps at most ${MAX_LOADED_RECORDS.toLocaleString("en-US")} records: older ones are dropped first.</span></div>
<main>
  <section class="table">
    <div class="row head"><span>Partition</span><span>Offset</span><span>Timestamp</span><span>Key</span><span>Format</span><span>Value</span></div>
    <div id="scroller" class="scroller" tabindex="0"><div id="spacer" class="spacer"></div></div>
  </section>
  <aside id="detail" class="detail hidden">
    <div class="detail-bar"><strong id="detailTitle"></strong><button id="copy">Copy</button><button id="close">Close</button></div>
    <pre id="detailText"></pre>
  </aside>
</main>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }

  dispose(): void {
    void this.stopTail();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}

function actionOf(message: FromWebview): string {
  switch (message.type) {
    case "ready":
    case "query":
    case "more":
      return "read the records";
    case "tail":
      return message.on ? "start the live tail" : "stop the live tail";
    case "copy":
      return "copy the record";
    case "export":
      return "export the records";
  }
}
