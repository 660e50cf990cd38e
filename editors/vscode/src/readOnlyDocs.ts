// Read-only documents (a topic's description, a schema version): VS Code cannot edit a document of a content
// provider's scheme, so showing one there is what keeps it read-only. The text is fetched before it is opened.
import * as vscode from "vscode";

export const READ_ONLY_SCHEME = "ide-sidecar";

export class ReadOnlyDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? "This document is no longer available: open it again from the Kafka view";
  }

  /** Shows `text` as a read-only document named by `path` (its extension picks the language). */
  async show(path: string, text: string): Promise<void> {
    const uri = vscode.Uri.from({ scheme: READ_ONLY_SCHEME, path });
    this.texts.set(uri.toString(), text);
    // Open already: show the new text.
    this.changed.fire(uri);
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
