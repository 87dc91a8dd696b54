// Shared by run.mjs (the benchmark) and ceiling.mjs (where the time goes):
// Clerk-shaped tokens, the two Workers in Miniflare, wrk, start-up timing.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, "../..");
export const DURATION = process.env.BENCH_SECONDS ?? "5";
export const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? "8";
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ISSUER = "https://clerk.bench.test";
const APP = "https://app.bench.test";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "RS256", use: "sig" };
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
const header = b64({ alg: "RS256", kid: "bench", typ: "JWT" });
let serial = 0;
export function token(sub) {
  const now = Math.floor(Date.now() / 1000);
  serial += 1;
  const input = `${header}.${b64({ sub, iss: ISSUER, azp: APP, sid: `sess_${serial}`, sts: "active", v: 2, iat: now, nbf: now, exp: now + 3600 })}`;
  return `${input}.${sign("sha256", Buffer.from(input), privateKey).toString("base64url")}`;
}

const bindings = {
  CLERK_JWKS_URL: `${ISSUER}/.well-known/jwks.json`,
  CLERK_ISSUER: ISSUER,
  CLERK_AUTHORIZED_PARTIES: APP,
  S3_BUCKET: "bench-bucket",
  S3_ACCESS_KEY_ID: "AKIDBENCHONLY",
  S3_SECRET_ACCESS_KEY: "bench-only-secret",
  RATE_LIMIT_MAX: "4000000000",
  RATE_LIMIT_WINDOW_SECONDS: "60",
};
const outboundService = (req) =>
  req.url === bindings.CLERK_JWKS_URL ? Response.json({ keys: [jwk] }) : new Response("no", { status: 599 });
const common = {
  host: "127.0.0.1",
  port: 0,
  compatibilityDate: "2026-07-01",
  kvNamespaces: ["JWKS_CACHE"],
  durableObjects: { RATE_LIMITER: { className: "RateLimiter", useSQLite: true } },
  bindings,
  outboundService,
  // Both Workers' console output is read and dropped, the same way: our
  // Worker writes one JSON line per request (the reference none), and
  // printing those from this process would load the machine the benchmark
  // runs on. workerd still writes every line.
  handleRuntimeStdio(stdout, stderr) {
    stdout.resume();
    stderr.resume();
  },
};
/** Each Worker, optionally with its RATE_LIMITER left unbound (no DO hop). */
export const WORKERS = {
  "upload-signer (Rust/wasm)": (noDO = false) =>
    new Miniflare({
      ...common,
      ...(noDO ? { durableObjects: {} } : {}),
      modules: true,
      scriptPath: join(ROOT, "build/index.js"),
      modulesRoot: join(ROOT, "build"),
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    }),
  "reference (JS: jose + aws4fetch)": (noDO = false) =>
    new Miniflare({ ...common, ...(noDO ? { durableObjects: {} } : {}), modules: true, scriptPath: join(here, "build/reference.js") }),
};

const dir = mkdtempSync(join(tmpdir(), "upload-signer-bench-"));
// Async: Miniflare answers the Worker's outbound fetches (the JWKS) from this
// process, so its event loop must keep running while wrk does.
export async function wrk(url, tokens, { health = false } = {}) {
  const file = join(dir, "tokens.txt");
  writeFileSync(file, tokens.join("\n"));
  const { stdout: out } = await promisify(execFile)("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${DURATION}s`, "-s", join(here, "post.lua"), url], {
    env: { ...process.env, TOKENS: file, ...(health ? { HEALTH: "1" } : {}) },
    encoding: "utf8",
  });
  const m = /RESULT requests=(\d+) rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+)/.exec(out);
  if (!m) throw new Error(`no wrk result:\n${out}`);
  return { requests: +m[1], rps: +m[2], p50: +m[3], p99: +m[4], non2xx: +m[5] };
}

export async function coldStart(make) {
  const t0 = performance.now();
  const mf = make();
  const url = await mf.ready;
  const res = await fetch(new URL("/healthz", url));
  await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  return ms;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
