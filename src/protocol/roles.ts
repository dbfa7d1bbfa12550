/** The configuration each role's `init` takes. Hosts build these; roles never read the outside. */
import type { ProtocolConfig } from "./config.js";
import type { Address, AppId, ExecutorId, ExecutorNumber, WorkerId } from "./ids.js";
import type { ApplicationDescription } from "./messages.js";

export interface MasterConfig {
  /** This master's own address; also the `masterUrl` it puts in LaunchExecutor/KillExecutor. */
  address: Address;
  protocol: ProtocolConfig;
  /** Seeds the master's PRNG (driver placement shuffle). */
  seed: number;
}

export interface WorkerConfig {
  workerId: WorkerId;
  host: string;
  port: number;
  address: Address;
  cores: number;
  memoryMb: number;
  /** Every configured master, in order (`flint://m1:7077,m2:7077`). */
  masterAddresses: Address[];
  protocol: ProtocolConfig;
  /** Seeds the worker's PRNG (the registration back-off fuzz). */
  seed: number;
}

export interface DriverConfig {
  address: Address;
  host: string;
  masterAddresses: Address[];
  appDesc: ApplicationDescription;
  protocol: ProtocolConfig;
  /** Seeds the driver's PRNG (the shuffle of executor offers). */
  seed: number;
}

export interface ExecutorConfig {
  appId: AppId;
  execId: ExecutorNumber;
  /** The driver-side id: the decimal string of execId. */
  executorId: ExecutorId;
  address: Address;
  hostname: string;
  cores: number;
  driverAddress: Address;
  workerAddress: Address;
  protocol: ProtocolConfig;
  /** Seeds the executor's PRNG (the first heartbeat's jitter). */
  seed: number;
}

export interface SubmissionClientConfig {
  /** Every configured master, in order (`flint://m1:7077,m2:7077`); each is asked. */
  masterAddresses: Address[];
  protocol: ProtocolConfig;
}
