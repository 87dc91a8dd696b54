// A real signature-verifying S3 server for the suite: s3s-fs 0.14.1 (installed
// by scripts/ensure-tools.sh --test), on a free loopback port, with a
// throwaway data directory. Missing binary = failed test, never a skip.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createServer, connect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

export const S3_ACCESS_KEY = "AKIDE2ETESTONLY";
/** TEST-ONLY secret of the throwaway server. */
export const S3_SECRET_KEY = "e2e-test-only-secret/+xyz";
export const S3_BUCKET = "uploads-e2e";

function binary() {
  if (process.env.S3S_FS_BIN) return process.env.S3S_FS_BIN;
  const cargoHome = process.env.CARGO_HOME ?? join(homedir(), ".cargo");
  const bin = join(cargoHome, "bin", "s3s-fs");
  if (!existsSync(bin)) throw new Error(`s3s-fs not found at ${bin}: scripts/test.sh installs it`);
  return bin;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`s3s-fs exited with ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("s3s-fs did not listen within 15 s");
}

export async function startS3() {
  const port = await freePort();
  const root = mkdtempSync(join(tmpdir(), "upload-signer-s3-"));
  mkdirSync(join(root, S3_BUCKET));
  const child = spawn(binary(), [
    "--host", "127.0.0.1", "--port", String(port),
    "--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY, root,
  ], { stdio: "ignore" });
  await waitForPort(port, child);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Worker settings pointing at this store (path style). */
    bindings: {
      S3_BUCKET,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: "true",
      S3_ACCESS_KEY_ID: S3_ACCESS_KEY,
      S3_SECRET_ACCESS_KEY: S3_SECRET_KEY,
    },
    /** The stored bytes of `key`, or null. */
    stored(key) {
      const path = join(root, S3_BUCKET, ...key.split("/"));
      return existsSync(path) ? readFileSync(path) : null;
    },
    async stop() {
      child.kill();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * PUTs `body` to `url` with exactly `headers` (plus Host and, when not
 * given, Content-Length, as any HTTP client sends). node:http, so nothing
 * else is added or normalised. Resolves to { status, text }.
 */
export function put(url, headers, body) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const h = { ...headers };
    if (!Object.keys(h).some((k) => k.toLowerCase() === "content-length")) h["Content-Length"] = String(body.length);
    const req = http.request(
      { host: u.hostname, port: u.port, method: "PUT", path: u.pathname + u.search, headers: h, setHost: true },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * POSTs a browser-style form to `url`: every field of `fields` in order,
 * then `file` last as the field `file` (docs/spec.md §11), through
 * node:http. Resolves to { status, text }. A store may refuse a form before
 * reading the file and close the connection; the answer is taken if it
 * arrived, else the result is { status: 0, text: "connection reset…" } — a
 * refusal without a status (callers also check that nothing was stored).
 */
export function postForm(url, fields, file) {
  const boundary = `----upload-signer-e2e-${Date.now()}`;
  const parts = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="upload"\r\nContent-Type: application/octet-stream\r\n\r\n`));
  parts.push(file, Buffer.from(`\r\n--${boundary}--\r\n`));
  const body = Buffer.concat(parts);
  return new Promise((resolve) => {
    const u = new URL(url);
    let answered = false;
    const req = http.request(
      {
        host: u.hostname, port: u.port, method: "POST", path: u.pathname || "/",
        // A fresh connection each time: a refused form leaves its unread
        // body on the socket, which must not be reused.
        agent: false,
        headers: {
          "Content-Type": `multipart/form-data; boundary=${boundary}`,
          "Content-Length": String(body.length),
          Connection: "close",
        },
      },
      (res) => {
        answered = true;
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on("error", () => resolve({ status: res.statusCode, text: "" }));
      },
    );
    req.on("error", (err) => {
      setTimeout(() => answered || resolve({ status: 0, text: `connection reset (${err.code})` }), 100);
    });
    req.end(body);
  });
}
