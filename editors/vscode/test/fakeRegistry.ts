// A small in-memory Schema Registry answering the calls the sidecar makes, the way Confluent's does (see
// ../../../../shared/TESTING.md "Schema Registry": no real registry can be installed here). Enough for the protocol
// test to register a schema, list subjects and versions, read one, produce and read Avro records, check compatibility
// (Avro records: a new field needs a default, unless the level is NONE), get and set levels, and delete (soft, then
// permanent, with Confluent's error codes).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

interface Stored {
  id: number;
  schema: string;
  schemaType?: string;
  /** Soft-deleted: not listed, still readable by id; `gone`: deleted for good. */
  deleted?: boolean;
  gone?: boolean;
}

/**
 * Confluent's BACKWARD rule for Avro records, enough for the tests: a field the new schema adds needs a default. Other
 * levels than NONE are held to the same rule; anything that is not an Avro record is compatible.
 */
function incompatibilities(previous: string, next: string): string[] {
  try {
    const [old, now] = [JSON.parse(previous), JSON.parse(next)] as { type?: string; fields?: { name: string; default?: unknown }[] }[];
    if (old.type !== "record" || now.type !== "record") return [];
    const known = new Set((old.fields ?? []).map((field) => field.name));
    return (now.fields ?? [])
      .filter((field) => !known.has(field.name) && !("default" in field))
      .map((field) => `{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field '${field.name}' in the new schema has no default value and is missing in the old schema'}`);
  } catch {
    return [];
  }
}

export class FakeRegistry {
  private readonly server: Server;
  private readonly subjects = new Map<string, Stored[]>();
  private readonly ids: Stored[] = [];
  private global = "BACKWARD";
  private readonly levels = new Map<string, string>();
  url = "";

  constructor() {
    this.server = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => this.answer(request, body, response));
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, "127.0.0.1", done));
    const address = this.server.address();
    if (typeof address !== "object" || !address) throw new Error("the fake registry has no port");
    this.url = `http://127.0.0.1:${address.port}`;
  }

  stop(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }

  /** The compatibility level that applies to `subject`. */
  level(subject?: string): string {
    return (subject !== undefined ? this.levels.get(subject) : undefined) ?? this.global;
  }

  private answer(request: IncomingMessage, body: string, response: ServerResponse): void {
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
      response.end(JSON.stringify(value));
    };
    const notFound = (code: number, message: string) => send(404, { error_code: code, message });
    const url = new URL(request.url ?? "/", "http://registry");
    const path = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const method = request.method ?? "GET";
    const permanent = url.searchParams.get("permanent") === "true";
    const live = (list: Stored[] | undefined) => (list ?? []).map((stored, index) => ({ stored, version: index + 1 })).filter(({ stored }) => !stored.deleted && !stored.gone);
    if (method === "GET" && path.join("/") === "schemas/types") return send(200, ["JSON", "PROTOBUF", "AVRO"]);
    if (method === "GET" && path.length === 1 && path[0] === "subjects") {
      return send(200, [...this.subjects.keys()].filter((subject) => live(this.subjects.get(subject)).length > 0).sort());
    }
    if (method === "GET" && path.length === 3 && path[0] === "schemas" && path[1] === "ids") {
      const stored = this.ids[Number(path[2]) - 1];
      return stored ? send(200, { schema: stored.schema, ...(stored.schemaType ? { schemaType: stored.schemaType } : {}) }) : notFound(40403, "Schema not found");
    }
    if (path[0] === "config" && path.length <= 2) {
      const subject = path[1];
      if (method === "GET") {
        const level = subject === undefined ? this.global : this.levels.get(subject);
        return level ? send(200, { compatibilityLevel: level }) : notFound(40408, `Subject '${subject}' does not have subject-level compatibility configured`);
      }
      if (method === "PUT") {
        const { compatibility } = JSON.parse(body) as { compatibility: string };
        if (subject === undefined) this.global = compatibility;
        else this.levels.set(subject, compatibility);
        return send(200, { compatibility });
      }
    }
    if (method === "POST" && path[0] === "compatibility" && path.length === 5) {
      const list = live(this.subjects.get(path[2]));
      if (list.length === 0) return notFound(40401, `Subject '${path[2]}' not found.`);
      const against = path[4] === "latest" ? list[list.length - 1] : list.find(({ version }) => version === Number(path[4]));
      if (!against) return notFound(40402, "Version not found.");
      const messages = this.level(path[2]) === "NONE" ? [] : incompatibilities(against.stored.schema, (JSON.parse(body) as { schema: string }).schema);
      return send(200, { is_compatible: messages.length === 0, messages });
    }
    if (path[0] !== "subjects" || path.length < 2) return notFound(404, "Not found");
    const subject = path[1];
    const versions = this.subjects.get(subject);
    if (method === "POST" && path.length === 3 && path[2] === "versions") {
      const posted = JSON.parse(body) as { schema: string; schemaType?: string };
      const list = versions ?? [];
      const existing = live(list).find(({ stored }) => stored.schema === posted.schema);
      if (existing) return send(200, { id: existing.stored.id });
      const latest = live(list).at(-1);
      const refusals = latest && this.level(subject) !== "NONE" ? incompatibilities(latest.stored.schema, posted.schema) : [];
      if (refusals.length > 0) {
        return send(409, { error_code: 409, message: `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${refusals.join(", ")}]` });
      }
      const known = this.ids.find((stored) => stored.schema === posted.schema);
      const stored: Stored = { id: known?.id ?? this.ids.length + 1, schema: posted.schema, schemaType: posted.schemaType === "AVRO" ? undefined : posted.schemaType };
      if (!known) this.ids.push(stored);
      list.push(stored);
      this.subjects.set(subject, list);
      return send(200, { id: stored.id });
    }
    if (!versions || versions.every((stored) => stored.gone)) return notFound(40401, `Subject '${subject}' not found.`);
    if (method === "DELETE" && path.length === 2) {
      const targets = versions.map((stored, index) => ({ stored, version: index + 1 })).filter(({ stored }) => !stored.gone && (permanent ? stored.deleted : !stored.deleted));
      if (permanent && live(versions).length > 0) return notFound(40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
      if (!permanent && targets.length === 0) return notFound(40404, `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
      for (const { stored } of targets) {
        if (permanent) stored.gone = true;
        else stored.deleted = true;
      }
      return send(200, targets.map(({ version }) => version));
    }
    if (method === "DELETE" && path.length === 4 && path[2] === "versions") {
      const list = versions.map((stored, index) => ({ stored, version: index + 1 })).filter(({ stored }) => !stored.gone);
      const target = path[3] === "latest" ? live(versions).at(-1) : list.find(({ version }) => version === Number(path[3]));
      if (!target) return notFound(40402, "Version not found.");
      if (permanent && !target.stored.deleted) return notFound(40407, `Subject '${subject}' Version ${target.version} was not deleted first before being permanently deleted`);
      if (!permanent && target.stored.deleted) return notFound(40406, `Subject '${subject}' Version ${target.version} was soft deleted. Set permanent=true to delete permanently`);
      if (permanent) target.stored.gone = true;
      else target.stored.deleted = true;
      return send(200, target.version);
    }
    if (live(versions).length === 0) return notFound(40401, `Subject '${subject}' not found.`);
    if (method === "POST" && path.length === 2) {
      const posted = JSON.parse(body) as { schema: string };
      const found = live(versions).find(({ stored }) => stored.schema === posted.schema);
      if (!found) return notFound(40403, "Schema not found");
      return send(200, { subject, version: found.version, id: found.stored.id, schema: found.stored.schema });
    }
    if (method === "GET" && path.length === 3 && path[2] === "versions") return send(200, live(versions).map(({ version }) => version));
    if (method === "GET" && path.length === 4 && path[2] === "versions") {
      const found = path[3] === "latest" ? live(versions).at(-1) : live(versions).find(({ version }) => version === Number(path[3]));
      if (!found) return notFound(40402, "Version not found.");
      const { stored, version } = found;
      return send(200, { subject, version, id: stored.id, schema: stored.schema, ...(stored.schemaType ? { schemaType: stored.schemaType } : {}) });
    }
    return notFound(404, "Not found");
  }
}
