// How a connection's status is shown: one icon, label and description per component state, and the overall state of
// a connection. Pure data, no `vscode` import, so it is unit-tested with plain node.
import type { AuthErrors, ConnectedState, Connection } from "../protocol";

/** A codicon id and an optional theme color id: what `new ThemeIcon(id, new ThemeColor(color))` takes. */
export interface IconSpec {
  id: string;
  color?: string;
}

export const STATE_ICONS: Record<ConnectedState, IconSpec> = {
  ATTEMPTING: { id: "loading~spin" },
  SUCCESS: { id: "pass", color: "testing.iconPassed" },
  FAILED: { id: "warning", color: "problemsWarningIcon.foreground" },
  EXPIRED: { id: "history", color: "problemsWarningIcon.foreground" },
  NONE: { id: "circle-outline" },
};

export const STATE_LABELS: Record<ConnectedState, string> = {
  ATTEMPTING: "connecting…",
  SUCCESS: "connected",
  FAILED: "failed",
  EXPIRED: "expired: sign in again",
  NONE: "not connected",
};

export type ComponentKey = "kafka_cluster" | "schema_registry" | "ccloud";

export const COMPONENT_LABELS: Record<ComponentKey, string> = {
  kafka_cluster: "Kafka cluster",
  schema_registry: "Schema Registry",
  ccloud: "Confluent Cloud",
};

/** One component of a connection's status, flattened for display. */
export interface ComponentStatus {
  key: ComponentKey;
  state: ConnectedState;
  /** The first error message (sign-in, token refresh, then check), if any. */
  error?: string;
  /** Whether trying again later may help, for that error. */
  transient?: boolean;
  /** Facts the sidecar learned: a cluster id, a user. */
  detail?: string;
}

export function firstError(errors: AuthErrors | null | undefined): { message: string; transient: boolean } | undefined {
  const error = errors?.sign_in ?? errors?.token_refresh ?? errors?.auth_status_check;
  return error ? { message: error.message, transient: error.is_transient } : undefined;
}

/** The components a connection has, in a fixed order (Confluent Cloud, Kafka, Schema Registry). */
export function components(connection: Connection): ComponentStatus[] {
  const status = connection.status;
  const out: ComponentStatus[] = [];
  if (status.ccloud) {
    const user = status.ccloud.user?.username;
    out.push({ key: "ccloud", state: status.ccloud.state, ...errorFields(status.ccloud.errors), detail: user ? `signed in as ${user}` : undefined });
  }
  if (status.kafka_cluster) {
    const id = status.kafka_cluster.cluster_id;
    out.push({ key: "kafka_cluster", state: status.kafka_cluster.state, ...errorFields(status.kafka_cluster.errors), detail: id ? `cluster ${id}` : undefined });
  }
  if (status.schema_registry) {
    out.push({ key: "schema_registry", state: status.schema_registry.state, ...errorFields(status.schema_registry.errors) });
  }
  return out;
}

function errorFields(errors: AuthErrors | null | undefined): Pick<ComponentStatus, "error" | "transient"> {
  const error = firstError(errors);
  return error ? { error: error.message, transient: error.transient } : {};
}

// The overall state is the one that needs the user's attention most: a failure, then an expired sign-in, then a check
// still running; SUCCESS only when every component succeeded.
const PRECEDENCE: ConnectedState[] = ["FAILED", "EXPIRED", "ATTEMPTING", "NONE", "SUCCESS"];

export function overallState(connection: Connection): ConnectedState {
  const states = components(connection).map((c) => c.state);
  if (states.length === 0) return "NONE";
  return PRECEDENCE.find((state) => states.includes(state)) ?? "NONE";
}

/** One line about a component, such as "Kafka cluster: failed (Connection refused by ...)". */
export function describeComponent(component: ComponentStatus): string {
  const base = `${COMPONENT_LABELS[component.key]}: ${STATE_LABELS[component.state]}`;
  if (component.error) return `${base} (${component.error})`;
  if (component.detail) return `${base} (${component.detail})`;
  return base;
}

/** A short summary of a whole connection, for messages: "Dev: Kafka cluster: connected (cluster x); Schema ...". */
export function describeConnection(connection: Connection): string {
  const parts = components(connection).map(describeComponent);
  return `${connection.spec.name}: ${parts.length > 0 ? parts.join("; ") : "nothing to check"}`;
}

/** The outcome of a test (a dry-run create): it passed when every component succeeded. */
export function testOutcome(connection: Connection): { passed: boolean; summary: string } {
  const parts = components(connection);
  const passed = parts.length > 0 && parts.every((c) => c.state === "SUCCESS");
  return { passed, summary: parts.map(describeComponent).join("; ") };
}
