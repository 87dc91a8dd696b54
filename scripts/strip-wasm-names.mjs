// Drops the `name` custom section (function names, ~110 KB) from a wasm
// file in place. worker-build always asks wasm-opt to keep it (--debuginfo);
// a deployed Worker does not need it. Every other section is copied as is.
//   node scripts/strip-wasm-names.mjs build/index_bg.wasm
import { readFileSync, renameSync, writeFileSync } from "node:fs";

const file = process.argv[2];
const wasm = readFileSync(file);
if (wasm.readUInt32BE(0) !== 0x0061736d) throw new Error(`${file}: not a wasm module`);

function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (at >= wasm.length) throw new Error(`${file}: truncated at byte ${at}`);
    const byte = wasm[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

const kept = [wasm.subarray(0, 8)];
let dropped = 0;
for (let at = 8; at < wasm.length; ) {
  const start = at;
  const [size, body] = leb(at + 1);
  const end = body + size;
  if (end > wasm.length) throw new Error(`${file}: truncated section at ${start}`);
  let isName = false;
  if (wasm[start] === 0) {
    const [len, nameAt] = leb(body);
    isName = wasm.toString("latin1", nameAt, nameAt + len) === "name";
  }
  if (isName) dropped += end - start;
  else kept.push(wasm.subarray(start, end));
  at = end;
}
// Whole or not at all: a write cut short must not leave half a module.
writeFileSync(`${file}.tmp`, Buffer.concat(kept));
renameSync(`${file}.tmp`, file);
console.log(`strip-wasm-names: ${file}: ${dropped} bytes of names dropped`);
