// Where an upload request's time goes in this harness, and so the best
// ratio any Worker doing this job can reach against the reference here.
// One alternating run of: GET /healthz (the runtime's fixed cost per
// request), and POST with cold/reused tokens for each Worker with its
// RATE_LIMITER bound and unbound (the difference is the Durable Object hop).
// Prints per-request costs (1 / req/s) and the derived ceilings.
import { DURATION, ROUNDS, WORKERS, median, token, wrk } from "./harness.mjs";

const names = Object.keys(WORKERS);
const runs = {};
const note = (key, value) => (runs[key] ??= []).push(value);
const expected = Number(DURATION) * 6000;

for (let round = 0; round < ROUNDS; round++) {
  for (const noDO of [false, true]) {
    for (const name of names) {
      const mf = WORKERS[name](noDO);
      const base = `${await mf.ready}`.replace(/\/$/, "");
      const url = `${base}/api/v1/s3/generatePreSignedURL`;
      await wrk(url, [token("user_warm")]);
      const tag = `${name}${noDO ? " / no DO" : ""}`;
      if (!noDO) note(`${name} / healthz`, (await wrk(base, [token("x")], { health: true })).rps);
      const fresh = Array.from({ length: expected }, (_, i) => token(`user_${round}_${i % 64}`));
      const cold = await wrk(url, fresh);
      const reused = await wrk(url, [token("user_reused")]);
      if (cold.non2xx + reused.non2xx) throw new Error(`${tag}: non-2xx responses`);
      note(`${tag} / cold`, cold.rps);
      note(`${tag} / reused`, reused.rps);
      await mf.dispose();
      console.error(`round ${round + 1} ${tag}: cold ${cold.rps}, reused ${reused.rps} req/s`);
    }
  }
}

const ms = (key) => 1000 / median(runs[key]);
const [ours, ref] = names;
console.log(`\n| per request (ms = 1 / median req/s, ${ROUNDS} rounds × ${DURATION} s) | ${ours} | ${ref} |`);
console.log("|---|---|---|");
const row = (label, fn) => console.log(`| ${label} | ${fn(ours).toFixed(3)} | ${fn(ref).toFixed(3)} |`);
row("GET /healthz (runtime fixed cost)", (n) => ms(`${n} / healthz`));
for (const t of ["cold", "reused"]) {
  row(`upload, ${t} tokens`, (n) => ms(`${n} / ${t}`));
  row(`upload, ${t} tokens, no DO`, (n) => ms(`${n} / no DO / ${t}`));
  row(`→ the DO hop, ${t}`, (n) => ms(`${n} / ${t}`) - ms(`${n} / no DO / ${t}`));
  row(`→ the Worker's own work, ${t}`, (n) => ms(`${n} / no DO / ${t}`) - ms(`${n} / healthz`));
}
console.log("\n| ceiling (ours vs reference, req/s) | measured with the DO | measured without | if our own work were free |");
console.log("|---|---|---|---|");
for (const t of ["cold", "reused"]) {
  const withDO = ms(`${ref} / ${t}`) / ms(`${ours} / ${t}`);
  const without = ms(`${ref} / no DO / ${t}`) / ms(`${ours} / no DO / ${t}`);
  const free = ms(`${ref} / ${t}`) / (ms(`${ours} / ${t}`) - (ms(`${ours} / no DO / ${t}`) - ms(`${ours} / healthz`)));
  console.log(`| ${t} tokens | ${withDO.toFixed(2)}× | ${without.toFixed(2)}× | ${free.toFixed(2)}× |`);
}
