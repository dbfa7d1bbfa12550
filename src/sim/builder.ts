/**
 * The cluster builder: the nodes a scenario describes (masters, the submission client, worker
 * groups, client-mode drivers, cluster-mode submissions), each node's config, what a worker's
 * `launch` starts (an executor or a cluster-mode driver), and a restarted node's fresh config.
 */
import {
  address,
  formatWorkerId,
  type Address,
  type ApplicationDescription,
  type DriverConfig,
  type ExecutorConfig,
  type LaunchSpec,
  type MasterConfig,
  type ProtocolConfig,
  type WorkerConfig,
} from "../protocol/index.js";
import { submissionClient, submitDriverInput } from "./client.js";
import { nodeSeed } from "./rng.js";
import type { AppSpec, Scenario } from "./scenario.js";
import type { AnyRole, NodeSpec, SimNode, World } from "./world.js";

export interface RoleSet {
  master: AnyRole;
  worker: AnyRole;
  driver: AnyRole;
  executor: AnyRole;
}

/** The submission client's node name. */
export const CLIENT = "client";

export class ClusterBuilder {
  readonly masterNames: Address[];
  /** Every app of the scenario (client-mode and cluster-mode drivers'), by name. */
  readonly appsByName = new Map<string, AppSpec>();

  constructor(
    private readonly scenario: Scenario,
    private readonly roles: RoleSet,
    private readonly world: World,
    private readonly config: ProtocolConfig,
    private readonly seed: number,
  ) {
    this.masterNames = Array.from({ length: scenario.cluster.masters }, (_, i) => address(`master-${i + 1}`));
    for (const a of scenario.apps) this.appsByName.set(a.name, a);
    for (const d of scenario.drivers) this.appsByName.set(d.app.name, d.app);
  }

  /** Schedules every node's start and every cluster-mode submission. */
  start(): void {
    const s = this.scenario;
    const w = this.world;
    for (const name of this.masterNames) w.addNode({ name, kind: "master", role: this.roles.master, config: this.masterConfig(name) });
    w.addNode({
      name: CLIENT,
      kind: "client",
      role: submissionClient as AnyRole,
      config: { masterAddresses: this.masterNames.slice(), protocol: this.config },
    });
    let n = 0;
    for (const group of s.cluster.workers) {
      for (let i = 0; i < group.count; i++) {
        const name = address(`worker-${++n}`);
        w.at(group.startAtMs, () => {
          const spec: NodeSpec = {
            name,
            kind: "worker",
            role: this.roles.worker,
            config: this.workerConfig(name, group.cores, group.memoryMb, 0),
            labels: { cores: String(group.cores), memoryMb: String(group.memoryMb) },
          };
          w.addNode(spec);
        });
      }
    }
    for (const app of s.apps) {
      const name = address(`drv-${app.name}`);
      w.at(app.submitAtMs, () =>
        w.addNode({
          name,
          kind: "driver",
          role: this.roles.driver,
          config: this.driverConfig(name, name, app, 0),
          labels: { app: app.name },
        }),
      );
    }
    for (const d of s.drivers) {
      w.at(d.submitAtMs, () => {
        w.pushInput(
          w.byName.get(CLIENT)!,
          submitDriverInput({ cores: d.cores, memoryMb: d.memoryMb, supervise: d.supervise, command: { simDriver: d.name } }),
        );
      });
    }
  }

  /** What a worker's `launch` starts: an executor or a cluster-mode driver, or an error string. */
  launcher(spec: LaunchSpec, parent: SimNode): NodeSpec | string {
    if (spec.kind === "executor") {
      const driver = this.world.byName.get(spec.driverAddress);
      const appName = driver?.labels["app"] ?? String(spec.appDesc.command["simApp"] ?? "");
      const launchError = this.appsByName.get(appName)?.executorLaunchError;
      if (launchError !== undefined) return launchError;
      const name = `exec-${spec.appId}-${spec.execId}`;
      const config: ExecutorConfig = {
        appId: spec.appId,
        execId: spec.execId,
        executorId: String(spec.execId) as ExecutorConfig["executorId"],
        address: address(name),
        hostname: parent.host,
        cores: spec.cores,
        driverAddress: spec.driverAddress,
        workerAddress: spec.workerAddress,
        protocol: this.config,
        seed: nodeSeed(this.seed, name),
      };
      return { name, kind: "executor", role: this.roles.executor, config, labels: { app: appName } };
    }
    const driverName = String(spec.desc.command["simDriver"] ?? "");
    const d = this.scenario.drivers.find((x) => x.name === driverName);
    if (d === undefined) return `unknown driver command ${JSON.stringify(spec.desc.command)}`;
    const existing = this.world.byName.get(spec.driverId);
    const life = existing === undefined ? 0 : existing.incarnation;
    return {
      name: spec.driverId,
      kind: "driver",
      role: this.roles.driver,
      config: this.driverConfig(address(spec.driverId), parent.host, d.app, life),
      labels: { app: d.app.name, driver: d.name },
    };
  }

  /** A restarted node's config: a worker gets a new id (it is a new process), a master a fresh one. */
  restartConfig(node: SimNode): unknown {
    if (node.kind === "worker")
      return this.workerConfig(node.name, Number(node.labels["cores"]), Number(node.labels["memoryMb"]), node.incarnation);
    if (node.kind === "master") return this.masterConfig(node.name);
    return node.config;
  }

  private masterConfig(name: Address): MasterConfig {
    return { address: name, protocol: this.config, seed: nodeSeed(this.seed, name) };
  }

  private workerConfig(name: Address, cores: number, memoryMb: number, life: number): WorkerConfig {
    const port = 7078;
    return {
      workerId: formatWorkerId(this.world.epochMs + this.world.now, name, port),
      host: name,
      port,
      address: name,
      cores,
      memoryMb,
      masterAddresses: this.masterNames.slice(),
      protocol: this.config,
      seed: nodeSeed(this.seed, life === 0 ? name : `${name}#${life}`),
    };
  }

  private appDesc(app: AppSpec): ApplicationDescription {
    const desc: ApplicationDescription = { name: app.name, memoryPerExecutorMb: app.memoryPerExecutorMb, command: { simApp: app.name } };
    if (app.maxCores !== undefined) desc.maxCores = app.maxCores;
    if (app.coresPerExecutor !== undefined) desc.coresPerExecutor = app.coresPerExecutor;
    return desc;
  }

  private driverConfig(name: Address, host: string, app: AppSpec, life: number): DriverConfig {
    return {
      address: name,
      host,
      masterAddresses: this.masterNames.slice(),
      appDesc: this.appDesc(app),
      protocol: this.config,
      seed: nodeSeed(this.seed, `${name}#${life}`),
    };
  }
}
