// The "Kafka Connections" tree as plain data: the connections the sidecar reported, kept up to date from
// `connections/event`, and the nodes to show for them. The view (src/connectionsView.ts) only turns these nodes into
// `vscode.TreeItem`s, so everything here is unit-tested with plain node.
import type { Connection, ConnectionEvent } from "../protocol";
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
  kind: "connection" | "component" | "message";
  connectionId?: string;
  component?: ComponentKey;
  label: string;
  description?: string;
  tooltip: string;
  icon: IconSpec;
  /** Drives the menus in package.json: `connection.DIRECT`, `connection.CCLOUD`, `component`, `message`. */
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

  /** Replaces everything with a `connections/list` result. */
  replaceAll(connections: Connection[]): void {
    this.connections.clear();
    for (const connection of connections) this.connections.set(connection.id, connection);
    this.problem = undefined;
    this.changed();
  }

  /** Records a connection returned by a request (create, update, refresh, get). */
  upsert(connection: Connection): void {
    this.connections.set(connection.id, connection);
    this.changed();
  }

  remove(id: string): void {
    if (this.connections.delete(id)) this.changed();
  }

  /** Applies a `connections/event` notification. */
  apply(event: ConnectionEvent): void {
    if (event.action === "DELETED") this.remove(event.connection.id);
    else this.upsert(event.connection);
  }

  /** Clears the connections and shows `problem` instead (or nothing when undefined), e.g. when the sidecar stopped. */
  reset(problem?: string): void {
    this.connections.clear();
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

export function connectionNode(connection: Connection): TreeNode {
  const state = overallState(connection);
  const parts = components(connection);
  const failing = parts.find((c) => c.error !== undefined && c.state !== "SUCCESS");
  const description = failing?.error ? `${STATE_LABELS[state]}: ${failing.error}` : STATE_LABELS[state];
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
    children: parts.map((part) => ({
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
    })),
  };
}

function joinDefined(first: string, second: string | undefined): string {
  return second ? `${first} (${second})` : first;
}
