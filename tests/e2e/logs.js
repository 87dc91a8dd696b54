// Log hygiene across the whole suite: every Worker started by the fixture
// has its workerd stdout/stderr written to E2E_LOG_DIR, and the test
// helpers note every sensitive value they hand out or receive (tokens, their
// signatures, S3 secret keys, URL signatures). check-logs.mjs then asserts
// that the Worker's logs are structured JSON lines and that none of those
// values, nor anything shaped like them, ever appears.
import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const LOG_DIR = process.env.E2E_LOG_DIR ?? join(tmpdir(), "upload-signer-e2e-logs");
mkdirSync(LOG_DIR, { recursive: true });
const logFile = join(LOG_DIR, `worker-${process.pid}.log`);
const sensitiveFile = join(LOG_DIR, `sensitive-${process.pid}.jsonl`);
const noted = new Set();

/** Miniflare's `handleRuntimeStdio`: keeps everything workerd prints. */
export function captureStdio(stdout, stderr) {
  for (const [stream, name] of [[stdout, "stdout"], [stderr, "stderr"]]) {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop();
      if (lines.length) appendFileSync(logFile, lines.map((l) => `${name}\t${l}\n`).join(""));
    });
    stream.on("end", () => rest && appendFileSync(logFile, `${name}\t${rest}\n`));
  }
}

/** Remembers a value that must never reach a log line. */
export function noteSensitive(kind, value) {
  if (typeof value !== "string" || value.length < 8 || noted.has(value)) return;
  noted.add(value);
  appendFileSync(sensitiveFile, `${JSON.stringify({ kind, value })}\n`);
}

/** Notes a JWT and its signature segment. */
export function noteToken(token) {
  noteSensitive("token", token);
  noteSensitive("token signature", token.split(".")[2]);
}

/** Notes the secret-bearing bindings a Worker is started with. */
export function noteBindings(bindings) {
  for (const name of ["S3_SECRET_ACCESS_KEY", "S3_SESSION_TOKEN", "CLERK_JWT_KEY"]) {
    if (bindings[name]) noteSensitive(name, String(bindings[name]));
  }
}

/**
 * The `reason`s of the request lines this process's Workers logged so far
 * (workerd's output arrives asynchronously: poll with `waitForReason`).
 */
export function loggedReasons() {
  let text = "";
  try {
    text = readFileSync(logFile, "utf8");
  } catch {
    return [];
  }
  const reasons = [];
  for (const line of text.split("\n")) {
    const json = line.slice(line.indexOf("\t") + 1);
    if (!json.startsWith("{")) continue;
    try {
      const entry = JSON.parse(json);
      if (entry.event === "request" && entry.reason) reasons.push(entry.reason);
    } catch {
      // not a structured line; check-logs.mjs judges those
    }
  }
  return reasons;
}

/** Resolves once `reason` has been logged more than `before` times (2 s at most). */
export async function waitForReason(reason, before) {
  const count = () => loggedReasons().filter((r) => r === reason).length;
  for (let i = 0; i < 40 && count() <= before; i++) await new Promise((r) => setTimeout(r, 50));
  return count();
}
