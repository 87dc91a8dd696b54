// docs/spec.md §6 and §9 end to end: Clerk tokens minted by jose / node:crypto,
// verified by the built Worker in workerd (WebCrypto), with the JWKS served
// from outboundService and every issuer fetch counted.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { jsonBody, startWorker, TEST_STORAGE_BINDINGS, UPLOAD_PATH, withWorker } from "../fixture.js";
import { APP_ORIGIN, AUTH_BINDINGS, Issuer, seedJwksCache } from "../issuer.js";
import { loggedReasons, waitForReason } from "../logs.js";

const URL_ = `http://worker.test${UPLOAD_PATH}`;
const BODY = JSON.stringify({ type: "profile", fileName: "avatar.png" });

function post(mf, { token, cookie, authorization } = {}) {
  const headers = { "content-type": "application/json" };
  if (authorization !== undefined) headers.authorization = authorization;
  else if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (cookie !== undefined) headers.cookie = cookie;
  return mf.dispatchFetch(URL_, { method: "POST", headers, body: BODY });
}

/** Authenticated: a signed URL in the user's own folder. */
async function assertAccepted(res, sub = undefined) {
  const body = await jsonBody(res);
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.status, "success");
  if (sub) assert.equal(body.data.key, `user-uploads/${sub}/profile/avatar.png`);
}

async function assertUnauthorized(res, { tokenSent = true } = {}) {
  const body = await jsonBody(res);
  assert.equal(res.status, 401, JSON.stringify(body));
  assert.deepEqual(body, { status: "error", message: body.message, code: "unauthorized" });
  assert.equal(res.headers.get("www-authenticate"), tokenSent ? 'Bearer error="invalid_token"' : "Bearer");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

describe("JWKS caching", () => {
  const issuer = new Issuer();
  const dir = mkdtempSync(join(tmpdir(), "upload-signer-kv-"));
  before(() => issuer.addKey("kid-a"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("100 concurrent valid requests cause 1 JWKS fetch; a restart with the same KV causes 0", async () => {
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound, persistTo: dir }, async (mf) => {
      const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => issuer.token("kid-a", { sub: `user_${i}` })));
      const responses = await Promise.all(tokens.map((token) => post(mf, { token })));
      for (const [i, res] of responses.entries()) await assertAccepted(res, `user_${i}`);
      assert.equal(issuer.fetches, 1);
    });
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound, persistTo: dir }, async (restarted) => {
      await assertAccepted(await post(restarted, { token: await issuer.token("kid-a") }));
      assert.equal(issuer.fetches, 1, "the restarted Worker reads the set from KV");
    });
  });
});

describe("key rotation", () => {
  test("a token from a newly published key is accepted after one refetch", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-old");
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      // The set holding only the old key was fetched 60 s ago: fresh, and past the 30 s cooldown.
      await seedJwksCache(mf, issuer.jwks(), 60);
      await assertAccepted(await post(mf, { token: await issuer.token("kid-old") }));
      assert.equal(issuer.fetches, 0);

      await issuer.addKey("kid-new");
      await assertAccepted(await post(mf, { token: await issuer.token("kid-new") }));
      assert.equal(issuer.fetches, 1);
      await assertAccepted(await post(mf, { token: await issuer.token("kid-new") }));
      await assertAccepted(await post(mf, { token: await issuer.token("kid-old") }));
      assert.equal(issuer.fetches, 1);
    });
  });
});

describe("cooldown across isolates", () => {
  test("a kid miss does not refetch when another isolate attempted a fetch < 30 s ago", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await issuer.addKey("kid-b", { publish: false });
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      // This isolate loads a set fetched 60 s ago (past the cooldown)...
      await seedJwksCache(mf, issuer.jwks(), 60);
      await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
      // ...then another isolate fetches (or tries) and records it in KV.
      await seedJwksCache(mf, issuer.jwks(), 0);
      issuer.published.add("kid-b");
      await assertUnauthorized(await post(mf, { token: await issuer.token("kid-b") }));
      assert.equal(issuer.fetches, 0, "the KV attempt time holds this isolate back");
    });
  });

  test("a cold isolate honours a recent attempt recorded in KV", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await issuer.addKey("kid-b", { publish: false });
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      await seedJwksCache(mf, issuer.jwks(), 5);
      issuer.published.add("kid-b");
      await assertUnauthorized(await post(mf, { token: await issuer.token("kid-b") }));
      assert.equal(issuer.fetches, 0);
    });
  });
});

describe("unknown kid flood", () => {
  test("50 tokens with random kids within 30 s of the cold fetch cause no extra fetch, all 401", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
      const before = issuer.fetches;
      for (let i = 0; i < 50; i++) {
        const kid = `random-${Math.random().toString(36).slice(2)}`;
        const token = issuer.rawToken({ alg: "RS256", kid }, issuer.claims(), "kid-a");
        await assertUnauthorized(await post(mf, { token }));
      }
      // The cold fetch counts as the previous fetch (docs/spec.md §9): nothing is refetched.
      assert.equal(issuer.fetches - before, 0);
    });
  });
});

describe("issuer outage", () => {
  for (const mode of ["error", "hang"]) {
    test(`issuer ${mode === "error" ? "returning 500" : "timing out"} with a stale set in KV: valid tokens still pass`, async () => {
      const issuer = new Issuer();
      await issuer.addKey("kid-a");
      await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
        await seedJwksCache(mf, issuer.jwks(), 2 * 3600); // stale: 2 h old
        issuer.mode = mode;
        const started = Date.now();
        await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
        assert.equal(issuer.fetches, 1);
        if (mode === "hang") assert.ok(Date.now() - started < 7500, "the fetch is cut off after ~5 s");
        // Within the cooldown the stale set serves without another attempt.
        await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
        assert.equal(issuer.fetches, 1);
      });
    });
  }

  test("issuer down with an empty cache: 503 auth_unavailable with Retry-After", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    issuer.mode = "error";
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      const res = await post(mf, { token: await issuer.token("kid-a") });
      const body = await jsonBody(res);
      assert.equal(res.status, 503);
      assert.deepEqual(body, { status: "error", message: body.message, code: "auth_unavailable" });
      assert.ok(Number(res.headers.get("retry-after")) >= 1);
      // The next request inside the cooldown does not hit the issuer again.
      assert.equal((await post(mf, { token: await issuer.token("kid-a") })).status, 503);
      assert.equal(issuer.fetches, 1);
    });
  });

  test("a kid miss while the issuer is down and a set is cached: 401, not 503", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await issuer.addKey("kid-unpublished", { publish: false });
    await withWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound }, async (mf) => {
      await seedJwksCache(mf, issuer.jwks(), 60);
      issuer.mode = "error";
      await assertUnauthorized(await post(mf, { token: await issuer.token("kid-unpublished") }));
    });
  });
});

describe("token extraction", () => {
  const issuer = new Issuer();
  let mf;
  before(async () => {
    await issuer.addKey("kid-a");
    mf = startWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound });
  });
  after(() => mf?.dispose());

  test("no credentials: 401 with a bare Bearer challenge", async () => {
    await assertUnauthorized(await post(mf), { tokenSent: false });
  });

  test("__session cookie is used when there is no Authorization header", async () => {
    const token = await issuer.token("kid-a");
    await assertAccepted(await post(mf, { cookie: `theme=dark; __session=${token}` }));
  });

  test("a bad header is not rescued by a good cookie", async () => {
    const token = await issuer.token("kid-a");
    await assertUnauthorized(await post(mf, { token: "garbage.token.here", cookie: `__session=${token}` }));
  });

  test("other schemes and an empty bearer: 401 with a bare challenge", async () => {
    await assertUnauthorized(await post(mf, { authorization: "Basic dXNlcjpwYXNz" }), { tokenSent: false });
    await assertUnauthorized(await post(mf, { authorization: "Bearer " }), { tokenSent: false });
  });

  test("two tokens in one header", async () => {
    const token = await issuer.token("kid-a");
    await assertUnauthorized(await post(mf, { authorization: `Bearer ${token} ${token}` }));
  });
});

describe("attack corpus through WebCrypto", () => {
  const issuer = new Issuer();
  let mf;
  const now = () => Math.floor(Date.now() / 1000);
  before(async () => {
    await issuer.addKey("kid-a");
    await issuer.addKey("kid-attacker", { publish: false });
    issuer.addWeakKey("kid-weak");
    mf = startWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound });
  });
  after(() => mf?.dispose());

  const b64 = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");
  const cases = {
    "alg none": () => `${b64({ alg: "none", kid: "kid-a" })}.${b64(issuer.claims())}.`,
    "HS256 signed with the public key": async () => {
      const { createHmac } = await import("node:crypto");
      const input = `${b64({ alg: "HS256", kid: "kid-a" })}.${b64(issuer.claims())}`;
      const secret = JSON.stringify(issuer.keys.get("kid-a").jwk);
      return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
    },
    "RS256 by another key with the right kid": () => issuer.rawToken({ alg: "RS256", kid: "kid-a" }, issuer.claims(), "kid-attacker"),
    "a 1024-bit key in the JWKS": () => issuer.rawToken({ alg: "RS256", kid: "kid-weak" }, issuer.claims(), "kid-weak"),
    "claims swapped under a valid signature": async () => {
      const [h, , s] = (await issuer.token("kid-a")).split(".");
      return `${h}.${b64(issuer.claims({ sub: "user_victim" }))}.${s}`;
    },
    expired: () => issuer.token("kid-a", { exp: now() - 60, iat: now() - 120, nbf: now() - 120 }),
    "nbf in the future": () => issuer.token("kid-a", { nbf: now() + 3600, exp: now() + 7200 }),
    "iat in the future": () => issuer.token("kid-a", { iat: now() + 3600 }),
    "wrong iss": () => issuer.token("kid-a", { iss: "https://evil.example" }),
    "missing azp": () => issuer.token("kid-a", { azp: undefined }),
    "unlisted azp": () => issuer.token("kid-a", { azp: "https://evil.example" }),
    "sts pending": () => issuer.token("kid-a", { sts: "pending" }),
    "missing sub": () => issuer.token("kid-a", { sub: undefined }),
    "sub with a slash": () => issuer.token("kid-a", { sub: "user/other" }),
    "sub of ..": () => issuer.token("kid-a", { sub: ".." }),
    "a 9 KiB token": () => issuer.token("kid-a", { pad: "x".repeat(9 * 1024) }),
    "three-part garbage": () => "abc.def.ghi",
    "bad base64": () => "###.$$$.%%%",
    "a header that is not an object": () => issuer.rawToken("RS256", issuer.claims(), "kid-a"),
    "a crit header": () => issuer.rawToken({ alg: "RS256", kid: "kid-a", crit: ["exp"], exp: now() + 10 }, issuer.claims(), "kid-a"),
  };
  for (const [name, make] of Object.entries(cases)) {
    test(name, async () => {
      await assertUnauthorized(await post(mf, { token: await make() }));
    });
  }

  test("control: the same issuer's valid token passes", async () => {
    await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
  });
});

describe("session tokens only", () => {
  const issuer = new Issuer();
  let mf;
  before(async () => {
    await issuer.addKey("kid-a");
    mf = startWorker({ bindings: { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS }, outbound: issuer.outbound });
  });
  after(() => mf?.dispose());

  const kinds = {
    oauth: "wrong_token_type",
    "oauth-application": "wrong_token_type",
    m2m: "wrong_token_category",
    "m2m-uncategorized": "machine_token",
    template: "wrong_token_category",
    "template-uncategorized": "missing_sid",
  };
  for (const [kind, reason] of Object.entries(kinds)) {
    test(`${kind}: 401, logged as ${reason}`, async () => {
      const before = loggedReasons().filter((r) => r === reason).length;
      await assertUnauthorized(await post(mf, { token: await issuer.tokenOfKind("kid-a", kind) }));
      assert.ok((await waitForReason(reason, before)) > before, `no request line with reason ${reason}`);
    });
  }

  test("an empty sid: 401, logged as missing_sid", async () => {
    const before = loggedReasons().filter((r) => r === "missing_sid").length;
    await assertUnauthorized(await post(mf, { token: await issuer.token("kid-a", { sid: "" }) }));
    assert.ok((await waitForReason("missing_sid", before)) > before);
  });

  test("sessions pass: v2 organization claims, v1 org_* claims, impersonation, no typ/cat", async () => {
    const o = { id: "org_2xyz", rol: "admin", slg: "acme", per: "manage,read", fpm: "3" };
    const tokens = [
      await issuer.token("kid-a", { o, fva: [5, -1], pla: "u:pro", fea: "u:uploads" }),
      await issuer.token("kid-a", { v: undefined, org_id: "org_2xyz", org_role: "org:admin", org_slug: "acme", org_permissions: [] }),
      await issuer.token("kid-a", { act: { sub: "user_2admin", sid: "sess_2admin" } }),
      await issuer.token("kid-a", {}, { typ: undefined, cat: undefined }),
      await issuer.token("kid-a", {}, { cat: "cl_I7d4PD111III" }),
    ];
    for (const token of tokens) await assertAccepted(await post(mf, { token }), "user_2abc");
  });
});

describe("verified-token cache", () => {
  test("a token accepted (and cached) is refused once its exp has passed", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    const bindings = { ...AUTH_BINDINGS, ...TEST_STORAGE_BINDINGS, CLERK_CLOCK_SKEW_SECONDS: "0" };
    await withWorker({ bindings, outbound: issuer.outbound }, async (mf) => {
      const now = Math.floor(Date.now() / 1000);
      const token = await issuer.token("kid-a", { exp: now + 2, iat: now - 1, nbf: now - 1 });
      await assertAccepted(await post(mf, { token }));
      await assertAccepted(await post(mf, { token }));
      await new Promise((r) => setTimeout(r, (now + 3) * 1000 - Date.now() + 200));
      await assertUnauthorized(await post(mf, { token }));
    });
  });
});

describe("key from CLERK_JWT_KEY (PEM, no network)", () => {
  test("verifies without any fetch; a forged token still fails", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await issuer.addKey("kid-attacker", { publish: false });
    const { createPublicKey } = await import("node:crypto");
    const pem = createPublicKey({ key: issuer.keys.get("kid-a").jwk, format: "jwk" }).export({ type: "spki", format: "pem" });
    await withWorker({
      bindings: { CLERK_JWT_KEY: pem, CLERK_ISSUER: AUTH_BINDINGS.CLERK_ISSUER, CLERK_AUTHORIZED_PARTIES: APP_ORIGIN, ...TEST_STORAGE_BINDINGS },
      outbound: issuer.outbound,
    }, async (mf) => {
      await assertAccepted(await post(mf, { token: await issuer.token("kid-a") }));
      await assertUnauthorized(await post(mf, { token: issuer.rawToken({ alg: "RS256", kid: "kid-a" }, issuer.claims(), "kid-attacker") }));
      assert.equal(issuer.fetches, 0);
    });
  });
});

describe("auth settings", () => {
  test("no key source configured: 503 auth_unavailable", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await withWorker({ outbound: issuer.outbound }, async (mf) => {
      const res = await post(mf, { token: await issuer.token("kid-a") });
      assert.equal(res.status, 503);
      assert.equal((await jsonBody(res)).code, "auth_unavailable");
    });
  });

  test("an invalid CLERK_CLOCK_SKEW_SECONDS: 500 server_error naming nothing secret", async () => {
    const issuer = new Issuer();
    await issuer.addKey("kid-a");
    await withWorker({ bindings: { ...AUTH_BINDINGS, CLERK_CLOCK_SKEW_SECONDS: "lots" }, outbound: issuer.outbound }, async (mf) => {
      const res = await post(mf, { token: await issuer.token("kid-a") });
      const body = await jsonBody(res);
      assert.equal(res.status, 500);
      assert.equal(body.code, "server_error");
      assert.ok(!JSON.stringify(body).includes("lots"));
    });
  });
});
