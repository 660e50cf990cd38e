// The palette's question "which cluster?" (or "which Schema Registry?"): a tree item answers it by itself; otherwise a
// quick pick of the connections with their own cluster or registry and of every Confluent Cloud cluster or registry of
// the signed-in CCLOUD connections (read with `ccloud/resources`, see src/model/targets.ts).
import * as vscode from "vscode";
import type { CloudResourcesResult } from "./protocol";
import { describeError } from "./model/errors";
import { cloudConnections, targetItems, type Target, type TargetKind } from "./model/targets";
import type { ConnectionsModel, TreeNode } from "./model/tree";
import type { SidecarProcess } from "./sidecarProcess";

interface PickContext {
  sidecar: SidecarProcess;
  model: ConnectionsModel;
  output: vscode.OutputChannel;
}

export async function pickTarget(ctx: PickContext, kind: TargetKind, node?: TreeNode): Promise<Target | undefined> {
  if (node?.connectionId) return { connectionId: node.connectionId, clusterId: node.clusterId };
  const connections = ctx.model.all();
  const cloud = new Map<string, CloudResourcesResult>();
  const problems: string[] = [];
  await Promise.all(
    cloudConnections(connections).map(async (connection) => {
      try {
        cloud.set(connection.id, await ctx.sidecar.data.cloudResources(connection.id));
      } catch (error) {
        const message = describeError(`list the Confluent Cloud resources of '${connection.spec.name}'`, error);
        ctx.output.appendLine(message);
        problems.push(message);
      }
    }),
  );
  const items = targetItems(kind, connections, cloud);
  const what = kind === "kafka" ? "a Kafka cluster" : "a Schema Registry";
  if (items.length === 0) {
    const hint = problems.length > 0 ? ` (${problems.join("; ")})` : "";
    void vscode.window.showInformationMessage(`Add a connection with ${what} first, or sign in to Confluent Cloud${hint}`);
    return undefined;
  }
  if (items.length === 1) return items[0];
  const picked = await vscode.window.showQuickPick(items, {
    placeHolder: kind === "kafka" ? "Which Kafka cluster?" : "Which Schema Registry?",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  return picked && { connectionId: picked.connectionId, clusterId: picked.clusterId };
}
