// The message viewer's pure parts: how a record is shown (a table row, the whole record as JSON, a JSON line), the
// bounded store of loaded records, and the paging state that turns the user's choices (start, partitions, search)
// into `kafka/records/consume` and `kafka/records/tail` params and follows the cursor. No `vscode` and no DOM here:
// the webview and the extension both import it, and it is unit-tested with plain node.
import type { ConsumePage, ConsumeParams, Cursor, Data, Filter, Record as KafkaRecord, Start, TailParams } from "../protocol";
import type { DataApi } from "./dataApi";

/** The most records the viewer keeps: older ones are dropped first. */
export const MAX_LOADED_RECORDS = 100_000;
/** Records asked for per page. */
export const PAGE_SIZE = 200;
/** How many characters of a key or value the table shows. */
export const SHORT_LENGTH = 80;

export interface RecordRow {
  partition: number;
  offset: number;
  timestamp: string;
  key: string;
  format: string;
  value: string;
  /** A decode error of the key or value, if any. */
  error?: string;
}

/** A key or value as one line of text: strings as they are, anything else as compact JSON. */
export function dataText(data: Data): string {
  const value = data.data;
  if (data.format === "NULL" || value === null || value === undefined) return "null";
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function shorten(text: string, length = SHORT_LENGTH): string {
  const line = text.replace(/\s+/g, " ");
  return line.length > length ? `${line.slice(0, length - 1)}…` : line;
}

export function timestampText(ms: number): string {
  return ms < 0 ? "" : new Date(ms).toISOString();
}

/** What the table shows of a record. */
export function recordRow(record: KafkaRecord): RecordRow {
  const error = record.value.error ?? record.key.error ?? undefined;
  const format = record.value.schema_id != null ? `${record.value.format} #${record.value.schema_id}` : record.value.format;
  return {
    partition: record.partition,
    offset: record.offset,
    timestamp: timestampText(record.timestamp),
    key: shorten(dataText(record.key)),
    format: record.value.truncated ? `${format} (cut)` : format,
    value: shorten(dataText(record.value)),
    ...(error ? { error } : {}),
  };
}

/** The whole record as the detail pane and "Copy" show it: formatted JSON with each part's format, schema and error. */
export function recordJson(record: KafkaRecord): string {
  const part = (data: Data) => ({
    format: data.format,
    ...(data.schema_id != null ? { schema_id: data.schema_id } : {}),
    ...(data.truncated ? { truncated: true, size: data.size } : {}),
    ...(data.error ? { error: data.error } : {}),
    data: data.data,
  });
  return JSON.stringify(
    {
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      ...(record.timestamp >= 0 ? { time: timestampText(record.timestamp) } : {}),
      timestamp_type: record.timestamp_type,
      headers: record.headers,
      key: part(record.key),
      value: part(record.value),
    },
    null,
    2,
  );
}

/** The loaded records as JSON lines, one record per line as the sidecar sent it. */
export function jsonLines(records: readonly KafkaRecord[]): string {
  return records.map((record) => JSON.stringify(record)).join("\n") + (records.length > 0 ? "\n" : "");
}

/** The loaded records, oldest first, at most `capacity`: adding past it drops the oldest. */
export class RecordStore {
  private items: KafkaRecord[] = [];
  /** How many records were dropped to stay within the capacity, since the last clear. */
  dropped = 0;

  constructor(readonly capacity = MAX_LOADED_RECORDS) {}

  get length(): number {
    return this.items.length;
  }

  at(index: number): KafkaRecord | undefined {
    return this.items[index];
  }

  all(): readonly KafkaRecord[] {
    return this.items;
  }

  /** Adds records at the end; returns how many old ones were dropped. */
  add(records: readonly KafkaRecord[]): number {
    if (records.length === 0) return 0;
    const kept = records.length > this.capacity ? records.slice(records.length - this.capacity) : records;
    const over = this.items.length + kept.length - this.capacity;
    const drop = Math.max(0, over);
    // One splice per batch: dropping one record at a time would be quadratic at 100,000 records.
    if (drop > 0) this.items.splice(0, drop);
    for (const record of kept) this.items.push(record);
    const dropped = drop + (records.length - kept.length);
    this.dropped += dropped;
    return dropped;
  }

  clear(): void {
    this.items = [];
    this.dropped = 0;
  }
}

/** Where the viewer starts reading, as the user picked it. */
export type StartChoice =
  | { from: "beginning" }
  | { from: "latest" }
  | { from: "end" }
  | { from: "timestamp"; timestamp: number }
  | { from: "offset"; offset: number };

export interface ViewerQuery {
  connectionId: string;
  /** A Confluent Cloud cluster's `lkc-` id, sent as `cluster_id`; undefined for a connection's own cluster. */
  clusterId?: string;
  topic: string;
  start: StartChoice;
  /** Undefined or empty: every partition. */
  partitions?: number[];
  /** The search box, sent as `filter.contains`. */
  contains?: string;
}

/**
 * The sidecar's `start` for a choice. `latest` is no start at all (the last records of each partition); an offset
 * applies to each chosen partition, so it needs the partitions (every partition of the topic when none is chosen:
 * partitions not named in `offsets` would start at their end).
 */
export function startFor(choice: StartChoice, partitions: readonly number[]): Start | undefined {
  switch (choice.from) {
    case "beginning":
    case "end":
      return { from: choice.from };
    case "latest":
      return undefined;
    case "timestamp":
      return { from: "timestamp", timestamp: choice.timestamp };
    case "offset":
      return { from: "offsets", offsets: partitions.map((partition) => ({ partition, offset: choice.offset })) };
  }
}

function cluster(query: ViewerQuery): { cluster_id?: string } {
  return query.clusterId !== undefined ? { cluster_id: query.clusterId } : {};
}

function filterFor(query: ViewerQuery): Filter | undefined {
  const contains = query.contains?.trim();
  return contains ? { contains } : undefined;
}

/**
 * Params for a page: the first one from the query, the next ones from the previous page's cursor (with the same
 * filter, which the cursor does not carry). `allPartitions` is the topic's partitions, for an offset start.
 */
export function consumeParams(query: ViewerQuery, cursor: Cursor | undefined, allPartitions: readonly number[], maxRecords = PAGE_SIZE): ConsumeParams {
  const filter = filterFor(query);
  const base = { connection_id: query.connectionId, ...cluster(query), topic: query.topic, max_records: maxRecords, ...(filter ? { filter } : {}) };
  if (cursor) return { ...base, cursor };
  const partitions = query.partitions && query.partitions.length > 0 ? query.partitions : undefined;
  const start = startFor(query.start, partitions ?? allPartitions);
  return { ...base, ...(partitions ? { partitions } : {}), ...(start ? { start } : {}) };
}

/** Params for a live tail of what the query shows: from the end, with the same partitions and search. */
export function tailParams(query: ViewerQuery): TailParams {
  const filter = filterFor(query);
  const partitions = query.partitions && query.partitions.length > 0 ? query.partitions : undefined;
  return { connection_id: query.connectionId, ...cluster(query), topic: query.topic, ...(partitions ? { partitions } : {}), ...(filter ? { filter } : {}) };
}

/** Whether a page read everything written so far in every partition it covers. */
export function pageAtEnd(page: ConsumePage): boolean {
  return page.partitions.every((partition) => partition.at_end);
}

export interface PageOutcome {
  records: KafkaRecord[];
  scanned: number;
  atEnd: boolean;
}

/**
 * Follows one query page by page with the cursor: what "Load more" and scrolling call. A new query (start, partitions,
 * search) is a new pager.
 */
export class RecordPager {
  private cursor: Cursor | undefined;
  private done = false;

  constructor(
    private readonly api: Pick<DataApi, "consume">,
    readonly query: ViewerQuery,
    private readonly allPartitions: readonly number[],
    private readonly pageSize = PAGE_SIZE,
  ) {}

  /** Whether the last page reached the end of every partition (a later page can still find newer records). */
  get atEnd(): boolean {
    return this.done;
  }

  async next(): Promise<PageOutcome> {
    const page = await this.api.consume(consumeParams(this.query, this.cursor, this.allPartitions, this.pageSize));
    this.cursor = page.cursor;
    this.done = pageAtEnd(page);
    return { records: page.records, scanned: page.scanned, atEnd: this.done };
  }
}

/**
 * The start the viewer's controls describe: `kind` from the start picker, `text` from the box next to it (a date and
 * time, or ms since the epoch, for a timestamp; a whole number for an offset). Returns a sentence when `text` is wrong.
 */
export function parseStart(kind: string, text: string): StartChoice | { error: string } {
  const value = text.trim();
  switch (kind) {
    case "beginning":
    case "latest":
    case "end":
      return { from: kind };
    case "timestamp": {
      const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
      if (value === "" || !Number.isFinite(ms) || ms < 0) {
        return { error: "Give a time such as 2026-01-31T12:00:00Z, or milliseconds since the epoch" };
      }
      return { from: "timestamp", timestamp: ms };
    }
    case "offset":
      if (!/^\d+$/.test(value)) return { error: "Give an offset: a whole number from 0" };
      return { from: "offset", offset: Number(value) };
    default:
      return { error: `Unknown start '${kind}': pick beginning, latest, end, timestamp or offset` };
  }
}
