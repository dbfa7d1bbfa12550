// Codec speed: encode (JSON.stringify + UTF-8) and decode (parse + validation against the compiled
// message schemas) of representative messages, and the cost of validation alone. Run after `npm run build` (or set FLINT_DIST to a
// compiled src/ tree): node bench/codec.js
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const dist = resolve(process.env.FLINT_DIST ?? new URL("../dist", import.meta.url).pathname);
const { encodeMessage, decodeMessage, validateMessage } = await import(pathToFileURL(`${dist}/real/codec.js`).href);
import { samples } from "./codec-samples.js";
const { encodeFrame, FrameDecoder, messagePayload, splitMessagePayload } = await import(pathToFileURL(`${dist}/real/framing.js`).href);
const { decodeMessageText } = await import(pathToFileURL(`${dist}/real/codec.js`).href);
// Since protocol version 3 a message frame is its id (16 bytes) then its JSON; older builds have no id.
const withIds = typeof messagePayload === "function";
const id = { pid: 4242, step: 123_456, index: 3 };

function time(fn, iterations) {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations; // ms per op
}

const N = Number(process.env.N ?? 200_000);
const rows = [];
for (const [name, message] of Object.entries(samples)) {
  const bytes = encodeMessage(message);
  const frame = encodeFrame(withIds ? messagePayload(JSON.stringify(message), id) : bytes);
  const encodeMs = time(() => encodeMessage(message), N);
  const decodeMs = time(() => decodeMessage(bytes), N);
  const parseOnlyMs = time(() => JSON.parse(bytes.toString("utf8")), N);
  const parsed = JSON.parse(bytes.toString("utf8"));
  const validateMs = time(() => validateMessage(parsed), N);
  const decoder = new FrameDecoder();
  const framedDecodeMs = time(
    withIds
      ? () => {
          decoder.feed(frame);
          decodeMessageText(splitMessagePayload(decoder.next()).json);
        }
      : () => {
          decoder.feed(frame);
          decodeMessage(decoder.next());
        },
    N,
  );
  // What the transport does per send: the JSON, then the frame's payload (with its id since version 3).
  const sendPayloadMs = time(
    withIds ? () => messagePayload(JSON.stringify(message), id) : () => Buffer.from(JSON.stringify(message), "utf8"),
    N,
  );
  rows.push({
    message: name,
    bytes: bytes.length,
    "encode us": +(encodeMs * 1000).toFixed(3),
    "decode us": +(decodeMs * 1000).toFixed(3),
    "JSON.parse only us": +(parseOnlyMs * 1000).toFixed(3),
    "validate only us": +(validateMs * 1000).toFixed(3),
    "unframe+decode us": +(framedDecodeMs * 1000).toFixed(3),
    "send payload us": +(sendPayloadMs * 1000).toFixed(3),
    "encode/s": Math.round((1 / encodeMs) * 1000),
    "decode/s": Math.round((1 / decodeMs) * 1000),
  });
}
console.log(`codec: JSON, ${N} iterations each, node ${process.version}${withIds ? ", frames with message ids" : ""}`);
console.table(rows);
