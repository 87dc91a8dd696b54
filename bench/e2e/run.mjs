// End-to-end benchmark: upload-signer (../../build) vs the reference
// JavaScript Worker (reference/worker.js, bundled with esbuild), both in
// workerd via Miniflare on loopback, loaded alternately (A B A B) by wrk with
// the same requests and valid Clerk-shaped tokens. Prints a Markdown table.
import { CONNECTIONS, DURATION, ROUNDS, WORKERS, coldStart, median, token, wrk } from "./harness.mjs";

const results = {};
for (const name of Object.keys(WORKERS)) results[name] = { cold: [], reused: [], start: [] };
const expected = Number(DURATION) * 4000; // generous upper bound of requests per run

for (let round = 0; round < ROUNDS; round++) {
  for (const [name, make] of Object.entries(WORKERS)) {
    const mf = make();
    const url = `${await mf.ready}`.replace(/\/$/, "") + "/api/v1/s3/generatePreSignedURL";
    // Warm up (JWKS fetch, JIT), then cold tokens: a new token for every request.
    await wrk(url, [token("user_warm")]);
    const fresh = Array.from({ length: expected }, (_, i) => token(`user_${round}_${i % 64}`));
    const cold = await wrk(url, fresh);
    if (cold.requests >= fresh.length) console.error(`warning: ${name} reused tokens in the cold run`);
    const reused = await wrk(url, [token("user_reused")]);
    results[name].cold.push(cold);
    results[name].reused.push(reused);
    await mf.dispose();
    console.error(`round ${round + 1} ${name}: cold ${cold.rps} req/s, reused ${reused.rps} req/s (non-2xx ${cold.non2xx + reused.non2xx})`);
  }
}

// Start → first response, alternating, after one discarded pair (the first
// Miniflare start in a process pays for loading Miniflare itself).
const START_SAMPLES = Number(process.env.BENCH_START_SAMPLES ?? 7);
for (const make of Object.values(WORKERS)) await coldStart(make);
for (let i = 0; i < START_SAMPLES; i++) {
  for (const [name, make] of Object.entries(WORKERS)) results[name].start.push(await coldStart(make));
}

const [ours, ref] = Object.keys(WORKERS);
const best = (runs, key) => median(runs.map((r) => r[key]));
const row = (label, key, unit, higherIsBetter) => {
  const a = best(results[ours][label], key);
  const b = best(results[ref][label], key);
  const ratio = higherIsBetter ? a / b : b / a;
  return `| ${label} tokens: ${key} | ${a.toFixed(unit === "req/s" ? 0 : 2)} ${unit} | ${b.toFixed(unit === "req/s" ? 0 : 2)} ${unit} | ${ratio.toFixed(2)}× |`;
};
console.log(`\n| measure (median of ${ROUNDS} alternating rounds, ${DURATION} s each, ${CONNECTIONS} connections) | upload-signer | reference JS | ours vs theirs (>1 = ours better) |`);
console.log("|---|---|---|---|");
for (const label of ["cold", "reused"]) {
  console.log(row(label, "rps", "req/s", true));
  console.log(row(label, "p50", "ms", false));
  console.log(row(label, "p99", "ms", false));
}
const sa = median(results[ours].start);
const sb = median(results[ref].start);
console.log(`| start → first response (median of ${START_SAMPLES}) | ${sa.toFixed(0)} ms | ${sb.toFixed(0)} ms | ${(sb / sa).toFixed(2)}× |`);
const errors = Object.values(results).flatMap((r) => [...r.cold, ...r.reused]).reduce((n, r) => n + r.non2xx, 0);
console.log(`\nnon-2xx responses across all runs: ${errors}`);
