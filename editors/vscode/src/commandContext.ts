// What the data and schema commands share: the parts of the extension they use, and one way to register a command
// on a tree item whose failure is logged and shown once.
import * as vscode from "vscode";
import type { ConnectionsView } from "./connectionsView";
import { describeError } from "./model/errors";
import type { ConnectionsModel, TreeNode } from "./model/tree";
import type { ReadOnlyDocuments } from "./readOnlyDocs";
import type { SidecarProcess } from "./sidecarProcess";

export interface CommandContext {
  extension: vscode.ExtensionContext;
  sidecar: SidecarProcess;
  model: ConnectionsModel;
  view: ConnectionsView;
  docs: ReadOnlyDocuments;
  output: vscode.OutputChannel;
}

/** Registers commands that take an optional tree item; `what` names the action in the error message. */
export function commandRegistrar(ctx: CommandContext) {
  return (id: string, what: string, run: (node?: TreeNode) => Promise<unknown>): void => {
    ctx.extension.subscriptions.push(
      vscode.commands.registerCommand(id, async (node?: TreeNode) => {
        try {
          await run(node);
        } catch (error) {
          const message = describeError(what, error);
          ctx.output.appendLine(`${id}: ${message}`);
          void vscode.window.showErrorMessage(message);
        }
      }),
    );
  };
}
