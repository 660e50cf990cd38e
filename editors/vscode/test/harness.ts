// What the protocol tests share: finding the sidecar binary and tansu, free ports, and waiting with a bound (a
// hang fails with a message naming what hung, instead of stalling the run).
import { type ChildProcess } from "node:child_process";
import type { MessageConnection } from "vscode-jsonrpc/node";
import { existsSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";

export const REPO = resolve(__dirname, "..", "..", "..", "..");
export const WAIT_MS = 20_000;

export function sidecarBinary(): string {
  const path = process.env.IDE_SIDECAR_BIN ?? join(REPO, "target", "debug", "ide-sidecar");
  if (!existsSync(path)) throw new Error(`no sidecar binary at ${path}: run \`cargo build\` in ${REPO} or set IDE_SIDECAR_BIN`);
  return path;
}

/** The fake Confluent Cloud (`cargo build --example fake_ccloud`): FAKE_CCLOUD_BIN, else next to the sidecar binary. */
export function fakeCCloudBinary(): string {
  const path = process.env.FAKE_CCLOUD_BIN ?? join(dirname(sidecarBinary()), "examples", "fake_ccloud");
  if (!existsSync(path)) throw new Error(`no fake Confluent Cloud at ${path}: run \`cargo build --example fake_ccloud\` in ${REPO} or set FAKE_CCLOUD_BIN`);
  return path;
}

export function tansuBinary(): string {
  const candidates = [process.env.TANSU, join(homedir(), ".cargo", "bin", "tansu")];
  for (const dir of (process.env.PATH ?? "").split(":")) if (dir) candidates.push(join(dir, "tansu"));
  const found = candidates.find((path) => path && existsSync(path));
  if (!found) throw new Error("tansu not found: cargo install tansu --version 0.6.0 --features dynostore,libsql, or set TANSU");
  return found;
}

/** Rejects with a message naming what hung when `promise` takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function waitForPort(port: number, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const socket = createConnection({ host: "127.0.0.1", port }, () => {
        socket.end();
        done(true);
      });
      socket.on("error", () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} to listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}

/** Ends a sidecar as an editor does (shutdown, exit), killing it if it does not exit within `ms`; disposes the connection. */
export async function stopSidecar(connection: MessageConnection | undefined, child: ChildProcess | undefined, ms = 5000): Promise<void> {
  if (connection && child?.exitCode === null) {
    await within(connection.sendRequest("shutdown"), "the shutdown result", ms).catch(() => undefined);
    await connection.sendNotification("exit").catch(() => undefined);
    await within(exitOf(child), "the sidecar to exit", ms).catch(() => child.kill("SIGKILL"));
  }
  connection?.dispose();
}

