// Schema Registry commands: check the open document's compatibility against a subject, register it (a dry run
// first), set the compatibility level (of a subject or the global one), and delete a version or a subject (soft, or
// permanently, after a modal confirmation). From the Schema Subjects tree items, and from the palette (then the
// connection and subject are asked).
import * as vscode from "vscode";
import { commandRegistrar, type CommandContext } from "./commandContext";
import type { SchemaType } from "./protocol";
import {
  COMPATIBILITY_LEVELS,
  compatibilityLines,
  deletedMessage,
  deleteQuestion,
  describeDryRun,
  describeLevel,
  guessSchemaType,
  schemaText,
  subjectFromFileName,
} from "./model/schemas";
import type { Target } from "./model/targets";
import type { TreeNode } from "./model/tree";
import { pickTarget } from "./targetPick";

type Context = CommandContext;

export function registerSchemaCommands(ctx: Context): void {
  const register = commandRegistrar(ctx);
  register("ide-sidecar.checkSchemaCompatibility", "check the schema's compatibility", (node) => checkCompatibility(ctx, node));
  register("ide-sidecar.registerSchema", "register the schema", (node) => registerSchema(ctx, node));
  register("ide-sidecar.setCompatibility", "set the compatibility level", (node) => setCompatibility(ctx, node));
  register("ide-sidecar.deleteSchema", "delete the schema", (node) => deleteSchema(ctx, node));
}

interface OpenSchema {
  text: string;
  type: SchemaType;
  suggestion?: string;
}

/** The schema in the active editor, with its type (guessed, else asked). */
async function openSchema(): Promise<OpenSchema | undefined> {
  const editor = vscode.window.activeTextEditor ?? (vscode.window.visibleTextEditors.length === 1 ? vscode.window.visibleTextEditors[0] : undefined);
  if (!editor) {
    void vscode.window.showInformationMessage("Open the schema in an editor first (Avro or JSON Schema as JSON, or Protobuf), then run this again");
    return undefined;
  }
  const { document } = editor;
  const text = document.getText();
  let type = guessSchemaType(text, document.fileName, document.languageId);
  if (!type) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: "AVRO", type: "AVRO" as const },
        { label: "JSON", description: "JSON Schema", type: "JSON" as const },
        { label: "PROTOBUF", type: "PROTOBUF" as const },
      ],
      { placeHolder: "Which kind of schema is the open document?" },
    );
    if (!picked) return undefined;
    type = picked.type;
  }
  const checked = schemaText(text, type);
  if ("error" in checked) {
    void vscode.window.showErrorMessage(`${checked.error} (nothing was sent)`);
    return undefined;
  }
  return { text: checked.text, type, suggestion: subjectFromFileName(document.fileName) };
}

/** A Schema Registry: the node's, else the user's pick among connections and signed-in Confluent Cloud registries. */
function registryTarget(ctx: Context, node?: TreeNode): Promise<Target | undefined> {
  return pickTarget(ctx, "registry", node);
}

const NEW_SUBJECT = "$(add) New subject…";

/** The node's subject, else a pick among the registry's subjects (the document's suggestion first), or a new one. */
async function pickSubject(ctx: Context, target: Target, node: TreeNode | undefined, suggestion: string | undefined, allowNew: boolean): Promise<string | undefined> {
  if (node?.subject) return node.subject;
  const subjects = await ctx.sidecar.data.listSubjects(target.connectionId, target.clusterId);
  const ordered = suggestion && subjects.includes(suggestion) ? [suggestion, ...subjects.filter((s) => s !== suggestion)] : subjects;
  const items = [...ordered.map((subject) => ({ label: subject })), ...(allowNew ? [{ label: NEW_SUBJECT }] : [])];
  if (items.length === 0) {
    void vscode.window.showInformationMessage("This Schema Registry has no subjects yet: register a schema first");
    return undefined;
  }
  // From the Subjects folder, a register is for a new subject: ask for its name straight away.
  const picked = node?.folder === "subjects" ? NEW_SUBJECT : (await vscode.window.showQuickPick(items, { placeHolder: "Which subject?" }))?.label;
  if (picked !== NEW_SUBJECT) return picked;
  const name = await vscode.window.showInputBox({
    prompt: "The new subject's name (such as orders-value: the topic's name and -key or -value)",
    value: suggestion,
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() === "" ? "A subject needs a name" : undefined),
  });
  return name?.trim() || undefined;
}

async function checkCompatibility(ctx: Context, node?: TreeNode): Promise<void> {
  const schema = await openSchema();
  if (!schema) return;
  const target = await registryTarget(ctx, node);
  if (!target) return;
  const { connectionId, clusterId } = target;
  const subject = await pickSubject(ctx, target, node, schema.suggestion, false);
  if (!subject) return;
  const version = node?.kind === "version" && node.version !== undefined ? node.version : "latest";
  const result = await ctx.sidecar.data.checkCompatibility({ connection_id: connectionId, cluster_id: clusterId, subject, schema_type: schema.type, schema: schema.text, version });
  const lines = compatibilityLines(subject, String(version), result);
  for (const line of lines) ctx.output.appendLine(`compatibility: ${line}`);
  if (result.is_compatible) {
    void vscode.window.showInformationMessage(lines[0]);
    return;
  }
  const choice = await vscode.window.showWarningMessage(`${lines[0]} ${lines.slice(1, 2).join("")}`, "Show Details");
  if (choice) await ctx.docs.show(`/${connectionId}/compatibility/${subject}.txt`, lines.join("\n"));
}

async function registerSchema(ctx: Context, node?: TreeNode): Promise<void> {
  const schema = await openSchema();
  if (!schema) return;
  const target = await registryTarget(ctx, node);
  if (!target) return;
  const { connectionId, clusterId } = target;
  const subject = await pickSubject(ctx, target, node, schema.suggestion, true);
  if (!subject) return;
  const params = { connection_id: connectionId, cluster_id: clusterId, subject, schema_type: schema.type, schema: schema.text };
  const dry = describeDryRun(subject, await ctx.sidecar.data.registerSchema({ ...params, dry_run: true }));
  if (dry.kind === "exists") {
    void vscode.window.showInformationMessage(dry.message);
    return;
  }
  if (dry.kind === "refused") {
    for (const line of dry.details) ctx.output.appendLine(`register (dry run): ${line}`);
    const choice = await vscode.window.showWarningMessage(`${dry.message}. ${dry.details[0] ?? ""}`, "Show Details", "Set Compatibility Level");
    if (choice === "Show Details") await ctx.docs.show(`/${connectionId}/compatibility/${subject}.txt`, [dry.message, ...dry.details].join("\n"));
    if (choice === "Set Compatibility Level") await setCompatibility(ctx, { ...(node ?? {}), connectionId, clusterId, subject } as TreeNode);
    return;
  }
  const name = ctx.sidecar.connectionName(connectionId);
  const go = await vscode.window.showInformationMessage(
    `Register the open document as a new ${schema.type} schema version of '${subject}' (${name})?`,
    { modal: true, detail: `${dry.message} (dry run passed).` },
    "Register",
  );
  if (go !== "Register") return;
  const registered = await ctx.sidecar.data.registerSchema(params);
  ctx.view.refreshSubjects(connectionId, clusterId);
  void vscode.window.showInformationMessage(`Registered under '${subject}' as version ${registered.version ?? "?"} (id ${registered.id ?? "?"})`);
}

async function setCompatibility(ctx: Context, node?: TreeNode): Promise<void> {
  const target = await registryTarget(ctx, node);
  if (!target) return;
  const { connectionId, clusterId } = target;
  let subject: string | undefined = node?.subject;
  if (!subject && node?.folder !== "subjects") {
    const subjects = await ctx.sidecar.data.listSubjects(connectionId, clusterId);
    const picked = await vscode.window.showQuickPick(
      [{ label: "$(globe) Global level", description: "for subjects without their own" }, ...subjects.map((s) => ({ label: s, description: "" }))],
      { placeHolder: "Set the level of which subject?" },
    );
    if (!picked) return;
    subject = picked.label.startsWith("$(globe)") ? undefined : picked.label;
  }
  const current = await ctx.sidecar.data.getCompatibility(connectionId, subject, clusterId);
  const picked = await vscode.window.showQuickPick(
    COMPATIBILITY_LEVELS.map(({ level, detail }) => ({ label: level, description: level === current.compatibility ? "(current)" : "", detail })),
    { placeHolder: `${describeLevel(subject, current)}. The new level:` },
  );
  if (!picked) return;
  const level = COMPATIBILITY_LEVELS.find((entry) => entry.level === picked.label)!.level;
  const set = await ctx.sidecar.data.setCompatibility(connectionId, level, subject, clusterId);
  void vscode.window.showInformationMessage(
    subject === undefined ? `The global compatibility level is now ${set.compatibility}` : `'${subject}' now has its own compatibility level: ${set.compatibility}`,
  );
}

async function deleteSchema(ctx: Context, node?: TreeNode): Promise<void> {
  const target = await registryTarget(ctx, node);
  if (!target) return;
  const { connectionId, clusterId } = target;
  const subject = await pickSubject(ctx, target, node, undefined, false);
  if (!subject) return;
  let version = node?.kind === "version" ? node.version : undefined;
  if (!node) {
    const versions = await ctx.sidecar.data.listVersions(connectionId, subject, clusterId);
    const picked = await vscode.window.showQuickPick(
      [{ label: "The whole subject", version: undefined }, ...versions.map((v) => ({ label: `version ${v}`, version: v }))],
      { placeHolder: `Delete what of '${subject}'?` },
    );
    if (!picked) return;
    version = picked.version;
  }
  const answer = await vscode.window.showWarningMessage(
    deleteQuestion(subject, version),
    {
      modal: true,
      detail:
        "Delete: a soft delete; the registry keeps the schema (records written with it still decode) and it can be registered again.\n" +
        "Delete Permanently: a soft delete, then a permanent one; this cannot be undone.",
    },
    "Delete",
    "Delete Permanently",
  );
  if (answer === undefined) return;
  const soft = await ctx.sidecar.data.deleteSchema(connectionId, subject, version, false, clusterId);
  let message = deletedMessage(subject, soft.versions, false);
  if (answer === "Delete Permanently") {
    const hard = await ctx.sidecar.data.deleteSchema(connectionId, subject, version, true, clusterId);
    message = deletedMessage(subject, hard.versions, true);
  }
  ctx.view.refreshSubjects(connectionId, clusterId);
  void vscode.window.showInformationMessage(message);
}
