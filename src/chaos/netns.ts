/**
 * Partitions for `flint chaos`: every node (master, worker, app driver) runs in a Linux network
 * namespace of its own, joined by a veth link to a bridge that lives in a namespace of its own
 * (the hub); this process's namespace gets a link too, to ask the masters for their status. A
 * partition cuts a node's link (its eth0 goes down: packets are lost, connections are not reset,
 * as when a cable is pulled) and the heal brings it back. Needs root and iproute2.
 */
import { spawnSync } from "node:child_process";

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, err: ((r.stderr ?? "") + (r.error?.message ?? "")).trim() };
}

function must(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.err}`);
}

/** Why network namespaces cannot be made here, or undefined when they can. */
export function namespacesUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "this needs root (ip netns add, veth links); run flint chaos as root, or drop the partition faults";
  const probe = `fc${process.pid % 100000}-probe`;
  const made = ip(["netns", "add", probe]);
  if (!made.ok) return `ip netns add failed: ${made.err || "is iproute2 installed?"}`;
  ip(["netns", "del", probe]);
  return undefined;
}

export class ChaosNetwork {
  private readonly nodes = new Map<string, { ns: string; ip: string }>();
  private readonly hub: string;
  private readonly rootLink: string;

  private constructor(private readonly tag: string) {
    this.hub = `${tag}-hub`;
    this.rootLink = `${tag}r`;
  }

  /** A namespace and an address (10.79.0.x) for each name, all on one bridge, and a link for this process (10.79.0.254). */
  static create(names: readonly string[]): ChaosNetwork {
    if (names.length > 250) throw new Error(`${names.length} nodes do not fit one /24 network`);
    const net = new ChaosNetwork(`fc${process.pid % 100000}`);
    try {
      must(["netns", "add", net.hub]);
      must(["-n", net.hub, "link", "add", "br0", "type", "bridge"]);
      must(["-n", net.hub, "link", "set", "br0", "up"]);
      names.forEach((name, i) => {
        const ns = `${net.tag}-${i}`;
        const address = `10.79.0.${i + 1}`;
        must(["netns", "add", ns]);
        net.nodes.set(name, { ns, ip: address });
        const hubEnd = `${net.tag}h${i}`;
        must(["link", "add", "eth0", "netns", ns, "type", "veth", "peer", "name", hubEnd, "netns", net.hub]);
        must(["-n", net.hub, "link", "set", hubEnd, "master", "br0"]);
        must(["-n", net.hub, "link", "set", hubEnd, "up"]);
        must(["-n", ns, "addr", "add", `${address}/24`, "dev", "eth0"]);
        must(["-n", ns, "link", "set", "eth0", "up"]);
        must(["-n", ns, "link", "set", "lo", "up"]);
      });
      const hubEnd = `${net.tag}hr`;
      must(["link", "add", net.rootLink, "type", "veth", "peer", "name", hubEnd, "netns", net.hub]);
      must(["-n", net.hub, "link", "set", hubEnd, "master", "br0"]);
      must(["-n", net.hub, "link", "set", hubEnd, "up"]);
      must(["addr", "add", "10.79.0.254/24", "dev", net.rootLink]);
      must(["link", "set", net.rootLink, "up"]);
    } catch (err) {
      net.destroy();
      throw err;
    }
    return net;
  }

  private node(name: string): { ns: string; ip: string } {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`${name} has no network namespace`);
    return n;
  }

  ipOf(name: string): string {
    return this.node(name).ip;
  }

  /** The command that runs `command` inside `name`'s namespace. */
  wrap(name: string, command: string[]): string[] {
    return ["ip", "netns", "exec", this.node(name).ns, ...command];
  }

  cut(name: string): void {
    must(["-n", this.node(name).ns, "link", "set", "eth0", "down"]);
  }

  heal(name: string): void {
    must(["-n", this.node(name).ns, "link", "set", "eth0", "up"]);
  }

  /** Removes every namespace and link (what was made of them; errors ignored). */
  destroy(): void {
    ip(["link", "del", this.rootLink]);
    for (const { ns } of this.nodes.values()) ip(["netns", "del", ns]);
    ip(["netns", "del", this.hub]);
  }
}
