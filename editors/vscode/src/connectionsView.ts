// The "Kafka Connections" view: turns the model's plain nodes (src/model/tree.ts) into TreeItems, and fetches what a
// connection holds (topics, groups, subjects, versions) when its folders are expanded. A Consumer Groups folder that
// is expanded keeps a `kafka/lag/watch` on its groups, so their lag updates live; collapsing it, or its connection
// going away, unwatches.
import * as vscode from "vscode";
import type { GroupSummary, LagEnded, LagEvent } from "./protocol";
import { describeError } from "./model/errors";
import { Notifications } from "./model/protocolExtras";
import { LagBook, cloudNodes, cloudProblemNode, folderId, showsCloudResources, groupNode, subjectNode, topicNode, versionNode } from "./model/resources";
import type { ConnectionsModel, TreeNode } from "./model/tree";
import type { SidecarProcess } from "./sidecarProcess";

/** How often the sidecar reads the lag of a watched folder's groups. */
const LAG_INTERVAL_MS = 2000;

export class ConnectionsView implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: { dispose(): void }[] = [];
  /** Children already fetched, by node id: redraws (status events, lag) reuse them; "Refresh" drops them. */
  private readonly cache = new Map<string, Promise<TreeNode[]>>();
  /** The lag watch of each expanded Consumer Groups folder, by folder id (a Confluent Cloud connection has several). */
  private readonly watches = new Map<string, { book: LagBook; groups: string }>();

  constructor(
    private readonly model: ConnectionsModel,
    private readonly sidecar: SidecarProcess,
  ) {
    this.subscriptions.push(
      model.onDidChange(() => {
        this.forgetMissingConnections();
        this.changed.fire(undefined);
      }),
      sidecar.onNotification<LagEvent>(Notifications.lagChanged, (event) => {
        for (const watch of this.watches.values()) if (watch.book.apply(event)) this.changed.fire(undefined);
      }),
      sidecar.onNotification<LagEnded>(Notifications.lagWatchEnded, (ended) => {
        for (const [folder, watch] of this.watches) if (watch.book.watchId === ended.watch_id) this.watches.delete(folder);
      }),
    );
  }

  /**
   * Hooks expansion events of the tree view: collapsing a Consumer Groups folder stops its lag watch, expanding it
   * again redraws it (VS Code keeps the children it already has, so without a redraw no watch would start).
   */
  attach(tree: vscode.TreeView<TreeNode>): void {
    const isGroups = (node: TreeNode) => node.kind === "folder" && node.folder === "groups" && node.connectionId !== undefined;
    this.subscriptions.push(
      tree.onDidCollapseElement(({ element }) => {
        if (isGroups(element)) void this.unwatch(element.id);
      }),
      tree.onDidExpandElement(({ element }) => {
        if (isGroups(element) && !this.watches.has(element.id)) this.changed.fire(undefined);
      }),
    );
  }

  /** CCLOUD connections whose next `ccloud/resources` asks Confluent Cloud again (`refresh: true`). */
  private readonly rereadResources = new Set<string>();

  /** Each connection's spec as last seen, to notice a change. */
  private specs = new Map<string, string>();
  /** The groups of each fetched Consumer Groups folder, by folder id: the lag is laid over them at each redraw. */
  private readonly groups = new Map<string, GroupSummary[]>();

  /** Fetches a lazy node's children again (or, without a node, everything). */
  refresh(node?: TreeNode): void {
    if (node?.kind === "environment") {
      // The environments are one `ccloud/resources` reply: read it again, past the sidecar's 30 s cache.
      const key = `connection:${node.connectionId}:environments`;
      for (const id of [...this.cache.keys()]) if (id === key || id.startsWith(`connection:${node.connectionId}:cluster:`)) this.cache.delete(id);
      this.rereadResources.add(node.connectionId!);
    } else if (node) {
      // A subject's versions are cached under the subject's id, not under the Subjects folder's.
      const below = node.folder === "subjects" ? node.id.replace(/folder:subjects$/, "subject:") : `${node.id}:`;
      for (const id of [...this.cache.keys()]) if (id === node.id || id.startsWith(below)) this.cache.delete(id);
    } else {
      this.cache.clear();
    }
    this.changed.fire(undefined);
  }

  /** Drops the fetched children of one connection's folder (after a create or delete there). */
  refreshFolder(connectionId: string, kind: "topics" | "groups" | "subjects", clusterId?: string): void {
    this.cache.delete(folderId(connectionId, kind, clusterId));
    this.changed.fire(undefined);
  }

  /** Drops the fetched subjects and versions of one connection's registry (after a register or delete). */
  refreshSubjects(connectionId: string, clusterId?: string): void {
    const subjects = folderId(connectionId, "subjects", clusterId).replace(/folder:subjects$/, "subject:");
    for (const id of [...this.cache.keys()]) if (id.startsWith(subjects)) this.cache.delete(id);
    this.cache.delete(folderId(connectionId, "subjects", clusterId));
    this.changed.fire(undefined);
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (!node) return this.model.nodes();
    if (node.cloud) return this.withEnvironments(node);
    if (!node.lazy) return node.children;
    let children = this.cache.get(node.id);
    if (!children) {
      children = this.fetch(node);
      this.cache.set(node.id, children);
      // A failure is shown as a node; fetch again on the next expand or refresh rather than keep it.
      children.catch(() => undefined);
    }
    if (node.kind === "folder" && node.folder === "groups") return this.withLag(node, children);
    return children.then(
      (nodes) => nodes,
      (error: unknown) => {
        this.cache.delete(node.id);
        return [problemNode(node, describeError(`list ${node.label.toLowerCase()}`, error))];
      },
    );
  }

  /**
   * A signed-in CCLOUD connection's children: its components, then its environments from `ccloud/resources` (kept
   * until Refresh). A failure is one row under the connection, in the sidecar's words, not a popup.
   */
  private async withEnvironments(node: TreeNode): Promise<TreeNode[]> {
    const key = `${node.id}:environments`;
    let environments = this.cache.get(key);
    if (!environments) {
      const reread = this.rereadResources.delete(node.connectionId!);
      environments = this.sidecar.data.cloudResources(node.connectionId!, reread).then((resources) => cloudNodes(node.connectionId!, resources));
      this.cache.set(key, environments);
    }
    try {
      return [...node.children, ...(await environments)];
    } catch (error) {
      this.cache.delete(key);
      return [...node.children, cloudProblemNode(node.connectionId!, describeError("list the Confluent Cloud environments", error))];
    }
  }

  private async fetch(node: TreeNode): Promise<TreeNode[]> {
    const id = node.connectionId!;
    const cluster = node.clusterId;
    const data = this.sidecar.data;
    if (node.kind === "folder" && node.folder === "topics") {
      const topics = await data.listTopics(id, cluster);
      return topics.length > 0 ? topics.map((topic) => topicNode(id, topic, cluster)) : [emptyNode(node, "No topics yet: create one with the + button")];
    }
    if (node.kind === "folder" && node.folder === "groups") {
      const groups = await data.listGroups(id, cluster);
      this.groups.set(node.id, groups);
      return groups.map((group) => groupNode(id, group, undefined, cluster));
    }
    if (node.kind === "folder" && node.folder === "subjects") {
      const subjects = await data.listSubjects(id, cluster);
      return subjects.length > 0 ? subjects.map((subject) => subjectNode(id, subject, cluster)) : [emptyNode(node, "No schema subjects")];
    }
    if (node.kind === "subject" && node.subject) {
      const versions = await data.listVersions(id, node.subject, cluster);
      return versions.map((version) => versionNode(id, node.subject!, version, cluster));
    }
    return [];
  }

  /** The groups with their latest lag, starting (or keeping) the folder's watch on them. */
  private async withLag(folder: TreeNode, pending: Promise<TreeNode[]>): Promise<TreeNode[]> {
    try {
      await pending;
    } catch (error) {
      this.cache.delete(folder.id);
      return [problemNode(folder, describeError("list the consumer groups", error))];
    }
    const connectionId = folder.connectionId!;
    const groups = this.groups.get(folder.id) ?? [];
    if (groups.length === 0) {
      await this.unwatch(folder.id);
      return [emptyNode(folder, "No consumer groups")];
    }
    let problem: TreeNode[] = [];
    try {
      await this.watch(folder, groups.map((group) => group.group_id));
    } catch (error) {
      problem = [problemNode(folder, describeError("watch the lag", error))];
    }
    const book = this.watches.get(folder.id)?.book;
    return [...groups.map((group) => groupNode(connectionId, group, book?.get(group.group_id), folder.clusterId)), ...problem];
  }

  private async watch(folder: TreeNode, groupIds: string[]): Promise<void> {
    const key = JSON.stringify(groupIds);
    const current = this.watches.get(folder.id);
    if (current?.groups === key) return;
    if (current) await this.unwatch(folder.id);
    const watchId = await this.sidecar.data.watchLag(folder.connectionId!, groupIds, LAG_INTERVAL_MS, folder.clusterId);
    this.watches.set(folder.id, { book: new LagBook(folder.connectionId!, watchId), groups: key });
  }

  /** Stops the lag watch of a Consumer Groups folder (by its id). */
  private async unwatch(folder: string): Promise<void> {
    const watch = this.watches.get(folder);
    if (!watch) return;
    this.watches.delete(folder);
    // Already gone (the sidecar restarted, or the watch ended with its connection): nothing to stop.
    await this.sidecar.data.unwatchLag(watch.book.watchId).catch(() => undefined);
  }

  /**
   * Connections deleted (or a sidecar restart) or whose spec changed (another cluster, perhaps): what was fetched for
   * them, and their lag watches, go too.
   */
  private forgetMissingConnections(): void {
    // Signing in or out of Confluent Cloud counts as a change too: the environments are read again.
    const specs = new Map(this.model.all().map((connection) => [connection.id, JSON.stringify([connection.spec, showsCloudResources(connection)])]));
    const gone = new Set([...this.specs.keys()].filter((id) => specs.get(id) !== this.specs.get(id)));
    this.specs = specs;
    if (gone.size === 0) return;
    for (const id of [...this.cache.keys()]) {
      const connectionId = /^connection:([^:]*):/.exec(id)?.[1];
      if (connectionId !== undefined && gone.has(connectionId)) this.cache.delete(id);
    }
    for (const [folder, watch] of [...this.watches]) if (gone.has(watch.book.connectionId)) void this.unwatch(folder);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const collapsible = node.lazy || node.children.length > 0;
    const item = new vscode.TreeItem(node.label, collapsible ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip;
    item.contextValue = node.contextValue;
    item.iconPath = new vscode.ThemeIcon(node.icon.id, node.icon.color ? new vscode.ThemeColor(node.icon.color) : undefined);
    if (node.kind === "version") item.command = { command: "ide-sidecar.openSchema", title: "Open Schema", arguments: [node] };
    if (node.kind === "topic") item.command = { command: "ide-sidecar.openViewer", title: "Open Messages", arguments: [node] };
    return item;
  }

  dispose(): void {
    for (const folder of [...this.watches.keys()]) void this.unwatch(folder);
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}

function problemNode(parent: TreeNode, message: string): TreeNode {
  return {
    id: `${parent.id}:problem`,
    kind: "message",
    connectionId: parent.connectionId,
    label: message,
    tooltip: message,
    icon: { id: "error", color: "errorForeground" },
    contextValue: "message",
    children: [],
  };
}

function emptyNode(parent: TreeNode, message: string): TreeNode {
  return { id: `${parent.id}:empty`, kind: "message", label: message, tooltip: message, icon: { id: "info" }, contextValue: "message", children: [] };
}
