// The README's run command, in one process: everything a newcomer needs to
// upload a real file from a real browser on this machine, with no Clerk
// account and no cloud bucket. DEVELOPMENT ONLY.
//
//   :9000  local S3 — two real s3s-fs servers over one data directory:
//          one with keys (verifies SigV4, refuses tampered URLs) takes every
//          signed request; one without keys serves anonymous GET/HEAD of
//          objects (public reads at the Worker's `link`). This front routes
//          between them and answers CORS for the demo origin, as a bucket
//          CORS rule would.
//   :8788  development token issuer: JWKS + Clerk-shaped session tokens
//   :8789  demo page (/) and the Uppy page (/uppy/, bundled here at start
//          from npm's Uppy by dev/uppy/build.mjs)
//   :8787  the Worker (`wrangler dev`)
//
// Ports and the state directory can be moved with WORKER_PORT, S3_PORT,
// ISSUER_PORT, DEMO_PORT and LOCAL_STACK_DIR (the browser test does).
// WORKER_VARS, a JSON object of strings, adds to or overrides the Worker's
// settings for this run (scripts/api-fuzz.sh raises RATE_LIMIT_MAX with it);
// unset, the Worker gets dev/dev.env as it is.
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import { samplePng } from "./sample-png.mjs";
import { buildUppy } from "./uppy/build.mjs";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const port = (name, fallback) => Number(process.env[name] ?? fallback);
const PORTS = {
  worker: port("WORKER_PORT", 8787),
  s3: port("S3_PORT", 9000),
  issuer: port("ISSUER_PORT", 8788),
  demo: port("DEMO_PORT", 8789),
};
const HOST = "127.0.0.1";
const STATE = resolve(ROOT, process.env.LOCAL_STACK_DIR ?? ".local-stack");
const URLS = {
  worker: `http://${HOST}:${PORTS.worker}`,
  s3: `http://${HOST}:${PORTS.s3}`,
  issuer: `http://${HOST}:${PORTS.issuer}`,
  demo: `http://${HOST}:${PORTS.demo}`,
};

/** dev/dev.env (development-only values), with this run's ports. */
function devEnv() {
  const env = {};
  for (const line of readFileSync(join(ROOT, "dev/dev.env"), "utf8").split("\n")) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (m) env[m[1]] = m[2];
  }
  return {
    ...env,
    S3_ENDPOINT: URLS.s3,
    CLERK_JWKS_URL: `${URLS.issuer}/.well-known/jwks.json`,
    CLERK_ISSUER: URLS.issuer,
    CLERK_AUTHORIZED_PARTIES: URLS.demo,
    CORS_ALLOWED_ORIGINS: URLS.demo,
    ...extraVars(),
  };
}

/** WORKER_VARS: {"NAME": "value", …}, applied last. */
function extraVars() {
  const raw = process.env.WORKER_VARS;
  if (!raw) return {};
  const vars = JSON.parse(raw);
  if (typeof vars !== "object" || vars === null || Array.isArray(vars)) throw new Error("WORKER_VARS must be a JSON object");
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[A-Z0-9_]+$/.test(k) || typeof v !== "string" || /[\r\n]/.test(v)) {
      throw new Error(`WORKER_VARS: ${k} must be an upper-case name with a one-line string value`);
    }
  }
  return vars;
}
const ENV = devEnv();

const children = [];
let stopping = false;
/** Signals a child's whole process group (wrangler runs workerd under it). */
function signal(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    // already gone
  }
}
function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const child of alive()) signal(child, "SIGTERM");
  const deadline = Date.now() + 3000;
  const poll = setInterval(() => {
    if (alive().length === 0 || Date.now() > deadline) {
      // Whatever ignored SIGTERM (wrangler sometimes does) is killed outright.
      for (const child of alive()) signal(child, "SIGKILL");
      clearInterval(poll);
      process.exit(code);
    }
  }, 50);
}
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

function run(name, cmd, args, opts = {}) {
  // Own process group, so stop() can take down a child with its children.
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], detached: true, ...opts });
  const prefix = (chunk) =>
    chunk
      .toString()
      .split("\n")
      .filter((l) => l.trim())
      .forEach((l) => process.stdout.write(`[${name}] ${l}\n`));
  if (opts.quiet) {
    child.stdout.resume();
    child.stderr.resume();
  } else {
    child.stdout.on("data", prefix);
    child.stderr.on("data", prefix);
  }
  child.on("exit", (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited (${signal ?? code}); stopping the stack`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once("error", rej);
    srv.listen(0, HOST, () => {
      const { port: p } = srv.address();
      srv.close(() => res(p));
    });
  });
}

async function waitFor(url, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) throw new Error("stack stopped");
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`${what} did not come up at ${url}`);
}

// ---------------------------------------------------------------- local S3
const s3sFs = process.env.S3S_FS_BIN ?? join(process.env.CARGO_HOME ?? join(homedir(), ".cargo"), "bin", "s3s-fs");

async function startS3() {
  if (!existsSync(s3sFs)) throw new Error(`s3s-fs not found at ${s3sFs}: run scripts/ensure-tools.sh`);
  const data = join(STATE, "s3");
  mkdirSync(join(data, ENV.S3_BUCKET), { recursive: true });
  const signedPort = await freePort();
  run("s3-signed", s3sFs, ["--host", HOST, "--port", String(signedPort),
    "--access-key", ENV.S3_ACCESS_KEY_ID, "--secret-key", ENV.S3_SECRET_ACCESS_KEY, data], { quiet: true });
  const publicPort = await freePort();
  run("s3-public", s3sFs, ["--host", HOST, "--port", String(publicPort), data], { quiet: true });

  const corsHeaders = (origin) =>
    origin === URLS.demo
      ? { "Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": "ETag", Vary: "Origin" }
      : { Vary: "Origin" };

  const front = http.createServer((req, res) => {
    const origin = req.headers.origin;
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      const allowed = origin === URLS.demo;
      res.writeHead(204, {
        ...corsHeaders(origin),
        ...(allowed
          ? {
              "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST",
              "Access-Control-Allow-Headers": req.headers["access-control-request-headers"] ?? "Content-Type",
              "Access-Control-Max-Age": "600",
            }
          : {}),
      });
      res.end();
      return;
    }
    const url = new URL(req.url, URLS.s3);
    const signed = url.searchParams.has("X-Amz-Signature") || req.headers.authorization;
    // Anonymous reads of objects (never of a bucket listing) are public.
    const objectPath = url.pathname.split("/").filter(Boolean).length >= 2;
    const anonymousRead = !signed && (req.method === "GET" || req.method === "HEAD") && objectPath;
    const target = anonymousRead ? publicPort : signedPort;
    // The request goes on untouched — same path, query and Host header — so
    // s3s-fs checks the signature the browser's request carries.
    const upstream = http.request(
      { host: HOST, port: target, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode, { ...up.headers, ...corsHeaders(origin) });
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, corsHeaders(origin));
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise((r) => front.listen(PORTS.s3, HOST, r));
  await waitFor(`http://${HOST}:${signedPort}/`, "s3s-fs (signed)");
  await waitFor(`http://${HOST}:${publicPort}/`, "s3s-fs (public)");
}

// ----------------------------------------------------------- token issuer
const SUB = /^[A-Za-z0-9_-]{1,128}$/;

async function issuerKey() {
  // Kept across restarts so the Worker's cached JWKS stays valid.
  const file = join(STATE, "issuer-key.json");
  if (existsSync(file)) {
    const jwk = JSON.parse(readFileSync(file, "utf8"));
    return { kid: jwk.kid, privateKey: await importJWK(jwk, "RS256"), publicJwk: publicPart(jwk) };
  }
  const { privateKey } = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `dev-${randomUUID().slice(0, 8)}`, alg: "RS256", use: "sig" };
  writeFileSync(file, JSON.stringify(jwk), { mode: 0o600 });
  return { kid: jwk.kid, privateKey, publicJwk: publicPart(jwk) };
}

function publicPart({ kty, n, e, kid, alg, use }) {
  return { kty, n, e, kid, alg, use };
}

async function startIssuer() {
  const key = await issuerKey();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, URLS.issuer);
    const cors = { "Access-Control-Allow-Origin": "*", "Cache-Control": "no-store" };
    if (url.pathname === "/.well-known/jwks.json") {
      res.writeHead(200, { ...cors, "Content-Type": "application/json" });
      res.end(JSON.stringify({ keys: [key.publicJwk] }));
      return;
    }
    if (url.pathname === "/token") {
      const sub = url.searchParams.get("sub") ?? "user_demo";
      if (!SUB.test(sub)) {
        res.writeHead(400, { ...cors, "Content-Type": "text/plain" });
        res.end("sub must match [A-Za-z0-9_-]{1,128}\n");
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const token = await new SignJWT({ azp: URLS.demo, sid: `sess_dev_${randomUUID().slice(0, 8)}`, sts: "active", v: 2 })
        // A Clerk session token's header: only session tokens are accepted.
        .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT", cat: "cl_B7d4PD111AAA" })
        .setSubject(sub)
        .setIssuer(URLS.issuer)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 60)
        .sign(key.privateKey);
      res.writeHead(200, { ...cors, "Content-Type": "text/plain" });
      res.end(token);
      return;
    }
    res.writeHead(404, cors);
    res.end();
  });
  await new Promise((r) => server.listen(PORTS.issuer, HOST, r));
}

// ------------------------------------------------------- demo + Uppy pages
async function startDemo() {
  const config = JSON.stringify({ worker: URLS.worker, issuer: URLS.issuer });
  const html = (file) => readFileSync(join(ROOT, file), "utf8").replace("__CONFIG__", config);
  const bundle = await buildUppy(); // dev/uppy/main.js + Uppy's CSS, from node_modules
  const files = {
    "/": ["text/html; charset=utf-8", html("dev/demo/index.html")],
    "/confirm.js": ["text/javascript; charset=utf-8", readFileSync(join(ROOT, "dev/confirm.js"))],
    "/uppy/": ["text/html; charset=utf-8", html("dev/uppy/index.html")],
    "/uppy/uppy.js": ["text/javascript; charset=utf-8", bundle["uppy.js"]],
    "/uppy/uppy.css": ["text/css; charset=utf-8", bundle["uppy.css"]],
  };
  files["/index.html"] = files["/"];
  files["/uppy"] = files["/uppy/"];
  const server = http.createServer((req, res) => {
    const file = files[new URL(req.url, URLS.demo).pathname];
    if (file && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "Content-Type": file[0], "Cache-Control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : file[1]);
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise((r) => server.listen(PORTS.demo, HOST, r));
}

// ------------------------------------------------------------------ worker
function startWorker() {
  const envFile = join(STATE, "worker.env");
  writeFileSync(envFile, `${Object.entries(ENV).map(([k, v]) => `${k}=${v}`).join("\n")}\n`);
  const bin = join(ROOT, "node_modules/.bin");
  run("worker", join(bin, "wrangler"), [
    "dev", "--ip", HOST, "--port", String(PORTS.worker),
    "--env-file", envFile, "--persist-to", join(STATE, "wrangler-state"), "--show-interactive-dev-session=false",
  ], { cwd: ROOT, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false" } });
}

function curlSequence(sample) {
  return [
    `TOKEN=$(curl -sf '${URLS.issuer}/token?sub=user_demo')`,
    `curl -sf ${URLS.worker}/api/v1/s3/generatePreSignedURL -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"type":"profile","fileName":"hello.png"}' > /tmp/upload-signer-url.json`,
    `URL=$(sed -E 's/.*"url":"([^"]*)".*/\\1/' /tmp/upload-signer-url.json)`,
    `LINK=$(sed -E 's/.*"link":"([^"]*)".*/\\1/' /tmp/upload-signer-url.json)`,
    `curl -sf -X PUT "$URL" -H 'Content-Type: image/png' --data-binary @${sample} && echo uploaded`,
    `curl -sf -o /dev/null -w '%{http_code} %{content_type} %{size_download} bytes\\n' "$LINK"`,
  ].join("\n");
}

async function main() {
  mkdirSync(STATE, { recursive: true });
  const sample = join(STATE, "hello.png");
  writeFileSync(sample, samplePng());
  await startS3();
  await startIssuer();
  await startDemo();
  startWorker();
  await waitFor(`${URLS.worker}/healthz`, "the Worker (wrangler dev)", 180_000);
  const sequence = curlSequence(sample);
  writeFileSync(join(STATE, "try-it.sh"), `#!/usr/bin/env bash\nset -euo pipefail\n${sequence}\n`, { mode: 0o755 });
  console.log(`
==> local stack ready (development only; Ctrl-C stops everything)
    Worker      ${URLS.worker}   (wrangler dev; try ${URLS.worker}/healthz)
    demo page   ${URLS.demo}   <- open this in a browser
    Uppy page   ${URLS.demo}/uppy/   (Uppy's Dashboard + @uppy/aws-s3, PUT or POST)
    local S3    ${URLS.s3}   (s3s-fs: signed requests verified; public reads; bucket ${ENV.S3_BUCKET})
    issuer      ${URLS.issuer}   (JWKS at /.well-known/jwks.json; a token: ${URLS.issuer}/token?sub=user_demo)
    data        ${STATE}

==> try it from a shell (also saved as ${join(STATE, "try-it.sh")}):
${sequence}
`);
}

main().catch((err) => {
  console.error(`local stack failed: ${err.message}`);
  stop(1);
});
