// Copies the sidecar binary into bin/ (git-ignored) for a platform-specific .vsix (`npm run package:linux-x64`).
// Which binary: IDE_SIDECAR_BIN, else the release build, else the debug build of the repository (under
// CARGO_TARGET_DIR when set, else ../../target). The copy is stripped of debug info when `strip` is there (a debug
// build's 280 MB become about 65 MB; symbol names stay, for backtraces), so the .vsix stays small enough to install.
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const extensionDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(extensionDir, "..", "..");
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repo, process.env.CARGO_TARGET_DIR) : join(repo, "target");
const candidates = process.env.IDE_SIDECAR_BIN
  ? [resolve(process.env.IDE_SIDECAR_BIN)]
  : [join(targetDir, "release", "ide-sidecar"), join(targetDir, "debug", "ide-sidecar")];
const source = candidates.find((path) => existsSync(path));
if (!source) {
  console.error(`No sidecar binary at ${candidates.join(" or ")}: run \`cargo build --release\` in ${repo}, or set IDE_SIDECAR_BIN`);
  process.exit(1);
}
const bin = join(extensionDir, "bin");
const copy = join(bin, "ide-sidecar");
rmSync(bin, { recursive: true, force: true });
mkdirSync(bin);
copyFileSync(source, copy);
const strip = spawnSync("strip", ["--strip-debug", copy], { stdio: "inherit" });
if (strip.error) console.warn(`strip: ${strip.error.message} (the binary is bundled as it is)`);
else if (strip.status !== 0) throw new Error(`strip --strip-debug ${copy} failed with exit code ${strip.status}`);
chmodSync(copy, 0o755);
console.log(`bundled ${source} as ${copy} (${(statSync(copy).size / 1e6).toFixed(1)} MB)`);
