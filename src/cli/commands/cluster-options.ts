/**
 * What the real-cluster commands (master, worker, submit, status, local) share beyond the command
 * line itself (src/cli/args.ts reads that): the master URLs, the secret file, the worker's default
 * cores and memory. Not a sub-command itself (main.ts lists the commands).
 */
import { availableParallelism, totalmem } from "node:os";
import { AddressError, parseAddressList } from "../../real/address.js";
import { readSecretFile, SecretFileError } from "../../real/handshake.js";
import type { Address } from "../../protocol/ids.js";
import { UsageError } from "../args.js";

export function mastersOption(text: string | undefined, name: string): Address[] {
  if (text === undefined) throw new UsageError(`${name} is required (flint://host:port)`);
  try {
    return parseAddressList(text);
  } catch (err) {
    if (err instanceof AddressError) throw new UsageError(`${name}: ${err.message}`);
    throw err;
  }
}

/** The secret in `--secret-file`, when given. */
export function secretOption(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readSecretFile(file);
  } catch (err) {
    if (err instanceof SecretFileError) throw new UsageError(`--secret-file: ${err.message}`);
    throw err;
  }
}

/** Spark's worker defaults: every core; all memory but 1 GiB (at least 1 GiB). */
export const defaultCores = (): number => availableParallelism();
export const defaultMemoryMb = (): number => Math.max(1024, Math.floor(totalmem() / (1024 * 1024)) - 1024);
