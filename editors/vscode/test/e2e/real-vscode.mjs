// A person's first session with the extension, in a real VS Code (code-server, driven by Chromium through
// playwright-core) against a tansu broker: add a connection, see it connected, open Topics, create a topic, produce a
// record from the template (dry run, then for real), open the viewer at its offset and see it, open the record; then
// add a Confluent Cloud connection and sign in (against the fake Confluent Cloud, examples/fake_ccloud.rs), see its
// environments, a cluster's topics, and a cloud topic's messages in the viewer.
// Screenshots of each step go to OUT_DIR. CI runs it through .ci/e2e (which installs code-server and sets the variables
// below); how to run it by hand is in ../../README.md.
//
// The .vsix is the linux-x64 one (`npm run package:linux-x64`), which carries the sidecar binary: no setting names it.
// Environment: CODE_SERVER_DIR (a folder where code-server@4.100.3 and playwright-core are installed as .ci/e2e does;
// default /tmp/cs), IDE_SIDECAR_BIN (what the .vsix bundles; default ../../../target/debug/ide-sidecar), TANSU (default ~/.cargo/bin/tansu),
// VSIX (default ../ide-sidecar.vsix, from `npm run package`), CHROMIUM (default /usr/lib/chromium/chromium),
// OUT_DIR (default /tmp/ide-sidecar-e2e), PYTHON (a Python with confluent-kafka, for a consumer group and more records
// written behind the extension's back; default ~/.cache/ide-sidecar-ci/py/bin/python, what .ci/install sets up),
// FAKE_CCLOUD_BIN (`cargo build --example fake_ccloud`; default examples/fake_ccloud next to IDE_SIDECAR_BIN).
// The Schema Registry is the protocol test's in-memory one: run `npm run build:tests` first (out/test/fakeRegistry.js).
/* global window, MessageEvent -- in the callbacks that run inside the page */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const extensionDir = resolve(here, "..", "..");
const codeServerDir = process.env.CODE_SERVER_DIR ?? "/tmp/cs";
const sidecarBin = process.env.IDE_SIDECAR_BIN ?? resolve(extensionDir, "..", "..", "target", "debug", "ide-sidecar");
const tansuBin = process.env.TANSU ?? join(homedir(), ".cargo", "bin", "tansu");
const vsix = process.env.VSIX ?? join(extensionDir, "ide-sidecar.vsix");
const chromium = process.env.CHROMIUM ?? "/usr/lib/chromium/chromium";
const outDir = process.env.OUT_DIR ?? "/tmp/ide-sidecar-e2e";
const python = process.env.PYTHON ?? join(homedir(), ".cache", "ide-sidecar-ci", "py", "bin", "python");
const fakeCCloudBin = process.env.FAKE_CCLOUD_BIN ?? join(dirname(sidecarBin), "examples", "fake_ccloud");
const codeServer = join(codeServerDir, "node_modules", ".bin", "code-server");
for (const [what, path] of [["code-server", codeServer], ["the sidecar", sidecarBin], ["tansu", tansuBin], ["the .vsix", vsix], ["Chromium", chromium], ["Python", python], ["the fake Confluent Cloud", fakeCCloudBin]]) {
  if (!existsSync(path)) throw new Error(`${what} not found at ${path}: see the comment at the top of ${fileURLToPath(import.meta.url)}`);
}
const { chromium: playwright } = createRequire(join(codeServerDir, "package.json"))("playwright-core");
const fakeRegistryJs = join(extensionDir, "out", "test", "fakeRegistry.js");
if (!existsSync(fakeRegistryJs)) throw new Error(`${fakeRegistryJs} is missing: run \`npm run build:tests\` first`);
const { FakeRegistry } = createRequire(import.meta.url)(fakeRegistryJs);
const ORDER_SCHEMA = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "string" }, { name: "quantity", type: "int" }] });

const TOPIC = "e2e-orders";
const STEP_MS = 30_000;
const children = [];
let registryStop;

function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

async function until(what, check, ms = STEP_MS) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not there yet.
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function start(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  children.push(child);
  return { child, stderr: () => stderr };
}

/** The pid of the `ide-sidecar serve` started from the extension's own bin/ under `extensions`, if one runs. */
function bundledSidecarPid(extensions) {
  const lines = spawnSync("pgrep", ["-af", "ide-sidecar serve"], { encoding: "utf8" }).stdout.split("\n");
  const line = lines.find((l) => { const exe = l.split(" ")[1] ?? ""; return exe.startsWith(extensions) && exe.endsWith("/bin/ide-sidecar"); });
  return line ? line.split(" ")[0] : undefined;
}

/** Runs Python with confluent-kafka against the broker: `code` sees `BOOTSTRAP` and `TOPIC`. */
function kafkaPython(brokerPort, code) {
  const prelude = `import confluent_kafka as ck\nBOOTSTRAP = "127.0.0.1:${brokerPort}"\nTOPIC = "${TOPIC}"\n`;
  const run = spawnSync(python, ["-c", prelude + code], { encoding: "utf8", timeout: STEP_MS });
  if (run.status !== 0) throw new Error(`python failed: ${run.stderr}`);
}

let shot = 0;
async function screenshot(page, name) {
  // Let notifications finish sliding in or out.
  await page.waitForTimeout(600);
  const path = join(outDir, `${String(++shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path });
  console.log(`screenshot ${path}`);
}

/**
 * A smaller picture for the README (OUT_DIR/readme/NAME.png, 1200x720): the page is resized for it and back. The
 * README's pictures under media/readme/ are copies of these, chosen and looked at by hand.
 */
async function readmeShot(page, name) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1200, height: 720 });
  await page.waitForTimeout(800);
  mkdirSync(join(outDir, "readme"), { recursive: true });
  await page.screenshot({ path: join(outDir, "readme", `${name}.png`) });
  console.log(`readme screenshot ${join(outDir, "readme", `${name}.png`)}`);
  await page.setViewportSize(size);
  await page.waitForTimeout(400);
}

async function command(page, title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor({ state: "visible" });
  await input.fill(`>${title}`);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first().waitFor({ state: "visible" });
  await page.keyboard.press("Enter");
}

/** Answers the quick input open now: types `text` (a pick's label, or an input's value) and presses Enter. */
async function answer(page, text, placeholderOrPrompt) {
  const widget = page.locator(".quick-input-widget");
  await widget.waitFor({ state: "visible" });
  if (placeholderOrPrompt) await widget.filter({ hasText: placeholderOrPrompt }).or(page.locator(`.quick-input-widget input[placeholder*="${placeholderOrPrompt}"]`)).first().waitFor();
  const input = page.locator(".quick-input-widget input");
  await input.fill(text);
  await page.waitForTimeout(150);
  await page.keyboard.press("Enter");
  await page.waitForTimeout(300);
}

async function main() {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "ide-sidecar-e2e-"));
  const [brokerPort, codePort] = [await freePort(), await freePort()];
  const url = `tcp://127.0.0.1:${brokerPort}`;
  const broker = start(tansuBin, ["broker", "--listener-url", url, "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"]);
  const registry = new FakeRegistry();
  await registry.start();
  registryStop = () => registry.stop();
  const registered = await fetch(`${registry.url}/subjects/${TOPIC}-value/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schema: ORDER_SCHEMA }),
  });
  const schemaId = (await registered.json()).id;
  // The fake Confluent Cloud: its first line on stdout is the `ccloud` initializationOptions the sidecar needs. On
  // 127.0.0.2: code-server sends an external link to 127.0.0.1 or localhost through its port proxy (/proxy/PORT/),
  // dropping the link's path and query, so the authorize URI must not look local to it.
  const fakeCCloud = spawn(fakeCCloudBin, ["--host", "127.0.0.2"], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(fakeCCloud);
  const ccloudOptions = await new Promise((done, fail) => {
    let text = "";
    fakeCCloud.stdout.on("data", (chunk) => {
      text += chunk.toString();
      if (text.includes("\n")) done(JSON.parse(text.split("\n")[0]).ccloud);
    });
    fakeCCloud.once("exit", (code) => fail(new Error(`the fake Confluent Cloud exited (${code})`)));
  });

  const storeDir = join(work, "store");
  const userData = join(work, "user-data");
  const extensions = join(work, "extensions");
  const workspace = join(work, "workspace");
  mkdirSync(join(userData, "User"), { recursive: true });
  mkdirSync(workspace);
  const install = spawnSync(codeServer, ["--install-extension", vsix, "--user-data-dir", userData, "--extensions-dir", extensions], { encoding: "utf8" });
  if (install.status !== 0) throw new Error(`installing the .vsix failed: ${install.stderr}${install.stdout}`);
  writeFileSync(
    join(userData, "User", "settings.json"),
    JSON.stringify({
      // No "ide-sidecar.path": the extension must find the binary the linux-x64 .vsix carries (checked below).
      "ide-sidecar.logLevel": "info",
      // The sidecar signs in to the fake Confluent Cloud and reads its resources there. The shared store is on (the
      // default of ide-sidecar.sharedStore), in this run's own directory: never the user's ~/.local/state.
      "ide-sidecar.initializationOptions": { ccloud: ccloudOptions, store: { directory: storeDir } },
      "workbench.startupEditor": "none",
      "security.workspace.trust.enabled": false,
      "telemetry.telemetryLevel": "off",
      "workbench.tips.enabled": false,
      "window.confirmBeforeClose": "never",
    }),
  );
  // A state directory of this run's own (were the store's directory setting lost, the default would land there, not
  // in the user's), and no D-Bus session: no keychain, so never the user's, and the "no keychain" notice is shown.
  const stateHome = join(work, "state");
  const server = start(
    codeServer,
    ["--bind-addr", `127.0.0.1:${codePort}`, "--auth", "none", "--disable-telemetry", "--user-data-dir", userData, "--extensions-dir", extensions, workspace],
    { XDG_STATE_HOME: stateHome, DBUS_SESSION_BUS_ADDRESS: undefined },
  );
  await until("code-server to answer /healthz", async () => (await fetch(`http://127.0.0.1:${codePort}/healthz`)).ok);

  const browser = await playwright.launch({ executablePath: chromium, headless: true, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    // Tree rows only: notifications are list rows too.
    const sidebar = page.locator(".part.sidebar");
    await page.goto(`http://127.0.0.1:${codePort}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ timeout: STEP_MS });
    await page.locator('.activitybar [aria-label^="Kafka"]').first().click({ timeout: STEP_MS });
    await page.getByText("No Kafka connections yet.").waitFor({ timeout: STEP_MS });
    // The view's header and welcome buttons as a new user reads them; no Collapse All on an empty view.
    await sidebar.locator(".composite.title", { hasText: /Kafka: Connections/i }).or(sidebar.locator(".pane-header", { hasText: /Connections/ })).first().waitFor({ timeout: STEP_MS });
    await sidebar.getByRole("button", { name: "Add Confluent Cloud and Sign In" }).waitFor({ timeout: STEP_MS });
    const collapseAll = sidebar.locator('[aria-label="Collapse All"]');
    if ((await collapseAll.count()) !== 0) throw new Error("Collapse All shows on the empty view");
    // The shared store without a keychain says so once, as a notification.
    await page.locator(".notification-toast", { hasText: "No OS keychain" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "empty-view");
    await command(page, "Notifications: Clear All Notifications");

    // Add a connection, as the welcome view offers.
    await command(page, "Kafka: Add a Direct Connection");
    await answer(page, "Local tansu");
    await answer(page, `127.0.0.1:${brokerPort}`);
    await answer(page, "No authentication");
    await answer(page, "Plaintext");
    await answer(page, registry.url);
    await answer(page, "No authentication");
    await answer(page, "Save");
    const connectionRow = sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).first();
    await until("the connection to show connected", () => connectionRow.locator(".codicon-pass").isVisible());
    await connectionRow.click();
    await sidebar.locator(".monaco-list-row", { hasText: "Topics" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "connected");
    await until("Collapse All once there is a connection", async () => (await collapseAll.count()) >= 1);
    await command(page, "Kafka: Collapse All");
    await until("Collapse All to collapse the connection", async () => (await connectionRow.getAttribute("aria-expanded")) === "false");
    await connectionRow.click();
    await sidebar.locator(".monaco-list-row", { hasText: "Topics" }).first().waitFor({ timeout: STEP_MS });
    // The sidecar that answered is the one inside the installed .vsix (no setting names a path, PATH has none).
    const firstSidecar = bundledSidecarPid(extensions);
    if (firstSidecar === undefined) throw new Error(`the running sidecar is not the bundled one under ${extensions}: ${spawnSync("pgrep", ["-af", "ide-sidecar"], { encoding: "utf8" }).stdout}`);
    console.log(`the bundled sidecar runs (pid ${firstSidecar})`);

    // Create a topic, then expand Topics.
    await command(page, "Kafka: Create Topic");
    await answer(page, TOPIC);
    await answer(page, "2");
    await sidebar.locator(".monaco-list-row", { hasText: "Topics" }).first().click();
    const topicRow = sidebar.locator(".monaco-list-row", { hasText: TOPIC }).first();
    await topicRow.waitFor({ timeout: STEP_MS });
    await until("the topic's partition count", async () => (await topicRow.textContent()).includes("2 partitions"));
    await screenshot(page, "topic-created");

    // Produce from the template: a dry run, then for real.
    await command(page, "Kafka: New Produce Document");
    await answer(page, TOPIC);
    await page.locator(".monaco-editor", { hasText: "records" }).first().waitFor({ timeout: STEP_MS });
    await page.locator('.editor-actions [aria-label*="Produce (Dry Run First)"]').first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "produce-document");
    // Edit it as a user would: a second record, Avro with the registered schema, to the other partition (tansu
    // counts a batch of several records in one partition as one offset in its watermarks, so readers would stop early).
    const connectionId = /"connection_id": "([^"]+)"/.exec((await page.locator(".monaco-editor .view-lines").first().innerText()).replace(/\u00a0/g, " "))[1];
    const documentWith = (quantity) =>
      JSON.stringify({
        connection_id: connectionId,
        topic: TOPIC,
        records: [
          { key: { data: "key-1" }, value: { data: { id: 1, note: "hello from VS Code" } }, headers: [{ key: "source", value: "vscode" }], partition: 0 },
          { key: { data: "key-2" }, value: { data: { id: "o-2", quantity }, schema: { subject: `${TOPIC}-value` } }, partition: 1 },
        ],
      });
    const replaceDocument = async (text) => {
      await page.locator(".monaco-editor .view-lines").first().click();
      await page.keyboard.press("Control+A");
      await page.keyboard.press("Delete");
      await page.keyboard.insertText(text);
    };
    // First with a value the schema refuses: the dry run names the field, squiggled in the document, nothing sent.
    await replaceDocument(documentWith("three"));
    await command(page, "Kafka: Produce (Dry Run First)");
    await page.locator(".notification-toast", { hasText: "cannot be written" }).waitFor({ timeout: STEP_MS });
    await page.locator(".monaco-editor .squiggly-error").first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "dry-run-refused");
    await page.keyboard.press("Escape");
    await replaceDocument(documentWith(3));
    await command(page, "Kafka: Produce (Dry Run First)");
    const dialog = page.locator(".monaco-dialog-box");
    await dialog.waitFor({ timeout: STEP_MS });
    await screenshot(page, "dry-run-passed");
    await dialog.getByRole("button", { name: "Send" }).click();
    const toast = page.locator(".notification-toast", { hasText: "record(s) written" });
    await toast.waitFor({ timeout: STEP_MS });
    await screenshot(page, "produced");
    await toast.getByRole("button", { name: "Open Messages at This Offset" }).click();

    // The viewer, inside the webview's nested frames.
    let viewer;
    await until("the message viewer's table", async () => {
      for (const frame of page.frames()) {
        if ((await frame.locator("#scroller .row").count().catch(() => 0)) > 0) {
          viewer = frame;
          return true;
        }
      }
      return false;
    });
    const rows = viewer.locator("#scroller .row");
    await until("the first produced record in the table", async () => (await rows.count()) === 1);
    await screenshot(page, "viewer-at-offset");
    // Both partitions from the beginning.
    await viewer.locator("#start").selectOption("beginning");
    await viewer.locator("#partition").selectOption("");
    await viewer.locator("#apply").click();
    await until("both produced records in the table", async () => (await rows.count()) === 2);
    // Partitions come one after another, in whichever order their reads came back.
    const jsonRow = rows.filter({ hasText: "hello from VS Code" });
    const avroRow = rows.filter({ hasText: `AVRO #${schemaId}` });
    if ((await jsonRow.count()) !== 1 || (await avroRow.count()) !== 1) throw new Error(`rows: ${await rows.allTextContents()}`);
    await screenshot(page, "viewer");
    await avroRow.click();
    await until("the Avro record's details", async () => (await viewer.locator("#detailText").textContent()).includes(`"schema_id": ${schemaId}`));
    await screenshot(page, "record-details");
    await readmeShot(page, "viewer");

    // Live tail: a record written elsewhere appears; then a search narrows what is shown.
    await viewer.locator("#tail").check();
    await until("the tail to start", async () => (await viewer.locator("#status").textContent()).includes("live tail on"));
    kafkaPython(brokerPort, 'p = ck.Producer({"bootstrap.servers": BOOTSTRAP})\np.produce(TOPIC, key=b"key-3", value=b"tailed from python", partition=0)\np.flush(10)\n');
    await until("the tailed record", async () => (await rows.count()) === 3 && (await rows.nth(2).textContent()).includes("tailed from python"));
    await screenshot(page, "live-tail");
    await viewer.locator("#search").fill("HELLO");
    await viewer.locator("#search").press("Enter");
    await until("the search's one match", async () => (await rows.count()) === 1 && (await rows.nth(0).textContent()).includes("hello from VS Code"));
    await screenshot(page, "search");
    await viewer.locator("#tail").uncheck();
    await until("the tail to stop", async () => !(await viewer.locator("#status").textContent()).includes("live tail on"));

    // Copy the open record; export what is loaded (VS Code's own save dialog, in code-server a quick input).
    await rows.nth(0).click();
    await viewer.locator("#copy").click();
    await page.locator(".statusbar", { hasText: "Record copied" }).waitFor({ timeout: STEP_MS });
    const exported = join(workspace, "exported.jsonl");
    await viewer.locator("#export").click();
    // The dialog fills in its default (the topic's name) on its own: replace it only once it is there.
    const pathInput = page.locator(".quick-input-widget input");
    await until("the save dialog's default name", async () => (await pathInput.inputValue()).endsWith(`${TOPIC}.jsonl`));
    await pathInput.fill(exported);
    await until("the typed path to stay", async () => (await pathInput.inputValue()) === exported);
    await page.keyboard.press("Enter");
    await until("the exported file", () => existsSync(exported));
    const lines = readFileSync(exported, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
    if (lines.length !== 1 || lines[0].key.data !== "key-1") throw new Error(`exported: ${JSON.stringify(lines)}`);

    // 101,000 records handed to the page the way the extension hands pages: it keeps 100,000, drops the oldest, and
    // draws only the rows in sight.
    await viewer.evaluate(() => {
      window.dispatchEvent(new MessageEvent("message", { data: { type: "reset" } }));
      for (let batch = 0; batch < 101; batch++) {
        const records = [];
        for (let i = 0; i < 1000; i++) {
          const offset = batch * 1000 + i;
          records.push({
            partition: 0,
            offset,
            timestamp: 1_700_000_000_000 + offset,
            timestamp_type: "CREATE_TIME",
            headers: [],
            key: { format: "STRING", data: `k-${offset}` },
            value: { format: "JSON", data: { n: offset, note: "synthetic" } },
          });
        }
        window.dispatchEvent(new MessageEvent("message", { data: { type: "records", records, scanned: 1000, atEnd: true, source: "page" } }));
      }
    });
    const status = viewer.locator("#status");
    await until("100,000 records loaded", async () => /^100,000 record\(s\) loaded, 101,000 read, 1,000 older ones dropped/.test(await status.textContent()));
    const drawn = await rows.count();
    if (drawn > 100) throw new Error(`${drawn} rows drawn for 100,000 records: the table is not windowed`);
    await viewer.locator("#scroller").evaluate((element) => (element.scrollTop = element.scrollHeight));
    await until("the last record drawn at the bottom", async () => (await rows.last().textContent()).includes("100999"));
    await screenshot(page, "100k-records");
    console.log(`100,000 records loaded: ${drawn} rows drawn`);

    // Describe the topic: a read-only JSON document.
    await command(page, "Kafka: Describe Topic");
    await answer(page, TOPIC);
    await page.getByRole("tab", { name: new RegExp(`^${TOPIC}\\.json`) }).waitFor({ timeout: STEP_MS });
    await page.locator(".monaco-editor", { hasText: "partitions" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "describe-topic");

    // Schema Subjects: the subject, its version, opened read-only.
    await sidebar.locator(".monaco-list-row", { hasText: "Schema Subjects" }).first().click();
    await sidebar.locator(".monaco-list-row", { hasText: `${TOPIC}-value` }).first().click();
    await sidebar.locator(".monaco-list-row", { hasText: "version 1" }).first().click();
    await page.getByRole("tab", { name: new RegExp(`^${TOPIC}-value\\.v1\\.id${schemaId}\\.json`) }).waitFor({ timeout: STEP_MS });
    await page.locator(".monaco-editor", { hasText: "quantity" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "schema-version");

    // A new version from an open document: an incompatible one is refused by the compatibility check, a compatible one
    // is registered (a dry run, then the confirmation) and shows up in the tree; then the level is set and the version
    // deleted again.
    const withCurrency = (field) =>
      JSON.stringify({ type: "record", name: "Order", fields: [...JSON.parse(ORDER_SCHEMA).fields, { name: "currency", type: "string", ...field }] }, null, 2);
    writeFileSync(join(workspace, "incompatible-order.avsc"), withCurrency({}));
    writeFileSync(join(workspace, "order-v2.avsc"), withCurrency({ default: "EUR" }));
    const openFile = async (name) => {
      await page.keyboard.press("F1");
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ state: "visible" });
      await input.fill(name);
      await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor({ state: "visible" });
      await page.keyboard.press("Enter");
      await page.getByRole("tab", { name: new RegExp(`^${name.replace(".", "\\.")}`) }).waitFor({ timeout: STEP_MS });
    };
    await openFile("incompatible-order.avsc");
    await command(page, "Kafka: Check Compatibility of the Open Document");
    await answer(page, `${TOPIC}-value`, "Which subject?");
    await page.locator(".notification-toast", { hasText: `Not compatible with '${TOPIC}-value' version latest` }).waitFor({ timeout: STEP_MS });
    await screenshot(page, "schema-incompatible");
    await page.keyboard.press("Escape");
    await openFile("order-v2.avsc");
    await command(page, "Kafka: Register the Open Document as a Schema");
    await answer(page, `${TOPIC}-value`, "Which subject?");
    const registerDialog = page.locator(".monaco-dialog-box", { hasText: `new AVRO schema version of '${TOPIC}-value'` });
    await registerDialog.waitFor({ timeout: STEP_MS });
    await registerDialog.getByRole("button", { name: "Register" }).click();
    await page.locator(".notification-toast", { hasText: `Registered under '${TOPIC}-value' as version 2` }).waitFor({ timeout: STEP_MS });
    await sidebar.locator(".monaco-list-row", { hasText: "version 2" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "schema-registered");
    await readmeShot(page, "schemas");
    await command(page, "Kafka: Set Compatibility Level");
    await answer(page, `${TOPIC}-value`, "Set the level of which subject?");
    await answer(page, "FULL_TRANSITIVE", "follows the global compatibility level: BACKWARD");
    await page.locator(".notification-toast", { hasText: `'${TOPIC}-value' now has its own compatibility level: FULL_TRANSITIVE` }).waitFor({ timeout: STEP_MS });
    if (registry.level(`${TOPIC}-value`) !== "FULL_TRANSITIVE") throw new Error(`the registry's level: ${registry.level(`${TOPIC}-value`)}`);
    await command(page, "Kafka: Delete Schema Version or Subject");
    await answer(page, `${TOPIC}-value`, "Which subject?");
    await answer(page, "version 2", "Delete what of");
    const deleteDialog = page.locator(".monaco-dialog-box", { hasText: `Delete version 2 of '${TOPIC}-value'?` });
    await deleteDialog.waitFor({ timeout: STEP_MS });
    await deleteDialog.getByRole("button", { name: "Delete", exact: true }).click();
    await until("version 2 to leave the tree", async () => (await sidebar.locator(".monaco-list-row", { hasText: "version 2" }).count()) === 0);
    await sidebar.locator(".monaco-list-row", { hasText: "version 1" }).first().waitFor({ timeout: STEP_MS });

    // A consumer group that committed offset 0 of partition 0 (which holds the record produced above): lag 1. Its
    // folder, once expanded, follows the lag live as more records arrive.
    kafkaPython(
      brokerPort,
      'c = ck.Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": "e2e-billing", "enable.auto.commit": False})\n' +
        "c.commit(offsets=[ck.TopicPartition(TOPIC, 0, 0)], asynchronous=False)\nc.close()\n",
    );
    await sidebar.locator(".monaco-list-row", { hasText: "Consumer Groups" }).first().click();
    const groupRow = sidebar.locator(".monaco-list-row", { hasText: "e2e-billing" }).first();
    const lagOf = async () => Number(/ lag (\d+)/.exec(await groupRow.textContent())?.[1]);
    // Partition 0 holds the first produced record and the tailed one.
    await until("the group's lag", async () => (await lagOf()) === 2);
    await screenshot(page, "group-lag");
    kafkaPython(
      brokerPort,
      // One flush per record: each is its own request.
      'p = ck.Producer({"bootstrap.servers": BOOTSTRAP})\n' + "for i in range(3):\n" + '    p.produce(TOPIC, value=b"more", partition=0)\n' + "    p.flush(10)\n",
    );
    await until("the group's lag to grow live", async () => (await lagOf()) === 5);
    await screenshot(page, "group-lag-live");
    await command(page, "Notifications: Clear All Notifications");
    await readmeShot(page, "tree-lag");
    // Collapsed, the folder's watch stops; expanded again, it starts again and shows what changed meanwhile.
    const groupsFolder = sidebar.locator(".monaco-list-row", { hasText: "Consumer Groups" }).first();
    await groupsFolder.click();
    await until("the groups folder to collapse", async () => (await sidebar.locator(".monaco-list-row", { hasText: "e2e-billing" }).count()) === 0);
    kafkaPython(brokerPort, 'p = ck.Producer({"bootstrap.servers": BOOTSTRAP})\np.produce(TOPIC, value=b"while collapsed", partition=0)\np.flush(10)\n');
    await groupsFolder.click();
    await until("the lag written while collapsed", async () => (await lagOf()) === 6);

    // Delete the topic, after saying yes, while the viewer tails it: the viewer says why its tail ended.
    await page.getByRole("tab", { name: /^e2e-orders \(Local tansu\)/ }).click();
    await viewer.locator("#tail").check();
    await until("the tail to start again", async () => (await viewer.locator("#status").textContent()).includes("live tail on"));
    await command(page, "Kafka: Delete Topic");
    await answer(page, TOPIC);
    const confirm = page.locator(".monaco-dialog-box");
    await confirm.waitFor({ timeout: STEP_MS });
    await screenshot(page, "delete-topic-confirm");
    await confirm.getByRole("button", { name: "Delete" }).click();
    await until("the topic to leave the tree", async () => (await sidebar.locator(".monaco-list-row", { hasText: "No topics yet" }).count()) === 1);
    await until("the viewer to say its tail ended", async () => (await viewer.locator("#status").textContent()).includes("Live tail ended"));
    if (await viewer.locator("#tail").isChecked()) throw new Error("the Live tail box is still checked after the tail ended");
    await screenshot(page, "topic-deleted");

    // The connection is in the shared store (its state.json in the run's directory), nothing in the default one.
    const stateFile = join(storeDir, "state.json");
    if (!existsSync(stateFile) || !readFileSync(stateFile, "utf8").includes("Local tansu")) throw new Error(`the store has no 'Local tansu' in ${stateFile}`);
    if (existsSync(join(stateHome, "ide-sidecar"))) throw new Error("the store's default directory was used");
    // Restart the sidecar: the connection comes back from the store, connected, and its folders list afresh.
    await command(page, "Kafka: Restart the Sidecar");
    // Another bundled sidecar process; the restored connection connected once it checked it (its row may keep its
    // expansion when the tree redraws after the new list, or be a new, collapsed row when it redrew in between).
    await until("a new bundled sidecar", async () => ![undefined, firstSidecar].includes(bundledSidecarPid(extensions)));
    await until("the restored connection to show connected", async () => {
      const row = sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).first();
      return (await row.locator(".codicon-pass").count()) === 1;
    });
    await command(page, "Kafka: Create Topic");
    await answer(page, "after-restart");
    await answer(page, "");
    const restored = sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).first();
    if ((await restored.getAttribute("aria-expanded")) !== "true") await restored.click();
    const topicsAgain = sidebar.locator(".monaco-list-row", { hasText: "Topics" }).first();
    if ((await topicsAgain.getAttribute("aria-expanded")) !== "true") await topicsAgain.click();
    await sidebar.locator(".monaco-list-row", { hasText: "after-restart" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "after-restart");

    // Stop the broker: the connection turns failed without waiting for its schedule, its row naming the failing
    // component and that component's row the reason.
    broker.child.kill();
    await until("the connection to show the broker's failure", async () => {
      const row = sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).first();
      return (await row.locator(".codicon-warning").count()) === 1 && ((await row.textContent()) ?? "").includes("failed: Kafka cluster");
    });
    // The connection's row says "failed: Kafka cluster"; the component's own row has the reason.
    const reason = sidebar.locator(".monaco-list-row", { hasText: /Kafka cluster\s*failed: Connection refused/ });
    await until("the Kafka cluster row to say why", async () => (await reason.count()) === 1);
    await screenshot(page, "broker-stopped");

    // Confluent Cloud (the fake): add a connection and sign in. The sidecar asks VS Code to open the authorize URI
    // (window/showDocument, external), which code-server opens as a new browser tab: the fake signs the user in at
    // once and redirects that tab to the sidecar's loopback callback, whose page says it is done.
    await command(page, "Notifications: Clear All Notifications");
    const signInTab = page.context().waitForEvent("page", { timeout: STEP_MS });
    await command(page, "Kafka: Add Confluent Cloud and Sign In");
    await answer(page, "Confluent Cloud", "A name for this connection");
    // VS Code may ask first whether to open an outside website (its link protection): say Open, as a user would.
    const external = page.locator(".monaco-dialog-box", { hasText: "external website" });
    const opened = await Promise.race([signInTab, external.waitFor({ timeout: STEP_MS }).then(() => undefined, () => signInTab)]);
    if (!opened) {
      await screenshot(page, "ccloud-open-website");
      await external.getByRole("button", { name: "Open" }).click();
    }
    const tab = opened ?? (await signInTab);
    await tab.waitForLoadState("load", { timeout: STEP_MS });
    console.log(`the sign-in tab ended at ${tab.url().replace(/\?.*$/, "")}`);
    await tab.setViewportSize({ width: 1000, height: 400 });
    await screenshot(tab, "ccloud-sign-in-page");
    await tab.close();
    await page.bringToFront();
    const cloudRow = sidebar.locator(".monaco-list-row", { hasText: "Confluent Cloud" }).first();
    await until("the Confluent Cloud connection to show signed in", () => cloudRow.locator(".codicon-pass").isVisible());
    // The "Finish signing in" notification closes by itself once the connection is signed in.
    const finishSigningIn = page.locator(".notification-toast", { hasText: "Finish signing in to Confluent Cloud" });
    await until("the sign-in notification to close", async () => (await finishSigningIn.count()) === 0);
    await command(page, "Kafka: Collapse All");
    await cloudRow.click();
    const row = (text) => sidebar.locator(".monaco-list-row", { hasText: text }).first();
    await row("production").click();
    await row("development").waitFor({ timeout: STEP_MS });
    await row("payments").waitFor({ timeout: STEP_MS });
    await screenshot(page, "ccloud-environments");
    await sidebar.locator(".monaco-list-row").filter({ hasText: "orders" }).filter({ hasText: "AWS us-east-2" }).first().click();
    await sidebar.locator(".monaco-list-row", { hasText: "Topics" }).first().click();
    await row("2 partitions").waitFor({ timeout: STEP_MS });
    await screenshot(page, "ccloud-topics");

    // From the palette: Open Messages offers the cloud clusters (a quick pick of clusters by environment), then the topic.
    await command(page, "Kafka: Open Messages");
    await page.locator(".quick-input-list .monaco-list-row", { hasText: "production (env-prod)" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "ccloud-cluster-pick");
    await answer(page, "orders", "Which Kafka cluster?");
    await answer(page, "orders", "Which topic?");
    let cloudViewer;
    await until("the cloud topic's records in a viewer", async () => {
      for (const frame of page.frames()) {
        if ((await frame.locator("#scroller .row", { hasText: "coffee" }).count().catch(() => 0)) > 0) {
          cloudViewer = frame;
          return true;
        }
      }
      return false;
    });
    const cloudRows = cloudViewer.locator("#scroller .row");
    await until("the three records of orders", async () => (await cloudRows.count()) === 3);
    const avroCloudRow = cloudRows.filter({ hasText: "coffee" });
    if (!/AVRO #\d+/.test(await avroCloudRow.textContent())) throw new Error(`the Avro row: ${await avroCloudRow.textContent()}`);
    await avroCloudRow.click();
    await until("the Avro record's details", async () => (await cloudViewer.locator("#detailText").textContent()).includes('"item": "coffee"'));
    await screenshot(page, "ccloud-viewer");

    // Reload the window: a new extension host and sidecar; both connections come back from the store (the extension
    // keeps no list of its own for them any more), the Confluent Cloud one signed out (no keychain: its session was
    // in the old sidecar's memory only), the direct one failed (the broker is stopped). The notice is not shown again.
    await command(page, "Developer: Reload Window");
    await page.locator(".monaco-workbench").waitFor({ timeout: STEP_MS });
    const kafkaView = page.locator('.activitybar [aria-label^="Kafka"]').first();
    await kafkaView.waitFor({ timeout: STEP_MS });
    if ((await sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).count()) === 0) await kafkaView.click();
    await sidebar.locator(".monaco-list-row", { hasText: "Local tansu" }).first().waitFor({ timeout: STEP_MS });
    await sidebar.locator(".monaco-list-row", { hasText: "Confluent Cloud" }).first().waitFor({ timeout: STEP_MS });
    await screenshot(page, "reloaded-from-store");
    if ((await page.locator(".notification-toast", { hasText: "No OS keychain" }).count()) !== 0) throw new Error("the no-keychain notice was shown again");
    console.log("all steps passed");
  } catch (error) {
    const pages = browser.contexts().flatMap((c) => c.pages());
    if (pages[0]) await screenshot(pages[0], "failure").catch(() => undefined);
    console.error(`code-server's stderr (last lines):\n${server.stderr()}`);
    throw error;
  } finally {
    await browser.close();
  }
}

try {
  await main();
} finally {
  for (const child of children) if (child.exitCode === null) child.kill();
  await registryStop?.();
}
