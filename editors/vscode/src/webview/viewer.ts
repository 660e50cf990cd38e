// The message viewer's page (bundled to dist/viewer.js, run inside the webview): the controls, the loaded records
// (at most MAX_LOADED_RECORDS, oldest dropped first) and a windowed table that only draws the rows in sight.
/// <reference lib="dom" />
import { RecordStore, jsonLines, parseStart, recordJson, recordRow, type RecordRow } from "../model/records";
import type { FromWebview, ToWebview } from "../model/viewerMessages";
import type { Record as KafkaRecord } from "../protocol";

declare function acquireVsCodeApi(): { postMessage(message: FromWebview): void };

const vscode = acquireVsCodeApi();
const ROW_HEIGHT = 22;
/** Rows drawn above and below the visible ones, so a small scroll needs no redraw to look right. */
const OVERSCAN = 8;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const startSelect = $<HTMLSelectElement>("start");
const startValue = $<HTMLInputElement>("startValue");
const partitionSelect = $<HTMLSelectElement>("partition");
const search = $<HTMLInputElement>("search");
const tailBox = $<HTMLInputElement>("tail");
const moreButton = $<HTMLButtonElement>("more");
const status = $<HTMLSpanElement>("status");
const scroller = $<HTMLDivElement>("scroller");
const spacer = $<HTMLDivElement>("spacer");
const detail = $<HTMLElement>("detail");
const detailTitle = $<HTMLElement>("detailTitle");
const detailText = $<HTMLPreElement>("detailText");

let store = new RecordStore();
let rows: (RecordRow | undefined)[] = [];
let atEnd = false;
let loading = false;
let scanned = 0;
let selected: string | undefined;
let problem: string | undefined;
/** Something the extension said that is not an error (such as why a tail ended): shown until the next query. */
let notice: string | undefined;
let drawQueued = false;

const keyOf = (record: KafkaRecord) => `${record.partition}:${record.offset}`;

function post(message: FromWebview): void {
  vscode.postMessage(message);
}

function showStatus(): void {
  if (problem) {
    status.textContent = problem;
    status.className = "error";
    return;
  }
  status.className = "";
  const parts = [`${store.length.toLocaleString("en-US")} record(s) loaded`];
  if (scanned > store.length) parts.push(`${scanned.toLocaleString("en-US")} read`);
  if (store.dropped > 0) parts.push(`${store.dropped.toLocaleString("en-US")} older ones dropped`);
  if (loading) parts.push("loading…");
  else if (tailBox.checked) parts.push("live tail on");
  else if (atEnd) parts.push("at the end of the topic (Load more checks for newer records)");
  if (notice) parts.push(notice);
  status.textContent = parts.join(", ");
  moreButton.disabled = loading;
}

function queueDraw(): void {
  if (drawQueued) return;
  drawQueued = true;
  requestAnimationFrame(() => {
    drawQueued = false;
    draw();
  });
}

/** Draws the rows in sight, and asks for the next page when the user scrolled near the end of what is loaded. */
function draw(): void {
  spacer.style.height = `${store.length * ROW_HEIGHT}px`;
  const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(store.length, Math.ceil((scroller.scrollTop + scroller.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const fragment = document.createDocumentFragment();
  for (let index = first; index < last; index++) {
    const record = store.at(index)!;
    const row = (rows[index] ??= recordRow(record));
    const element = document.createElement("div");
    element.className = `row${keyOf(record) === selected ? " selected" : ""}${row.error ? " has-error" : ""}`;
    element.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    element.dataset.index = String(index);
    for (const text of [String(row.partition), String(row.offset), row.timestamp, row.key, row.format, row.value]) {
      const cell = document.createElement("span");
      cell.textContent = text;
      element.appendChild(cell);
    }
    if (row.error) element.title = row.error;
    fragment.appendChild(element);
  }
  spacer.replaceChildren(fragment);
  const nearEnd = scroller.scrollTop + scroller.clientHeight >= store.length * ROW_HEIGHT - 5 * ROW_HEIGHT;
  if (nearEnd && !atEnd && !loading && !tailBox.checked && store.length > 0 && !problem) post({ type: "more" });
  showStatus();
}

function add(records: KafkaRecord[]): void {
  const following = scroller.scrollTop + scroller.clientHeight >= store.length * ROW_HEIGHT - ROW_HEIGHT;
  const dropped = store.add(records);
  rows = dropped > 0 ? rows.slice(dropped) : rows;
  // Keep what the user looks at in place when older rows went away above it.
  if (dropped > 0) scroller.scrollTop = Math.max(0, scroller.scrollTop - dropped * ROW_HEIGHT);
  if (following && tailBox.checked) scroller.scrollTop = store.length * ROW_HEIGHT;
  queueDraw();
}

function showDetail(record: KafkaRecord): void {
  selected = keyOf(record);
  detailTitle.textContent = `Partition ${record.partition}, offset ${record.offset}`;
  detailText.textContent = recordJson(record);
  detail.classList.remove("hidden");
  queueDraw();
}

function sendQuery(): void {
  const start = parseStart(startSelect.value, startValue.value);
  if ("error" in start) {
    problem = start.error;
    showStatus();
    return;
  }
  problem = undefined;
  const partitions = partitionSelect.value === "" ? [] : [Number(partitionSelect.value)];
  post({ type: "query", start, partitions, contains: search.value });
}

function syncStartValue(): void {
  const kind = startSelect.value;
  startValue.classList.toggle("hidden", kind !== "timestamp" && kind !== "offset");
  startValue.placeholder = kind === "timestamp" ? "2026-01-31T12:00:00Z or ms" : "offset";
}

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "init": {
      document.title = message.topic;
      for (const partition of message.partitions) partitionSelect.add(new Option(String(partition), String(partition)));
      if (message.start) {
        startSelect.value = message.start.from;
        if (message.start.from === "offset") startValue.value = String(message.start.offset);
        if (message.start.from === "timestamp") startValue.value = new Date(message.start.timestamp).toISOString();
      }
      if (message.selected?.length === 1) partitionSelect.value = String(message.selected[0]);
      store = new RecordStore(message.maxRecords);
      syncStartValue();
      break;
    }
    case "reset":
      store.clear();
      rows = [];
      atEnd = false;
      scanned = 0;
      selected = undefined;
      problem = undefined;
      notice = undefined;
      detail.classList.add("hidden");
      scroller.scrollTop = 0;
      queueDraw();
      break;
    case "records":
      scanned += message.scanned;
      if (message.atEnd !== undefined) atEnd = message.atEnd;
      add(message.records);
      break;
    case "loading":
      loading = message.on;
      showStatus();
      if (!loading) queueDraw();
      break;
    case "tail":
      tailBox.checked = message.on;
      showStatus();
      break;
    case "status":
      if (message.error) problem = message.text;
      else notice = message.text;
      showStatus();
      break;
  }
});

scroller.addEventListener("scroll", queueDraw);
window.addEventListener("resize", queueDraw);
spacer.addEventListener("click", (event) => {
  const row = (event.target as HTMLElement).closest<HTMLElement>(".row");
  const record = row?.dataset.index !== undefined ? store.at(Number(row.dataset.index)) : undefined;
  if (record) showDetail(record);
});
startSelect.addEventListener("change", syncStartValue);
$("apply").addEventListener("click", sendQuery);
search.addEventListener("keydown", (event) => {
  if (event.key === "Enter") sendQuery();
});
startValue.addEventListener("keydown", (event) => {
  if (event.key === "Enter") sendQuery();
});
moreButton.addEventListener("click", () => post({ type: "more" }));
tailBox.addEventListener("change", () => post({ type: "tail", on: tailBox.checked }));
$("export").addEventListener("click", () => post({ type: "export", text: jsonLines(store.all()), count: store.length }));
$("copy").addEventListener("click", () => {
  if (detailText.textContent) post({ type: "copy", text: detailText.textContent });
});
$("close").addEventListener("click", () => {
  detail.classList.add("hidden");
  selected = undefined;
  queueDraw();
});

syncStartValue();
post({ type: "ready" });
