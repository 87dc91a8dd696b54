// The README's run command, tested as a newcomer would use it: start the
// whole local stack (dev/local-stack.mjs: wrangler dev, local S3, token
// issuer, demo page) on free ports, run the curl sequence it prints, then
// upload real files through the demo page in Debian's Chromium — with PUT
// and with POST (docs/spec.md §11) — and check what landed in the store
// (s3s-fs's directory) byte for byte and that it renders from its link; an
// oversized file and a disallowed type are refused with the Worker's
// messages, and an unsized POST over the type's limit by the store itself.
// After each upload the page asks the Worker to confirm it (docs/spec.md
// §12) and lists the verdict: a real PNG "verified" with its width×height, a
// PDF verified, and lies (an SVG carrying <script>, HTML bytes named .png)
// "rejected: <reason> (deleted)" and gone from the store.
// Screenshots: tests/e2e/artifacts/demo.png, demo-rejected.png.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { samplePng } from "../../../dev/sample-png.mjs";
import { ARTIFACTS, startStack } from "./stack.js";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

test("the printed curl sequence works as printed", async () => {
  // The sequence as printed: up to the blank line that ends the banner (the
  // servers' own log lines, prefixed `[name]`, may follow it at any time).
  const printed = stack.output().split("==> try it from a shell")[1].split("\n").slice(1).join("\n");
  const script = printed.split("\n\n")[0].trim();
  assert.ok(!/^\[/m.test(script), `server output inside the sequence:\n${script}`);
  assert.match(script, /^TOKEN=\$\(curl/);
  const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { cwd: stack.state });
  assert.match(stdout, /^uploaded\n200 image\/png \d+ bytes\n$/);
});

async function openDemo(user) {
  const page = await stack.browser.newPage({ viewport: { width: 900, height: 1100 } });
  await page.goto(stack.urls.DEMO_PORT);
  await page.fill("#user", user);
  await page.click("#signin");
  await page.waitForSelector("text=Signed in as " + user);
  return page;
}

/** The verdict list item for the `n`th upload on `page` (1-based), once the Worker has answered. */
async function verdict(page, n = 1) {
  const li = await page.waitForSelector(`#verdicts li:nth-child(${n})`, { timeout: 20_000 });
  return li.evaluate((el) => ({ text: el.textContent, className: el.className, ...el.dataset }));
}

/** Picks type, method, whether to send the size, and the file; clicks Upload. */
async function upload(page, { type, method, sendSize = true, file }) {
  await page.selectOption("#type", type);
  await page.check(`input[name="method"][value="${method}"]`);
  await page.setChecked("#sendSize", sendSize);
  await page.setInputFiles("#file", file);
  await page.click("#upload");
}

for (const method of ["PUT", "POST"]) {
  test(`a real PNG uploads through the page with ${method} and renders from the store`, async () => {
    const png = samplePng(64, 48);
    const user = `user_demo_${method.toLowerCase()}`;
    const page = await openDemo(user);
    try {
      await upload(page, { type: "profile", method, file: { name: "my avatar.png", mimeType: "image/png", buffer: png } });
      const img = await page.waitForSelector("#result-image", { timeout: 20_000 });
      await page.waitForFunction(() => document.getElementById("result-image")?.complete, null, { timeout: 20_000 });
      const { width, height, src } = await img.evaluate((el) => ({ width: el.naturalWidth, height: el.naturalHeight, src: el.src }));
      assert.deepEqual({ width, height }, { width: 64, height: 48 });
      const key = `user-uploads/${user}/profile/my avatar.png`;
      assert.equal(src, `${stack.urls.S3_PORT}/uploads-dev/user-uploads/${user}/profile/my%20avatar.png`);
      assert.deepEqual(await page.$eval("#result", (el) => ({ ...el.dataset })), { key, method });
      assert.equal(await page.textContent("#error"), "");
      assert.equal(await page.getAttribute("#progress", "value"), "100");
      // The Worker confirmed it, and the page shows its real dimensions.
      assert.deepEqual(await verdict(page), {
        text: `my avatar.png → verified: image/png, 64×48, ${png.length} bytes`,
        className: "verified", key, verdict: "verified", width: "64", height: "48",
      });
      // The store holds exactly the bytes the browser sent, publicly readable.
      assert.deepEqual(stack.stored(key), png);
      const res = await fetch(src);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), png);
      if (method === "PUT") {
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: join(ARTIFACTS, "demo.png"), fullPage: true });
      }
    } finally {
      await page.close();
    }
  });
}

test("an oversized file is refused with the Worker's message", async () => {
  const page = await openDemo("user_demo_big");
  try {
    const file = { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(5 * 1024 * 1024 + 1) };
    await upload(page, { type: "profile", method: "PUT", file });
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.equal(await page.textContent("#error"), "Worker: File is larger than this upload type allows (file_too_large)");
    assert.equal(await page.$("#result-image"), null);
  } finally {
    await page.close();
  }
});

test("an unsized POST over the type's limit is refused by the store, which keeps nothing", async () => {
  const page = await openDemo("user_demo_unsized");
  try {
    const file = { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(5 * 1024 * 1024 + 1, 7) };
    await upload(page, { type: "profile", method: "POST", sendSize: false, file });
    await page.waitForFunction(() => document.getElementById("error").textContent !== "", null, { timeout: 20_000 });
    assert.match(await page.textContent("#error"), /^S3: EntityTooLarge\b.*\(400\)$/);
    assert.equal(await page.$("#result-image"), null);
    assert.equal(stack.stored("user-uploads/user_demo_unsized/profile/huge.png"), null);
  } finally {
    await page.close();
  }
});

test("a disallowed type is refused with the Worker's message", async () => {
  const page = await openDemo("user_demo");
  try {
    await upload(page, { type: "resume", method: "POST", file: { name: "photo.png", mimeType: "image/png", buffer: samplePng() } });
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.equal(await page.textContent("#error"), "Worker: File type not allowed for this upload type (unsupported_file_type)");
  } finally {
    await page.close();
  }
});

test("a PDF résumé uploads unsized with POST and is linked", async () => {
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  const page = await openDemo("user_demo_pdf");
  try {
    await upload(page, { type: "resume", method: "POST", sendSize: false, file: { name: "cv.pdf", mimeType: "application/pdf", buffer: pdf } });
    const link = await page.waitForSelector("#result-link", { timeout: 20_000 });
    assert.equal((await verdict(page)).text, `cv.pdf → verified: application/pdf, ${pdf.length} bytes`);
    assert.deepEqual(stack.stored("user-uploads/user_demo_pdf/resume/cv.pdf"), pdf);
    const res = await fetch(await link.getAttribute("href"));
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), pdf);
  } finally {
    await page.close();
  }
});

test("lies uploaded through the page are rejected with their reasons and deleted from the store", async () => {
  const user = "user_demo_lies";
  const png = samplePng(30, 20);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(document.cookie)</script></svg>');
  const html = Buffer.from("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>");
  const uploads = [
    { file: { name: "honest.png", mimeType: "image/png", buffer: png }, want: { verdict: "verified", text: `verified: image/png, 30×20, ${png.length} bytes` } },
    { file: { name: "evil.svg", mimeType: "image/svg+xml", buffer: svg }, want: { verdict: "rejected", reason: "unsafe_svg" } },
    { file: { name: "page.png", mimeType: "image/png", buffer: html }, want: { verdict: "rejected", reason: "content_mismatch" } },
  ];
  const page = await openDemo(user);
  try {
    for (const [i, { file, want }] of uploads.entries()) {
      await upload(page, { type: "project", method: "PUT", file });
      const got = await verdict(page, i + 1);
      const key = `user-uploads/${user}/project/${file.name}`;
      assert.equal(got.key, key);
      assert.equal(got.verdict, want.verdict, got.text);
      if (want.verdict === "rejected") {
        assert.equal(got.text, `${file.name} → rejected: ${want.reason} (deleted)`);
        assert.equal(got.reason, want.reason);
        // A 422 means the object existed and the Worker deleted it before answering.
        assert.equal(stack.stored(key), null);
        assert.equal(await page.$("#result-image"), null);
        assert.equal(await page.textContent("#status"), `The Worker rejected ${key} (${want.reason}) and deleted it.`);
      } else {
        assert.equal(got.text, `${file.name} → ${want.text}`);
        assert.deepEqual(stack.stored(key), file.buffer);
      }
      assert.equal(await page.textContent("#error"), "");
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "demo-rejected.png"), fullPage: true });
  } finally {
    await page.close();
  }
});
