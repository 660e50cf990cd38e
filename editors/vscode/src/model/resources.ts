// What a connection holds, as tree nodes: the Topics, Consumer Groups and Schema Subjects folders, their children as
// the sidecar lists them, and the live lag of groups (from `kafka/lag` notifications). Pure data, no `vscode` import.
import type { Connection, GroupSummary, LagEvent, TopicSummary } from "../protocol";
import type { TreeNode } from "./tree";

export type FolderKind = "topics" | "groups" | "subjects";

const FOLDERS: Record<FolderKind, { label: string; icon: string }> = {
  topics: { label: "Topics", icon: "list-unordered" },
  groups: { label: "Consumer Groups", icon: "organization" },
  subjects: { label: "Schema Subjects", icon: "symbol-structure" },
};

/** The folders a connection gets: Kafka ones when it has a cluster, Subjects when it has a registry. */
export function folderKinds(connection: Connection): FolderKind[] {
  const { spec } = connection;
  // Confluent Cloud resources are not served by the sidecar yet (-32032); LOCAL finds its cluster and registry itself.
  if (spec.type === "CCLOUD") return [];
  const kinds: FolderKind[] = [];
  if (spec.kafka_cluster || spec.type === "LOCAL") kinds.push("topics", "groups");
  if (spec.schema_registry || spec.type === "LOCAL") kinds.push("subjects");
  return kinds;
}

export function folderId(connectionId: string, kind: FolderKind): string {
  return `connection:${connectionId}:folder:${kind}`;
}

export function folderNodes(connection: Connection): TreeNode[] {
  return folderKinds(connection).map((kind) => ({
    id: folderId(connection.id, kind),
    kind: "folder",
    folder: kind,
    connectionId: connection.id,
    label: FOLDERS[kind].label,
    tooltip: `${FOLDERS[kind].label} of '${connection.spec.name}'`,
    icon: { id: FOLDERS[kind].icon },
    contextValue: `folder.${kind}`,
    lazy: true,
    children: [],
  }));
}

export function topicNode(connectionId: string, topic: TopicSummary): TreeNode {
  const partitions = `${topic.partitions_count} partition${topic.partitions_count === 1 ? "" : "s"}`;
  return {
    id: `connection:${connectionId}:topic:${topic.name}`,
    kind: "topic",
    connectionId,
    topic: topic.name,
    label: topic.name,
    description: partitions,
    tooltip: `${topic.name}: ${partitions}, replication factor ${topic.replication_factor}${topic.internal ? ", internal" : ""}`,
    icon: { id: "symbol-event" },
    contextValue: "topic",
    children: [],
  };
}

export function groupNode(connectionId: string, group: GroupSummary, lag?: LagEvent): TreeNode {
  const state = lag?.state ?? group.state;
  const lagText = lag ? (lag.gone ? "gone" : `lag ${lag.total_lag}`) : "lag …";
  return {
    id: `connection:${connectionId}:group:${group.group_id}`,
    kind: "group",
    connectionId,
    groupId: group.group_id,
    label: group.group_id,
    description: `${state}, ${lagText}`,
    tooltip: [
      `${group.group_id}: ${state}, ${group.members_count} member${group.members_count === 1 ? "" : "s"}`,
      lag && !lag.gone ? `Total lag ${lag.total_lag} (updated live while this folder is expanded)` : "",
      ...(lag?.partitions ?? []).map((p) => `  ${p.topic}[${p.partition}]: lag ${p.lag}`),
    ]
      .filter((line) => line !== "")
      .join("\n"),
    icon: { id: lag && !lag.gone && lag.total_lag > 0 ? "arrow-circle-down" : "check" },
    contextValue: "group",
    children: [],
  };
}

export function subjectNode(connectionId: string, subject: string): TreeNode {
  return {
    id: `connection:${connectionId}:subject:${subject}`,
    kind: "subject",
    connectionId,
    subject,
    label: subject,
    tooltip: subject,
    icon: { id: "symbol-structure" },
    contextValue: "subject",
    lazy: true,
    children: [],
  };
}

export function versionNode(connectionId: string, subject: string, version: number): TreeNode {
  return {
    id: `connection:${connectionId}:subject:${subject}:v${version}`,
    kind: "version",
    connectionId,
    subject,
    version,
    label: `version ${version}`,
    tooltip: `Open ${subject} version ${version} (read-only)`,
    icon: { id: "file-code" },
    contextValue: "version",
    children: [],
  };
}

/**
 * The latest lag of each group of one connection's watch: the first reading and then every change arrive as
 * `kafka/lag` notifications, and the tree redraws the folder from here.
 */
export class LagBook {
  private readonly byGroup = new Map<string, LagEvent>();

  constructor(
    readonly connectionId: string,
    readonly watchId: string,
  ) {}

  /** Records an event; returns whether it was this watch's. */
  apply(event: LagEvent): boolean {
    if (event.watch_id !== this.watchId) return false;
    this.byGroup.set(event.group_id, event);
    return true;
  }

  get(groupId: string): LagEvent | undefined {
    return this.byGroup.get(groupId);
  }
}
