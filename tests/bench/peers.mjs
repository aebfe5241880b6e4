// peers.mjs: the peers' side of `make bench-peers` (tests/bench/peers.sh runs it with NODE_PATH pointing
// at the scratch folder where graphile-worker and pg-boss were installed). One action per run:
//   setup SYSTEM                       create the system's schema / queue
//   fill SYSTEM N                      queue N no-op jobs in one statement
//   drain SYSTEM CONCURRENCY [best]    work no-op jobs until none came for IDLE_MS (or PEER_MAX_MS passed); prints
//                                      "handled=N first_ms=T last_ms=T maxrss_kb=K"
//   enqueue SYSTEM CLIENTS SECONDS     CLIENTS concurrent callers of addJob / send; prints "jobs_per_s=R"
//   pickup SYSTEM COUNT                COUNT jobs added 20 ms apart while a worker waits; prints "p50_ms=
//                                      p99_ms=" (each job carries its insert time; same machine clock)
// SYSTEM is gw (graphile-worker) or boss (pg-boss); PEER_URL names the database of each (one each).
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.PEERS_DIR, 'node_modules', 'x.js'));
const [action, system, a1, a2, a3] = process.argv.slice(2);
const url = process.env.PEER_URL;
const IDLE_MS = 700;
const MAX_MS = Number(process.env.PEER_MAX_MS || 0); // a drain stops after this long (0: when idle)
const QUEUE = 'noop';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// --- graphile-worker ---------------------------------------------------------------------------------
const gw = {
  lib: () => require('graphile-worker'),
  async setup() { await gw.lib().runMigrations({ connectionString: url }); },
  async sql(text, params) {
    const { Client } = require('pg');
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query(text, params);
    await c.end();
  },
  clear: () => gw.sql('DELETE FROM graphile_worker._private_jobs'),
  async fill(n) {
    await gw.clear();
    await gw.sql(`SELECT graphile_worker.add_job('${QUEUE}', '{}'::json) FROM generate_series(1, $1)`, [n]);
  },
  async work(concurrency, best, onJob) {
    const preset = best ? { worker: { localQueue: { size: 100 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } }
      : undefined;
    const runner = await gw.lib().run({ connectionString: url, concurrency, noHandleSignals: true, pollInterval: 1000,
      preset, logger: new (gw.lib().Logger)(() => () => {}), taskList: { [QUEUE]: async (payload) => onJob(payload) } });
    return () => runner.stop();
  },
  async client(clients) {
    const utils = await gw.lib().makeWorkerUtils({ connectionString: url, maxPoolSize: clients });
    return { add: (payload) => utils.addJob(QUEUE, payload), end: () => utils.release() };
  },
};

// --- pg-boss -----------------------------------------------------------------------------------------
const boss = {
  async start(max) {
    const PgBoss = require('pg-boss');
    const b = new PgBoss({ connectionString: url, max, supervise: false, schedule: false });
    b.on('error', (e) => console.error(e.message));
    await b.start();
    return b;
  },
  async setup() { const b = await boss.start(2); await b.createQueue(QUEUE); await b.stop({ graceful: false }); },
  async clear() { const b = await boss.start(2); await b.purgeQueue(QUEUE); await b.stop({ graceful: false }); },
  async fill(n) {
    await boss.clear();
    const b = await boss.start(2);
    for (let i = 0; i < n; i += 1000)
      await b.insert(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: QUEUE, data: {} })));
    await b.stop({ graceful: false });
  },
  async work(concurrency, best, onJob) {
    const b = await boss.start(concurrency + 2);
    const opts = { batchSize: best ? 100 : 1, pollingIntervalSeconds: 0.5 };
    for (let i = 0; i < concurrency; i++)
      await b.work(QUEUE, opts, async (jobs) => { for (const j of jobs) onJob(j.data); });
    return () => b.stop({ graceful: true, wait: true });
  },
  async client(clients) {
    const b = await boss.start(clients);
    return { add: (payload) => b.send(QUEUE, payload), end: () => b.stop({ graceful: false }) };
  },
};

const sys = { gw, boss }[system];
if (!sys) throw new Error(`unknown system ${system}`);

async function drain(concurrency, best) {
  let handled = 0, first = 0, last = Date.now();
  const stop = await sys.work(concurrency, best, () => {
    last = Date.now();
    if (handled++ === 0) first = last;
  });
  const started = Date.now();
  while ((Date.now() - Math.max(last, started) < IDLE_MS || (handled === 0 && Date.now() - started < 60000)) &&
    !(MAX_MS > 0 && Date.now() - started >= MAX_MS))
    await sleep(50);
  await stop();
  console.log(`handled=${handled} first_ms=${first} last_ms=${last} maxrss_kb=${process.resourceUsage().maxRSS}`);
}

async function enqueue(clients, seconds) {
  const c = await sys.client(clients);
  for (let i = 0; i < clients; i++) await c.add({ warm: true });
  let n = 0;
  const until = Date.now() + seconds * 1000;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (Date.now() < until) { await c.add({}); n++; }
  }));
  console.log(`jobs_per_s=${(n / ((Date.now() - t0) / 1000)).toFixed(0)}`);
  await c.end();
}

async function pickup(count) {
  const lat = [];
  await sys.clear();
  const stop = await sys.work(1, false, (p) => { if (p && p.t) lat.push(Date.now() - p.t); });
  const c = await sys.client(1);
  await sleep(1500);
  for (let i = 0; i < count; i++) { await c.add({ t: Date.now() }); await sleep(20); }
  const until = Date.now() + 5000;
  while (lat.length < count && Date.now() < until) await sleep(50);
  await c.end();
  await stop();
  console.log(`jobs=${lat.length} p50_ms=${percentile(lat, 50)} p99_ms=${percentile(lat, 99)}`);
}

const actions = {
  setup: () => sys.setup(),
  fill: () => sys.fill(Number(a1)),
  drain: () => drain(Number(a1), a2 === 'best'),
  enqueue: () => enqueue(Number(a1), Number(a2)),
  pickup: () => pickup(Number(a1)),
};
await actions[action]();
process.exit(0);
