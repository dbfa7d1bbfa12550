/**
 * Who may read the web pages, the JSON API and the metrics. On a loopback address anyone on this
 * machine may (as with the cluster port without a secret). Off loopback the cluster's secret
 * guards them: a request must carry the web token, an HMAC of a fixed label under the secret
 * (never the secret itself, which plain HTTP would expose), either as the `flint_token` cookie
 * that the login form sets or as `Authorization: Bearer <token>` (scrapers, scripts). Anything
 * else is answered 401 and learns nothing. The pages change nothing, so reading is all a token
 * gives.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

/** The label the token is derived with; a new label makes every old token useless. */
export const WEB_TOKEN_LABEL = "flint web ui v1";
export const TOKEN_COOKIE = "flint_token";

/** The web token of a secret: hex HMAC-SHA256(secret, WEB_TOKEN_LABEL). */
export function webToken(secret: string): string {
  return createHmac("sha256", secret).update(WEB_TOKEN_LABEL).digest("hex");
}

/** The token a request carries (bearer header first, then the cookie), if any. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim();
  const cookies = req.headers.cookie;
  if (cookies === undefined) return undefined;
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === TOKEN_COOKIE) return decodedOrRaw(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A cookie value decoded; a malformed escape (a stranger's `%E0%A4%A`) stays as sent and simply fails the comparison, never throws. */
function decodedOrRaw(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, "utf8");
  const y = Buffer.from(b, "utf8");
  return x.length === y.length && timingSafeEqual(x, y);
}

export class WebAuth {
  private readonly token: string | undefined;

  /** `token` undefined: no check (loopback). */
  constructor(token: string | undefined) {
    this.token = token;
  }

  get required(): boolean {
    return this.token !== undefined;
  }

  allows(req: IncomingMessage): boolean {
    if (this.token === undefined) return true;
    const given = presentedToken(req);
    return given !== undefined && tokensEqual(given, this.token);
  }

  accepts(candidate: string): boolean {
    return this.token === undefined || tokensEqual(candidate.trim(), this.token);
  }
}
