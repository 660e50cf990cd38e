// Entry point: wires the sidecar process, the connections model, the tree view and the commands together.
import * as vscode from "vscode";
import { registerCommands } from "./commands";
import { ConnectionsView } from "./connectionsView";
import { registerDataCommands } from "./dataCommands";
import { registerSchemaCommands } from "./schemaCommands";
import { SavedConnections } from "./model/savedConnections";
import { ConnectionsModel } from "./model/tree";
import { READ_ONLY_SCHEME, ReadOnlyDocuments } from "./readOnlyDocs";
import { SidecarProcess } from "./sidecarProcess";

let sidecar: SidecarProcess | undefined;

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("ide-sidecar");
  const model = new ConnectionsModel();
  const saved = new SavedConnections(context.secrets);
  sidecar = new SidecarProcess(output, model, saved, context.extensionPath, context.globalState);
  const view = new ConnectionsView(model, sidecar);
  // Collapse All is our own title button, shown only while there are connections (the built-in one shows on an empty
  // view too); it runs the tree's built-in action, which VS Code registers for every tree view.
  const tree = vscode.window.createTreeView("ide-sidecar.connections", { treeDataProvider: view, showCollapseAll: false });
  const hasConnections = () => void vscode.commands.executeCommand("setContext", "ide-sidecar.hasConnections", model.all().length > 0);
  hasConnections();
  view.attach(tree);
  const docs = new ReadOnlyDocuments();
  context.subscriptions.push(
    output,
    sidecar,
    view,
    tree,
    docs,
    vscode.workspace.registerTextDocumentContentProvider(READ_ONLY_SCHEME, docs),
    model.onDidChange(hasConnections),
    vscode.commands.registerCommand("ide-sidecar.collapseAll", () =>
      vscode.commands.executeCommand("workbench.actions.treeView.ide-sidecar.connections.collapseAll"),
    ),
    vscode.workspace.onDidChangeConfiguration(async (change) => {
      if (!change.affectsConfiguration("ide-sidecar")) return;
      const choice = await vscode.window.showInformationMessage("Restart the sidecar to use the new settings?", "Restart");
      if (choice) await vscode.commands.executeCommand("ide-sidecar.restart");
    }),
  );
  registerCommands(context, { sidecar, model, saved, output });
  registerDataCommands({ extension: context, sidecar, model, view, docs, output });
  registerSchemaCommands({ extension: context, sidecar, model, view, docs, output });
  void sidecar.start();
}

export async function deactivate(): Promise<void> {
  await sidecar?.stop();
  sidecar = undefined;
}
