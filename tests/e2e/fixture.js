// The one shared Miniflare fixture: loads the Worker that scripts/build-worker.sh
// built (../../build) into workerd with the bindings wrangler.toml declares.
// It builds nothing itself; a missing build is an error, never a skip.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { captureStdio, noteBindings } from "./logs.js";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "../..");
export const BUILD_DIR = join(ROOT, "build");

export const UPLOAD_PATH = "/api/v1/s3/generatePreSignedURL";

/** TEST-ONLY storage settings for suites that do not talk to a store. */
export const TEST_STORAGE_BINDINGS = {
  S3_BUCKET: "uploads-test",
  S3_ACCESS_KEY_ID: "AKIDTESTONLY",
  S3_SECRET_ACCESS_KEY: "test-only-secret",
};

/** wrangler.toml's compatibility_date, so the tests run what deploys. */
function compatibilityDate() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const m = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m);
  if (!m) throw new Error("wrangler.toml has no compatibility_date");
  return m[1];
}

/** wrangler.toml's [vars] (flat string values only, as we write them). */
export function wranglerVars() {
  const toml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const section = toml.split(/^\[vars\]\s*$/m)[1]?.split(/^\[/m)[0] ?? "";
  const vars = {};
  for (const line of section.split("\n")) {
    const m = line.match(/^([A-Z0-9_]+)\s*=\s*"([^"]*)"/);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

/**
 * Starts the built Worker.
 * @param {object} [opts]
 * @param {Record<string,string>} [opts.bindings] vars/secrets on top of wrangler.toml's [vars]
 * @param {(req: Request) => Response | Promise<Response>} [opts.outbound] answers the Worker's fetches
 * @param {string} [opts.persistTo] directory for KV and Durable Object state
 * @param {"broken"|"absent"} [opts.rateLimiter] bind RATE_LIMITER to an object
 *   that throws on every request, or leave it unbound (failure-policy tests)
 * @param {"broken"} [opts.kv] bind JWKS_CACHE to a KV look-alike whose reads
 *   throw and whose writes reject (fault tests)
 */
export function startWorker(opts = {}) {
  const script = join(BUILD_DIR, "index.js");
  if (!existsSync(script)) {
    throw new Error(`${script} is missing: build first (scripts/build-worker.sh; scripts/test.sh does it)`);
  }
  const rateLimiter = {
    undefined: { RATE_LIMITER: { className: "RateLimiter", useSQLite: true } },
    broken: { RATE_LIMITER: { className: "Broken", scriptName: "broken-limiter" } },
    absent: {},
  }[opts.rateLimiter];
  const main = {
    name: "upload-signer",
    modules: true,
    scriptPath: script,
    modulesRoot: BUILD_DIR,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"], fallthrough: true }],
    compatibilityDate: compatibilityDate(),
    kvNamespaces: opts.kv === "broken" ? [] : ["JWKS_CACHE"],
    wrappedBindings: opts.kv === "broken" ? { JWKS_CACHE: "broken-kv" } : {},
    durableObjects: rateLimiter,
    bindings: { ...wranglerVars(), ...(opts.bindings ?? {}) },
    // No test reaches the network: any fetch the Worker makes is answered here.
    outboundService:
      opts.outbound ?? (() => new Response("outbound fetch not expected in this test", { status: 599 })),
  };
  noteBindings(main.bindings);
  const persist = opts.persistTo
    ? { kvPersist: join(opts.persistTo, "kv"), durableObjectsPersist: join(opts.persistTo, "do") }
    : {};
  const stdio = { handleRuntimeStdio: captureStdio };
  const extra = [];
  if (opts.rateLimiter === "broken") {
    extra.push({
      name: "broken-limiter",
      modules: true,
      compatibilityDate: main.compatibilityDate,
      script: 'export class Broken { fetch() { throw new Error("limiter down"); } }\nexport default { fetch() { return new Response(null, { status: 404 }); } };',
      durableObjects: { BROKEN: { className: "Broken", useSQLite: true } },
    });
  }
  if (opts.kv === "broken") {
    extra.push({
      name: "broken-kv",
      modules: true,
      script:
        'const down = () => { throw new Error("kv down"); };\n' +
        'const rejects = async () => { throw new Error("kv down"); };\n' +
        "export default function () { return { get: down, getWithMetadata: down, list: down, put: rejects, delete: rejects }; }",
    });
  }
  if (extra.length === 0) return new Miniflare({ ...main, ...persist, ...stdio });
  return new Miniflare({ workers: [main, ...extra], ...persist, ...stdio });
}

/** Runs `fn(mf)` against a started Worker and disposes it afterwards. */
export async function withWorker(opts, fn) {
  const mf = startWorker(opts);
  try {
    return await fn(mf);
  } finally {
    await mf.dispose();
  }
}

/** Parses a JSON response body, failing with the raw text if it is not JSON. */
export async function jsonBody(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected JSON, got ${res.status}: ${text}`);
  }
}
