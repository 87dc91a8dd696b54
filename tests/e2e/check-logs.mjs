// Runs after the suite (npm test): the Worker's logs from every spec, as
// captured by logs.js, must be structured and must leak nothing.
//   node check-logs.mjs          check
//   node check-logs.mjs --reset  empty the log directory first
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LOG_DIR } from "./logs.js";

if (process.argv.includes("--reset")) {
  rmSync(LOG_DIR, { recursive: true, force: true });
  process.exit(0);
}

const files = readdirSync(LOG_DIR);
const read = (prefix) => files.filter((f) => f.startsWith(prefix)).map((f) => readFileSync(join(LOG_DIR, f), "utf8")).join("");
const lines = read("worker-").split("\n").filter(Boolean).map((l) => l.slice(l.indexOf("\t") + 1));
const sensitive = read("sensitive-").split("\n").filter(Boolean).map((l) => JSON.parse(l));

// What may never appear, beyond the exact values noted by the helpers.
const SHAPES = [
  [/eyJ[\w-]{8,}\.[\w-]{8,}/, "a JWT"],
  [/X-Amz-Signature/i, "a pre-signed URL"],
  [/-----BEGIN/, "a PEM key"],
  [/Bearer\s+\S/i, "an Authorization header"],
];

const failures = [];
const json = [];
// A failure names the kind and the line's event, never the value itself.
const where = (line) => /"event":"(\w+)"/.exec(line)?.[1] ?? `${line.length}-char line`;
for (const line of lines) {
  for (const { kind, value } of sensitive) {
    if (line.includes(value)) failures.push(`${kind} in ${where(line)}`);
  }
  for (const [re, what] of SHAPES) if (re.test(line)) failures.push(`${what} in ${where(line)}`);
  try {
    json.push(JSON.parse(line));
  } catch {
    failures.push(`a line that is not JSON: ${where(line)}`);
  }
}

const requests = json.filter((l) => l.event === "request");
const statuses = new Set(requests.map((l) => l.status));
console.log(
  `check-logs: ${lines.length} lines from the Worker (${requests.length} request lines, statuses ${[...statuses].sort().join(" ")}), ` +
    `checked against ${sensitive.length} sensitive values and ${SHAPES.length} shapes`,
);
assert.deepEqual(failures, [], `leaks in the Worker's logs:\n${failures.join("\n")}`);

// The check means something only if the suite produced the lines it checks.
assert.ok(requests.length >= 200, `only ${requests.length} request lines captured`);
assert.ok(sensitive.filter((s) => s.kind === "token").length >= 50, "too few tokens noted");
assert.ok(sensitive.some((s) => s.kind === "url signature"), "no URL signature noted");
for (const status of [200, 204, 401, 404, 405, 413, 415, 429, 500, 503]) {
  assert.ok(statuses.has(status), `no request line with status ${status}`);
}
for (const l of requests) {
  for (const field of ["level", "route", "method", "status", "duration_ms"]) assert.ok(field in l, `${field} missing: ${JSON.stringify(l)}`);
  assert.equal(l.level, l.status >= 500 ? "error" : "info", JSON.stringify(l));
  if (l.status === 200 && l.route === "upload" && l.method === "POST") assert.match(l.user, /^user_/, JSON.stringify(l));
  if (l.status === 401) assert.ok(l.reason, `401 without a reason: ${JSON.stringify(l)}`);
}
// Every other JSON line is an operational event with a level and a name.
for (const l of json) assert.ok(["info", "warn", "error"].includes(l.level) && l.event, JSON.stringify(l));
