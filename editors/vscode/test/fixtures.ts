// Connections shaped like the sidecar's (see README.md "Example exchanges").
import type { Connection, ConnectedState, ConnectionStatus } from "../src/protocol";

export function direct(
  id: string,
  kafka: ConnectedState | undefined,
  registry?: ConnectedState,
  extra: Partial<ConnectionStatus> = {},
): Connection {
  const status: ConnectionStatus = { authentication: { status: "NO_TOKEN" }, ...extra };
  if (kafka) status.kafka_cluster = { state: kafka, ...(status.kafka_cluster ?? {}) };
  if (registry) status.schema_registry = { state: registry, ...(status.schema_registry ?? {}) };
  return {
    id,
    metadata: {},
    spec: {
      id,
      name: `Cluster ${id}`,
      type: "DIRECT",
      kafka_cluster: kafka ? { bootstrap_servers: "localhost:9092", ssl: { enabled: false } } : undefined,
      schema_registry: registry ? { uri: "http://localhost:8081" } : undefined,
    },
    status,
  };
}

export function ccloud(id: string, state: ConnectedState): Connection {
  return {
    id,
    metadata: { sign_in_uri: "https://login.confluent.io/oauth/authorize?x=1" },
    spec: { id, name: "Confluent Cloud", type: "CCLOUD" },
    status: { authentication: { status: "NO_TOKEN" }, ccloud: { state } },
  };
}

export const REFUSED = "Connection refused by 'localhost:9092': no Kafka broker is listening there";
