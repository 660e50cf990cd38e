// What the palette commands (open messages, produce, topic and schema actions) offer when they are not run on a tree
// item: every connection with its own Kafka cluster (or Schema Registry), and every Confluent Cloud Kafka cluster (or
// Schema Registry) of each signed-in CCLOUD connection, read from `ccloud/resources` and named by `cluster_id` in the
// requests. Pure data, no `vscode` import.
import type { CloudResourcesResult, Connection } from "../protocol";
import { showsCloudResources } from "./resources";

/** Where a data-plane request goes: a connection, and on Confluent Cloud the cluster's `lkc-` or registry's `lsrc-` id. */
export interface Target {
  connectionId: string;
  clusterId?: string;
}

/** One row of the quick pick. */
export interface TargetItem extends Target {
  label: string;
  description?: string;
  detail?: string;
}

export type TargetKind = "kafka" | "registry";

/** The CCLOUD connections whose clusters the pick lists: signed in, so that `ccloud/resources` answers. */
export function cloudConnections(connections: readonly Connection[]): Connection[] {
  return connections.filter(showsCloudResources);
}

/**
 * The pick's rows: connections with their own cluster or registry first (LOCAL finds its own), then each signed-in
 * Confluent Cloud connection's clusters or registries, environment by environment. `cloud` holds the
 * `ccloud/resources` reply of each CCLOUD connection that was read (one that failed is left out, and said elsewhere).
 */
export function targetItems(kind: TargetKind, connections: readonly Connection[], cloud: ReadonlyMap<string, CloudResourcesResult>): TargetItem[] {
  const own = connections
    .filter((c) => c.spec.type !== "CCLOUD" && (kind === "kafka" ? c.spec.kafka_cluster || c.spec.type === "LOCAL" : c.spec.schema_registry || c.spec.type === "LOCAL"))
    .map((c): TargetItem => ({
      connectionId: c.id,
      label: c.spec.name,
      description: (kind === "kafka" ? c.spec.kafka_cluster?.bootstrap_servers : c.spec.schema_registry?.uri) ?? undefined,
    }));
  const clouds = cloudConnections(connections).flatMap((c) =>
    (cloud.get(c.id)?.environments ?? []).flatMap((environment): TargetItem[] => {
      const where = `${environment.name} (${environment.id}) · ${c.spec.name}`;
      if (kind === "kafka") {
        return environment.kafka_clusters.map((cluster) => ({
          connectionId: c.id,
          clusterId: cluster.id,
          label: `$(cloud) ${cluster.name}`,
          description: where,
          detail: `Kafka cluster ${cluster.id}, ${cluster.provider} ${cluster.region}`,
        }));
      }
      const registry = environment.schema_registry;
      return registry
        ? [{ connectionId: c.id, clusterId: registry.id, label: `$(cloud) Schema Registry ${registry.id}`, description: where, detail: registry.uri }]
        : [];
    }),
  );
  return [...own, ...clouds];
}
