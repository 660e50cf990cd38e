// Entry point: wires the sidecar process, the connections model, the tree view and the commands together.
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { ConnectionsView } from "./connectionsView";
import { SavedConnections } from "./model/savedConnections";
import { ConnectionsModel } from "./model/tree";
import { SidecarProcess } from "./sidecarProcess";

let sidecar: SidecarProcess | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("ide-sidecar");
  const model = new ConnectionsModel();
  const saved = new SavedConnections(context.secrets);
  sidecar = new SidecarProcess(output, model, saved);
  const view = new ConnectionsView(model);
  context.subscriptions.push(
    output,
    sidecar,
    view,
    vscode.window.createTreeView("ide-sidecar.connections", { treeDataProvider: view, showCollapseAll: true }),
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      if (!change.affectsConfiguration("ide-sidecar")) return;
      const choice = await vscode.window.showInformationMessage("Restart the sidecar to use the new settings?", "Restart");
      if (choice) await vscode.commands.executeCommand("ide-sidecar.restart");
    }),
  );
  registerCommands(context, { sidecar, model, saved, output });
  void sidecar.start();
}

export async function deactivate(): Promise<void> {
  await sidecar?.stop();
  sidecar = undefined;
}
