/** Helpers for the attack suite against live processes: log reading and a hand-driven attacker socket. */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { FrameDecoder, encodeFrame, messagePayload } from "../../../src/real/framing.js";
import { waitFor } from "../cluster/harness.js";

export type LogLine = Record<string, unknown> & { event: string; level: string };

export function readLog(path: string): LogLine[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LogLine);
}

export const logOf = (c: LocalCluster, name: string): LogLine[] => readLog(join(c.logDir, `${name}.log`));

/** The address a process announced (its `listening` log line). */
export function listeningAddress(c: LocalCluster, name: string): string {
  const line = logOf(c, name).find((e) => e.event === "listening");
  if (!line) throw new Error(`${name} has not logged its address`);
  return String(line["address"]);
}

export const portOf = (addressText: string): number => Number(addressText.split(":").at(-1));

/** A socket whose frames we read and write by hand. */
export class Wire {
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 30);

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      const { frames } = this.decoder.push(chunk);
      this.frames.push(...frames);
    });
    socket.on("error", () => undefined);
    socket.on("close", () => (this.closed = true));
  }

  static async dial(port: number): Promise<Wire> {
    const socket = connect({ host: "127.0.0.1", port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    return new Wire(socket);
  }

  send(frame: Buffer | string | object): void {
    const payload = Buffer.isBuffer(frame) ? frame : Buffer.from(typeof frame === "string" ? frame : JSON.stringify(frame));
    if (!this.socket.destroyed) this.socket.write(encodeFrame(payload));
  }

  /** Sends a message after the handshake: its frame starts with a message id (here none, the zero id). */
  message(message: object): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(messagePayload(JSON.stringify(message), undefined)));
  }

  /** The next unread frame, parsed as JSON (waits for it; undefined if the socket closes first). */
  async next(used: { n: number }, timeoutMs = 5_000): Promise<Record<string, unknown> | undefined> {
    await waitFor("a frame or the close", () => this.frames.length > used.n || this.closed, timeoutMs, 5);
    if (this.frames.length <= used.n) return undefined;
    return JSON.parse(this.frames[used.n++]!.toString()) as Record<string, unknown>;
  }

  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await waitFor("the socket to close", () => this.closed, timeoutMs, 5);
  }

  close(): void {
    this.socket.destroy();
  }
}
