// Bundles the Uppy page (dev/uppy/main.js + Uppy's CSS) with esbuild from the
// npm packages pinned in package.json. dev/local-stack.mjs calls it at start,
// in memory, so the run and test commands always serve a fresh bundle.
// `node dev/uppy/build.mjs OUTDIR` writes the files and prints their sizes.
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const HERE = dirname(fileURLToPath(import.meta.url));

/** `{ "uppy.js": Buffer, "uppy.css": Buffer }`, minified, for evergreen browsers. */
export async function buildUppy() {
  const result = await build({
    entryPoints: { uppy: join(HERE, "main.js") },
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    outdir: "/uppy-out", // nothing is written (write: false); names only
    write: false,
    logLevel: "warning",
  });
  return Object.fromEntries(result.outputFiles.map((f) => [basename(f.path), Buffer.from(f.contents)]));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv[2]) throw new Error("usage: node dev/uppy/build.mjs OUTDIR");
  const out = resolve(process.argv[2]);
  mkdirSync(out, { recursive: true });
  for (const [name, bytes] of Object.entries(await buildUppy())) {
    writeFileSync(join(out, name), bytes);
    console.log(`${name}: ${bytes.length} bytes, ${gzipSync(bytes, { level: 9 }).length} bytes gzip -9`);
  }
}
