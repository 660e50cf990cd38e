// Turning the sidecar's JSON-RPC errors into sentences for the user. Works on any `{code, message, data}` error:
// vscode-jsonrpc's ResponseError (what vscode-languageclient throws) has that shape.
import type { ErrorData } from "../protocol";
import { ErrorCodes } from "./protocolExtras";

export interface RpcErrorLike {
  code: number;
  message: string;
  data?: unknown;
}

export function isRpcError(error: unknown): error is RpcErrorLike {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as RpcErrorLike).code === "number" &&
    typeof (error as RpcErrorLike).message === "string"
  );
}

/** The `{source, detail}` problems of an invalid-params error, as "source: detail" lines. */
export function validationProblems(error: unknown): string[] {
  if (!isRpcError(error) || error.code !== ErrorCodes.invalidParams) return [];
  const data = error.data as Partial<ErrorData> | undefined;
  if (!data || !Array.isArray(data.errors)) return [];
  return data.errors.map((problem) => (problem.source ? `${problem.source}: ${problem.detail}` : problem.detail));
}

export const SIGN_IN_UNAVAILABLE =
  "Confluent Cloud sign-in is not available in this sidecar version: update ide-sidecar to sign in. The connection is kept and shows 'not connected' until then.";

/** "Could not <action>: <why>", with every validation problem when there are some. */
export function describeError(action: string, error: unknown): string {
  const problems = validationProblems(error);
  if (problems.length > 0) return `Could not ${action}: ${problems.join("; ")}`;
  if (isRpcError(error)) {
    switch (error.code) {
      case ErrorCodes.connectionNotFound:
        return `Could not ${action}: the sidecar does not know this connection (it may have restarted); refresh the view`;
      case ErrorCodes.connectionExists:
        return `Could not ${action}: a connection with this id already exists`;
      case ErrorCodes.methodNotFound:
        return `Could not ${action}: this sidecar version does not support it (${error.message})`;
      default:
        return `Could not ${action}: ${error.message}`;
    }
  }
  return `Could not ${action}: ${error instanceof Error ? error.message : String(error)}`;
}
