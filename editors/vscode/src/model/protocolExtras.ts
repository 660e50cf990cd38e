// Method names, error codes and the capabilities object: what schema/ does not describe. Every params and result
// type comes from the generated `../protocol`.

export const Methods = {
  list: "connections/list",
  get: "connections/get",
  create: "connections/create",
  update: "connections/update",
  patch: "connections/patch",
  delete: "connections/delete",
  refresh: "connections/refresh",
  signIn: "ccloud/signIn",
  signOut: "ccloud/signOut",
} as const;

export const EVENT_NOTIFICATION = "connections/event";

/** The JSON-RPC error codes of README.md ("Error codes"). */
export const ErrorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  requestCancelled: -32800,
  notInitialized: -32002,
  connectionNotFound: -32010,
  connectionExists: -32011,
  patchConflict: -32012,
  ccloudSignInFailed: -32020,
  notCcloud: -32021,
} as const;

/** What `initialize` reports under `capabilities.experimental.sidecar` (README.md "Protocol"). */
export interface SidecarCapabilities {
  protocol_version?: string;
  connection_types?: string[];
  credential_types?: string[];
  store_types?: string[];
  methods?: string[];
  notifications?: string[];
  error_codes?: unknown;
}

/** Reads the sidecar's capabilities out of an `initialize` result, tolerating anything missing. */
export function sidecarCapabilities(initializeResult: unknown): SidecarCapabilities {
  const result = initializeResult as { capabilities?: { experimental?: { sidecar?: SidecarCapabilities } } } | undefined;
  return result?.capabilities?.experimental?.sidecar ?? {};
}
