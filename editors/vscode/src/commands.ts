// The extension's commands. Each command talks to the sidecar through SidecarApi, saves what the user entered in
// SecretStorage (through SavedConnections) and updates the model with what the sidecar answered.
import * as vscode from "vscode";
import type { Connection, ConnectionSpec } from "./protocol";
import { answersFromSpec, buildDirectSpec, isGuidedEditable, newConnectionId, type DirectAnswers } from "./model/directSpec";
import { describeError, isRpcError } from "./model/errors";
import { ErrorCodes } from "./model/protocolExtras";
import type { SavedConnections } from "./model/savedConnections";
import { hasMaskedSecret, keepsOwnCopy } from "./model/sharedStore";
import { describeConnection, testOutcome } from "./model/status";
import type { ConnectionsModel, TreeNode } from "./model/tree";
import { askDirectAnswers } from "./guidedInput";
import type { SidecarProcess } from "./sidecarProcess";

interface Context {
  sidecar: SidecarProcess;
  model: ConnectionsModel;
  saved: SavedConnections;
  output: vscode.OutputChannel;
}

export function registerCommands(extension: vscode.ExtensionContext, ctx: Context): void {
  const register = (id: string, run: (node?: TreeNode) => Promise<unknown>) =>
    extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (node?: TreeNode) => {
        try {
          await run(node);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          ctx.output.appendLine(`${id}: ${message}`);
          void vscode.window.showErrorMessage(message);
        }
      }),
    );

  register("ide-sidecar.restart", () => ctx.sidecar.restart());
  register("ide-sidecar.showOutput", () => Promise.resolve(ctx.output.show()));
  register("ide-sidecar.addDirectConnection", () => addOrEditDirect(ctx, "Add a Direct Connection"));
  // From the palette it tests a saved connection (a new one is tested inside the add flow, before saving).
  register("ide-sidecar.testConnection", async (node) => {
    const id = node?.connectionId ?? (await pickConnection(ctx, "Test which connection?"));
    if (id) await testSaved(ctx, id);
  });
  register("ide-sidecar.addCCloudConnection", () => addCCloud(ctx));
  register("ide-sidecar.signIn", async (node) => {
    const id = node?.connectionId ?? (await pickConnection(ctx, "Sign in to which Confluent Cloud connection?", "CCLOUD"));
    if (id) await signIn(ctx, id);
  });
  register("ide-sidecar.refresh", async (node) => {
    if (node?.connectionId) {
      ctx.model.upsert(await withProgress("Checking the connection…", () => ctx.sidecar.api.refresh(node.connectionId!)));
    } else {
      ctx.model.replaceAll(await ctx.sidecar.api.list());
    }
  });
  register("ide-sidecar.editConnection", async (node) => {
    const id = node?.connectionId ?? (await pickConnection(ctx, "Edit which connection?"));
    if (id) await edit(ctx, id);
  });
  register("ide-sidecar.deleteConnection", async (node) => {
    const id = node?.connectionId ?? (await pickConnection(ctx, "Delete which connection?"));
    if (id) await remove(ctx, id);
  });
}

function withProgress<T>(title: string, task: () => Promise<T>): Promise<T> {
  return Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, task));
}

async function pickConnection(ctx: Context, placeHolder: string, type?: ConnectionSpec["type"]): Promise<string | undefined> {
  const items = ctx.model
    .all()
    .filter((connection) => !type || connection.spec.type === type)
    .map((connection) => ({ label: connection.spec.name, description: connection.spec.type, id: connection.id }));
  if (items.length === 0) {
    void vscode.window.showInformationMessage(type ? `There is no ${type} connection yet` : "There are no connections yet");
    return undefined;
  }
  return (await vscode.window.showQuickPick(items, { placeHolder }))?.id;
}

/** The spec as the user entered it (secrets included), else the sidecar's copy (secrets masked, which it accepts back). */
async function savedSpec(ctx: Context, id: string): Promise<ConnectionSpec> {
  const spec = (await ctx.saved.get(id)) ?? ctx.model.get(id)?.spec;
  if (!spec) throw new Error(`Unknown connection '${id}'`);
  return spec;
}

async function runTest(ctx: Context, spec: ConnectionSpec): Promise<{ passed: boolean; summary: string } | undefined> {
  // An edit of a stored connection is dry-run as an update: a secret left as ******** keeps its stored value.
  const storedId = typeof spec.id === "string" && ctx.model.get(spec.id) ? spec.id : undefined;
  if (storedId === undefined && hasMaskedSecret(spec)) {
    void vscode.window.showWarningMessage(
      `'${spec.name}' has a secret shown as ******** that no stored connection holds: enter the secret again to test it.`,
    );
    return undefined;
  }
  try {
    const result = await withProgress(`Testing '${spec.name}'…`, () =>
      storedId === undefined ? ctx.sidecar.api.test(spec) : ctx.sidecar.api.testUpdate(storedId, spec),
    );
    return testOutcome(result);
  } catch (error) {
    void vscode.window.showErrorMessage(describeError("test the connection", error));
    return undefined;
  }
}

async function testSaved(ctx: Context, id: string): Promise<void> {
  const spec = await savedSpec(ctx, id);
  // A connection whose secrets only the sidecar holds (the shared store: the extension keeps no copy) is checked as
  // it is stored, with its real secrets, rather than dry-run with masks.
  let outcome: { passed: boolean; summary: string } | undefined;
  if (hasMaskedSecret(spec) && ctx.model.get(id)) {
    const checked = await withProgress(`Testing '${spec.name}'…`, () => ctx.sidecar.api.refresh(id));
    ctx.model.upsert(checked);
    outcome = testOutcome(checked);
  } else {
    outcome = await runTest(ctx, spec);
  }
  if (!outcome) return;
  if (outcome.passed) void vscode.window.showInformationMessage(`Test of '${spec.name}' passed: ${outcome.summary}`);
  else void vscode.window.showWarningMessage(`Test of '${spec.name}' failed: ${outcome.summary}`);
}

/** Guided input, then "save" or "test first" (as often as the user likes), then create or update. */
async function addOrEditDirect(ctx: Context, title: string, existing?: ConnectionSpec): Promise<void> {
  let answers: DirectAnswers | undefined = existing ? answersFromSpec(existing) : undefined;
  for (;;) {
    answers = await askDirectAnswers(title, answers);
    if (!answers) return;
    const spec = buildDirectSpec({ ...answers, id: answers.id ?? newConnectionId(answers.name) });
    const choice = await vscode.window.showQuickPick(
      [
        { label: "$(beaker) Test, then decide", action: "test" as const },
        { label: existing ? "$(save) Save changes" : "$(save) Save", action: "save" as const },
        { label: "$(edit) Change the answers", action: "edit" as const },
      ],
      { title, placeHolder: `'${spec.name}': test it before saving?`, ignoreFocusOut: true },
    );
    if (!choice) return;
    if (choice.action === "edit") continue;
    if (choice.action === "test") {
      const outcome = await runTest(ctx, spec);
      if (!outcome) continue;
      const next = outcome.passed
        ? await vscode.window.showInformationMessage(`Test passed: ${outcome.summary}`, "Save", "Edit")
        : await vscode.window.showWarningMessage(`Test failed: ${outcome.summary}`, "Save Anyway", "Edit");
      if (next === "Edit") continue;
      if (next === undefined) return;
    }
    await save(ctx, spec as ConnectionSpec & { id: string }, existing !== undefined);
    return;
  }
}

async function save(ctx: Context, spec: ConnectionSpec & { id: string }, isUpdate: boolean): Promise<Connection | undefined> {
  try {
    const connection = isUpdate ? await ctx.sidecar.api.update(spec.id, spec) : await ctx.sidecar.api.create(spec);
    // With the shared store on, the store keeps it (and every window sees it); the extension keeps its own copy only
    // of what the store cannot hold (model/sharedStore.ts).
    if (keepsOwnCopy(ctx.sidecar.sidecarCapabilities.store, connection)) await ctx.saved.save(spec);
    else await ctx.saved.remove(spec.id);
    ctx.model.upsert(connection);
    return connection;
  } catch (error) {
    void vscode.window.showErrorMessage(describeError(isUpdate ? "save the connection" : "add the connection", error));
    return undefined;
  }
}

async function edit(ctx: Context, id: string): Promise<void> {
  const spec = await savedSpec(ctx, id);
  if (spec.type === "DIRECT") {
    if (!isGuidedEditable(spec)) {
      const go = await vscode.window.showWarningMessage(
        `'${spec.name}' has settings the guided editor does not cover (such as a keystore); saving from it drops them.`,
        { modal: true },
        "Edit Anyway",
      );
      if (go !== "Edit Anyway") return;
    }
    await addOrEditDirect(ctx, `Edit '${spec.name}'`, spec);
    return;
  }
  const name = await vscode.window.showInputBox({ title: `Rename '${spec.name}'`, value: spec.name, ignoreFocusOut: true });
  if (name === undefined || name.trim() === "") return;
  await save(ctx, { ...spec, id, name: name.trim() }, true);
}

async function remove(ctx: Context, id: string): Promise<void> {
  const name = ctx.model.get(id)?.spec.name ?? (await ctx.saved.get(id))?.name ?? id;
  const answer = await vscode.window.showWarningMessage(`Delete the connection '${name}'?`, { modal: true }, "Delete");
  if (answer !== "Delete") return;
  try {
    await ctx.sidecar.api.delete(id);
  } catch (error) {
    // Gone from the sidecar already: still forget it here.
    if (!(isRpcError(error) && error.code === ErrorCodes.connectionNotFound)) {
      void vscode.window.showErrorMessage(describeError("delete the connection", error));
      return;
    }
  }
  await ctx.saved.remove(id);
  ctx.model.remove(id);
}

async function addCCloud(ctx: Context): Promise<void> {
  const name = await vscode.window.showInputBox({
    title: "Add Confluent Cloud",
    prompt: "A name for this connection",
    value: "Confluent Cloud",
    ignoreFocusOut: true,
  });
  if (name === undefined || name.trim() === "") return;
  const spec = { id: newConnectionId(name), name: name.trim(), type: "CCLOUD" as const };
  const connection = await save(ctx, spec, false);
  if (connection) await signIn(ctx, connection.id);
}

async function signIn(ctx: Context, id: string): Promise<void> {
  const outcome = await ctx.sidecar.api.signIn(id, true);
  if (outcome.kind === "unavailable") {
    void vscode.window.showWarningMessage(`${outcome.message} (${ctx.sidecar.serverVersion})`);
    return;
  }
  // The sidecar asks VS Code to open the page (window/showDocument); the link is for when that did not happen. The
  // notification closes by itself once the connection is signed in (or deleted, or the sidecar's 5 minutes are over);
  // Cancel cancels the pending sign-in.
  const name = ctx.model.get(id)?.spec.name ?? id;
  void vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Finish signing in to Confluent Cloud ('${name}') in your browser`, cancellable: true },
    async (progress, token) => {
      progress.report({ message: `[Open the sign-in page](${outcome.signInUri})` });
      const signedIn = await signInEnded(ctx.model, id, token);
      if (!signedIn && token.isCancellationRequested) await ctx.sidecar.api.signOut(id).catch(() => undefined);
      const connection = ctx.model.get(id);
      if (connection) ctx.output.appendLine(describeConnection(connection));
    },
  );
}

/** Resolves once connection `id` is signed in (true), or is gone, or the user cancelled, or 5 minutes passed (false). */
function signInEnded(model: ConnectionsModel, id: string, token: vscode.CancellationToken): Promise<boolean> {
  return new Promise((done) => {
    const check = () => {
      const connection = model.get(id);
      if (connection?.status.ccloud?.state === "SUCCESS") finish(true);
      else if (!connection) finish(false);
    };
    const listener = model.onDidChange(check);
    const cancelled = token.onCancellationRequested(() => finish(false));
    const timer = setTimeout(() => finish(false), 5 * 60_000);
    function finish(signedIn: boolean): void {
      listener.dispose();
      cancelled.dispose();
      clearTimeout(timer);
      done(signedIn);
    }
    check();
  });
}
