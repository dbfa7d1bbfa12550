/**
 * Identifiers. Branded strings so that a worker id cannot be passed where an app id is wanted.
 * `Address` is a node's listening address: `flint://host:port` on the real transport, a node name
 * (`master-1`, `worker-3`) in the simulator. It plays the role of Spark's RpcEndpointRef.
 */
import { formatTimestamp } from "./clock.js";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type Address = Brand<string, "Address">;
export type WorkerId = Brand<string, "WorkerId">;
export type AppId = Brand<string, "AppId">;
export type DriverId = Brand<string, "DriverId">;
/** An executor id is an integer per application (Spark's `ExecutorDesc.id`). */
export type ExecutorNumber = number;
/** The driver-side executor id: the decimal string of the executor number. */
export type ExecutorId = Brand<string, "ExecutorId">;
/** A task attempt id (Spark's TID): grows per driver, never reused. */
export type TaskId = number;
export type JobId = Brand<string, "JobId">;

export const address = (s: string): Address => s as Address;
export const workerId = (s: string): WorkerId => s as WorkerId;
export const appId = (s: string): AppId => s as AppId;
export const driverId = (s: string): DriverId => s as DriverId;
export const executorId = (n: number | string): ExecutorId => String(n) as ExecutorId;
export const jobId = (s: string): JobId => s as JobId;

/**
 * Spark's Worker.generateWorkerId: `worker-<yyyyMMddHHmmss>-<host>-<port>`, its timestamp in UTC
 * (formatTimestamp), from the time the worker starts. Both hosts build a worker's id here: the
 * simulator from virtual time, the real worker from the wall clock. (Spark formats in the JVM's
 * local time zone; flint uses UTC so that the ids of one cluster agree whatever each host's zone.)
 */
export const formatWorkerId = (startedAtMs: number, host: string, port: number): WorkerId =>
  workerId(`worker-${formatTimestamp(startedAtMs)}-${host}-${port}`);

/** Spark's "full id" of an executor: `appId/execId`. */
export const fullExecutorId = (app: AppId, exec: ExecutorNumber): string => `${app}/${exec}`;
