// Where the sidecar binary is: the `ide-sidecar.path` setting, else `ide-sidecar` on PATH. No `vscode` import.
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export const BINARY_NAME = process.platform === "win32" ? "ide-sidecar.exe" : "ide-sidecar";

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, process.platform === "win32" ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export type BinaryLookup = { path: string } | { error: string };

/**
 * Resolves the binary: the configured path when set (it must be an executable file), else the first `ide-sidecar`
 * on `pathEnv`. The error says what to do.
 */
export function findSidecarBinary(configured: string | undefined, pathEnv: string | undefined): BinaryLookup {
  const setting = configured?.trim();
  if (setting) {
    if (!isAbsolute(setting)) return { error: `The setting ide-sidecar.path must be an absolute path, not '${setting}'` };
    return isExecutableFile(setting)
      ? { path: setting }
      : { error: `The setting ide-sidecar.path is '${setting}', which is not an executable file` };
  }
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY_NAME);
    if (isExecutableFile(candidate)) return { path: candidate };
  }
  return {
    error: `Cannot find ${BINARY_NAME} on PATH: install it (cargo install --path . in the ide-sidecar repository) or set ide-sidecar.path to the binary`,
  };
}
