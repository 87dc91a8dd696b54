// End-to-end benchmark: upload-signer (../../build) vs the reference
// JavaScript Worker (reference/worker.js, bundled with esbuild), both in
// workerd via Miniflare on loopback, loaded alternately (A B A B) by wrk with
// the same requests and valid Clerk-shaped tokens. Prints a Markdown table.
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
const DURATION = process.env.BENCH_SECONDS ?? "5";
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? "8";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ISSUER = "https://clerk.bench.test";
const APP = "https://app.bench.test";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: "jwk" }), kid: "bench", alg: "RS256", use: "sig" };
const b64 = (v) => Buffer.from(JSON.stringify(v)).toString("base64url");
const header = b64({ alg: "RS256", kid: "bench", typ: "JWT" });
let serial = 0;
function token(sub) {
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
};
const WORKERS = {
  "upload-signer (Rust/wasm)": () =>
    new Miniflare({
      ...common,
      modules: true,
      scriptPath: join(ROOT, "build/index.js"),
      modulesRoot: join(ROOT, "build"),
      modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    }),
  "reference (JS: jose + aws4fetch)": () =>
    new Miniflare({ ...common, modules: true, scriptPath: join(here, "build/reference.js") }),
};

const dir = mkdtempSync(join(tmpdir(), "upload-signer-bench-"));
// Async: Miniflare answers the Worker's outbound fetches (the JWKS) from this
// process, so its event loop must keep running while wrk does.
async function wrk(url, tokens) {
  const file = join(dir, "tokens.txt");
  writeFileSync(file, tokens.join("\n"));
  const { stdout: out } = await promisify(execFile)("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${DURATION}s`, "-s", join(here, "post.lua"), url], {
    env: { ...process.env, TOKENS: file },
    encoding: "utf8",
  });
  const m = /RESULT requests=(\d+) rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) non2xx=(\d+)/.exec(out);
  if (!m) throw new Error(`no wrk result:\n${out}`);
  return { requests: +m[1], rps: +m[2], p50: +m[3], p99: +m[4], non2xx: +m[5] };
}

async function coldStart(make) {
  const t0 = performance.now();
  const mf = make();
  const url = await mf.ready;
  const res = await fetch(new URL("/healthz", url));
  await res.text();
  const ms = performance.now() - t0;
  await mf.dispose();
  return ms;
}

const results = {};
for (const name of Object.keys(WORKERS)) results[name] = { cold: [], reused: [], start: [] };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const expected = Number(DURATION) * 4000; // generous upper bound of requests per run

for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(WORKERS)) {
    results[name].start.push(await coldStart(make));
    const mf = make();
    const url = `${await mf.ready}`.replace(/\/$/, "") + "/api/v1/s3/generatePreSignedURL";
    // Warm up (JWKS fetch, JIT), then cold tokens: a new token for every request.
    await wrk(url, [token("user_warm")]);
    const fresh = Array.from({ length: expected }, (_, i) => token(`user_${round}_${i % 64}`));
    const cold = await wrk(url, fresh);
    if (cold.requests >= fresh.length) console.error(`warning: ${name} reused tokens in the cold run`);
    const reused = await wrk(url, [token("user_reused")]);
    results[name].cold.push(cold);
    results[name].reused.push(reused);
    await mf.dispose();
    console.error(`round ${round + 1} ${name}: cold ${cold.rps} req/s, reused ${reused.rps} req/s (non-2xx ${cold.non2xx + reused.non2xx})`);
  }
}

const [ours, ref] = Object.keys(WORKERS);
const best = (runs, key) => median(runs.map((r) => r[key]));
const row = (label, key, unit, higherIsBetter) => {
  const a = best(results[ours][label], key);
  const b = best(results[ref][label], key);
  const ratio = higherIsBetter ? a / b : b / a;
  return `| ${label} tokens: ${key} | ${a.toFixed(unit === "req/s" ? 0 : 2)} ${unit} | ${b.toFixed(unit === "req/s" ? 0 : 2)} ${unit} | ${ratio.toFixed(2)}× |`;
};
console.log(`\n| measure (median of ${ROUNDS} alternating rounds, ${DURATION} s each, ${CONNECTIONS} connections) | upload-signer | reference JS | ours vs theirs (>1 = ours better) |`);
console.log("|---|---|---|---|");
for (const label of ["cold", "reused"]) {
  console.log(row(label, "rps", "req/s", true));
  console.log(row(label, "p50", "ms", false));
  console.log(row(label, "p99", "ms", false));
}
const sa = median(results[ours].start);
const sb = median(results[ref].start);
console.log(`| start → first response | ${sa.toFixed(0)} ms | ${sb.toFixed(0)} ms | ${(sb / sa).toFixed(2)}× |`);
const errors = Object.values(results).flatMap((r) => [...r.cold, ...r.reused]).reduce((n, r) => n + r.non2xx, 0);
console.log(`\nnon-2xx responses across all runs: ${errors}`);
