// docs/spec.md §1 and §3: /healthz, unknown paths (404) and wrong methods (405), with
// the JSON error shape and headers, against the built Worker in workerd.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { jsonBody, startWorker, UPLOAD_PATH } from "../fixture.js";
import { assertMatchesOpenApi } from "../openapi.js";

const BASE = "http://worker.test";
let mf;

before(async () => {
  mf = startWorker();
  await mf.ready;
});
after(() => mf?.dispose());

function assertJsonHeaders(res) {
  assert.equal(res.headers.get("content-type"), "application/json");
  assert.equal(res.headers.get("cache-control"), "no-store");
}

async function assertError(res, status, code) {
  assert.equal(res.status, status);
  assertJsonHeaders(res);
  const body = await jsonBody(res);
  assert.deepEqual(Object.keys(body).sort(), ["code", "message", "status"]);
  assert.equal(body.status, "error");
  assert.equal(body.code, code);
  assert.equal(typeof body.message, "string");
  assert.ok(body.message.length > 0);
  return body;
}

describe("GET /healthz", () => {
  test("answers 200 {status: ok} with no-store", async () => {
    const res = await mf.dispatchFetch(`${BASE}/healthz`);
    assert.equal(res.status, 200);
    assertJsonHeaders(res);
    const body = await jsonBody(res);
    assert.deepEqual(body, { status: "ok" });
    assertMatchesOpenApi("GET", "/healthz", res, body);
  });

  test("needs no Authorization and ignores a bogus one", async () => {
    const res = await mf.dispatchFetch(`${BASE}/healthz`, { headers: { authorization: "Bearer nonsense" } });
    assert.equal(res.status, 200);
    assert.deepEqual(await jsonBody(res), { status: "ok" });
  });

  test("HEAD answers 200 without a body", async () => {
    const res = await mf.dispatchFetch(`${BASE}/healthz`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("cache-control"), "no-store");
    assert.equal(await res.text(), "");
  });
});

describe("404 for unknown paths", () => {
  for (const path of ["/", "/nope", "/healthz/", "/HEALTHZ", "/api/v1/s3/generatepresignedurl", `${UPLOAD_PATH}/x`]) {
    test(`GET ${path}`, async () => {
      await assertError(await mf.dispatchFetch(`${BASE}${path}`), 404, "not_found");
    });
  }

  test("POST to an unknown path is 404, not 405", async () => {
    const res = await mf.dispatchFetch(`${BASE}/api/v1/other`, { method: "POST", body: "{}" });
    await assertError(res, 404, "not_found");
  });
});

describe("405 with Allow for known paths", () => {
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    test(`${method} /healthz`, async () => {
      const res = await mf.dispatchFetch(`${BASE}/healthz`, { method, body: method === "DELETE" ? undefined : "x" });
      const body = await assertError(res, 405, "method_not_allowed");
      assert.equal(res.headers.get("allow"), "GET, HEAD");
      assertMatchesOpenApi("GET", "/healthz", res, body);
    });
  }

  for (const method of ["GET", "PUT", "DELETE"]) {
    test(`${method} upload route`, async () => {
      const res = await mf.dispatchFetch(`${BASE}${UPLOAD_PATH}`, { method, body: method === "PUT" ? "{}" : undefined });
      await assertError(res, 405, "method_not_allowed");
      assert.equal(res.headers.get("allow"), "POST, OPTIONS");
    });
  }
});

describe("upload route before it is implemented", () => {
  test("POST without credentials answers 401 in the error shape", async () => {
    const res = await mf.dispatchFetch(`${BASE}${UPLOAD_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ type: "profile", fileName: "a.png" }),
    });
    await assertError(res, 401, "unauthorized");
    assert.equal(res.headers.get("www-authenticate"), "Bearer");
  });

  test("OPTIONS answers 204 with no CORS grant while CORS is unconfigured", async () => {
    const res = await mf.dispatchFetch(`${BASE}${UPLOAD_PATH}`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    await res.arrayBuffer();
  });
});
