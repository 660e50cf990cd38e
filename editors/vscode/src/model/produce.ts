// Produce from a document: the template a user edits, parsing it (JSON with comments) into `kafka/records/produce`
// params with a JSON path for every problem, and the result as lines for the user. No `vscode` import.
import type { Format, ProduceData, ProduceParams, ProduceRecord, ProduceResult } from "../protocol";

/**
 * A key or value to write. The generated `ProduceData` types `data` as an object, but the sidecar takes any JSON
 * there (a string, a number, null), so `data` is widened here.
 */
export type DataToProduce = Omit<ProduceData, "data"> & { data: unknown };
export type RecordToProduce = Omit<ProduceRecord, "key" | "value"> & { key?: DataToProduce | null; value?: DataToProduce | null };
export type ProduceRequest = Omit<ProduceParams, "records"> & { records: RecordToProduce[] };

export const MAX_PRODUCE_RECORDS = 10_000;

const FORMATS: readonly Format[] = ["AVRO", "PROTOBUF", "JSONSCHEMA", "JSON", "STRING", "BYTES", "NULL"];
const RECORD_FIELDS = ["key", "value", "headers", "partition", "timestamp"];
const DATA_FIELDS = ["data", "format", "schema"];
const SCHEMA_FIELDS = ["id", "subject", "version", "record_name", "subject_name_strategy"];
const STRATEGIES = ["TOPIC_NAME", "RECORD_NAME", "TOPIC_RECORD_NAME"];

/** The document "Kafka: New Produce Document" opens (language `jsonc`, so the comments are allowed). */
export function produceTemplate(connectionId: string, topic: string, clusterId?: string): string {
  return `// Records to produce to '${topic}'. Run "Kafka: Produce (Dry Run First)" with this document open: every record is
// checked by the sidecar first (nothing is written), then you are asked to send them for real.
//
// Each record: "key" and "value" are {"data": ..., "format"?: ..., "schema"?: ...} or null (a null value is a
// tombstone). "format" is STRING (default for a string), JSON (default for anything else), BYTES (base64 text) or
// NULL. "schema" serializes with a registered schema in Confluent's wire format: {"subject": "orders-value",
// "version": 2}, {"id": 7}, or {"subject_name_strategy": "TOPIC_NAME"} (the subject <topic>-value or <topic>-key);
// Protobuf files with several messages take "record_name". "headers": [{"key": "k", "value": "text"}] (base64 with
// "base64": true). "partition" and "timestamp" (ms since the epoch) are optional: by default the key's hash picks the
// partition, as Java clients do, and the time is now.
{
  "connection_id": ${JSON.stringify(connectionId)},${clusterId !== undefined ? `\n  "cluster_id": ${JSON.stringify(clusterId)},` : ""}
  "topic": ${JSON.stringify(topic)},
  "records": [
    {
      "key": { "data": "key-1" },
      "value": { "data": { "id": 1, "note": "hello from VS Code" } },
      "headers": [{ "key": "source", "value": "vscode" }]
    }
  ]
}
`;
}

/** Blanks `//` and `/* *\/` comments outside strings with spaces, so every offset stays where it was. */
export function stripComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === "/" && text[i + 1] === "/") {
      const start = i;
      while (i < text.length && text[i] !== "\n") i++;
      out += " ".repeat(i - start);
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

export interface Problem {
  /** The JSON path of the field at fault (`records[3].value.format`), empty for the document itself. */
  path: string;
  message: string;
}

export interface ProduceDocument {
  connectionId?: string;
  /** A Confluent Cloud cluster (`lkc-` id), sent as `cluster_id`. */
  clusterId?: string;
  topic?: string;
  records: RecordToProduce[];
}

export type Parsed = { ok: true; document: ProduceDocument } | { ok: false; problems: Problem[] };

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0;
}

function unknownFields(value: { [key: string]: unknown }, allowed: readonly string[], path: string, problems: Problem[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) problems.push({ path: `${path}.${key}`, message: `Unknown field: use ${allowed.join(", ")}` });
  }
}

function checkData(value: unknown, path: string, problems: Problem[]): void {
  if (value === null || value === undefined) return;
  if (!isObject(value)) {
    problems.push({ path, message: 'Write it as {"data": ...} (with "format" or "schema" if needed), or null' });
    return;
  }
  unknownFields(value, DATA_FIELDS, path, problems);
  if (!("data" in value)) problems.push({ path: `${path}.data`, message: "Give the data to write (null for none)" });
  if (value.format !== undefined && value.format !== null && !FORMATS.includes(value.format as Format)) {
    problems.push({ path: `${path}.format`, message: `Use one of ${FORMATS.join(", ")}` });
  }
  if (value.format === "BYTES" && typeof value.data !== "string") {
    problems.push({ path: `${path}.data`, message: "BYTES data must be base64 text" });
  }
  const schema = value.schema;
  if (schema === undefined || schema === null) return;
  const at = `${path}.schema`;
  if (!isObject(schema)) {
    problems.push({ path: at, message: 'Write the schema as {"subject": ..., "version"?: ...}, {"id": ...} or {"subject_name_strategy": ...}' });
    return;
  }
  unknownFields(schema, SCHEMA_FIELDS, at, problems);
  if (schema.id !== undefined && schema.id !== null && !isCount(schema.id)) problems.push({ path: `${at}.id`, message: "A schema id is a whole number" });
  if (schema.version !== undefined && schema.version !== null && !(isCount(schema.version) && schema.version >= 1)) {
    problems.push({ path: `${at}.version`, message: "A version is a whole number from 1" });
  }
  for (const field of ["subject", "record_name"]) {
    const text = schema[field];
    if (text !== undefined && text !== null && (typeof text !== "string" || text.trim() === "")) {
      problems.push({ path: `${at}.${field}`, message: "Give a non-empty string" });
    }
  }
  const strategy = schema.subject_name_strategy;
  if (strategy !== undefined && strategy !== null && !STRATEGIES.includes(strategy as string)) {
    problems.push({ path: `${at}.subject_name_strategy`, message: `Use one of ${STRATEGIES.join(", ")}` });
  }
}

function checkHeaders(value: unknown, path: string, problems: Problem[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push({ path, message: 'Write the headers as a list: [{"key": "k", "value": "text"}]' });
    return;
  }
  value.forEach((header: unknown, index) => {
    const at = `${path}[${index}]`;
    if (!isObject(header)) {
      problems.push({ path: at, message: 'Write a header as {"key": "k", "value": "text"}' });
      return;
    }
    unknownFields(header, ["key", "value", "base64"], at, problems);
    if (typeof header.key !== "string") problems.push({ path: `${at}.key`, message: "A header key is a string" });
    if (header.value !== undefined && header.value !== null && typeof header.value !== "string") {
      problems.push({ path: `${at}.value`, message: "A header value is a string (base64 with \"base64\": true) or null" });
    }
    if (header.base64 !== undefined && typeof header.base64 !== "boolean") problems.push({ path: `${at}.base64`, message: "Use true or false" });
  });
}

/** Reads a produce document; every problem comes with the JSON path of its field, and none means nothing is sent. */
export function parseProduceDocument(text: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(stripComments(text));
  } catch (error) {
    return { ok: false, problems: [{ path: "", message: `The document is not valid JSON: ${error instanceof Error ? error.message : String(error)}` }] };
  }
  const problems: Problem[] = [];
  if (!isObject(json)) return { ok: false, problems: [{ path: "", message: 'Write the document as {"records": [...]}' }] };
  unknownFields(json, ["connection_id", "cluster_id", "topic", "records"], "", problems);
  for (const field of ["connection_id", "cluster_id", "topic"]) {
    const value = json[field];
    if (value !== undefined && (typeof value !== "string" || value.trim() === "")) {
      problems.push({ path: field, message: "Give a non-empty string, or leave it out to be asked" });
    }
  }
  const records = json.records;
  if (!Array.isArray(records) || records.length === 0) {
    problems.push({ path: "records", message: 'Give at least one record: "records": [{"key": ..., "value": ...}]' });
  } else if (records.length > MAX_PRODUCE_RECORDS) {
    problems.push({ path: "records", message: `Send at most ${MAX_PRODUCE_RECORDS} records at once` });
  } else {
    records.forEach((record: unknown, index) => {
      const at = `records[${index}]`;
      if (!isObject(record)) {
        problems.push({ path: at, message: 'Write a record as {"key": ..., "value": ...}' });
        return;
      }
      unknownFields(record, RECORD_FIELDS, at, problems);
      checkData(record.key, `${at}.key`, problems);
      checkData(record.value, `${at}.value`, problems);
      checkHeaders(record.headers, `${at}.headers`, problems);
      for (const field of ["partition", "timestamp"]) {
        const value = record[field];
        if (value !== undefined && value !== null && !isCount(value)) problems.push({ path: `${at}.${field}`, message: "Give a whole number from 0" });
      }
    });
  }
  // The unknown-field check of the top level reports ".name": drop the leading dot.
  for (const problem of problems) if (problem.path.startsWith(".")) problem.path = problem.path.slice(1);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    document: {
      connectionId: json.connection_id as string | undefined,
      clusterId: json.cluster_id as string | undefined,
      topic: json.topic as string | undefined,
      records: records as RecordToProduce[],
    },
  };
}

export function problemLines(problems: readonly Problem[]): string[] {
  return problems.map((problem) => (problem.path ? `${problem.path}: ${problem.message}` : problem.message));
}

export interface ProduceSummary {
  failed: number;
  lines: string[];
}

/** One line per record: where it went (or, for a dry run, its sizes), or why it was not written. */
export function summarizeProduce(result: ProduceResult, dryRun: boolean): ProduceSummary {
  let failed = 0;
  const lines = result.records.map((record, index) => {
    if (record.error) {
      failed++;
      const where = record.error.source ? ` at ${record.error.source}` : "";
      return `records[${index}]: not written${where}: ${record.error.message}`;
    }
    const sizes = `key ${record.key_size ?? 0} bytes, value ${record.value_size ?? 0} bytes`;
    if (dryRun) return `records[${index}]: ready (${sizes})`;
    return `records[${index}]: partition ${record.partition ?? "?"}, offset ${record.offset ?? "?"} (${sizes})`;
  });
  return { failed, lines };
}

/**
 * Where each value of a JSON text is, by JSON path (`records[1].value.data`, `""` for the whole document), as
 * [start, end) offsets in `text`. Comments are skipped. Used to put a problem's squiggle on its field; a text that is
 * not valid JSON gives what was read before the error.
 */
export function valueRanges(text: string): Map<string, [number, number]> {
  const source = stripComments(text);
  const ranges = new Map<string, [number, number]>();
  let i = 0;
  const space = () => {
    while (i < source.length && /\s/.test(source[i])) i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < source.length && source[i] !== '"') i += source[i] === "\\" ? 2 : 1;
    i++;
    return JSON.parse(source.slice(start, i)) as string;
  };
  const value = (path: string): void => {
    space();
    const start = i;
    const c = source[i];
    if (c === "{") {
      i++;
      space();
      while (i < source.length && source[i] !== "}") {
        space();
        if (source[i] !== '"') throw new Error("expected a key");
        const key = string();
        space();
        if (source[i] !== ":") throw new Error("expected ':'");
        i++;
        value(path ? `${path}.${key}` : key);
        space();
        if (source[i] === ",") i++;
        else if (source[i] !== "}") throw new Error("expected ',' or '}'");
      }
      i++;
    } else if (c === "[") {
      i++;
      space();
      for (let index = 0; i < source.length && source[i] !== "]"; index++) {
        value(`${path}[${index}]`);
        space();
        if (source[i] === ",") i++;
        else if (source[i] !== "]") throw new Error("expected ',' or ']'");
      }
      i++;
    } else if (c === '"') {
      string();
    } else {
      while (i < source.length && /[^\s,\]}]/.test(source[i])) i++;
      if (i === start) throw new Error("expected a value");
    }
    ranges.set(path, [start, i]);
  };
  try {
    value("");
  } catch {
    // Not valid JSON: the ranges read so far are all there is.
  }
  return ranges;
}

/** The range of the value at `path`, or of the closest enclosing value that exists (a missing field's object). */
export function rangeOf(ranges: Map<string, [number, number]>, path: string): [number, number] | undefined {
  for (let current = path; ; ) {
    const range = ranges.get(current);
    if (range) return range;
    if (current === "") return undefined;
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
  }
}

/** The records the sidecar refused, as problems at the path of the field at fault (else at the record). */
export function refusals(result: ProduceResult): Problem[] {
  return result.records.flatMap((record, index) =>
    record.error ? [{ path: record.error.source ?? `records[${index}]`, message: record.error.message }] : [],
  );
}
