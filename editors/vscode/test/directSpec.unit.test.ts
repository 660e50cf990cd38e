import assert from "node:assert/strict";
import { test } from "node:test";
import {
  answersFromSpec,
  buildDirectSpec,
  checkBootstrapServers,
  checkUri,
  isGuidedEditable,
  newConnectionId,
  type DirectAnswers,
} from "../src/model/directSpec";

const base: DirectAnswers = {
  id: "dev",
  name: " Dev ",
  bootstrapServers: "a:9092, b:9093",
  kafkaAuth: "none",
  tls: "plaintext",
  verifyHostname: true,
  schemaRegistryUri: "",
  schemaRegistryAuth: "none",
};

test("plaintext Kafka without credentials", () => {
  assert.deepEqual(buildDirectSpec(base), {
    id: "dev",
    name: "Dev",
    type: "DIRECT",
    kafka_cluster: { bootstrap_servers: "a:9092,b:9093", ssl: { enabled: false } },
  });
});

test("each Kafka credentials type makes the sidecar's credentials shape", () => {
  const spec = (a: Partial<DirectAnswers>) => buildDirectSpec({ ...base, ...a }).kafka_cluster?.credentials;
  assert.deepEqual(spec({ kafkaAuth: "plain", kafkaUser: "alice", kafkaSecret: "pw" }), { username: "alice", password: "pw" });
  assert.deepEqual(spec({ kafkaAuth: "api_key", kafkaUser: "KEY", kafkaSecret: "SECRET" }), { api_key: "KEY", api_secret: "SECRET" });
  assert.deepEqual(spec({ kafkaAuth: "scram_sha_512", kafkaUser: "bob", kafkaSecret: "pw" }), {
    hash_algorithm: "SCRAM_SHA_512",
    scram_username: "bob",
    scram_password: "pw",
  });
  assert.deepEqual(spec({ kafkaAuth: "oauth", oauthTokensUrl: "https://idp/token", oauthClientId: "app", oauthClientSecret: "", oauthScope: " kafka " }), {
    tokens_url: "https://idp/token",
    client_id: "app",
    scope: "kafka",
  });
});

test("TLS choices, and a Schema Registry with credentials", () => {
  const tls = buildDirectSpec({ ...base, tls: "truststore", truststorePath: "/ca.p12", truststoreType: "PKCS12", truststorePassword: "pw", verifyHostname: false, schemaRegistryUri: "https://sr:8081", schemaRegistryAuth: "api_key", schemaRegistryUser: "K", schemaRegistrySecret: "S" });
  const ssl = { enabled: true, verify_hostname: false, truststore: { path: "/ca.p12", type: "PKCS12", password: "pw" } };
  assert.deepEqual(tls.kafka_cluster?.ssl, ssl);
  assert.deepEqual(tls.schema_registry, { uri: "https://sr:8081", credentials: { api_key: "K", api_secret: "S" }, ssl }, "https registry shares the truststore");
  assert.deepEqual(buildDirectSpec({ ...base, tls: "tls" }).kafka_cluster?.ssl, { enabled: true });
  const registryOnly = buildDirectSpec({ ...base, bootstrapServers: " ", schemaRegistryUri: "http://sr:8081", schemaRegistryAuth: "basic", schemaRegistryUser: "u", schemaRegistrySecret: "p" });
  assert.deepEqual(registryOnly, { id: "dev", name: "Dev", type: "DIRECT", schema_registry: { uri: "http://sr:8081", credentials: { username: "u", password: "p" } } });
});

test("answers round-trip through a spec, so editing prefills every question", () => {
  const variants: Partial<DirectAnswers>[] = [
    {},
    { kafkaAuth: "plain", kafkaUser: "alice", kafkaSecret: "pw", tls: "tls" },
    { kafkaAuth: "scram_sha_256", kafkaUser: "bob", kafkaSecret: "pw", tls: "truststore", truststorePath: "/ca.pem", truststoreType: "PEM" },
    { kafkaAuth: "oauth", oauthTokensUrl: "https://idp/token", oauthClientId: "app", oauthClientSecret: "s", oauthScope: "kafka", tls: "tls", verifyHostname: false },
    { schemaRegistryUri: "http://sr:8081", schemaRegistryAuth: "basic", schemaRegistryUser: "u", schemaRegistrySecret: "p" },
  ];
  for (const variant of variants) {
    const spec = buildDirectSpec({ ...base, ...variant });
    assert.deepEqual(buildDirectSpec(answersFromSpec(spec)), spec, JSON.stringify(variant));
    assert.ok(isGuidedEditable(spec));
  }
  const withKeystore = buildDirectSpec({ ...base, tls: "tls" });
  withKeystore.kafka_cluster!.ssl!.keystore = { path: "/client.p12", type: "PKCS12" };
  assert.equal(isGuidedEditable(withKeystore), false, "a keystore would be lost");
  assert.equal(isGuidedEditable({ name: "c", type: "CCLOUD" }), false);
});

test("input hints for bootstrap servers and URLs", () => {
  assert.equal(checkBootstrapServers("a:9092,b.example.com:9093,[::1]:9092"), undefined);
  assert.equal(checkBootstrapServers(""), undefined);
  assert.match(checkBootstrapServers("broker") ?? "", /'broker' is not host:port/);
  assert.equal(checkUri("https://sr:8081"), undefined);
  assert.match(checkUri("ftp://x") ?? "", /http/);
  assert.match(checkUri("not a url") ?? "", /Not a URL/);
});

test("new ids are readable and unique-ish", () => {
  assert.equal(newConnectionId("My Dev Cluster!", () => 0.5), "my-dev-cluster-7fffff");
  assert.equal(newConnectionId("???", () => 0), "connection-000000");
  assert.ok(newConnectionId("x".repeat(100)).length <= 64);
});
