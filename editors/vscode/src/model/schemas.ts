// Schema Registry actions on the open document, as plain data: which schema type a document holds, which subject its
// file name suggests, and the words shown for compatibility checks, dry runs, levels and deletes. No `vscode` import.
import type { CheckCompatibilityResult, Compatibility, ConfigResult, RegisterSchemaResult, SchemaType } from "../protocol";

export const COMPATIBILITY_LEVELS: readonly { level: Compatibility; detail: string }[] = [
  { level: "BACKWARD", detail: "new schemas read data written with the latest one (the registry's default)" },
  { level: "BACKWARD_TRANSITIVE", detail: "new schemas read data written with every earlier one" },
  { level: "FORWARD", detail: "the latest schema reads data written with new ones" },
  { level: "FORWARD_TRANSITIVE", detail: "every earlier schema reads data written with new ones" },
  { level: "FULL", detail: "BACKWARD and FORWARD against the latest" },
  { level: "FULL_TRANSITIVE", detail: "BACKWARD and FORWARD against every earlier one" },
  { level: "NONE", detail: "no check" },
];

/**
 * The schema type of a document: Protobuf for `.proto` files or text starting with `syntax`/`message`/`package`;
 * JSON Schema for JSON with `$schema` or `"type": "object"` (or `properties`); Avro for JSON that is a record, enum,
 * fixed, array, map, union or primitive type name. Undefined when it cannot tell (the user is asked).
 */
export function guessSchemaType(text: string, fileName = "", languageId = ""): SchemaType | undefined {
  const trimmed = text.trim();
  if (/\.proto$/i.test(fileName) || /^proto/.test(languageId) || /^(syntax|message|package|import|option)\b/.test(trimmed)) return "PROTOBUF";
  if (/\.avsc$/i.test(fileName)) return "AVRO";
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof parsed === "string") return "AVRO";
  if (Array.isArray(parsed)) return "AVRO";
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const object = parsed as Record<string, unknown>;
  if ("$schema" in object || "properties" in object || object.type === "object") return "JSON";
  if (["record", "enum", "fixed", "array", "map"].includes(String(object.type))) return "AVRO";
  return undefined;
}

/**
 * The schema text to send: JSON types must parse (the error names the position), and are sent as written; Protobuf is
 * sent as written. Empty text is refused.
 */
export function schemaText(text: string, type: SchemaType): { text: string } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { error: "The document is empty: write the schema first" };
  if (type === "AVRO" || type === "JSON") {
    try {
      JSON.parse(trimmed);
    } catch (error) {
      return { error: `The document is not valid JSON, so it cannot be ${type === "AVRO" ? "an Avro" : "a JSON"} schema: ${(error as Error).message}` };
    }
  }
  return { text: trimmed };
}

/**
 * The subject a file name suggests: its name without extensions, and without the `.vN.idM` that schema versions opened
 * from the tree carry (`orders-value.v1.id3.json` -> `orders-value`). Undefined for untitled documents.
 */
export function subjectFromFileName(fileName: string): string | undefined {
  const base = fileName.split(/[\\/]/).pop() ?? "";
  if (/^Untitled-\d+$/.test(base) || base === "") return undefined;
  const subject = base.replace(/\.v\d+\.id\d+\.[^.]+$/, "").replace(/\.(avsc|json|jsonc|proto|txt)$/i, "");
  return subject === "" ? undefined : subject;
}

/** The lines that say how a compatibility check went. */
export function compatibilityLines(subject: string, version: string, result: CheckCompatibilityResult): string[] {
  if (result.is_compatible) return [`Compatible with '${subject}' version ${version}`];
  return [`Not compatible with '${subject}' version ${version}:`, ...(result.messages.length > 0 ? result.messages : ["(the registry gave no reason)"])];
}

/** What a dry run of `schemas/register` means for the user: already there, would be refused, or ready. */
export function describeDryRun(subject: string, result: RegisterSchemaResult): { kind: "exists" | "refused" | "ready"; message: string; details: string[] } {
  if (result.id != null && result.version != null) {
    return { kind: "exists", message: `'${subject}' already holds this schema as version ${result.version} (id ${result.id}): nothing to register`, details: [] };
  }
  if (result.is_compatible === false) {
    return {
      kind: "refused",
      message: `The registry would refuse this schema for '${subject}' under its compatibility level: nothing was registered`,
      details: result.messages ?? [],
    };
  }
  return { kind: "ready", message: `The schema can be registered under '${subject}'`, details: [] };
}

/** A compatibility level as the pick shows it: the subject's own level, or the global one it falls back to. */
export function describeLevel(subject: string | undefined, config: ConfigResult): string {
  if (subject === undefined) return `The global compatibility level is ${config.compatibility}`;
  return config.source === "subject"
    ? `'${subject}' has its own compatibility level: ${config.compatibility}`
    : `'${subject}' follows the global compatibility level: ${config.compatibility}`;
}

/** The confirmation asked before a delete, and the words of its result. */
export function deleteQuestion(subject: string, version?: number): string {
  return version === undefined ? `Delete the subject '${subject}' with all its versions?` : `Delete version ${version} of '${subject}'?`;
}

export function deletedMessage(subject: string, versions: number[], permanent: boolean): string {
  const what = versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(", ")}`;
  return `${permanent ? "Permanently deleted" : "Deleted (soft)"} ${what} of '${subject}'`;
}
