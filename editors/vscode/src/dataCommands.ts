// Commands on what a connection holds: topics (create, delete, describe), schema versions (open read-only), the
// message viewer, and produce from a document (a dry run first, then for real).
import * as vscode from "vscode";
import { commandRegistrar, type CommandContext } from "./commandContext";
import {
  parseProduceDocument,
  problemLines,
  produceTemplate,
  rangeOf,
  refusals,
  summarizeProduce,
  valueRanges,
  type Problem,
} from "./model/produce";
import type { Target } from "./model/targets";
import type { TreeNode } from "./model/tree";
import { MessageViewer } from "./messageViewer";
import { pickTarget } from "./targetPick";

type Context = CommandContext;

export function registerDataCommands(ctx: Context): void {
  const register = commandRegistrar(ctx);

  register("ide-sidecar.refreshFolder", "refresh", (node) => Promise.resolve(ctx.view.refresh(node)));
  register("ide-sidecar.createTopic", "create the topic", (node) => createTopic(ctx, node));
  register("ide-sidecar.deleteTopic", "delete the topic", (node) => deleteTopic(ctx, node));
  register("ide-sidecar.describeTopic", "describe the topic", async (node) => {
    const target = await topicTarget(ctx, node);
    if (!target) return;
    const description = await ctx.sidecar.data.describeTopic(target.connectionId, target.topic, target.clusterId);
    await ctx.docs.show(`/${target.connectionId}/topics/${target.topic}.json`, JSON.stringify(description, null, 2));
  });
  register("ide-sidecar.openSchema", "open the schema", async (node) => {
    if (!node?.connectionId || !node.subject || node.version === undefined) return;
    const schema = await ctx.sidecar.data.getSchema(node.connectionId, node.subject, node.version, node.clusterId);
    const protobuf = schema.schema_type === "PROTOBUF";
    const text = protobuf ? schema.schema : prettyJson(schema.schema);
    // The tab shows the file name: subject, version and id.
    await ctx.docs.show(`/${node.connectionId}/schemas/${node.subject}.v${node.version}.id${schema.id}.${protobuf ? "proto" : "json"}`, text);
  });
  register("ide-sidecar.openViewer", "open the messages", async (node) => {
    const target = await topicTarget(ctx, node);
    if (target) MessageViewer.open(ctx.extension, ctx.sidecar, target.connectionId, target.topic, undefined, undefined, target.clusterId);
  });
  register("ide-sidecar.newProduceDocument", "open a produce document", async (node) => {
    const target = await topicTarget(ctx, node);
    if (!target) return;
    await openProduceDocument(target.connectionId, target.topic, target.clusterId);
  });
  const diagnostics = vscode.languages.createDiagnosticCollection("ide-sidecar produce");
  ctx.extension.subscriptions.push(diagnostics);
  register("ide-sidecar.produce", "produce", () => produce(ctx, diagnostics));
}

/** Puts each problem on the field it names in the document, so the squiggles show where to fix. */
function showProblems(diagnostics: vscode.DiagnosticCollection, document: vscode.TextDocument, problems: readonly Problem[]): void {
  const ranges = valueRanges(document.getText());
  diagnostics.set(
    document.uri,
    problems.map((problem) => {
      const [start, end] = rangeOf(ranges, problem.path) ?? [0, 0];
      const message = problem.path ? `${problem.path}: ${problem.message}` : problem.message;
      const diagnostic = new vscode.Diagnostic(new vscode.Range(document.positionAt(start), document.positionAt(end)), message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = "ide-sidecar";
      return diagnostic;
    }),
  );
}

/**
 * An untitled document named after the topic (a nameless one would be titled by its first comment line), holding the
 * template; `jsonc` so that the comments are valid.
 */
async function openProduceDocument(connectionId: string, topic: string, clusterId?: string): Promise<void> {
  const taken = new Set(vscode.workspace.textDocuments.map((document) => document.uri.toString()));
  let uri = vscode.Uri.from({ scheme: "untitled", path: `produce-${topic}.jsonc` });
  for (let n = 2; taken.has(uri.toString()); n++) uri = vscode.Uri.from({ scheme: "untitled", path: `produce-${topic}-${n}.jsonc` });
  const document = await vscode.workspace.openTextDocument(uri);
  const editor = await vscode.window.showTextDocument(document);
  await editor.edit((edit) => edit.insert(new vscode.Position(0, 0), produceTemplate(connectionId, topic, clusterId)));
  if (document.languageId !== "jsonc") await vscode.languages.setTextDocumentLanguage(document, "jsonc");
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A Kafka cluster: the node's, else the user's pick among connections and signed-in Confluent Cloud clusters. */
function kafkaTarget(ctx: Context, node?: TreeNode): Promise<Target | undefined> {
  return pickTarget(ctx, "kafka", node);
}

async function pickTopic(ctx: Context, target: Target): Promise<string | undefined> {
  const topics = await ctx.sidecar.data.listTopics(target.connectionId, target.clusterId);
  if (topics.length === 0) {
    void vscode.window.showInformationMessage("This cluster has no topics yet: create one first");
    return undefined;
  }
  return (await vscode.window.showQuickPick(topics.map((topic) => ({ label: topic.name, description: `${topic.partitions_count} partitions` })), { placeHolder: "Which topic?" }))?.label;
}

async function topicTarget(ctx: Context, node?: TreeNode): Promise<(Target & { topic: string }) | undefined> {
  if (node?.connectionId && node.topic) return { connectionId: node.connectionId, clusterId: node.clusterId, topic: node.topic };
  const target = await kafkaTarget(ctx, node);
  const topic = target ? await pickTopic(ctx, target) : undefined;
  return target && topic ? { ...target, topic } : undefined;
}

async function createTopic(ctx: Context, node?: TreeNode): Promise<void> {
  const target = await kafkaTarget(ctx, node);
  if (!target) return;
  const { connectionId, clusterId } = target;
  const topic = await vscode.window.showInputBox({
    title: "Create a Topic",
    prompt: "The topic's name",
    ignoreFocusOut: true,
    validateInput: (value) => (/^[A-Za-z0-9._-]{1,249}$/.test(value.trim()) ? undefined : "Use 1 to 249 letters, digits, '.', '_' or '-'"),
  });
  if (!topic) return;
  const count = await vscode.window.showInputBox({
    title: `Create '${topic.trim()}'`,
    prompt: "How many partitions (empty: the cluster's default)",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" || /^[1-9]\d{0,5}$/.test(value.trim()) ? undefined : "Give a whole number from 1, or nothing"),
  });
  if (count === undefined) return;
  const partitions = count.trim() === "" ? undefined : Number(count.trim());
  await ctx.sidecar.data.createTopic({ connection_id: connectionId, cluster_id: clusterId, topic: topic.trim(), ...(partitions ? { partitions } : {}) });
  ctx.view.refreshFolder(connectionId, "topics", clusterId);
  void vscode.window.showInformationMessage(`Created the topic '${topic.trim()}'`);
}

async function deleteTopic(ctx: Context, node?: TreeNode): Promise<void> {
  const target = await topicTarget(ctx, node);
  if (!target) return;
  const name = ctx.model.get(target.connectionId)?.spec.name ?? target.connectionId;
  const answer = await vscode.window.showWarningMessage(
    `Delete the topic '${target.topic}' of '${name}', with all its records?`,
    { modal: true, detail: "This cannot be undone." },
    "Delete",
  );
  if (answer !== "Delete") return;
  await ctx.sidecar.data.deleteTopic(target.connectionId, target.topic, target.clusterId);
  ctx.view.refreshFolder(target.connectionId, "topics", target.clusterId);
  void vscode.window.showInformationMessage(`Deleted the topic '${target.topic}'`);
}

async function produce(ctx: Context, diagnostics: vscode.DiagnosticCollection): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage("Open a produce document first: run 'Kafka: New Produce Document' on a topic");
    return;
  }
  const parsed = parseProduceDocument(editor.document.getText());
  diagnostics.delete(editor.document.uri);
  if (!parsed.ok) {
    showProblems(diagnostics, editor.document, parsed.problems);
    const lines = problemLines(parsed.problems);
    for (const line of lines) ctx.output.appendLine(`produce: ${line}`);
    void vscode.window.showErrorMessage(`Nothing was sent; fix the document: ${lines.join("; ")}`);
    return;
  }
  const { document } = parsed;
  // A document without a connection is sent where the user picks (a Confluent Cloud cluster names its cluster_id).
  const target: Target | undefined = document.connectionId ? { connectionId: document.connectionId, clusterId: document.clusterId } : await kafkaTarget(ctx);
  if (!target) return;
  const { connectionId, clusterId } = target;
  const topic = document.topic ?? (await pickTopic(ctx, target));
  if (!topic) return;
  const params = { connection_id: connectionId, cluster_id: clusterId, topic, records: document.records };
  const dry = await withProgress(`Checking ${document.records.length} record(s) for '${topic}'…`, () =>
    ctx.sidecar.data.produce({ ...params, dry_run: true }),
  );
  const checked = summarizeProduce(dry, true);
  if (checked.failed > 0) {
    showProblems(diagnostics, editor.document, refusals(dry));
    for (const line of checked.lines) ctx.output.appendLine(`produce (dry run): ${line}`);
    void vscode.window.showErrorMessage(
      `Dry run: ${checked.failed} of ${dry.records.length} record(s) cannot be written, nothing was sent; fix them: ${checked.lines.filter((l) => l.includes("not written")).join("; ")}`,
    );
    return;
  }
  const send = await vscode.window.showInformationMessage(
    `Dry run passed: ${dry.records.length} record(s) ready for '${topic}'. Send them for real?`,
    { modal: true, detail: checked.lines.join("\n") },
    "Send",
  );
  if (send !== "Send") return;
  const result = await withProgress(`Producing to '${topic}'…`, () => ctx.sidecar.data.produce(params));
  const done = summarizeProduce(result, false);
  if (done.failed > 0) showProblems(diagnostics, editor.document, refusals(result));
  const text = [`Produced to '${topic}' (connection '${connectionId}') at ${new Date().toISOString()}`, "", ...done.lines, ""].join("\n");
  ctx.output.appendLine(text);
  const first = result.records.find((record) => record.error == null && record.offset != null && record.partition != null);
  const actions = first ? ["Open Messages at This Offset", "Show Details"] : ["Show Details"];
  const summary = done.failed > 0 ? `${done.failed} of ${result.records.length} record(s) not written` : `${result.records.length} record(s) written`;
  const choice = await (done.failed > 0 ? vscode.window.showWarningMessage : vscode.window.showInformationMessage)(
    `Produce to '${topic}': ${summary}; ${done.lines.slice(0, 3).join("; ")}${done.lines.length > 3 ? "; …" : ""}`,
    ...actions,
  );
  if (choice === "Show Details") await ctx.docs.show(`/${connectionId}/produced/${topic}.txt`, text);
  if (choice === "Open Messages at This Offset" && first) {
    MessageViewer.open(ctx.extension, ctx.sidecar, connectionId, topic, { from: "offset", offset: first.offset! }, [first.partition!], clusterId);
  }
}

function withProgress<T>(title: string, task: () => Promise<T>): Promise<T> {
  return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task));
}
