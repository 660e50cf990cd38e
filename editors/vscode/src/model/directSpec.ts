// The guided "add a direct connection" input as plain data: the answers the user gives, the spec they make, and
// back again (to prefill the questions when editing). No `vscode` import; unit-tested with plain node.
import type { ConnectionSpec, Credentials, StoreType, TlsConfig } from "../protocol";

export type KafkaAuth = "none" | "plain" | "api_key" | "scram_sha_256" | "scram_sha_512" | "oauth";
export type SchemaRegistryAuth = "none" | "basic" | "api_key";
/** `tls`: TLS with the system's CAs; `truststore`: TLS trusting the CAs of a store; `plaintext`: no TLS. */
export type TlsMode = "tls" | "truststore" | "plaintext";

export interface DirectAnswers {
  /** Kept when editing. A new connection gets one from newConnectionId, so it is saved under the id it has. */
  id?: string;
  name: string;
  /** Empty: no Kafka cluster (a Schema Registry only connection). */
  bootstrapServers: string;
  kafkaAuth: KafkaAuth;
  /** Username, API key or SCRAM username, by `kafkaAuth`. */
  kafkaUser?: string;
  /** Password, API secret or SCRAM password, by `kafkaAuth`. */
  kafkaSecret?: string;
  oauthTokensUrl?: string;
  oauthClientId?: string;
  oauthClientSecret?: string;
  oauthScope?: string;
  tls: TlsMode;
  verifyHostname: boolean;
  truststorePath?: string;
  truststoreType?: StoreType;
  truststorePassword?: string;
  /** Empty: no Schema Registry. */
  schemaRegistryUri: string;
  schemaRegistryAuth: SchemaRegistryAuth;
  schemaRegistryUser?: string;
  schemaRegistrySecret?: string;
}

export const KAFKA_AUTH_CHOICES: { value: KafkaAuth; label: string; detail: string }[] = [
  { value: "none", label: "No authentication", detail: "The broker needs no SASL login" },
  { value: "plain", label: "Username and password", detail: "SASL PLAIN" },
  { value: "api_key", label: "API key and secret", detail: "SASL PLAIN with a Confluent API key" },
  { value: "scram_sha_256", label: "SCRAM-SHA-256", detail: "SASL SCRAM with SHA-256" },
  { value: "scram_sha_512", label: "SCRAM-SHA-512", detail: "SASL SCRAM with SHA-512" },
  { value: "oauth", label: "OAuth client credentials", detail: "SASL OAUTHBEARER with a token from your identity provider" },
];

export const TLS_CHOICES: { value: TlsMode; label: string; detail: string }[] = [
  { value: "tls", label: "TLS", detail: "Encrypted, trusting the system's certificate authorities" },
  { value: "truststore", label: "TLS with a truststore", detail: "Encrypted, trusting the CAs in a PEM, PKCS12 or JKS file" },
  { value: "plaintext", label: "Plaintext", detail: "No encryption (local and test brokers)" },
];

export const SCHEMA_REGISTRY_AUTH_CHOICES: { value: SchemaRegistryAuth; label: string }[] = [
  { value: "none", label: "No authentication" },
  { value: "basic", label: "Username and password" },
  { value: "api_key", label: "API key and secret" },
];

/** A hint for the input box; the sidecar validates again and has the last word. */
export function checkBootstrapServers(value: string): string | undefined {
  const servers = value.split(",").map((s) => s.trim());
  if (value.trim() === "") return undefined;
  const bad = servers.find((server) => !/^(\[[0-9a-fA-F:.]+\]|[^\s:]+):\d{1,5}$/.test(server));
  return bad === undefined ? undefined : `'${bad}' is not host:port, such as broker:9092`;
}

export function checkUri(value: string): string | undefined {
  if (value.trim() === "") return undefined;
  try {
    const url = new URL(value.trim());
    return url.protocol === "http:" || url.protocol === "https:" ? undefined : "Use an http:// or https:// URL";
  } catch {
    return "Not a URL: write it like https://registry.example.com:8081";
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function kafkaCredentials(a: DirectAnswers): Credentials | undefined {
  switch (a.kafkaAuth) {
    case "none":
      return undefined;
    case "plain":
      return { username: a.kafkaUser ?? "", password: a.kafkaSecret ?? "" };
    case "api_key":
      return { api_key: a.kafkaUser ?? "", api_secret: a.kafkaSecret ?? "" };
    case "scram_sha_256":
    case "scram_sha_512":
      return {
        hash_algorithm: a.kafkaAuth === "scram_sha_256" ? "SCRAM_SHA_256" : "SCRAM_SHA_512",
        scram_username: a.kafkaUser ?? "",
        scram_password: a.kafkaSecret ?? "",
      };
    case "oauth": {
      const credentials: Credentials = { tokens_url: a.oauthTokensUrl ?? "", client_id: a.oauthClientId ?? "" };
      if (nonEmpty(a.oauthClientSecret)) credentials.client_secret = a.oauthClientSecret;
      if (nonEmpty(a.oauthScope)) credentials.scope = nonEmpty(a.oauthScope);
      return credentials;
    }
  }
}

function schemaRegistryCredentials(a: DirectAnswers): Credentials | undefined {
  switch (a.schemaRegistryAuth) {
    case "none":
      return undefined;
    case "basic":
      return { username: a.schemaRegistryUser ?? "", password: a.schemaRegistrySecret ?? "" };
    case "api_key":
      return { api_key: a.schemaRegistryUser ?? "", api_secret: a.schemaRegistrySecret ?? "" };
  }
}

function tlsConfig(a: DirectAnswers): TlsConfig {
  if (a.tls === "plaintext") return { enabled: false };
  const tls: TlsConfig = { enabled: true };
  if (!a.verifyHostname) tls.verify_hostname = false;
  if (a.tls === "truststore" && nonEmpty(a.truststorePath)) {
    tls.truststore = { path: a.truststorePath!.trim(), type: a.truststoreType ?? "PEM" };
    if (nonEmpty(a.truststorePassword)) tls.truststore.password = a.truststorePassword;
  }
  return tls;
}

/** The DIRECT connection spec the answers describe. */
export function buildDirectSpec(a: DirectAnswers): ConnectionSpec {
  const spec: ConnectionSpec = { name: a.name.trim(), type: "DIRECT" };
  if (a.id) spec.id = a.id;
  if (nonEmpty(a.bootstrapServers)) {
    spec.kafka_cluster = { bootstrap_servers: a.bootstrapServers.split(",").map((s) => s.trim()).join(","), ssl: tlsConfig(a) };
    const credentials = kafkaCredentials(a);
    if (credentials) spec.kafka_cluster.credentials = credentials;
  }
  const uri = nonEmpty(a.schemaRegistryUri);
  if (uri) {
    spec.schema_registry = { uri };
    const credentials = schemaRegistryCredentials(a);
    if (credentials) spec.schema_registry.credentials = credentials;
    // The Kafka TLS choices (truststore, host name check) also apply to an https registry.
    if (uri.startsWith("https:") && a.tls !== "plaintext") {
      const tls = tlsConfig(a);
      if (tls.truststore || tls.verify_hostname === false) spec.schema_registry.ssl = tls;
    }
  }
  return spec;
}

/** The answers that give `spec` back, to prefill the questions when editing a saved connection. */
export function answersFromSpec(spec: ConnectionSpec): DirectAnswers {
  const kafka = spec.kafka_cluster ?? undefined;
  const kc = kafka?.credentials ?? undefined;
  const ssl = kafka?.ssl ?? spec.schema_registry?.ssl ?? undefined;
  const answers: DirectAnswers = {
    id: spec.id ?? undefined,
    name: spec.name,
    bootstrapServers: kafka?.bootstrap_servers ?? "",
    kafkaAuth: "none",
    tls: ssl?.enabled === false ? "plaintext" : ssl?.truststore ? "truststore" : "tls",
    verifyHostname: ssl?.verify_hostname !== false,
    schemaRegistryUri: spec.schema_registry?.uri ?? "",
    schemaRegistryAuth: "none",
  };
  if (ssl?.truststore) {
    answers.truststorePath = ssl.truststore.path;
    answers.truststoreType = ssl.truststore.type ?? "JKS";
    answers.truststorePassword = ssl.truststore.password ?? undefined;
  }
  if (kc?.scram_username != null) {
    answers.kafkaAuth = kc.hash_algorithm === "SCRAM_SHA_256" ? "scram_sha_256" : "scram_sha_512";
    answers.kafkaUser = kc.scram_username;
    answers.kafkaSecret = kc.scram_password ?? undefined;
  } else if (kc?.api_key != null) {
    answers.kafkaAuth = "api_key";
    answers.kafkaUser = kc.api_key;
    answers.kafkaSecret = kc.api_secret ?? undefined;
  } else if (kc?.username != null) {
    answers.kafkaAuth = "plain";
    answers.kafkaUser = kc.username;
    answers.kafkaSecret = kc.password ?? undefined;
  } else if (kc?.tokens_url != null) {
    answers.kafkaAuth = "oauth";
    answers.oauthTokensUrl = kc.tokens_url;
    answers.oauthClientId = kc.client_id ?? undefined;
    answers.oauthClientSecret = kc.client_secret ?? undefined;
    answers.oauthScope = kc.scope ?? undefined;
  }
  const sc = spec.schema_registry?.credentials ?? undefined;
  if (sc?.api_key != null) {
    answers.schemaRegistryAuth = "api_key";
    answers.schemaRegistryUser = sc.api_key;
    answers.schemaRegistrySecret = sc.api_secret ?? undefined;
  } else if (sc?.username != null) {
    answers.schemaRegistryAuth = "basic";
    answers.schemaRegistryUser = sc.username;
    answers.schemaRegistrySecret = sc.password ?? undefined;
  }
  return answers;
}

/** Whether the guided input can edit this spec without losing anything (else the user edits it as JSON). */
export function isGuidedEditable(spec: ConnectionSpec): boolean {
  if (spec.type !== "DIRECT") return false;
  const rebuilt = buildDirectSpec(answersFromSpec(spec));
  return JSON.stringify(normalize(rebuilt)) === JSON.stringify(normalize(spec));
}

function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, inner]) => inner !== null && inner !== undefined)
      .map(([key, inner]) => [key, normalize(inner)] as const)
      .sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries);
  }
  return value;
}

/** A readable, unique id for a new connection: its name in lowercase with dashes, and a random suffix. */
export function newConnectionId(name: string, random: () => number = Math.random): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  const suffix = Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, "0");
  return slug ? `${slug}-${suffix}` : `connection-${suffix}`;
}
