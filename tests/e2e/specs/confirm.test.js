// docs/spec.md §12 end to end: real files uploaded to a real store (s3s-fs)
// through the Worker's own URLs, then confirmed by the built Worker, which
// reads them back with its own signed HEAD / ranged GET and deletes what
// breaks the policy. Every response is checked against docs/openapi.yaml;
// every rejected object must be gone from s3s-fs's directory afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { AwsClient } from "aws4fetch";
import { samplePng } from "../../../dev/sample-png.mjs";
import { jsonBody, ROOT, startWorker, UPLOAD_PATH } from "../fixture.js";
import { AUTH_BINDINGS, Issuer, JWKS_URL } from "../issuer.js";
import { loggedReasons, waitForReason } from "../logs.js";
import { assertMatchesOpenApi } from "../openapi.js";
import { freePort, put, S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY, startS3 } from "../s3.js";

const SIGN = `http://worker.test${UPLOAD_PATH}`;
const CONFIRM_PATH = "/api/v1/s3/confirmUpload";
const CONFIRM = `http://worker.test${CONFIRM_PATH}`;
const BUDGET = { RATE_LIMIT_MAX: "100000" };
const fixture = (name) => readFileSync(join(ROOT, "tests/fixtures/uploads", name));
const issuer = new Issuer();
let s3;
let mf;
let token;

/**
 * The Worker's outbound fetches: the JWKS from the mock issuer, everything
 * else (the Worker's own store requests) really sent, as the runtime would,
 * without following redirects.
 */
async function outbound(request) {
  if (request.url === JWKS_URL) return issuer.outbound(request);
  // The store requests have no body; fetch sets Host and Content-Length itself.
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.delete("content-length");
  const res = await fetch(request.url, {
    method: request.method,
    headers,
    redirect: "manual",
    signal: AbortSignal.timeout(10_000),
  });
  return res;
}

async function call(url, path, body, worker = mf, bearer = token) {
  const res = await worker.dispatchFetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${bearer}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await jsonBody(res);
  assertMatchesOpenApi("POST", path, res, json);
  return { res, json };
}

/** Signs a PUT for `fileName` of `type` and uploads `bytes` with it. */
async function upload(type, fileName, bytes, worker = mf) {
  const { res, json } = await call(SIGN, UPLOAD_PATH, { type, fileName, size: bytes.length }, worker);
  assert.equal(res.status, 200, JSON.stringify(json));
  const r = await put(json.data.url, json.data.headers, bytes);
  assert.equal(r.status, 200, r.text);
  return json.data.key;
}

async function confirm(key, worker, bearer) {
  return call(CONFIRM, CONFIRM_PATH, { key }, worker, bearer);
}

async function expectRejected(key, reason) {
  const before = loggedReasons().filter((r) => r === reason).length;
  const { res, json } = await confirm(key);
  assert.equal(res.status, 422, JSON.stringify(json));
  assert.equal(json.code, "upload_rejected");
  assert.equal(json.reason, reason);
  assert.equal(s3.stored(key), null, "the rejected object is gone from the store");
  assert.ok((await waitForReason(reason, before)) > before, `no request line with reason ${reason}`);
}

before(async () => {
  await issuer.addKey("kid-a");
  token = await issuer.token("kid-a");
  s3 = await startS3();
  mf = startWorker({ bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET }, outbound });
});
after(async () => {
  await mf?.dispose();
  await s3?.stop();
});

describe("real files are verified", () => {
  // tests/fixtures/uploads (real files, made by Pillow; the SVG by hand).
  const cases = [
    ["profile", "photo.png", "gradient.png", "image/png", [48, 32]],
    ["profile", "photo.jpg", "photo.jpg", "image/jpeg", [40, 30]],
    ["company", "logo.gif", "small.gif", "image/gif", [20, 10]],
    ["project", "shot.webp", "lossy.webp", "image/webp", [24, 16]],
    ["repo", "thumb.webp", "lossless.webp", "image/webp", [12, 8]],
    ["institution", "crest.svg", "logo.svg", "image/svg+xml", null],
    ["resume", "cv.pdf", "doc.pdf", "application/pdf", null],
  ];
  for (const [type, name, file, mime, dims] of cases) {
    test(`${type}: ${name}`, async () => {
      const bytes = fixture(file);
      const key = await upload(type, name, bytes);
      const { res, json } = await confirm(key);
      assert.equal(res.status, 200, JSON.stringify(json));
      assert.equal(json.message, "Upload verified");
      assert.equal(json.data.key, key);
      assert.equal(json.data.size, bytes.length);
      assert.equal(json.data.contentType, mime);
      assert.match(json.data.etag, /\S/);
      assert.ok(json.data.link.endsWith(key.split("/").map(encodeURIComponent).join("/")), json.data.link);
      if (dims) {
        assert.deepEqual([json.data.width, json.data.height], dims);
      } else {
        assert.equal(json.data.width, undefined);
        assert.equal(json.data.height, undefined);
      }
      assert.deepEqual(s3.stored(key), bytes, "a verified object stays");
    });
  }
});

describe("lies are rejected and deleted", () => {
  test("HTML bytes named .png: content_mismatch", async () => {
    const key = await upload("profile", "page.png", Buffer.from("<!doctype html><script>alert(1)</script>"));
    await expectRejected(key, "content_mismatch");
  });
  test("a PNG named .pdf: content_mismatch", async () => {
    const key = await upload("resume", "cv.pdf", samplePng(8, 8));
    await expectRejected(key, "content_mismatch");
  });
  test("stored Content-Type not the extension's (put directly with another signer): content_type_mismatch", async () => {
    const key = "user-uploads/user_2abc/profile/direct.png";
    const client = new AwsClient({ accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY, service: "s3", region: "us-east-1" });
    const res = await client.fetch(`${s3.endpoint}/${S3_BUCKET}/${key}`, {
      method: "PUT",
      headers: { "content-type": "text/html" },
      body: samplePng(8, 8),
    });
    assert.equal(res.status, 200, await res.text());
    assert.ok(s3.stored(key));
    await expectRejected(key, "content_type_mismatch");
  });
  for (const [what, svg] of [
    ["<script>", '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ["onload=", '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'],
    ["<foreignObject>", '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>'],
  ]) {
    test(`an SVG with ${what}: unsafe_svg`, async () => {
      const key = await upload("profile", "bad.svg", Buffer.from(svg));
      await expectRejected(key, "unsafe_svg");
    });
  }
  test("a 9000×10 PNG: dimensions_exceeded", async () => {
    const key = await upload("profile", "wide.png", fixture("wide.png"));
    await expectRejected(key, "dimensions_exceeded");
  });
  test("over the type's limit (a PUT URL without size): too_large, judged from the HEAD", async () => {
    const big = Buffer.concat([samplePng(8, 8), Buffer.alloc(5 * 1024 * 1024, 0x78)]);
    const { json } = await call(SIGN, UPLOAD_PATH, { type: "profile", fileName: "big.png" });
    const r = await put(json.data.url, json.data.headers, big);
    assert.equal(r.status, 200, r.text);
    await expectRejected(json.data.key, "too_large");
  });
  test("an empty file: empty", async () => {
    const key = "user-uploads/user_2abc/profile/empty.png";
    const { json } = await call(SIGN, UPLOAD_PATH, { type: "profile", fileName: "empty.png" });
    const r = await put(json.data.url, json.data.headers, Buffer.alloc(0));
    assert.equal(r.status, 200, r.text);
    await expectRejected(key, "empty");
  });
});

describe("whose key, and which", () => {
  test("another user's key: 403, that object untouched", async () => {
    const other = await issuer.token("kid-a", { sub: "user_other" });
    const png = samplePng(8, 8);
    const { json: signed } = await call(SIGN, UPLOAD_PATH, { type: "profile", fileName: "theirs.png", size: png.length }, mf, other);
    assert.equal((await put(signed.data.url, signed.data.headers, png)).status, 200);
    const { res, json } = await confirm(signed.data.key);
    assert.equal(res.status, 403, JSON.stringify(json));
    assert.equal(json.code, "forbidden");
    assert.deepEqual(s3.stored(signed.data.key), png);
  });
  test("no object: 404 upload_not_found", async () => {
    const { res, json } = await confirm("user-uploads/user_2abc/profile/never-uploaded.png");
    assert.equal(res.status, 404, JSON.stringify(json));
    assert.equal(json.code, "upload_not_found");
  });
  for (const key of [
    "user-uploads/user_2abc/profile/../user_other/profile/a.png",
    "user-uploads/user_2abc/profile/%2e%2e/a.png",
    "user-uploads/user_2abc/avatars/a.png",
    "../user-uploads/user_2abc/profile/a.png",
    "user-uploads/user_2abc/profile/a.exe",
  ]) {
    test(`invalid_key: ${key}`, async () => {
      const { res, json } = await confirm(key);
      assert.equal(res.status, 400, JSON.stringify(json));
      assert.equal(json.code, "invalid_key");
    });
  }
  test("not JSON, or no key: invalid_json / invalid_key", async () => {
    const res = await mf.dispatchFetch(CONFIRM, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: "[",
    });
    assert.equal((await jsonBody(res)).code, "invalid_json");
    const { json } = await call(CONFIRM, CONFIRM_PATH, { nokey: 1 });
    assert.equal(json.code, "invalid_key");
  });
  test("no token: 401 before anything", async () => {
    const res = await mf.dispatchFetch(CONFIRM, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    assert.equal(res.status, 401);
  });
});

describe("the store failing", () => {
  test("store down: 502 storage_unavailable", async () => {
    const port = await freePort();
    const down = startWorker({
      bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, S3_ENDPOINT: `http://127.0.0.1:${port}` },
      outbound,
    });
    try {
      const { res, json } = await confirm("user-uploads/user_2abc/profile/x.png", down);
      assert.equal(res.status, 502, JSON.stringify(json));
      assert.equal(json.code, "storage_unavailable");
    } finally {
      await down.dispose();
    }
  });
  test("store hanging: 502 within the 5 s timeout, the object untouched", async () => {
    const key = await upload("profile", "kept.png", samplePng(8, 8));
    const sockets = [];
    const hang = createServer((socket) => sockets.push(socket)); // accepts, never answers
    await new Promise((r) => hang.listen(0, "127.0.0.1", r));
    const hanging = startWorker({
      bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, S3_ENDPOINT: `http://127.0.0.1:${hang.address().port}` },
      outbound,
    });
    try {
      const started = Date.now();
      const { res, json } = await confirm(key, hanging);
      const took = Date.now() - started;
      assert.equal(res.status, 502, JSON.stringify(json));
      assert.equal(json.code, "storage_unavailable");
      assert.ok(took >= 4500 && took < 8000, `answered after ${took} ms`);
      assert.ok(s3.stored(key), "the object is left alone");
    } finally {
      await hanging.dispose();
      for (const s of sockets) s.destroy();
      hang.close();
    }
  });
  for (const [what, answer] of [
    ["a redirect (never followed)", (res) => res.writeHead(302, { Location: "http://127.0.0.1:1/elsewhere" }).end()],
    ["a 200 without Content-Length or ETag", (res) => {
      res.writeHead(200, { "Content-Type": "image/png", "Transfer-Encoding": "chunked" });
      res.end("garbage");
    }],
    ["a 500", (res) => res.writeHead(500).end("boom")],
  ]) {
    test(`store answering ${what}: 502, nothing deleted`, async () => {
      const seen = [];
      const odd = http.createServer((req, res) => {
        seen.push(req.method);
        answer(res);
      });
      await new Promise((r) => odd.listen(0, "127.0.0.1", r));
      const w = startWorker({
        bindings: { ...AUTH_BINDINGS, ...s3.bindings, ...BUDGET, S3_ENDPOINT: `http://127.0.0.1:${odd.address().port}` },
        outbound,
      });
      try {
        const { res, json } = await confirm("user-uploads/user_2abc/profile/odd.png", w);
        assert.equal(res.status, 502, JSON.stringify(json));
        assert.equal(json.code, "storage_unavailable");
        assert.deepEqual(seen, ["HEAD"], "only the HEAD was sent: no redirect followed, no DELETE");
      } finally {
        await w.dispose();
        odd.close();
      }
    });
  }
});
