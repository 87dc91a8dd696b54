// The run command's whole local stack (dev/local-stack.mjs: wrangler dev,
// local S3, token issuer, demo and Uppy pages) on free ports with a
// throwaway state directory, and Debian's Chromium, for one browser test file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ROOT } from "../fixture.js";
import { freePort } from "../s3.js";

export const ARTIFACTS = join(ROOT, "tests/e2e/artifacts");
/** dev/dev.env's bucket. */
const BUCKET = "uploads-dev";

/**
 * Starts the stack and a browser. `urls` has WORKER_PORT, S3_PORT,
 * ISSUER_PORT and DEMO_PORT as http://127.0.0.1:<port>; `output()` is the
 * stack's output so far; `stop()` takes both down and removes the state.
 */
export async function startStack() {
  const state = mkdtempSync(join(tmpdir(), "upload-signer-stack-"));
  const ports = { WORKER_PORT: await freePort(), S3_PORT: await freePort(), ISSUER_PORT: await freePort(), DEMO_PORT: await freePort() };
  const urls = Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, `http://127.0.0.1:${p}`]));
  let output = "";
  const stack = spawn(join(ROOT, "node_modules/.bin/node"), [join(ROOT, "dev/local-stack.mjs")], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOCAL_STACK_DIR: state },
    stdio: ["ignore", "pipe", "pipe"],
  });
  stack.stdout.on("data", (c) => (output += c));
  stack.stderr.on("data", (c) => (output += c));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack not ready in 180 s:\n${output}`)), 180_000);
    const check = () => {
      if (output.includes("local stack ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    stack.stdout.on("data", check);
    stack.once("exit", (code) => reject(new Error(`stack exited (${code}):\n${output}`)));
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });

  async function stop() {
    await browser?.close();
    if (stack.exitCode === null) {
      const exited = new Promise((r) => stack.once("exit", r));
      stack.kill("SIGTERM"); // the stack stops its own children (Ctrl-C path)
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      assert.notEqual(stack.exitCode ?? stack.signalCode, null, "the stack stops on SIGTERM");
    }
    stack.stdout.destroy();
    stack.stderr.destroy();
    rmSync(state, { recursive: true, force: true });
  }

  /** The bytes s3s-fs stored for `key` (its data directory holds objects as bucket/key files), or null. */
  function stored(key) {
    const file = join(state, "s3", BUCKET, ...key.split("/"));
    return existsSync(file) ? readFileSync(file) : null;
  }

  return { urls, browser, state, stored, stop, output: () => output };
}
