// Transport speed on 127.0.0.1 (authenticated): one-way throughput of small messages, and the
// round trip of one message (p50, p99). Run after `npm run build` (or set FLINT_DIST): node bench/transport.js
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const dist = resolve(process.env.FLINT_DIST ?? new URL("../dist", import.meta.url).pathname);
const { Transport } = await import(pathToFileURL(`${dist}/real/transport.js`).href);
const { createMemoryLogger } = await import(pathToFileURL(`${dist}/real/log.js`).href);

const secret = "bench-secret-0123456789abcdef";
async function node(onMessage) {
  const t = new Transport({ logger: createMemoryLogger("bench"), secret });
  t.attach({ onMessage, onDisconnected: () => {} });
  await t.listen("127.0.0.1", 0);
  return t;
}

const statusUpdate = (taskId) => ({
  type: "StatusUpdate",
  executorId: "1",
  taskId,
  state: "FINISHED",
  data: { kind: "result", value: null, sizeBytes: 4 },
  taskCpus: 1,
});

// Throughput: N messages a -> b, sent in bursts of 1,000 per turn, each with a message id as a host
// gives it (builds before protocol version 3 ignore the id). Both ends live in this process, so its
// CPU time over the run is the transport's whole cost per message (send, frame, receive, decode):
// steadier than the throughput on a machine that other work keeps busy.
const N = Number(process.env.N ?? 200_000);
let received = 0;
let done;
const b = await node(() => {
  if (++received === N) done();
});
const a = await node((from, m) => a.send(from, m)); // echoes for the latency test below
a.send(b.address, statusUpdate(-1));
await new Promise((r) => setTimeout(r, 50));
received = 0;
const start = performance.now();
const cpuStart = process.cpuUsage();
const finished = new Promise((r) => (done = r));
for (let i = 0; i < N; i += 1_000) {
  for (let k = 0; k < 1_000; k++) a.send(b.address, statusUpdate(i + k), { pid: 4242, step: i + k, index: 0 });
  await new Promise((r) => setImmediate(r));
}
await finished;
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const cpuUsPerMessage = (cpu.user + cpu.system) / N;

// Round trip: b sends one message to a, a echoes it back, one at a time.
const R = Number(process.env.R ?? 5_000);
const rtts = [];
let pong;
const c = await node(() => pong());
for (let i = 0; i < R + 200; i++) {
  const t0 = performance.now();
  await new Promise((r) => {
    pong = r;
    c.send(a.address, statusUpdate(i));
  });
  if (i >= 200) rtts.push(performance.now() - t0);
}
rtts.sort((x, y) => x - y);
const pct = (p) => rtts[Math.min(rtts.length - 1, Math.floor((p / 100) * rtts.length))] * 1000;

// Handshake cost: the first message's round trip on a FRESH connection (connect, handshake, message,
// echo), with the secret and without it (the hello and challenge only), over K connections each.
// The difference is what authentication adds per connection; per message it adds nothing (the
// round trips above run on an authenticated connection, with no per-message MAC).
const K = Number(process.env.K ?? 300);
async function freshRoundTrips(withSecret) {
  const auth = withSecret ? { secret } : { allowUnauthenticated: true };
  let echo;
  const server = new Transport({ logger: createMemoryLogger("bench"), ...auth });
  server.attach({ onMessage: (from, m) => server.send(from, m), onDisconnected: () => {} });
  await server.listen("127.0.0.1", 0);
  const times = [];
  for (let i = 0; i < K + 20; i++) {
    const client = new Transport({ logger: createMemoryLogger("bench"), ...auth, nodeAddress: `flint://127.0.0.1:${40000 + i}` });
    client.attach({ onMessage: () => echo(), onDisconnected: () => {} });
    const t0 = performance.now();
    await new Promise((r) => {
      echo = r;
      client.send(server.address, statusUpdate(i));
    });
    if (i >= 20) times.push(performance.now() - t0);
    await client.close({ drainMs: 0 });
  }
  await server.close({ drainMs: 0 });
  times.sort((x, y) => x - y);
  return (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] * 1000;
}
const plain = await freshRoundTrips(false);
const authed = await freshRoundTrips(true);

console.log(`transport (node ${process.version}, JSON codec, HMAC auth, 127.0.0.1)`);
console.table([
  { measure: `one-way throughput, ${N} StatusUpdates`, value: `${Math.round(N / seconds).toLocaleString("en")} msg/s` },
  { measure: `  CPU per message (both ends, this process)`, value: `${cpuUsPerMessage.toFixed(2)} us` },
  { measure: `round trip p50 (${R} echoes)`, value: `${pct(50).toFixed(0)} us` },
  { measure: `round trip p99`, value: `${pct(99).toFixed(0)} us` },
  { measure: `fresh connection + first round trip p50, no secret (${K})`, value: `${plain(50).toFixed(0)} us` },
  { measure: `fresh connection + first round trip p50, mutual HMAC handshake`, value: `${authed(50).toFixed(0)} us` },
  { measure: `  p99 no secret / with handshake`, value: `${plain(99).toFixed(0)} / ${authed(99).toFixed(0)} us` },
  { measure: `handshake cost per connection (p50 difference)`, value: `${(authed(50) - plain(50)).toFixed(0)} us` },
]);
await Promise.all([a.close(), b.close(), c.close()]);
