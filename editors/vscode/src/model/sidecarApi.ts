// The sidecar's methods as typed calls over any JSON-RPC `request` function: vscode-languageclient's
// `client.sendRequest` in the extension, a plain vscode-jsonrpc connection in the protocol test. No `vscode` import.
import type {
  Connection,
  ConnectionSpec,
  CreateParams,
  IdParams,
  ListResult,
  SignInParams,
  SignInResult,
  UpdateParams,
} from "../protocol";
import { isRpcError, SIGN_IN_UNAVAILABLE } from "./errors";
import { ErrorCodes, Methods } from "./protocolExtras";

export type RequestFn = (method: string, params: unknown) => Promise<unknown>;

export type SignInOutcome =
  | { kind: "started"; signInUri: string }
  | { kind: "unavailable"; message: string };

export class SidecarApi {
  constructor(private readonly request: RequestFn) {}

  private async call<P, R>(method: string, params: P): Promise<R> {
    return (await this.request(method, params)) as R;
  }

  async list(): Promise<Connection[]> {
    return (await this.call<Record<string, never>, ListResult>(Methods.listConnections, {})).data;
  }

  get(id: string): Promise<Connection> {
    return this.call<IdParams, Connection>(Methods.getConnection, { id });
  }

  create(spec: ConnectionSpec): Promise<Connection> {
    return this.call<CreateParams, Connection>(Methods.createConnection, { spec });
  }

  /** Validates and checks a spec once, storing nothing: the reply waits for the check. */
  test(spec: ConnectionSpec): Promise<Connection> {
    // A dry run of a saved connection must not collide with the saved one's id.
    const { id: _id, ...rest } = spec;
    return this.call<CreateParams, Connection>(Methods.createConnection, { spec: rest, dry_run: true });
  }

  update(id: string, spec: ConnectionSpec): Promise<Connection> {
    return this.call<UpdateParams, Connection>(Methods.updateConnection, { id, spec });
  }

  /**
   * Checks an edit of a stored connection once, storing nothing: a secret left as `********` keeps its stored value,
   * so edited answers are tested with the secret only the sidecar holds.
   */
  testUpdate(id: string, spec: ConnectionSpec): Promise<Connection> {
    return this.call<UpdateParams, Connection>(Methods.updateConnection, { id, spec, dry_run: true });
  }

  async delete(id: string): Promise<void> {
    await this.call<IdParams, null>(Methods.deleteConnection, { id });
  }

  refresh(id: string): Promise<Connection> {
    return this.call<IdParams, Connection>(Methods.refreshConnection, { id });
  }

  /** Drops a CCLOUD connection's tokens and cancels a pending sign-in. */
  signOut(id: string): Promise<Connection> {
    return this.call<IdParams, Connection>(Methods.signOut, { id });
  }

  /**
   * Starts a Confluent Cloud sign-in. A sidecar without `ccloud/signIn` answers -32601 (unknown method): that is
   * reported as `unavailable`, not thrown. Other errors are thrown.
   */
  async signIn(id: string, openBrowser: boolean): Promise<SignInOutcome> {
    try {
      const result = await this.call<SignInParams, SignInResult>(Methods.signIn, { id, open_browser: openBrowser });
      return { kind: "started", signInUri: result.sign_in_uri };
    } catch (error) {
      if (isRpcError(error) && error.code === ErrorCodes.methodNotFound) {
        return { kind: "unavailable", message: SIGN_IN_UNAVAILABLE };
      }
      throw error;
    }
  }

  /**
   * Re-creates saved connections in a sidecar that just started (it keeps nothing across runs). Returns the ones
   * that failed, with their errors, so the caller can tell the user; the others are created.
   */
  async restore(specs: ConnectionSpec[]): Promise<{ spec: ConnectionSpec; error: unknown }[]> {
    const failures: { spec: ConnectionSpec; error: unknown }[] = [];
    for (const spec of specs) {
      try {
        await this.create(spec);
      } catch (error) {
        // Already there (a restore that ran twice): make it match what was saved.
        if (isRpcError(error) && error.code === ErrorCodes.connectionExists && spec.id) {
          try {
            await this.update(spec.id, spec);
            continue;
          } catch (updateError) {
            failures.push({ spec, error: updateError });
            continue;
          }
        }
        failures.push({ spec, error });
      }
    }
    return failures;
  }
}
