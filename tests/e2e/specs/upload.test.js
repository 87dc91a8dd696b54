// docs/spec.md §1–5, §8, §9 end to end: the built Worker signs, a real
// signature-verifying S3 server (s3s-fs) stores — or refuses — the PUT, and
// every response is checked against docs/openapi.yaml.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { jsonBody, startWorker, UPLOAD_PATH } from "../fixture.js";
import { AUTH_BINDINGS, Issuer } from "../issuer.js";
import { assertMatchesOpenApi } from "../openapi.js";
import { put, startS3 } from "../s3.js";

const WORKER = `http://worker.test${UPLOAD_PATH}`;
const MIB = 1024 * 1024;
const PNG = Buffer.concat([Buffer.from("89504e470d0a1a0a", "hex"), randomBytes(2048)]);
const PDF = Buffer.concat([Buffer.from("%PDF-1.7\n"), randomBytes(4096)]);

// This suite makes hundreds of requests as one user; the limiter has its own suite.
const BUDGET = { RATE_LIMIT_MAX: "100000" };
const issuer = new Issuer();
let s3;
let mf;
let token;

async function request(body, { headers = {}, raw = false, worker = mf, bearer = token } = {}) {
  const res = await worker.dispatchFetch(WORKER, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json", ...headers },
    body: raw ? body : JSON.stringify(body),
  });
  const json = await jsonBody(res);
  assertMatchesOpenApi("POST", UPLOAD_PATH, res, json);
  return { res, json };
}

async function sign(body, opts) {
  const { res, json } = await request(body, opts);
  assert.equal(res.status, 200, JSON.stringify(json));
  return json.data;
}

async function expectError(body, status, code, opts) {
  const { res, json } = await request(body, opts);
  assert.equal(res.status, status, JSON.stringify(json));
  assert.equal(json.code, code);
  assert.deepEqual(Object.keys(json).sort(), ["code", "message", "status"]);
  return json;
}

before(async () => {
  await issuer.addKey("kid-a");
  token = await issuer.token("kid-a");
  s3 = await startS3();
  mf = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET }, outbound: issuer.outbound });
});
after(async () => {
  await mf?.dispose();
  await s3?.stop();
});

describe("round trip through a real S3 server", () => {
  const cases = [
    ["profile", "avatar.png", PNG, "image/png"],
    ["repo", "thumb nail.png", PNG, "image/png"],
    ["company", "logo+v2=final&co.png", PNG, "image/png"],
    ["institution", "100% école 東京.png", PNG, "image/png"],
    ["project", "SCREEN SHOT.PNG", PNG, "image/png"],
    ["resume", "Résumé (2026).pdf", PDF, "application/pdf"],
  ];
  for (const [type, fileName, bytes, mime] of cases) {
    test(`${type}: ${fileName}`, async () => {
      const data = await sign({ type, fileName, contentType: mime, size: bytes.length });
      assert.equal(data.key, `user-uploads/user_2abc/${type}/${fileName}`);
      assert.deepEqual(data.headers, { "Content-Type": mime, "Content-Length": String(bytes.length) });
      const r = await put(data.url, data.headers, bytes);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(s3.stored(data.key), bytes, "stored byte for byte at data.key");
      const encodedKey = data.key.split("/").map(encodeURIComponent).join("/");
      assert.equal(new URL(data.link).pathname, `/${s3.bindings.S3_BUCKET}/${encodedKey}`.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
    });
  }

  test("without size: only Content-Type is bound, any length is accepted", async () => {
    const data = await sign({ type: "profile", filename: "no-size.png" });
    assert.deepEqual(data.headers, { "Content-Type": "image/png" });
    const r = await put(data.url, data.headers, PNG);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(s3.stored(data.key), PNG);
  });

  test("expiresAt is X-Amz-Date + expiresIn", async () => {
    const data = await sign({ type: "profile", fileName: "t.png" });
    const q = new URL(data.url).searchParams;
    const d = q.get("X-Amz-Date");
    const signedAt = Date.UTC(+d.slice(0, 4), +d.slice(4, 6) - 1, +d.slice(6, 8), +d.slice(9, 11), +d.slice(11, 13), +d.slice(13, 15));
    assert.equal(q.get("X-Amz-Expires"), "300");
    assert.equal(data.expiresIn, 300);
    assert.equal(Date.parse(data.expiresAt), signedAt + 300_000);
    assert.equal(q.get("X-Amz-SignedHeaders"), "content-type;host");
  });
});

describe("the store refuses a client that lies", () => {
  test("another content type", async () => {
    const data = await sign({ type: "profile", fileName: "ct.png" });
    const r = await put(data.url, { "Content-Type": "image/svg+xml" }, PNG);
    assert.equal(r.status, 403, r.text);
    assert.equal(s3.stored(data.key), null);
  });

  test("another length than the signed size", async () => {
    const data = await sign({ type: "profile", fileName: "len.png", size: PNG.length });
    const bigger = Buffer.concat([PNG, Buffer.from("more")]);
    const r = await put(data.url, { "Content-Type": "image/png" }, bigger);
    assert.equal(r.status, 403, r.text);
    assert.equal(s3.stored(data.key), null);
  });

  test("a body sent to another user's key", async () => {
    const data = await sign({ type: "profile", fileName: "mine.png" });
    const other = data.url.replace("/user_2abc/", "/user_victim/");
    assert.notEqual(other, data.url);
    const r = await put(other, data.headers, PNG);
    assert.equal(r.status, 403, r.text);
    assert.equal(s3.stored("user-uploads/user_victim/profile/mine.png"), null);
  });

  test("a URL used after it expired", async () => {
    const shortLived = startWorker({
      bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, UPLOAD_URL_TTL_SECONDS: "1" },
      outbound: issuer.outbound,
    });
    try {
      const data = await sign({ type: "profile", fileName: "late.png" }, { worker: shortLived });
      assert.equal(data.expiresIn, 1);
      await new Promise((r) => setTimeout(r, 2500));
      const r = await put(data.url, data.headers, PNG);
      assert.equal(r.status, 403, r.text);
      assert.equal(s3.stored(data.key), null);
    } finally {
      await shortLived.dispose();
    }
  });
});

describe("user isolation", () => {
  // `expect`: the refusal code, or null where the name is legal and must stay in the folder.
  const attempts = [
    { type: "profile", fileName: "../x.png", expect: "invalid_file_name" },
    { type: "profile", fileName: "a/b.png", expect: "invalid_file_name" },
    { type: "profile", fileName: "..\\x.png", expect: "invalid_file_name" },
    { type: "profile", fileName: "%2e%2e%2fx.png", expect: null },
    { type: "profile", fileName: "..%2Fuser_victim%2Fprofile%2Fx.png", expect: "invalid_file_name" },
    { type: "../profile", fileName: "x.png", expect: "invalid_type" },
    { type: "../user_victim/profile", fileName: "x.png", expect: "invalid_type" },
    { type: "profile", fileName: "a\u2215b.png", expect: null },
    { type: "profile", fileName: "a\uff0fb.png", expect: null },
    { type: "profile", fileName: "a\u2044..\u2044b.png", expect: null },
  ];
  for (const { expect, ...body } of attempts) {
    test(`type ${JSON.stringify(body.type)}, fileName ${JSON.stringify(body.fileName)}`, async () => {
      const { res, json } = await request(body);
      if (expect) {
        assert.equal(res.status, 400);
        assert.equal(json.code, expect);
        return;
      }
      assert.equal(res.status, 200, JSON.stringify(json));
      const { key, url } = json.data;
      const parts = key.split("/");
      assert.equal(parts.length, 4, key);
      assert.deepEqual(parts.slice(0, 3), ["user-uploads", "user_2abc", "profile"]);
      assert.equal(parts[3], body.fileName);
      // The URL names the same object: the server stores it exactly there.
      const r = await put(url, json.data.headers, PNG);
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(s3.stored(key), PNG);
    });
  }
});

describe("body errors, in the spec's (docs/spec.md) order", () => {
  const profile = (extra) => ({ type: "profile", fileName: "a.png", ...extra });

  test("415 without a JSON content type", async () => {
    await expectError(profile(), 415, "unsupported_media_type", { headers: { "content-type": "text/plain" } });
    await expectError(profile(), 415, "unsupported_media_type", { headers: { "content-type": "application/jsonx" } });
  });

  test("415 comes before 413", async () => {
    await expectError("x".repeat(20000), 415, "unsupported_media_type", { raw: true, headers: { "content-type": "text/plain" } });
  });

  test("413 over 16 KiB", async () => {
    const body = JSON.stringify({ ...profile(), pad: "x".repeat(16 * 1024) });
    await expectError(body, 413, "payload_too_large", { raw: true });
  });

  test("exactly 16 KiB is read", async () => {
    const base = JSON.stringify({ ...profile(), pad: "" });
    const body = JSON.stringify({ ...profile(), pad: "x".repeat(16 * 1024 - base.length) });
    assert.equal(Buffer.byteLength(body), 16 * 1024);
    assert.equal((await request(body, { raw: true })).res.status, 200);
  });

  // A streamed body has no Content-Length: the Worker reads it chunk by
  // chunk and stops at the limit (the fast path needs Content-Length).
  // `stallAfter`: after the text, neither more data nor an end.
  const chunked = (text, chunkSize, { stallAfter = false } = {}) => {
    const bytes = Buffer.from(text);
    let at = 0;
    return new ReadableStream({
      async pull(controller) {
        if (at >= bytes.length) {
          if (stallAfter) return new Promise(() => {});
          return controller.close();
        }
        controller.enqueue(bytes.subarray(at, at + chunkSize));
        at += chunkSize;
      },
    });
  };
  const streamed = (body) =>
    mf.dispatchFetch(WORKER, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body,
      duplex: "half",
    });

  test("a chunked body without Content-Length is read, up to exactly 16 KiB", async () => {
    const base = JSON.stringify({ ...profile(), pad: "" });
    const full = JSON.stringify({ ...profile(), pad: "x".repeat(16 * 1024 - base.length) });
    for (const text of [JSON.stringify(profile()), full]) {
      const res = await streamed(chunked(text, 7));
      const json = await jsonBody(res);
      assertMatchesOpenApi("POST", UPLOAD_PATH, res, json);
      assert.equal(res.status, 200, JSON.stringify(json));
    }
  });

  test("a chunked body over 16 KiB is 413 as soon as it passes the limit", async () => {
    // 20 KiB and then a stall: only a limit applied while reading answers;
    // reading to the end first would wait forever.
    const started = Date.now();
    const res = await streamed(chunked("x".repeat(20 * 1024), 1024, { stallAfter: true }));
    const json = await jsonBody(res);
    assertMatchesOpenApi("POST", UPLOAD_PATH, res, json);
    assert.equal(res.status, 413, JSON.stringify(json));
    assert.equal(json.code, "payload_too_large");
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });

  test("Content-Length and Transfer-Encoding together: framed by the chunks, cut off at the limit", async () => {
    // A Content-Length of 10 must not let a chunked body be read in one go:
    // 20 KiB of chunks, then a stall; the 413 must come while it stalls.
    const url = new URL(await mf.ready);
    const sock = connect(Number(url.port), url.hostname);
    let received = "";
    const answered = new Promise((resolve) => {
      sock.on("data", (d) => {
        received += d;
        if (/\r\n\r\n\{[^]*\}/.test(received)) resolve(); // headers and the JSON body
      });
      sock.on("error", () => resolve());
      sock.on("close", () => resolve());
    });
    sock.write(
      `POST ${UPLOAD_PATH} HTTP/1.1\r\nHost: worker.test\r\nAuthorization: Bearer ${token}\r\n` +
        "Content-Type: application/json\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
    );
    for (let i = 0; i < 20; i++) sock.write(`400\r\n${"x".repeat(1024)}\r\n`);
    const started = Date.now();
    await Promise.race([answered, new Promise((r) => setTimeout(r, 5000))]);
    sock.destroy();
    assert.match(received, /^HTTP\/1\.1 413 /, JSON.stringify(received.slice(0, 80)));
    assert.match(received, /"code":"payload_too_large"/);
    assert.ok(Date.now() - started < 3000);
  });

  test("a charset parameter is fine", async () => {
    for (const charset of ["utf-8", "UTF-8", "latin1"]) {
      const { res } = await request(profile(), { headers: { "content-type": `application/json; charset=${charset}` } });
      assert.equal(res.status, 200, charset);
    }
  });

  for (const [name, body] of [["not JSON", "{nope"], ["an array", "[]"], ["a string", '"x"'], ["empty", ""]]) {
    test(`invalid_json: ${name}`, async () => {
      await expectError(body, 400, "invalid_json", { raw: true });
    });
  }

  test("missing_parameters", async () => {
    await expectError({ type: "profile" }, 400, "missing_parameters");
    await expectError({ fileName: "a.png" }, 400, "missing_parameters");
    await expectError({ type: "profile", fileName: "" }, 400, "missing_parameters");
    await expectError({ type: 7, fileName: "a.png" }, 400, "missing_parameters");
  });

  test("invalid_type", async () => {
    await expectError({ type: "avatar", fileName: "a.png" }, 400, "invalid_type");
    await expectError({ type: "Profile", fileName: "a.png" }, 400, "invalid_type");
  });

  test("invalid_file_name", async () => {
    for (const fileName of [".png", "..", "a/b.png", "a\u0000.png", "a\nb.png", `${"a".repeat(252)}.png`]) {
      await expectError({ type: "profile", fileName }, 400, "invalid_file_name");
    }
  });

  test("unsupported_file_type", async () => {
    await expectError({ type: "profile", fileName: "a.exe" }, 400, "unsupported_file_type");
    await expectError({ type: "profile", fileName: "noext" }, 400, "unsupported_file_type");
    await expectError({ type: "resume", fileName: "cv.png" }, 400, "unsupported_file_type");
  });

  test("content_type_mismatch", async () => {
    await expectError(profile({ contentType: "image/jpeg" }), 400, "content_type_mismatch");
    await expectError(profile({ contentType: 12 }), 400, "content_type_mismatch");
  });

  for (const size of [0, -1, 1.5, "12", true]) {
    test(`invalid_size: ${JSON.stringify(size)}`, async () => {
      await expectError(profile({ size }), 400, "invalid_size");
    });
  }

  test("file_too_large: one byte over, and 2^64", async () => {
    await expectError(profile({ size: 5 * MIB + 1 }), 400, "file_too_large");
    await expectError('{"type":"profile","fileName":"a.png","size":18446744073709551616}', 400, "file_too_large", { raw: true });
    await expectError('{"type":"profile","fileName":"a.png","size":1e400}', 400, "file_too_large", { raw: true });
    await expectError({ type: "resume", fileName: "cv.pdf", size: 10 * MIB + 1 }, 400, "file_too_large");
    assert.equal((await request({ type: "resume", fileName: "cv.pdf", size: 10 * MIB })).res.status, 200);
  });

  test("an unauthenticated caller learns nothing about the policy", async () => {
    const res = await mf.dispatchFetch(WORKER, { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    const json = await jsonBody(res);
    assertMatchesOpenApi("POST", UPLOAD_PATH, res, json);
    assert.equal(res.status, 401);
  });
});

describe("settings", () => {
  test("missing storage configuration: 500 url_generation_failed, nothing secret in the body", async () => {
    const { S3_BUCKET: _, ...noBucket } = s3.bindings;
    const broken = startWorker({ bindings: { ...AUTH_BINDINGS, ...noBucket, ...BUDGET }, outbound: issuer.outbound });
    try {
      const json = await expectError({ type: "profile", fileName: "a.png" }, 500, "url_generation_failed", { worker: broken });
      const text = JSON.stringify(json);
      for (const secret of [s3.bindings.S3_SECRET_ACCESS_KEY, s3.bindings.S3_ACCESS_KEY_ID, "S3_BUCKET", token]) {
        assert.ok(!text.includes(secret), `body leaks ${secret}`);
      }
    } finally {
      await broken.dispose();
    }
  });

  test("an invalid TTL is an error, not a default", async () => {
    const broken = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, UPLOAD_URL_TTL_SECONDS: "604801" }, outbound: issuer.outbound });
    try {
      await expectError({ type: "profile", fileName: "a.png" }, 500, "url_generation_failed", { worker: broken });
    } finally {
      await broken.dispose();
    }
  });

  test("an operator policy table replaces the default", async () => {
    const policy = JSON.stringify({ types: { banner: { extensions: ["png"], maxBytes: 100 } } });
    const custom = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, UPLOAD_POLICY: policy }, outbound: issuer.outbound });
    try {
      await expectError({ type: "profile", fileName: "a.png" }, 400, "invalid_type", { worker: custom });
      await expectError({ type: "banner", fileName: "a.png", size: 101 }, 400, "file_too_large", { worker: custom });
      const data = await sign({ type: "banner", fileName: "a.png", size: 100 }, { worker: custom });
      assert.equal(data.key, "user-uploads/user_2abc/banner/a.png");
    } finally {
      await custom.dispose();
    }
  });

  test("an invalid policy table: 500 server_error at the first request", async () => {
    const broken = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, UPLOAD_POLICY: "{not json" }, outbound: issuer.outbound });
    try {
      await expectError({ type: "profile", fileName: "a.png" }, 500, "server_error", { worker: broken });
    } finally {
      await broken.dispose();
    }
  });
});

describe("CORS", () => {
  const APP = "https://app.example.test";
  let cors;
  before(() => {
    cors = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, CORS_ALLOWED_ORIGINS: `${APP}, https://admin.example.test` }, outbound: issuer.outbound });
  });
  after(() => cors?.dispose());

  const preflight = (origin) =>
    cors.dispatchFetch(WORKER, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });

  test("preflight from an allowed origin", async () => {
    const res = await preflight(APP);
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    assert.equal(res.headers.get("access-control-allow-methods"), "POST, OPTIONS");
    assert.equal(res.headers.get("access-control-allow-headers"), "Authorization, Content-Type");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    assert.ok(Number(res.headers.get("access-control-max-age")) > 0);
    assert.equal(res.headers.get("vary"), "Origin");
    await res.arrayBuffer();
  });

  test("preflight from a refused origin: 204 without any grant", async () => {
    const res = await preflight("https://evil.example");
    assert.equal(res.status, 204);
    for (const [name] of res.headers) assert.ok(!name.startsWith("access-control-allow"), name);
    assert.equal(res.headers.get("vary"), "Origin");
    await res.arrayBuffer();
  });

  test("actual responses carry the grant for an allowed origin, errors included", async () => {
    const ok = await request({ type: "profile", fileName: "a.png" }, { worker: cors, headers: { origin: APP } });
    assert.equal(ok.res.status, 200);
    assert.equal(ok.res.headers.get("access-control-allow-origin"), APP);
    assert.equal(ok.res.headers.get("access-control-expose-headers"), "RateLimit, RateLimit-Policy, Retry-After");
    const err = await request({ type: "nope", fileName: "a.png" }, { worker: cors, headers: { origin: APP } });
    assert.equal(err.res.status, 400);
    assert.equal(err.res.headers.get("access-control-allow-origin"), APP);
    const unauth = await request({}, { worker: cors, bearer: "x.y.z", headers: { origin: APP } });
    assert.equal(unauth.res.status, 401);
    assert.equal(unauth.res.headers.get("access-control-allow-origin"), APP);
  });

  test("no grant for a refused origin", async () => {
    const { res } = await request({ type: "profile", fileName: "a.png" }, { worker: cors, headers: { origin: "https://evil.example" } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("vary"), "Origin");
  });

  test("a 405 on the upload path carries the grant too", async () => {
    const res = await cors.dispatchFetch(WORKER, { method: "GET", headers: { origin: APP } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get("allow"), "POST, OPTIONS");
    assert.equal(res.headers.get("access-control-allow-origin"), APP);
    assert.equal(res.headers.get("vary"), "Origin");
    await res.arrayBuffer();
  });

  test("without CORS_ALLOWED_ORIGINS there are no CORS headers", async () => {
    const { res } = await request({ type: "profile", fileName: "a.png" }, { headers: { origin: APP } });
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("vary"), null);
  });
});
