// Where the sidecar binary is: the `ide-sidecar.path` setting, else the one bundled in a platform-specific .vsix
// (`bin/ide-sidecar` in the extension's folder), else `ide-sidecar` on PATH. No `vscode` import.
import { accessSync, chmodSync, constants, existsSync, statSync } from "node:fs";
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

/** Where a platform-specific .vsix carries the binary, relative to the extension's folder. */
export function bundledBinary(extensionPath: string): string {
  return join(extensionPath, "bin", BINARY_NAME);
}

/**
 * Resolves the binary: the configured path when set (it must be an executable file), else the bundled one under
 * `extensionPath` (made executable if an unzip lost its mode), else the first `ide-sidecar` on `pathEnv`. The error
 * says what to do.
 */
export function findSidecarBinary(configured: string | undefined, pathEnv: string | undefined, extensionPath?: string): BinaryLookup {
  const setting = configured?.trim();
  if (setting) {
    if (!isAbsolute(setting)) return { error: `The setting ide-sidecar.path must be an absolute path, not '${setting}'` };
    return isExecutableFile(setting)
      ? { path: setting }
      : { error: `The setting ide-sidecar.path is '${setting}', which is not an executable file` };
  }
  if (extensionPath !== undefined) {
    const bundled = bundledBinary(extensionPath);
    if (existsSync(bundled) && !isExecutableFile(bundled) && process.platform !== "win32") {
      try {
        chmodSync(bundled, 0o755);
      } catch {
        // Read-only install: PATH below, and the error names the setting.
      }
    }
    if (isExecutableFile(bundled)) return { path: bundled };
  }
  for (const dir of (pathEnv ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, BINARY_NAME);
    if (isExecutableFile(candidate)) return { path: candidate };
  }
  return {
    error: `Cannot find ${BINARY_NAME} (not bundled in this extension, not on PATH): install the extension's platform-specific .vsix, put it on PATH (cargo install --path . in the ide-sidecar repository), or set ide-sidecar.path to the binary`,
  };
}
