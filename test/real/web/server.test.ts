/** The web server alone: a taken port moves to the next, routes, and escaping of what peers name. */
import { createServer, type Server } from "node:http";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryLogger } from "../../../src/real/log.js";
import { AppModel, renderApp } from "../../../src/real/web/appSite.js";
import { startWebServer, WebUiError, type WebServer, type WebSite } from "../../../src/real/web/server.js";

const site = (render = () => "<p>body</p>"): WebSite => ({
  title: "test",
  render,
  api: { thing: () => ({ a: 1 }) },
  registry: new Registry(),
});
const open: Array<WebServer | Server> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await new Promise<void>((done) => ("url" in s ? void s.close().then(done) : s.close(() => done())));
});

describe("web server", () => {
  it("a taken port moves to the next free one", async () => {
    const blocker = createServer();
    open.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const taken = (blocker.address() as { port: number }).port;
    const web = await startWebServer({ host: "127.0.0.1", port: taken, logger: createMemoryLogger("t"), site: site() });
    open.push(web);
    expect(web.port).toBeGreaterThan(taken);
    expect(web.port).toBeLessThanOrEqual(taken + 16);
    expect(await (await fetch(web.url + "fragment")).text()).toBe("<p>body</p>");
  });

  it("routes: the page with its live script, JSON endpoints, 404s that list the endpoints", async () => {
    const web = await startWebServer({ host: "127.0.0.1", port: 0, logger: createMemoryLogger("t"), site: site() });
    open.push(web);
    const page = await (await fetch(web.url)).text();
    expect(page).toContain('<main id="main"><p>body</p></main>');
    expect(page).toContain('fetch("fragment"');
    expect(await (await fetch(web.url + "api/thing")).json()).toEqual({ a: 1 });
    const missing = await fetch(web.url + "api/__proto__");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ endpoints: ["/api/thing"] });
    expect((await fetch(web.url + "nope")).status).toBe(404);
  });

  it("off loopback without the secret it refuses to start", async () => {
    await expect(startWebServer({ host: "0.0.0.0", port: 0, logger: createMemoryLogger("t"), site: site() })).rejects.toThrow(WebUiError);
  });

  it("names a peer gives (an app's name, a failure) are escaped, never markup", () => {
    const model = new AppModel('<img src=x onerror="alert(1)">', () => 0);
    model.onNotification({ kind: "jobFailed", jobId: "job-0" as never, reason: "<script>steal()</script>" });
    const html = renderApp(model.snapshot(), 0);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;steal()&lt;/script&gt;");
  });
});

describe("web auth: what a stranger sends never throws", () => {
  it("a malformed cookie escape is no token (401 follows), not an exception in the request handler", async () => {
    const { presentedToken, WebAuth, webToken } = await import("../../../src/real/web/auth.js");
    const req = (cookie: string) => ({ headers: { cookie } }) as unknown as import("node:http").IncomingMessage;
    expect(() => presentedToken(req("flint_token=%E0%A4%A"))).not.toThrow();
    const auth = new WebAuth(webToken("s3cret"));
    expect(auth.allows(req("flint_token=%E0%A4%A"))).toBe(false);
    expect(auth.allows(req(`flint_token=${webToken("s3cret")}`))).toBe(true);
  });
});
