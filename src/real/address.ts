/**
 * Node addresses on the real transport: `flint://host:port` (a bracketed IPv6 host is allowed:
 * `flint://[::1]:7077`), and comma-separated lists of them for several masters
 * (`flint://m1:7077,m2:7077`). Parsing reports what was wrong, so that a typo in a command line
 * reads as a clear message rather than a connection error later.
 */
import { isIP } from "node:net";
import { address, type Address } from "../protocol/ids.js";

export const SCHEME = "flint://";

/** Why an address did not parse; `reason` is stable, `message` is for people. */
export type AddressErrorReason = "bad-scheme" | "missing-host" | "bad-host" | "missing-port" | "bad-port" | "port-range" | "empty-list";

export class AddressError extends Error {
  readonly reason: AddressErrorReason;
  readonly input: string;
  constructor(reason: AddressErrorReason, input: string, detail: string) {
    super(`invalid flint address ${JSON.stringify(input)}: ${detail}`);
    this.name = "AddressError";
    this.reason = reason;
    this.input = input;
  }
}

export interface HostPort {
  host: string;
  port: number;
}

/** A DNS name (labels of letters, digits, '-', '_') or an IPv4 address. */
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?$/;

export interface ParseOptions {
  /** Accept port 0 (listen on an ephemeral port); peers can never be reached at port 0. */
  allowPortZero?: boolean;
}

/** Parses one `flint://host:port`; throws AddressError naming what was wrong. */
export function parseAddress(text: string, options: ParseOptions = {}): HostPort {
  const input = text.trim();
  if (!input.toLowerCase().startsWith(SCHEME)) {
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(input);
    throw new AddressError("bad-scheme", text, scheme ? `scheme '${scheme[1]}://' is not '${SCHEME}'` : `it must start with '${SCHEME}'`);
  }
  const rest = input.slice(SCHEME.length).replace(/\/$/, "");
  if (rest.length === 0) throw new AddressError("missing-host", text, "no host after the scheme");
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0) throw new AddressError("bad-host", text, "an IPv6 host has no closing ']'");
    host = rest.slice(1, close);
    if (isIP(host) !== 6) throw new AddressError("bad-host", text, `'${host}' is not an IPv6 address`);
    const after = rest.slice(close + 1);
    if (after.length > 0 && !after.startsWith(":")) throw new AddressError("bad-host", text, `unexpected '${after}' after the host`);
    portText = after.length > 0 ? after.slice(1) : undefined;
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) {
      host = rest;
      portText = undefined;
    } else {
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    }
    if (host.length === 0) throw new AddressError("missing-host", text, "no host before the port");
    if (host.includes(":")) throw new AddressError("bad-host", text, "an IPv6 host must be written in brackets: flint://[::1]:7077");
    if (!HOSTNAME.test(host)) throw new AddressError("bad-host", text, `'${host}' is not a host name or IP address`);
  }
  if (portText === undefined || portText.length === 0) throw new AddressError("missing-port", text, "no port (flint://host:port)");
  if (!/^[0-9]{1,5}$/.test(portText)) throw new AddressError("bad-port", text, `port '${portText}' is not a number`);
  const port = Number(portText);
  const low = options.allowPortZero ? 0 : 1;
  if (port < low || port > 65535) throw new AddressError("port-range", text, `port ${port} is outside ${low}..65535`);
  return { host, port };
}

/** Formats `flint://host:port`, bracketing an IPv6 host. */
export function formatAddress(host: string, port: number): Address {
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return address(`${SCHEME}${shown}:${port}`);
}

/** Parses and normalizes one address (lower-case scheme, no trailing slash). */
export function toAddress(text: string): Address {
  const { host, port } = parseAddress(text);
  return formatAddress(host, port);
}

/** Parses `flint://m1:7077,m2:7077` (the scheme may be given once, as Spark allows). */
export function parseAddressList(text: string): Address[] {
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new AddressError("empty-list", text, "no address given");
  const parts = trimmed.split(",").map((p) => p.trim());
  return parts.map((part, i) => {
    if (part.length === 0) throw new AddressError("empty-list", text, `entry ${i + 1} is empty`);
    const withScheme = i > 0 && !part.includes("://") ? SCHEME + part : part;
    return toAddress(withScheme);
  });
}

/** True for addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host.toLowerCase() === "::ffff:127.0.0.1";
}
