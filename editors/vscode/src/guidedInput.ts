// The questions of "Add a Direct Connection" and "Edit": one input box or quick pick per answer, prefilled when
// editing. Returns undefined when the user cancels (Escape) at any step.
import * as vscode from "vscode";
import {
  KAFKA_AUTH_CHOICES,
  SCHEMA_REGISTRY_AUTH_CHOICES,
  TLS_CHOICES,
  checkBootstrapServers,
  checkUri,
  type DirectAnswers,
} from "./model/directSpec";
import type { StoreType } from "./protocol";

class Cancelled extends Error {}

export async function askDirectAnswers(title: string, initial?: DirectAnswers): Promise<DirectAnswers | undefined> {
  try {
    return await ask(title, initial);
  } catch (error) {
    if (error instanceof Cancelled) return undefined;
    throw error;
  }
}

async function input(title: string, options: vscode.InputBoxOptions): Promise<string> {
  const value = await vscode.window.showInputBox({ title, ignoreFocusOut: true, ...options });
  if (value === undefined) throw new Cancelled();
  return value;
}

async function pick<T>(title: string, placeHolder: string, items: { value: T; label: string; detail?: string }[], current?: T): Promise<T> {
  const quickPickItems = items.map((item) => ({
    label: item.label,
    detail: item.detail,
    description: item.value === current ? "(current)" : undefined,
    value: item.value,
  }));
  // The current choice first, so Enter keeps it.
  quickPickItems.sort((a, b) => Number(b.value === current) - Number(a.value === current));
  const chosen = await vscode.window.showQuickPick(quickPickItems, { title, placeHolder, ignoreFocusOut: true });
  if (!chosen) throw new Cancelled();
  return chosen.value;
}

const required = (what: string) => (value: string) => (value.trim() === "" ? `${what} is required` : undefined);

async function ask(title: string, initial?: DirectAnswers): Promise<DirectAnswers> {
  const name = await input(title, {
    prompt: "A name for this connection",
    value: initial?.name ?? "",
    validateInput: (value) => required("A name")(value) ?? (value.length > 64 ? "At most 64 characters" : undefined),
  });
  const bootstrapServers = await input(title, {
    prompt: "Kafka bootstrap servers, comma-separated host:port (leave empty for a Schema Registry only connection)",
    placeHolder: "broker-1:9092,broker-2:9092",
    value: initial?.bootstrapServers ?? "",
    validateInput: checkBootstrapServers,
  });
  const answers: DirectAnswers = {
    id: initial?.id,
    name,
    bootstrapServers,
    kafkaAuth: "none",
    tls: initial?.tls ?? "tls",
    verifyHostname: initial?.verifyHostname ?? true,
    schemaRegistryUri: "",
    schemaRegistryAuth: "none",
  };
  if (bootstrapServers.trim() !== "") {
    answers.kafkaAuth = await pick(title, "How does the client authenticate to Kafka?", KAFKA_AUTH_CHOICES, initial?.kafkaAuth);
    await askKafkaCredentials(title, answers, initial);
    answers.tls = await pick(title, "Transport security", TLS_CHOICES, initial?.tls);
    if (answers.tls === "truststore") await askTruststore(title, answers, initial);
    if (answers.tls !== "plaintext") {
      answers.verifyHostname = await pick(
        title,
        "Check that the broker's certificate matches its host name?",
        [
          { value: true, label: "Yes", detail: "Recommended" },
          { value: false, label: "No", detail: "Only for test brokers with a certificate for another host" },
        ],
        initial?.verifyHostname ?? true,
      );
    }
  }
  answers.schemaRegistryUri = await input(title, {
    prompt: "Schema Registry URL (leave empty for none)",
    placeHolder: "https://registry.example.com:8081",
    value: initial?.schemaRegistryUri ?? "",
    validateInput: (value) =>
      checkUri(value) ?? (bootstrapServers.trim() === "" && value.trim() === "" ? "Give a Schema Registry URL or go back and give bootstrap servers" : undefined),
  });
  if (answers.schemaRegistryUri.trim() !== "") {
    answers.schemaRegistryAuth = await pick(title, "How does the client authenticate to the Schema Registry?", SCHEMA_REGISTRY_AUTH_CHOICES, initial?.schemaRegistryAuth);
    if (answers.schemaRegistryAuth !== "none") {
      const isKey = answers.schemaRegistryAuth === "api_key";
      const same = initial?.schemaRegistryAuth === answers.schemaRegistryAuth;
      answers.schemaRegistryUser = await input(title, {
        prompt: isKey ? "Schema Registry API key" : "Schema Registry username",
        value: same ? initial?.schemaRegistryUser ?? "" : "",
        validateInput: required(isKey ? "The API key" : "The username"),
      });
      answers.schemaRegistrySecret = await input(title, {
        prompt: isKey ? "Schema Registry API secret" : "Schema Registry password",
        password: true,
        value: same ? initial?.schemaRegistrySecret ?? "" : "",
        validateInput: required(isKey ? "The API secret" : "The password"),
      });
    }
  }
  return answers;
}

async function askKafkaCredentials(title: string, answers: DirectAnswers, initial?: DirectAnswers): Promise<void> {
  const same = initial?.kafkaAuth === answers.kafkaAuth;
  switch (answers.kafkaAuth) {
    case "none":
      return;
    case "oauth":
      answers.oauthTokensUrl = await input(title, {
        prompt: "OAuth token endpoint URL",
        value: same ? initial?.oauthTokensUrl ?? "" : "",
        validateInput: (value) => required("The token endpoint")(value) ?? checkUri(value),
      });
      answers.oauthClientId = await input(title, { prompt: "OAuth client id", value: same ? initial?.oauthClientId ?? "" : "", validateInput: required("The client id") });
      answers.oauthClientSecret = await input(title, { prompt: "OAuth client secret (optional)", password: true, value: same ? initial?.oauthClientSecret ?? "" : "" });
      answers.oauthScope = await input(title, { prompt: "OAuth scope (optional)", value: same ? initial?.oauthScope ?? "" : "" });
      return;
    default: {
      const isKey = answers.kafkaAuth === "api_key";
      answers.kafkaUser = await input(title, {
        prompt: isKey ? "Kafka API key" : "Kafka username",
        value: same ? initial?.kafkaUser ?? "" : "",
        validateInput: required(isKey ? "The API key" : "The username"),
      });
      answers.kafkaSecret = await input(title, {
        prompt: isKey ? "Kafka API secret" : "Kafka password",
        password: true,
        value: same ? initial?.kafkaSecret ?? "" : "",
        validateInput: required(isKey ? "The API secret" : "The password"),
      });
    }
  }
}

async function askTruststore(title: string, answers: DirectAnswers, initial?: DirectAnswers): Promise<void> {
  answers.truststorePath = await input(title, {
    prompt: "Path of the truststore file (CA certificates)",
    value: initial?.truststorePath ?? "",
    validateInput: required("The truststore path"),
  });
  const guess: StoreType = /\.(p12|pfx)$/i.test(answers.truststorePath) ? "PKCS12" : /\.jks$/i.test(answers.truststorePath) ? "JKS" : "PEM";
  answers.truststoreType = await pick<StoreType>(
    title,
    "Truststore format",
    [
      { value: "PEM", label: "PEM" },
      { value: "PKCS12", label: "PKCS12" },
      { value: "JKS", label: "JKS" },
    ],
    initial?.truststoreType ?? guess,
  );
  if (answers.truststoreType !== "PEM") {
    answers.truststorePassword = await input(title, {
      prompt: "Truststore password (optional)",
      password: true,
      value: initial?.truststorePassword ?? "",
    });
  }
}
