// docs/spec.md §7 end to end: the RateLimiter Durable Object in workerd — exact under
// concurrency, per user, refilled over time, persisted across restarts —
// and the documented failure policy (fail open).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { jsonBody, TEST_STORAGE_BINDINGS, UPLOAD_PATH, withWorker } from "../fixture.js";
import { AUTH_BINDINGS, Issuer } from "../issuer.js";
import { assertMatchesOpenApi } from "../openapi.js";

const WORKER = `http://worker.test${UPLOAD_PATH}`;
const GOOD = { type: "profile", fileName: "a.png" };
const issuer = new Issuer();
const tokens = {};

before(async () => {
  await issuer.addKey("kid-a");
  for (const user of ["user_alice", "user_bob"]) tokens[user] = await issuer.token("kid-a", { sub: user, exp: Math.floor(Date.now() / 1000) + 300 });
});

const options = (extra = {}) => ({
  outbound: issuer.outbound,
  ...extra,
  bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS, ...(extra.bindings ?? {}) },
});

async function call(mf, user, body = GOOD, headers = {}) {
  const res = await mf.dispatchFetch(WORKER, {
    method: "POST",
    headers: { authorization: `Bearer ${tokens[user]}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = await jsonBody(res);
  assertMatchesOpenApi("POST", UPLOAD_PATH, res, json);
  return { res, json };
}

const remaining = (res) => Number(/;r=(\d+)/.exec(res.headers.get("ratelimit"))?.[1]);

describe("default budget (20 per 60 s)", () => {
  test("60 concurrent requests from one user: exactly 20 succeed, 40 get 429; another user is unaffected", async () => {
    await withWorker(options(), async (mf) => {
      const results = await Promise.all(Array.from({ length: 60 }, () => call(mf, "user_alice")));
      const ok = results.filter(({ res }) => res.status === 200);
      const limited = results.filter(({ res }) => res.status === 429);
      assert.equal(ok.length, 20);
      assert.equal(limited.length, 40);
      for (const { res, json } of results) {
        assert.equal(res.headers.get("ratelimit-policy"), '"upload";q=20;w=60');
        assert.match(res.headers.get("ratelimit"), /^"upload";r=\d+;t=\d+$/);
        if (res.status === 429) {
          assert.equal(json.code, "rate_limited");
          const retry = Number(res.headers.get("retry-after"));
          assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 3, `Retry-After ${retry}`);
          assert.equal(remaining(res), 0);
        }
      }
      assert.deepEqual(ok.map(({ res }) => remaining(res)).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));

      const bob = await call(mf, "user_bob");
      assert.equal(bob.res.status, 200);
      assert.equal(bob.res.headers.get("ratelimit"), '"upload";r=19;t=3');
    });
  });
});

describe("small window", () => {
  test("after waiting out Retry-After the user succeeds again", async () => {
    await withWorker(options({ bindings: { RATE_LIMIT_MAX: "5", RATE_LIMIT_WINDOW_SECONDS: "2" } }), async (mf) => {
      for (let i = 0; i < 5; i++) assert.equal((await call(mf, "user_alice")).res.status, 200);
      const { res } = await call(mf, "user_alice");
      assert.equal(res.status, 429);
      const retry = Number(res.headers.get("retry-after"));
      assert.equal(retry, 1);
      await new Promise((r) => setTimeout(r, retry * 1000));
      assert.equal((await call(mf, "user_alice")).res.status, 200);
    });
  });

  test("body errors spend budget and carry the headers; 401s do not", async () => {
    await withWorker(options({ bindings: { RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_SECONDS: "3600" } }), async (mf) => {
      const bad = await call(mf, "user_alice", { type: "nope", fileName: "a.png" });
      assert.equal(bad.res.status, 400);
      assert.equal(bad.res.headers.get("ratelimit"), '"upload";r=2;t=1200');
      const unsupported = await call(mf, "user_alice", "x", { "content-type": "text/plain" });
      assert.equal(unsupported.res.status, 415);
      assert.ok(unsupported.res.headers.get("ratelimit"));
      assert.equal((await call(mf, "user_alice")).res.status, 200);
      const limited = await call(mf, "user_alice");
      assert.equal(limited.res.status, 429);

      const unauth = await mf.dispatchFetch(WORKER, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
      assert.equal(unauth.status, 401);
      assert.equal(unauth.headers.get("ratelimit"), null);
      assert.equal(unauth.headers.get("ratelimit-policy"), null);
      await unauth.arrayBuffer();
    });
  });

  test("signing errors after the rate-limit step carry the headers", async () => {
    const { S3_BUCKET: _, ...noBucket } = TEST_STORAGE_BINDINGS;
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...noBucket }, outbound: issuer.outbound }, async (mf) => {
      const { res, json } = await call(mf, "user_alice");
      assert.equal(res.status, 500);
      assert.equal(json.code, "url_generation_failed");
      assert.equal(res.headers.get("ratelimit"), '"upload";r=19;t=3');
    });
  });

  test("an invalid budget setting is 500 server_error, not a default", async () => {
    await withWorker(options({ bindings: { RATE_LIMIT_MAX: "0" } }), async (mf) => {
      const { res, json } = await call(mf, "user_alice");
      assert.equal(res.status, 500);
      assert.equal(json.code, "server_error");
    });
  });

  test("budget settings given as TOML numbers read like strings; a fraction is invalid", async () => {
    await withWorker(options({ bindings: { RATE_LIMIT_MAX: 7, RATE_LIMIT_WINDOW_SECONDS: 70 } }), async (mf) => {
      const { res } = await call(mf, "user_alice");
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("ratelimit-policy"), '"upload";q=7;w=70');
    });
    await withWorker(options({ bindings: { RATE_LIMIT_MAX: 2.5 } }), async (mf) => {
      const { res, json } = await call(mf, "user_alice");
      assert.equal(res.status, 500);
      assert.equal(json.code, "server_error");
    });
  });
});

describe("persistence", () => {
  test("a user who spent the budget is still limited after a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upload-signer-do-"));
    const opts = options({ persistTo: dir, bindings: { RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_SECONDS: "3600" } });
    try {
      await withWorker(opts, async (mf) => {
        for (let i = 0; i < 3; i++) assert.equal((await call(mf, "user_alice")).res.status, 200);
        assert.equal((await call(mf, "user_alice")).res.status, 429);
      });
      await withWorker(opts, async (mf) => {
        const { res } = await call(mf, "user_alice");
        assert.equal(res.status, 429, "the budget survived the restart");
        assert.equal((await call(mf, "user_bob")).res.status, 200);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("storage upgrade", () => {
  test("an object written by the first layout (gcra.tat, whole ms) keeps its spent budget", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upload-signer-do-"));
    const opts = options({ persistTo: dir, bindings: { RATE_LIMIT_MAX: "3", RATE_LIMIT_WINDOW_SECONDS: "3600" } });
    try {
      // One request creates the object's SQLite file (the current layout).
      await withWorker(opts, async (mf) => assert.equal((await call(mf, "user_alice")).res.status, 200));
      // Rewrite it as the first layout would have left it: budget spent.
      const files = readdirSync(join(dir, "do"), { recursive: true }).filter((f) => String(f).endsWith(".sqlite"));
      let rewritten = 0;
      for (const f of files) {
        const db = new DatabaseSync(join(dir, "do", String(f)));
        if (db.prepare("SELECT name FROM sqlite_master WHERE name = 'gcra_v2'").get()) {
          db.exec("DROP TABLE gcra_v2; CREATE TABLE gcra (id INTEGER PRIMARY KEY CHECK (id = 0), tat REAL NOT NULL)");
          db.prepare("INSERT INTO gcra (id, tat) VALUES (0, ?)").run(Date.now() + 3600 * 1000);
          rewritten += 1;
        }
        db.close();
      }
      assert.equal(rewritten, 1, `one object file expected among ${files.join(", ")}`);
      await withWorker(opts, async (mf) => {
        const { res } = await call(mf, "user_alice");
        assert.equal(res.status, 429, "the old row was read: the budget is still spent");
        // One unit comes back after window / max = 1200 s.
        assert.ok(Math.abs(Number(res.headers.get("retry-after")) - 1200) <= 2, res.headers.get("retry-after"));
        assert.equal((await call(mf, "user_bob")).res.status, 200);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("failure policy: per-isolate fallback", () => {
  for (const mode of ["broken", "absent"]) {
    test(`limiter ${mode === "broken" ? "throwing" : "not bound"}: uploads go on, still within the budget`, async () => {
      await withWorker(options({ rateLimiter: mode }), async (mf) => {
        const results = [];
        for (let i = 0; i < 25; i++) results.push(await call(mf, "user_alice"));
        assert.equal(results.filter(({ res }) => res.status === 200).length, 20);
        assert.equal(results.filter(({ res }) => res.status === 429).length, 5);
        for (const { res } of results) assert.equal(res.headers.get("ratelimit-policy"), '"upload";q=20;w=60');
        assert.equal((await call(mf, "user_bob")).res.status, 200);
      });
    });
  }
});
