// What a connection holds, as tree nodes: the Topics, Consumer Groups and Schema Subjects folders, their children as
// the sidecar lists them, and the live lag of groups (from `kafka/lag` notifications). Pure data, no `vscode` import.
import type { CloudEnvironment, CloudResourcesResult, Connection, GroupSummary, LagEvent, TopicSummary } from "../protocol";
import type { TreeNode } from "./tree";

export type FolderKind = "topics" | "groups" | "subjects";

const FOLDERS: Record<FolderKind, { label: string; icon: string }> = {
  topics: { label: "Topics", icon: "list-unordered" },
  groups: { label: "Consumer Groups", icon: "organization" },
  subjects: { label: "Schema Subjects", icon: "symbol-structure" },
};

/**
 * The folders a connection gets: Kafka ones when it has a cluster, Subjects when it has a registry. A CCLOUD
 * connection has none of its own: its environments (from `ccloud/resources`, see `cloudNodes`) hold them per cluster.
 */
export function folderKinds(connection: Connection): FolderKind[] {
  const { spec } = connection;
  // LOCAL finds its cluster and registry itself.
  if (spec.type === "CCLOUD") return [];
  const kinds: FolderKind[] = [];
  if (spec.kafka_cluster || spec.type === "LOCAL") kinds.push("topics", "groups");
  if (spec.schema_registry || spec.type === "LOCAL") kinds.push("subjects");
  return kinds;
}

/** The id prefix of what one connection holds; with a cluster (a Confluent Cloud cluster or registry id), of that one. */
function scope(connectionId: string, clusterId?: string): string {
  return clusterId === undefined ? `connection:${connectionId}` : `connection:${connectionId}:cluster:${clusterId}`;
}

export function folderId(connectionId: string, kind: FolderKind, clusterId?: string): string {
  return `${scope(connectionId, clusterId)}:folder:${kind}`;
}

function folderNode(connectionId: string, kind: FolderKind, owner: string, clusterId?: string): TreeNode {
  return {
    id: folderId(connectionId, kind, clusterId),
    kind: "folder",
    folder: kind,
    connectionId,
    clusterId,
    label: FOLDERS[kind].label,
    tooltip: `${FOLDERS[kind].label} of '${owner}'`,
    icon: { id: FOLDERS[kind].icon },
    contextValue: `folder.${kind}`,
    lazy: true,
    children: [],
  };
}

export function folderNodes(connection: Connection): TreeNode[] {
  return folderKinds(connection).map((kind) => folderNode(connection.id, kind, connection.spec.name));
}

/** Whether a connection's children include its Confluent Cloud environments: a CCLOUD connection that is signed in. */
export function showsCloudResources(connection: Connection): boolean {
  return connection.spec.type === "CCLOUD" && connection.status.ccloud?.state === "SUCCESS";
}

/**
 * A `ccloud/resources` reply as tree nodes: each environment, holding its Kafka clusters (each with Topics and
 * Consumer Groups, whose requests name the cluster's `lkc-` id as `cluster_id`) and its Schema Registry (with Schema
 * Subjects, naming the registry's `lsrc-` id).
 */
export function cloudNodes(connectionId: string, resources: CloudResourcesResult): TreeNode[] {
  if (resources.environments.length === 0) {
    return [messageNode(`connection:${connectionId}:environments:empty`, connectionId, "No environments in this organization")];
  }
  return resources.environments.map((environment) => environmentNode(connectionId, environment));
}

/** The row under a CCLOUD connection when `ccloud/resources` fails: the sidecar's words, not a popup. */
export function cloudProblemNode(connectionId: string, message: string): TreeNode {
  return {
    id: `connection:${connectionId}:environments:problem`,
    kind: "message",
    connectionId,
    label: message,
    tooltip: message,
    icon: { id: "error", color: "errorForeground" },
    contextValue: "message",
    children: [],
  };
}

function environmentNode(connectionId: string, environment: CloudEnvironment): TreeNode {
  const id = `connection:${connectionId}:env:${environment.id}`;
  const clusters = environment.kafka_clusters.map((cluster): TreeNode => ({
    id: `${id}:kafka:${cluster.id}`,
    kind: "cluster",
    connectionId,
    clusterId: cluster.id,
    label: cluster.name,
    description: `${cluster.provider} ${cluster.region}`,
    tooltip: `Kafka cluster ${cluster.name} (${cluster.id}), ${cluster.provider} ${cluster.region}\n${cluster.bootstrap_servers}`,
    icon: { id: "server" },
    contextValue: "cluster",
    children: (["topics", "groups"] as const).map((kind) => folderNode(connectionId, kind, cluster.name, cluster.id)),
  }));
  const registry = environment.schema_registry;
  const registryNodes: TreeNode[] = registry
    ? [
        {
          id: `${id}:registry:${registry.id}`,
          kind: "registry",
          connectionId,
          clusterId: registry.id,
          label: "Schema Registry",
          description: registry.id,
          tooltip: `Schema Registry ${registry.id}\n${registry.uri}`,
          icon: { id: "symbol-structure" },
          contextValue: "registry",
          children: [folderNode(connectionId, "subjects", `Schema Registry ${registry.id}`, registry.id)],
        },
      ]
    : [];
  const children = [...clusters, ...registryNodes];
  return {
    id,
    kind: "environment",
    connectionId,
    label: environment.name,
    description: environment.id,
    tooltip: `Environment ${environment.name} (${environment.id}): ${environment.kafka_clusters.length} Kafka cluster(s)${registry ? ", a Schema Registry" : ", no Schema Registry"}`,
    icon: { id: "globe" },
    contextValue: "environment",
    children: children.length > 0 ? children : [messageNode(`${id}:empty`, connectionId, "No Kafka clusters or Schema Registry")],
  };
}

function messageNode(id: string, connectionId: string, text: string): TreeNode {
  return { id, kind: "message", connectionId, label: text, tooltip: text, icon: { id: "info" }, contextValue: "message", children: [] };
}

export function topicNode(connectionId: string, topic: TopicSummary, clusterId?: string): TreeNode {
  const partitions = `${topic.partitions_count} partition${topic.partitions_count === 1 ? "" : "s"}`;
  return {
    id: `${scope(connectionId, clusterId)}:topic:${topic.name}`,
    kind: "topic",
    connectionId,
    clusterId,
    topic: topic.name,
    label: topic.name,
    description: partitions,
    tooltip: `${topic.name}: ${partitions}, replication factor ${topic.replication_factor}${topic.internal ? ", internal" : ""}`,
    icon: { id: "symbol-event" },
    contextValue: "topic",
    children: [],
  };
}

export function groupNode(connectionId: string, group: GroupSummary, lag?: LagEvent, clusterId?: string): TreeNode {
  const state = lag?.state ?? group.state;
  const lagText = lag ? (lag.gone ? "gone" : `lag ${lag.total_lag}`) : "lag …";
  return {
    id: `${scope(connectionId, clusterId)}:group:${group.group_id}`,
    kind: "group",
    connectionId,
    clusterId,
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

export function subjectNode(connectionId: string, subject: string, clusterId?: string): TreeNode {
  return {
    id: `${scope(connectionId, clusterId)}:subject:${subject}`,
    kind: "subject",
    connectionId,
    clusterId,
    subject,
    label: subject,
    tooltip: subject,
    icon: { id: "symbol-structure" },
    contextValue: "subject",
    lazy: true,
    children: [],
  };
}

export function versionNode(connectionId: string, subject: string, version: number, clusterId?: string): TreeNode {
  return {
    id: `${scope(connectionId, clusterId)}:subject:${subject}:v${version}`,
    kind: "version",
    connectionId,
    clusterId,
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
