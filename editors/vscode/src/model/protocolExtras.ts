// The capabilities object, and the method names and error codes generated into `../protocol` from the sidecar's
// schema/protocol.json (re-exported here, where the rest of the extension has always found them). Every params and
// result type comes from the generated `../protocol` too.

export { ErrorCodes, EVENT_NOTIFICATION, Methods, Notifications } from "../protocol";

/** What `initialize` reports under `capabilities.experimental.sidecar` (README.md "Protocol"). */
export interface SidecarCapabilities {
  protocol_version?: string;
  connection_types?: string[];
  credential_types?: string[];
  store_types?: string[];
  methods?: string[];
  notifications?: string[];
  error_codes?: unknown;
  /** Present when the sidecar keeps connections in its shared store (`initializationOptions.store`). */
  store?: { directory?: string; keychain?: boolean; message?: string | null };
}

/** Reads the sidecar's capabilities out of an `initialize` result, tolerating anything missing. */
export function sidecarCapabilities(initializeResult: unknown): SidecarCapabilities {
  const result = initializeResult as { capabilities?: { experimental?: { sidecar?: SidecarCapabilities } } } | undefined;
  return result?.capabilities?.experimental?.sidecar ?? {};
}
