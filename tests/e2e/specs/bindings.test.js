// The Worker loads with wrangler.toml's bindings: the JWKS_CACHE KV namespace
// and the RATE_LIMITER Durable Object (class RateLimiter, SQLite-backed).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jsonBody, startWorker, wranglerVars } from "../fixture.js";

let mf;

before(async () => {
  mf = startWorker();
  await mf.ready;
});
after(() => mf?.dispose());

test("JWKS_CACHE is a working KV namespace", async () => {
  const kv = await mf.getKVNamespace("JWKS_CACHE");
  await kv.put("probe", "value");
  assert.equal(await kv.get("probe"), "value");
});

test("RATE_LIMITER resolves to the exported RateLimiter class with SQLite storage", async () => {
  const ns = await mf.getDurableObjectNamespace("RATE_LIMITER");
  const stub = ns.get(ns.idFromName("user_probe"));
  const first = await jsonBody(await stub.fetch("http://do/take?max=2&window=60"));
  assert.deepEqual(first, { allowed: true, remaining: 1, reset_seconds: 30, retry_after_seconds: null });
  await jsonBody(await stub.fetch("http://do/take?max=2&window=60"));
  const third = await jsonBody(await stub.fetch("http://do/take?max=2&window=60"));
  assert.equal(third.allowed, false);
  assert.equal(third.retry_after_seconds, 30);
  const bad = await stub.fetch("http://do/take?max=0&window=60");
  assert.equal(bad.status, 400);
  await bad.arrayBuffer();
});

test("wrangler.toml [vars] carry docs/spec.md §8's defaults", () => {
  const vars = wranglerVars();
  assert.deepEqual(
    {
      S3_REGION: vars.S3_REGION,
      S3_FORCE_PATH_STYLE: vars.S3_FORCE_PATH_STYLE,
      S3_KEY_PREFIX: vars.S3_KEY_PREFIX,
      CLERK_CLOCK_SKEW_SECONDS: vars.CLERK_CLOCK_SKEW_SECONDS,
      UPLOAD_URL_TTL_SECONDS: vars.UPLOAD_URL_TTL_SECONDS,
      RATE_LIMIT_MAX: vars.RATE_LIMIT_MAX,
      RATE_LIMIT_WINDOW_SECONDS: vars.RATE_LIMIT_WINDOW_SECONDS,
    },
    {
      S3_REGION: "us-east-1",
      S3_FORCE_PATH_STYLE: "false",
      S3_KEY_PREFIX: "user-uploads",
      CLERK_CLOCK_SKEW_SECONDS: "5",
      UPLOAD_URL_TTL_SECONDS: "300",
      RATE_LIMIT_MAX: "20",
      RATE_LIMIT_WINDOW_SECONDS: "60",
    },
  );
});
