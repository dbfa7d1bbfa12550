/**
 * The web UI of one process (master 8080, worker 8081, app 4040, as Spark's): node:http, no
 * framework. Every site has the same routes:
 *
 *   GET /               the page: server-rendered HTML; a small inline script fetches /fragment
 *                       every second and swaps it in, so the page updates live
 *   GET /fragment       the page's body alone
 *   GET /api/<name>     the same data as JSON (shapes: README.md, "Web UI, JSON API and metrics")
 *   GET /metrics        Prometheus text format (prom-client)
 *   GET /login, POST /login   the login form (off loopback only; auth.ts)
 *   anything a site adds (a worker's logs)
 *
 * Reading only: nothing here changes the cluster. Off loopback every route but /login needs the
 * web token (auth.ts); without it the answer is 401 and holds no state.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import { isLoopbackHost } from "../address.js";
import type { Logger } from "../log.js";
import { TOKEN_COOKIE, WebAuth, webToken } from "./auth.js";
import { pageShell } from "./html.js";

/** Ports tried after the asked one is taken (Spark's spark.port.maxRetries). */
export const WEB_PORT_RETRIES = 16;
const MAX_LOGIN_BODY_BYTES = 4096;
const MAX_CONNECTIONS = 256;
const REQUEST_TIMEOUT_MS = 10_000;

export interface WebSite {
  /** The page's title (and heading). */
  title: string;
  /** The page body: HTML, every value escaped. */
  render(): string;
  /** JSON endpoints by name: GET /api/<name>. */
  api: Record<string, () => unknown>;
  registry: Registry;
  /** Other GET routes; returns false when the path is not its own. */
  serve?(path: string, query: URLSearchParams, res: ServerResponse): boolean;
}

export interface WebServerOptions {
  host: string;
  /** 0: any free port; otherwise this one, or the next free of WEB_PORT_RETRIES. */
  port: number;
  /** The cluster's secret: required to listen off loopback. */
  secret?: string;
  logger: Logger;
  site: WebSite;
}

export interface WebServer {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export class WebUiError extends Error {}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { host, secret, logger, site } = options;
  const loopback = isLoopbackHost(host);
  if (!loopback && secret === undefined)
    throw new WebUiError(`the web UI on ${host} is off loopback: it needs the cluster's secret (--secret-file) to guard it`);
  const auth = new WebAuth(loopback ? undefined : webToken(secret!));
  const server = createServer((req, res) => handle(req, res, site, auth, logger));
  server.maxConnections = MAX_CONNECTIONS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;
  const port = await listen(server, host, options.port);
  const shownHost = host.includes(":") ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;
  logger.log("info", "web-ui-ready", { url, auth: auth.required ? "token" : "loopback" });
  return {
    url,
    port,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  const last = port === 0 ? 0 : Math.min(65535, port + WEB_PORT_RETRIES);
  for (let p = port; ; p++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        server.once("error", reject);
        server.listen(p, host, () => {
          server.off("error", reject);
          const bound = server.address();
          resolve(typeof bound === "object" && bound ? bound.port : p);
        });
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EADDRINUSE" || p >= last)
        throw new WebUiError(
          `the web UI cannot listen on ${host}:${p}${port !== p ? ` (tried ${port}-${p})` : ""}: ${(err as Error).message}`,
        );
    }
  }
}

function handle(req: IncomingMessage, res: ServerResponse, site: WebSite, auth: WebAuth, logger: Logger): void {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("X-Frame-Options", "DENY");
  res.setHeader("Cache-Control", "no-store");
  let url: URL;
  try {
    url = new URL(req.url ?? "/", "http://ui.invalid");
  } catch {
    return send(res, 400, "text/plain", "bad request\n");
  }
  const path = url.pathname;
  if (path === "/login") return login(req, res, auth);
  if (!auth.allows(req)) {
    const wantsHtml = (req.headers.accept ?? "").includes("text/html");
    // The generic title: the site's own names the node, which a stranger need not learn.
    if (wantsHtml) return send(res, 401, "text/html; charset=utf-8", loginPage("flint", false));
    return send(
      res,
      401,
      "application/json",
      JSON.stringify({ error: "unauthorized: send the web token (Authorization: Bearer TOKEN, or log in at /login)" }) + "\n",
    );
  }
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "only GET\n");
  try {
    if (path === "/") return send(res, 200, "text/html; charset=utf-8", pageShell(site.title, site.render()));
    if (path === "/fragment") return send(res, 200, "text/html; charset=utf-8", site.render());
    if (path.startsWith("/api/")) {
      const endpoint = site.api[path.slice("/api/".length)];
      if (endpoint === undefined || !Object.hasOwn(site.api, path.slice("/api/".length)))
        return send(
          res,
          404,
          "application/json",
          JSON.stringify({ error: `no such endpoint ${path}`, endpoints: Object.keys(site.api).map((n) => `/api/${n}`) }) + "\n",
        );
      return send(res, 200, "application/json", JSON.stringify(endpoint(), null, 1) + "\n");
    }
    if (path === "/metrics") {
      void site.registry.metrics().then(
        (text) => send(res, 200, site.registry.contentType, text),
        (err: unknown) => send(res, 500, "text/plain", `metrics failed: ${String(err)}\n`),
      );
      return;
    }
    if (site.serve?.(path, url.searchParams, res)) return;
    return send(res, 404, "text/plain", `no such page ${path}\n`);
  } catch (err) {
    logger.log("error", "web-ui-request-failed", { path, error: (err as Error).stack ?? String(err) });
    if (!res.headersSent) send(res, 500, "text/plain", "internal error\n");
  }
}

function login(req: IncomingMessage, res: ServerResponse, auth: WebAuth): void {
  if (req.method === "GET") return send(res, 200, "text/html; charset=utf-8", loginPage("flint", false));
  if (req.method !== "POST") return send(res, 405, "text/plain", "GET or POST\n");
  let body = "";
  let tooLong = false;
  req.on("data", (chunk: Buffer) => {
    if (tooLong) return;
    body += chunk.toString("utf8");
    if (body.length > MAX_LOGIN_BODY_BYTES) tooLong = true;
  });
  req.on("end", () => {
    if (tooLong) return send(res, 413, "text/plain", "too long\n");
    const token = new URLSearchParams(body).get("token") ?? "";
    if (!auth.required || !auth.accepts(token)) return send(res, 401, "text/html; charset=utf-8", loginPage("flint", true));
    res.setHeader("Set-Cookie", `${TOKEN_COOKIE}=${encodeURIComponent(token.trim())}; Path=/; HttpOnly; SameSite=Strict`);
    res.setHeader("Location", "/");
    send(res, 303, "text/plain", "logged in\n");
  });
}

function loginPage(title: string, failed: boolean): string {
  return pageShell(
    title,
    `<p>This page is guarded by the cluster's secret. Enter the web token (<code>flint web-token --secret-file FILE</code> prints it).</p>
${failed ? '<p class="error">That token is wrong.</p>' : ""}
<form method="post" action="/login"><input name="token" type="password" autocomplete="off" size="70" autofocus> <button type="submit">Log in</button></form>`,
    { live: false },
  );
}

export function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", type);
  res.end(body);
}
