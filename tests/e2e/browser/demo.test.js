// The README's run command, tested as a newcomer would use it: start the
// whole local stack (dev/local-stack.mjs: wrangler dev, local S3, token
// issuer, demo page) on free ports, run the curl sequence it prints, then
// upload a real PNG through the demo page in Debian's Chromium and check
// it renders from the store; an oversized file and a disallowed type are
// refused with the Worker's messages. A screenshot is saved to
// tests/e2e/artifacts/demo.png.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { ROOT } from "../fixture.js";
import { freePort } from "../s3.js";
import { samplePng } from "../../../dev/sample-png.mjs";

const ARTIFACTS = join(ROOT, "tests/e2e/artifacts");
const state = mkdtempSync(join(tmpdir(), "upload-signer-stack-"));
let stack;
let browser;
let urls;
let output = "";

before(async () => {
  const ports = { WORKER_PORT: await freePort(), S3_PORT: await freePort(), ISSUER_PORT: await freePort(), DEMO_PORT: await freePort() };
  urls = Object.fromEntries(Object.entries(ports).map(([k, p]) => [k, `http://127.0.0.1:${p}`]));
  stack = spawn(join(ROOT, "node_modules/.bin/node"), [join(ROOT, "dev/local-stack.mjs")], {
    cwd: ROOT,
    env: { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), LOCAL_STACK_DIR: state },
    stdio: ["ignore", "pipe", "pipe"],
  });
  stack.stdout.on("data", (c) => (output += c));
  stack.stderr.on("data", (c) => (output += c));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`stack not ready in 180 s:\n${output}`)), 180_000);
    const check = () => {
      if (output.includes("local stack ready")) {
        clearTimeout(timer);
        resolve();
      }
    };
    stack.stdout.on("data", check);
    stack.once("exit", (code) => reject(new Error(`stack exited (${code}):\n${output}`)));
  });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  if (stack && stack.exitCode === null) {
    const exited = new Promise((r) => stack.once("exit", r));
    stack.kill("SIGTERM"); // the stack stops its own children (Ctrl-C path)
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    assert.notEqual(stack.exitCode ?? stack.signalCode, null, "the stack stops on SIGTERM");
  }
  stack?.stdout.destroy();
  stack?.stderr.destroy();
  rmSync(state, { recursive: true, force: true });
});

test("the printed curl sequence works as printed", async () => {
  // The sequence as printed: up to the blank line that ends the banner (the
  // servers' own log lines, prefixed `[name]`, may follow it at any time).
  const printed = output.split("==> try it from a shell")[1].split("\n").slice(1).join("\n");
  const script = printed.split("\n\n")[0].trim();
  assert.ok(!/^\[/m.test(script), `server output inside the sequence:\n${script}`);
  assert.match(script, /^TOKEN=\$\(curl/);
  const { stdout } = await promisify(execFile)("bash", ["-euo", "pipefail", "-c", script], { cwd: state });
  assert.match(stdout, /^uploaded\n200 image\/png \d+ bytes\n$/);
});

async function openDemo(user = "user_browser") {
  const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
  await page.goto(urls.DEMO_PORT);
  await page.fill("#user", user);
  await page.click("#signin");
  await page.waitForSelector("text=Signed in as " + user);
  return page;
}

test("a real PNG uploads through the page and renders from the store", async () => {
  const png = samplePng(64, 48);
  const page = await openDemo();
  try {
    await page.selectOption("#type", "profile");
    await page.setInputFiles("#file", { name: "my avatar.png", mimeType: "image/png", buffer: png });
    await page.click("#upload");
    const img = await page.waitForSelector("#result-image", { timeout: 20_000 });
    await page.waitForFunction(() => document.getElementById("result-image")?.complete, null, { timeout: 20_000 });
    const { width, height, src } = await img.evaluate((el) => ({ width: el.naturalWidth, height: el.naturalHeight, src: el.src }));
    assert.deepEqual({ width, height }, { width: 64, height: 48 });
    assert.equal(src, `${urls.S3_PORT}/uploads-dev/user-uploads/user_browser/profile/my%20avatar.png`);
    assert.equal(await page.textContent("#error"), "");
    assert.equal(await page.getAttribute("#progress", "value"), "100");
    // The store holds exactly the bytes the browser sent, publicly readable.
    const res = await fetch(src);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), png);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, "demo.png"), fullPage: true });
  } finally {
    await page.close();
  }
});

test("an oversized file is refused with the Worker's message", async () => {
  const page = await openDemo();
  try {
    await page.selectOption("#type", "profile");
    await page.setInputFiles("#file", { name: "huge.png", mimeType: "image/png", buffer: Buffer.alloc(5 * 1024 * 1024 + 1) });
    await page.click("#upload");
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.equal(await page.textContent("#error"), "Worker: File is larger than this upload type allows (file_too_large)");
    assert.equal(await page.$("#result-image"), null);
  } finally {
    await page.close();
  }
});

test("a disallowed type is refused with the Worker's message", async () => {
  const page = await openDemo();
  try {
    await page.selectOption("#type", "resume");
    await page.setInputFiles("#file", { name: "photo.png", mimeType: "image/png", buffer: samplePng() });
    await page.click("#upload");
    await page.waitForFunction(() => document.getElementById("error").textContent !== "");
    assert.equal(await page.textContent("#error"), "Worker: File type not allowed for this upload type (unsupported_file_type)");
  } finally {
    await page.close();
  }
});

test("a PDF résumé uploads and is linked", async () => {
  const pdf = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n");
  const page = await openDemo();
  try {
    await page.selectOption("#type", "resume");
    await page.setInputFiles("#file", { name: "cv.pdf", mimeType: "application/pdf", buffer: pdf });
    await page.click("#upload");
    const link = await page.waitForSelector("#result-link", { timeout: 20_000 });
    const href = await link.getAttribute("href");
    const res = await fetch(href);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), pdf);
  } finally {
    await page.close();
  }
});
