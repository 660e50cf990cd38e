// The "Kafka Connections" tree as plain data: the connections the sidecar reported, kept up to date from
// `connections/event`, and the nodes to show for them. The view (src/connectionsView.ts) only turns these nodes into
// `vscode.TreeItem`s, so everything here is unit-tested with plain node.
import type { Connection, ConnectionEvent } from "../protocol";
import { folderNodes, showsCloudResources, type FolderKind } from "./resources";
import {
  COMPONENT_LABELS,
  STATE_ICONS,
  STATE_LABELS,
  components,
  describeComponent,
  overallState,
  type ComponentKey,
  type IconSpec,
} from "./status";

export interface TreeNode {
  /** Unique and stable across refreshes, so the view keeps selection and expansion. */
  id: string;
  kind: "connection" | "component" | "message" | "folder" | "topic" | "group" | "subject" | "version" | "environment" | "cluster" | "registry";
  connectionId?: string;
  /** A Confluent Cloud Kafka cluster's (`lkc-`) or Schema Registry's (`lsrc-`) id: the `cluster_id` of its requests. */
  clusterId?: string;
  /** A signed-in CCLOUD connection: its environments (`ccloud/resources`) follow its components. */
  cloud?: boolean;
  component?: ComponentKey;
  /** Which list a folder holds; its children are fetched from the sidecar when it is expanded. */
  folder?: FolderKind;
  topic?: string;
  groupId?: string;
  subject?: string;
  version?: number;
  /** Collapsible although `children` is empty: the view asks the sidecar for them (src/model/resources.ts). */
  lazy?: boolean;
  label: string;
  description?: string;
  tooltip: string;
  icon: IconSpec;
  /**
   * Drives the menus in package.json: `connection.DIRECT`, `connection.CCLOUD`, `component`, `message`,
   * `folder.topics`, `folder.groups`, `folder.subjects`, `topic`, `group`, `subject`, `version`, `environment`,
   * `cluster`, `registry`.
   */
  contextValue: string;
  children: TreeNode[];
}

export type Listener = () => void;

export class ConnectionsModel {
  /** By id, in creation order (a Map keeps insertion order). */
  private readonly connections = new Map<string, Connection>();
  private readonly listeners = new Set<Listener>();
  /** Shown as the only node while the sidecar is not running. */
  private problem: string | undefined;
  /** The revision of each connection's DELETED event, so that a late reply does not bring it back. */
  private readonly deleted = new Map<string, number>();

  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  all(): Connection[] {
    return [...this.connections.values()];
  }

  get(id: string): Connection | undefined {
    return this.connections.get(id);
  }

  /**
   * Replaces everything with a `connections/list` result. A listed connection older than the one already held (an
   * event overtook the list) keeps the newer one.
   */
  replaceAll(connections: Connection[]): void {
    const held = new Map(this.connections);
    this.connections.clear();
    for (const connection of connections) {
      const current = held.get(connection.id);
      const keep = current !== undefined && isOlder(connection, revisionOf(current));
      this.connections.set(connection.id, keep ? current : connection);
    }
    this.problem = undefined;
    this.changed();
  }

  /**
   * Records a connection returned by a request (create, update, refresh, get) or an event. Every Connection carries
   * `metadata.revision`, which grows with each change: one older than what is held (a create reply that arrives after
   * the CONNECTED event it led to) or than its deletion is ignored. Returns whether it was applied.
   */
  upsert(connection: Connection): boolean {
    const current = this.connections.get(connection.id);
    const known = current !== undefined ? revisionOf(current) : this.deleted.get(connection.id);
    const stale = current !== undefined ? isOlder(connection, known) : known !== undefined && !isNewer(connection, known);
    if (stale) return false;
    this.deleted.delete(connection.id);
    this.connections.set(connection.id, connection);
    this.changed();
    return true;
  }

  /** Removes a connection; `revision` (of its DELETED event) keeps older replies from bringing it back. */
  remove(id: string, revision?: number): void {
    if (revision !== undefined) this.deleted.set(id, revision);
    if (this.connections.delete(id)) this.changed();
  }

  /** Applies a `connections/event` notification. */
  apply(event: ConnectionEvent): void {
    if (event.action === "DELETED") this.remove(event.connection.id, revisionOf(event.connection));
    else this.upsert(event.connection);
  }

  /**
   * Clears the connections and shows `problem` instead (or nothing when undefined), e.g. when the sidecar stopped. A
   * new sidecar counts revisions from the start again, so what was known about revisions goes too.
   */
  reset(problem?: string): void {
    this.connections.clear();
    this.deleted.clear();
    this.problem = problem;
    this.changed();
  }

  nodes(): TreeNode[] {
    if (this.problem !== undefined) {
      return [
        {
          id: "problem",
          kind: "message",
          label: this.problem,
          tooltip: this.problem,
          icon: { id: "error", color: "errorForeground" },
          contextValue: "message",
          children: [],
        },
      ];
    }
    return this.all().map(connectionNode);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}

/** A connection's revision; undefined from a sidecar that does not send one (then every update applies). */
function revisionOf(connection: Connection): number | undefined {
  return connection.metadata?.revision ?? undefined;
}

function isOlder(connection: Connection, than: number | undefined): boolean {
  const revision = revisionOf(connection);
  return revision !== undefined && than !== undefined && revision < than;
}

function isNewer(connection: Connection, than: number): boolean {
  const revision = revisionOf(connection);
  return revision === undefined || revision > than;
}

export function connectionNode(connection: Connection): TreeNode {
  const state = overallState(connection);
  const parts = components(connection);
  const failing = parts.find((c) => c.error !== undefined && c.state !== "SUCCESS");
  // The error itself is on the failing component's row (and in the tooltips): the connection's row names which.
  const description = failing ? `${STATE_LABELS[state]}: ${COMPONENT_LABELS[failing.key]}` : STATE_LABELS[state];
  const where = connection.spec.kafka_cluster?.bootstrap_servers ?? connection.spec.schema_registry?.uri;
  const tooltip = [
    `${connection.spec.name} (${connection.spec.type}${where ? `, ${where}` : ""})`,
    ...parts.map(describeComponent),
  ].join("\n");
  return {
    id: `connection:${connection.id}`,
    kind: "connection",
    connectionId: connection.id,
    label: connection.spec.name,
    description,
    tooltip,
    icon: STATE_ICONS[state],
    contextValue: `connection.${connection.spec.type}`,
    cloud: showsCloudResources(connection) || undefined,
    children: [...parts.map(componentNode(connection)), ...folderNodes(connection)],
  };
}

function componentNode(connection: Connection) {
  return (part: ReturnType<typeof components>[number]): TreeNode => ({
    id: `connection:${connection.id}:${part.key}`,
    kind: "component",
    connectionId: connection.id,
    component: part.key,
    label: COMPONENT_LABELS[part.key],
    description: part.error ? `${STATE_LABELS[part.state]}: ${part.error}` : joinDefined(STATE_LABELS[part.state], part.detail),
    tooltip: part.error ?? describeComponent(part),
    icon: STATE_ICONS[part.state],
    contextValue: "component",
    children: [],
  });
}

function joinDefined(first: string, second: string | undefined): string {
  return second ? `${first} (${second})` : first;
}
