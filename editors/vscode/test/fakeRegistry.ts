// A small in-memory Schema Registry answering the calls the sidecar makes, the way Confluent's does (see
// ../../../../shared/TESTING.md "Schema Registry": no real registry can be installed here). Enough for the protocol
// test to register a schema, list subjects and versions, read one, and produce and read Avro records.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

interface Stored {
  id: number;
  schema: string;
  schemaType?: string;
}

export class FakeRegistry {
  private readonly server: Server;
  private readonly subjects = new Map<string, Stored[]>();
  private readonly ids: Stored[] = [];
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

  private answer(request: IncomingMessage, body: string, response: ServerResponse): void {
    const send = (status: number, value: unknown) => {
      response.writeHead(status, { "content-type": "application/vnd.schemaregistry.v1+json" });
      response.end(JSON.stringify(value));
    };
    const notFound = (code: number, message: string) => send(404, { error_code: code, message });
    const path = new URL(request.url ?? "/", "http://registry").pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const method = request.method ?? "GET";
    if (method === "GET" && path.join("/") === "schemas/types") return send(200, ["JSON", "PROTOBUF", "AVRO"]);
    if (method === "GET" && path.length === 1 && path[0] === "subjects") return send(200, [...this.subjects.keys()].sort());
    if (method === "GET" && path.length === 3 && path[0] === "schemas" && path[1] === "ids") {
      const stored = this.ids[Number(path[2]) - 1];
      return stored ? send(200, { schema: stored.schema, ...(stored.schemaType ? { schemaType: stored.schemaType } : {}) }) : notFound(40403, "Schema not found");
    }
    if (path[0] !== "subjects" || path.length < 2) return notFound(404, "Not found");
    const subject = path[1];
    const versions = this.subjects.get(subject);
    if (method === "POST" && path.length === 3 && path[2] === "versions") {
      const posted = JSON.parse(body) as { schema: string; schemaType?: string };
      const list = versions ?? [];
      const existing = list.find((stored) => stored.schema === posted.schema);
      if (existing) return send(200, { id: existing.id });
      const stored: Stored = { id: this.ids.length + 1, schema: posted.schema, schemaType: posted.schemaType === "AVRO" ? undefined : posted.schemaType };
      this.ids.push(stored);
      list.push(stored);
      this.subjects.set(subject, list);
      return send(200, { id: stored.id });
    }
    if (!versions) return notFound(40401, `Subject '${subject}' not found.`);
    if (method === "POST" && path.length === 2) {
      const posted = JSON.parse(body) as { schema: string };
      const index = versions.findIndex((stored) => stored.schema === posted.schema);
      if (index < 0) return notFound(40403, "Schema not found");
      return send(200, { subject, version: index + 1, id: versions[index].id, schema: versions[index].schema });
    }
    if (method === "GET" && path.length === 3 && path[2] === "versions") return send(200, versions.map((_, index) => index + 1));
    if (method === "GET" && path.length === 4 && path[2] === "versions") {
      const index = path[3] === "latest" ? versions.length - 1 : Number(path[3]) - 1;
      const stored = versions[index];
      if (!stored) return notFound(40402, "Version not found.");
      return send(200, { subject, version: index + 1, id: stored.id, schema: stored.schema, ...(stored.schemaType ? { schemaType: stored.schemaType } : {}) });
    }
    return notFound(404, "Not found");
  }
}
