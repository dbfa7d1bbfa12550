/**
 * The fault injector: a scenario's fault timeline (scripted and drawn at random) scheduled on the
 * world, each fault carried out when it is due and recorded (did it take effect, and how), and the
 * task faults that the workload consults when it decides a task's fate.
 */
import { assertNever } from "../protocol/assert.js";
import type { DriverRoleState } from "../protocol/driver/state.js";
import type { Message } from "../protocol/index.js";
import { CLIENT } from "./builder.js";
import type { SubmissionClientState } from "./client.js";
import { clientRequest } from "./clientActions.js";
import { driverAction } from "./driverActions.js";
import type { Election } from "./election.js";
import { forgeMessage, type ForgedMessageType } from "./forge.js";
import type { Stream } from "./rng.js";
import type { FaultSpec, Scenario } from "./scenario.js";
import type { TimelineEntry } from "./timeline.js";
import type { SimNode, World } from "./world.js";

export interface FaultRecord {
  index: number;
  atMs: number;
  kind: string;
  target: string;
  fired: boolean;
  detail: string;
  random: boolean;
}

/** What the workload is told about the next task attempt: run it, make it throw, or lose it on its host. */
export type TaskFate = "run" | "fail" | "lose";

export class FaultInjector {
  readonly records: FaultRecord[] = [];
  /** When the last scripted or random fault is due (the run does not stop before). */
  lastFaultAtMs = 0;
  private failNextTasks = 0;
  private readonly failTasksFaults: FaultRecord[] = [];
  private loseNextTasks = 0;
  private readonly loseTasksFaults: FaultRecord[] = [];
  private readonly messageFaultRecords: Array<{ record: FaultRecord; id: number }> = [];

  constructor(
    private readonly world: World,
    private readonly election: Election,
    private readonly rng: Stream,
    private readonly timeline: TimelineEntry[],
    /** Restarts a node the way the cluster does (false when it cannot be restarted). */
    private readonly restartNode: (node: SimNode) => boolean,
  ) {}

  /** Schedules every fault of the scenario, scripted and random, in time order (before any node starts). */
  schedule(scenario: Scenario): void {
    const faults = [
      ...scenario.faults.map((f) => ({ f, random: false })),
      ...this.randomFaults(scenario).map((f) => ({ f, random: true })),
    ];
    faults.sort((a, b) => a.f.atMs - b.f.atMs);
    for (const { f, random } of faults) {
      const record: FaultRecord = {
        index: this.records.length,
        atMs: f.atMs,
        kind: f.kind,
        target: f.target ?? (f.hosts ? f.hosts.join(",") : (f.messageType ?? f.app ?? f.driver ?? f.from ?? "")),
        fired: false,
        detail: "",
        random,
      };
      this.records.push(record);
      this.lastFaultAtMs = Math.max(this.lastFaultAtMs, f.atMs);
      this.world.at(f.atMs, () => this.inject(f, record));
    }
  }

  /** The fate of the next task attempt, when a failTasks or loseTasks fault still has attempts to take. */
  nextTaskFate(failsAnyway: boolean): TaskFate {
    if (this.failNextTasks > 0) {
      this.failNextTasks--;
      for (const f of this.failTasksFaults) f.fired = true;
      return "fail";
    }
    if (failsAnyway) return "fail";
    if (this.loseNextTasks > 0) {
      this.loseNextTasks--;
      for (const f of this.loseTasksFaults) f.fired = true;
      return "lose";
    }
    return "run";
  }

  /** At the end of the run: a message fault took effect when it touched a message. */
  settle(): void {
    for (const { record, id } of this.messageFaultRecords) {
      const fault = this.world.network.faults.find((x) => x.id === id)!;
      record.fired = fault.hits > 0;
      record.detail = `${fault.hits} messages affected`;
    }
  }

  private randomFaults(scenario: Scenario): FaultSpec[] {
    const r = scenario.randomFaults;
    if (r === null || r.perMinute <= 0 || r.kinds.length === 0) return [];
    const workers = scenario.cluster.workers.reduce((sum, g) => sum + g.count, 0);
    const out: FaultSpec[] = [];
    let t = r.fromMs;
    for (let i = 0; i < 10_000; i++) {
      t += Math.max(1, Math.round((-Math.log(1 - this.rng.next()) * 60_000) / r.perMinute));
      if (t >= r.untilMs) break;
      const kind = r.kinds[this.rng.int(0, r.kinds.length - 1)]!;
      const worker = `worker-${this.rng.int(1, workers)}`;
      if (kind === "crashWorker") out.push({ atMs: t, kind: "crash", target: worker, restartAfterMs: r.durationMs });
      else if (kind === "pauseWorker") out.push({ atMs: t, kind: "pause", target: worker, durationMs: r.durationMs });
      else if (kind === "partitionWorker") out.push({ atMs: t, kind: "partition", hosts: [worker], durationMs: r.durationMs });
      else out.push({ atMs: t, kind: "crash", target: `executor:*` });
    }
    return out;
  }

  /** The live node a fault's target names (`leader`, `app:NAME`, `driver:NAME`, `executor:APP|*`, or a node name), or null. */
  resolve(target: string): SimNode | null {
    const w = this.world;
    if (target === "leader") {
      const leader = this.election.leader;
      if (leader !== null) return leader.alive ? leader : null;
      return w.nodes.find((n) => n.kind === "master" && n.alive) ?? null;
    }
    if (target.startsWith("app:"))
      return w.nodes.find((n) => n.alive && n.kind === "driver" && n.labels["app"] === target.slice(4)) ?? null;
    if (target.startsWith("driver:"))
      return w.nodes.find((n) => n.alive && n.kind === "driver" && n.labels["driver"] === target.slice(7)) ?? null;
    if (target.startsWith("executor:")) {
      const app = target.slice(9);
      const live = w.nodes.filter((n) => n.alive && n.kind === "executor" && (app === "*" || n.labels["app"] === app));
      const busy = live.filter((n) => n.tasks.size > 0);
      const pool = busy.length > 0 ? busy : live;
      return pool.length === 0 ? null : pool[this.rng.int(0, pool.length - 1)]!;
    }
    return w.byName.get(target) ?? null;
  }

  private inject(f: FaultSpec, record: FaultRecord): void {
    const w = this.world;
    const fire = (detail: string): void => {
      record.fired = true;
      record.detail = detail;
      this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: `FAULT ${f.kind}: ${detail}` });
    };
    const miss = (detail: string): void => {
      record.detail = detail;
      this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: `fault ${f.kind} did not take effect: ${detail}` });
    };
    switch (f.kind) {
      case "crash": {
        const node = this.resolve(f.target!);
        if (node === null || !w.crash(node, `crashed by fault #${record.index}`, f.exitCode)) return miss(`no live node for ${f.target}`);
        record.target = node.name;
        const tasks = node.kind === "executor" ? ` with ${node.tasks.size} running tasks` : "";
        fire(`${node.name} crashed${tasks}${f.restartAfterMs !== undefined ? `, restarts in ${f.restartAfterMs} ms` : ""}`);
        if (f.restartAfterMs !== undefined) {
          w.at(w.now + f.restartAfterMs, () => {
            if (this.restartNode(node))
              this.timeline.push({ timeMs: w.now, kind: "fault", node: node.name, text: `${node.name} restarted` });
          });
        }
        return;
      }
      case "restart": {
        const node = w.byName.get(f.target!) ?? null;
        if (node === null || !this.restartNode(node)) return miss(`${f.target} is not a dead node`);
        return fire(`${node.name} restarted`);
      }
      case "pause": {
        const node = this.resolve(f.target!);
        if (node === null || !w.pause(node)) return miss(`no live running node for ${f.target}`);
        record.target = node.name;
        if (node.kind === "master") this.election.masterPaused(node);
        fire(`${node.name} paused for ${f.durationMs} ms`);
        w.at(w.now + f.durationMs!, () => {
          if (!w.resume(node)) return;
          this.timeline.push({ timeMs: w.now, kind: "fault", node: node.name, text: `${node.name} resumed` });
          if (node.kind === "master") this.election.masterResumed(node);
        });
        return;
      }
      case "partition": {
        const hosts = (list: string[]): Set<string> => new Set(list.map((h) => this.resolve(h)?.host ?? h));
        const id = record.index + 1;
        w.network.partitions.push({ id, sideA: hosts(f.hosts!), sideB: f.others ? hosts(f.others) : null, oneWay: f.oneWay ?? false });
        fire(
          `${f.oneWay ? "one-way " : ""}partition ${f.hosts!.join(",")} | ${f.others ? f.others.join(",") : "everyone else"}${f.durationMs !== undefined ? ` for ${f.durationMs} ms` : ""}`,
        );
        if (f.durationMs !== undefined) {
          w.at(w.now + f.durationMs, () => {
            if (w.healPartition(id)) this.timeline.push({ timeMs: w.now, kind: "fault", node: record.target, text: "partition healed" });
          });
        }
        return;
      }
      case "messages": {
        const id = record.index + 1;
        w.network.faults.push({
          id,
          messageType: f.messageType ?? null,
          fromHost: f.from ? (this.resolve(f.from)?.host ?? f.from) : null,
          toHost: f.to ? (this.resolve(f.to)?.host ?? f.to) : null,
          dropProbability: f.dropProbability ?? 0,
          dropFirst: f.dropFirst ?? 0,
          delayMs: f.delayMs ?? 0,
          duplicateProbability: f.duplicateProbability ?? 0,
          fromMs: w.now,
          untilMs: f.durationMs !== undefined ? w.now + f.durationMs : Number.MAX_SAFE_INTEGER,
          hits: 0,
        });
        this.messageFaultRecords.push({ record, id });
        record.detail = `armed for ${f.messageType ?? "all messages"}`;
        this.timeline.push({
          timeMs: w.now,
          kind: "fault",
          node: record.target,
          text: `FAULT messages armed: ${f.messageType ?? "all"}${f.dropFirst ? ` drop first ${f.dropFirst}` : ""}${f.dropProbability ? ` drop p=${f.dropProbability}` : ""}${f.delayMs ? ` delay ${f.delayMs} ms` : ""}${f.duplicateProbability ? ` duplicate p=${f.duplicateProbability}` : ""}`,
        });
        return;
      }
      case "storeDown": {
        this.election.storeDown();
        fire(`recovery store unavailable for ${f.durationMs} ms`);
        w.at(w.now + f.durationMs!, () => {
          this.election.storeUp();
          this.timeline.push({ timeMs: w.now, kind: "fault", node: "store", text: "recovery store available again" });
        });
        return;
      }
      case "failTasks": {
        this.failNextTasks += f.count!;
        this.failTasksFaults.push(record);
        record.detail = `the next ${f.count} task attempts throw`;
        return;
      }
      case "inject": {
        const from = this.resolve(f.from!);
        const to = this.resolve(f.to!);
        if (from === null) return miss(`no live node for ${f.from}`);
        if (to === null) return miss(`no live node for ${f.to}`);
        const message = structuredClone(f.message!) as unknown as Message;
        record.target = `${from.name}->${to.name}`;
        w.inject(from, to.name, message);
        return fire(`${from.name} sends ${message.type} to ${to.name}`);
      }
      case "loseTasks": {
        this.loseNextTasks += f.count!;
        this.loseTasksFaults.push(record);
        record.detail = `the next ${f.count} task attempts are lost by their host`;
        return;
      }
      case "requestExecutors":
      case "killExecutors":
      case "cancelJob":
      case "killTask": {
        const driver = this.resolve(`app:${f.app!}`);
        if (driver === null) return miss(`no live driver for app ${f.app}`);
        record.target = driver.name;
        const action = driverAction(f, driver.state as DriverRoleState, record.index);
        if (typeof action === "string") return miss(action);
        w.pushInput(driver, { type: "command", command: action.command });
        return fire(action.detail);
      }
      case "killDriver":
      case "driverStatus": {
        const client = w.byName.get(CLIENT);
        if (client === undefined || !client.alive) return miss("the submission client is down");
        const state = client.state as SubmissionClientState;
        const masters = state.masters.filter((m) => w.byName.get(m)?.alive === true);
        if (masters.length === 0) return miss("no master is up");
        const request = clientRequest(f, state);
        for (const m of masters) w.inject(client, m, structuredClone(request.message));
        return fire(`${request.detail} (${masters.join(", ")})`);
      }
      case "forge": {
        const forger = this.resolve(f.target!);
        if (forger === null) return miss(`no live node for ${f.target}`);
        record.target = forger.name;
        const forged = forgeMessage(w.nodes, forger, f.messageType as ForgedMessageType, f.to ?? null);
        if (typeof forged === "string") return miss(forged);
        w.inject(forger, forged.to.name, forged.message);
        return fire(`${forger.name} sends ${forged.to.name} a forged ${forged.message.type}`);
      }
      default:
        assertNever(f.kind, "fault kind");
    }
  }
}
