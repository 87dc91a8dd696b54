// Uppy as a real client (docs/spec.md §11): the local stack's Uppy page
// (dev/uppy: @uppy/core + @uppy/dashboard + @uppy/aws-s3 6.x from npm,
// bundled locally) in Debian's Chromium. Files are added through the
// Dashboard's own file input and uploaded with its Upload button, once with
// PUT and once with POST; each check reads what landed in the store (s3s-fs's
// directory) byte for byte. Uppy never tells the signer a file's size, so an
// oversized file is stopped only by the POST policy's content-length-range.
// After each upload the page asks the Worker to confirm it (docs/spec.md
// §12) and the list shows "verified" with the image's width×height.
// A screenshot is saved to tests/e2e/artifacts/uppy.png.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { samplePng } from "../../../dev/sample-png.mjs";
import { ARTIFACTS, startStack } from "./stack.js";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

/** Opens the Uppy page as `user`, adds `files` to the Dashboard with `method` chosen, and clicks Upload. */
async function uploadWithUppy({ user, type = "profile", method, files }) {
  const page = await stack.browser.newPage({ viewport: { width: 1000, height: 1100 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // No CDN: every request the page makes stays on this machine.
  page.on("request", (r) => {
    if (!/^(http:\/\/127\.0\.0\.1:\d+\/|data:|blob:)/.test(r.url())) errors.push(`off-machine request: ${r.url()}`);
  });
  await page.goto(`${stack.urls.DEMO_PORT}/uppy/`);
  await page.waitForSelector(".uppy-Dashboard");
  await page.fill("#user", user);
  await page.selectOption("#type", type);
  await page.check(`input[name="method"][value="${method}"]`);
  await page.locator("input.uppy-Dashboard-input").first().setInputFiles(files);
  await page.click(".uppy-StatusBar-actionBtn--upload");
  return { page, errors };
}

for (const method of ["PUT", "POST"]) {
  test(`Uppy uploads a PNG with ${method} and it lands in the store byte for byte`, async () => {
    const png = samplePng(40, 30);
    const user = `user_uppy_${method.toLowerCase()}`;
    const { page, errors } = await uploadWithUppy({ user, method, files: [{ name: "logo.png", mimeType: "image/png", buffer: png }] });
    try {
      const item = await page.waitForSelector("#results li", { timeout: 30_000 });
      assert.equal(await item.getAttribute("class"), "uploaded", await item.textContent());
      const key = `user-uploads/${user}/profile/logo.png`;
      assert.deepEqual(stack.stored(key), png);
      // Uppy's own view of it: the upload finished, with the Worker's key.
      const done = await page.evaluate(() => window.uppy.getFiles().map((f) => [f.progress.uploadComplete, f.response?.body?.key]));
      assert.deepEqual(done, [[true, key]]);
      // The Worker confirmed it with its real dimensions; only then is it shown.
      await page.waitForSelector("#results li[data-verdict]", { timeout: 20_000 });
      assert.deepEqual(await item.evaluate((el) => ({ ...el.dataset })), { key, method, verdict: "verified", width: "40", height: "30" });
      assert.equal(await item.textContent(), `${method} logo.png → ${key} verified: image/png, 40×30, ${png.length} bytes`);
      await page.waitForFunction(() => document.querySelector("#results img")?.naturalWidth === 40, null, { timeout: 20_000 });
      assert.deepEqual(errors, []);
      if (method === "POST") {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "uppy.png"), fullPage: true });
      }
    } finally {
      await page.close();
    }
  });
}

test("Uppy with POST: a file over the type's limit is refused by the store, which keeps nothing", async () => {
  const user = "user_uppy_big";
  const big = Buffer.alloc(5 * 1024 * 1024 + 1, 1);
  const { page } = await uploadWithUppy({ user, method: "POST", files: [{ name: "big.png", mimeType: "image/png", buffer: big }] });
  try {
    const item = await page.waitForSelector("#results li", { timeout: 30_000 });
    assert.equal(await item.getAttribute("class"), "failed");
    assert.match(await item.textContent(), /EntityTooLarge/);
    assert.equal(stack.stored(`user-uploads/${user}/profile/big.png`), null);
  } finally {
    await page.close();
  }
});

test("Uppy shows the Worker's refusal, and nothing is uploaded", async () => {
  const user = "user_uppy_refused";
  const { page } = await uploadWithUppy({ user, type: "resume", method: "PUT", files: [{ name: "photo.png", mimeType: "image/png", buffer: samplePng() }] });
  try {
    const item = await page.waitForSelector("#results li", { timeout: 30_000 });
    assert.equal(await item.getAttribute("class"), "failed");
    assert.equal(await item.textContent(), "photo.png: Worker: File type not allowed for this upload type (unsupported_file_type)");
    assert.equal(stack.stored(`user-uploads/${user}/resume/photo.png`), null);
  } finally {
    await page.close();
  }
});
