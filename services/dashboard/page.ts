/**
 * The live operations page: GET /dashboard and its assets (the page's
 * script and style, and uPlot, the chart library, from node_modules). The
 * page holds no data; it asks for it with the operator's token: the
 * summary, the latest events and each new one pushed by
 * /api/v1/dashboard/stream (Server-Sent Events), the services' health from
 * the gateway's /health and their dead letters every 10 s.
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Router from "@koa/router";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The page's files by asset name: where each is read from, and its type. */
const ASSETS: Record<string, { path: () => string; type: string }> = {
  "index.html": { path: () => pageFile("index.html"), type: "text/html; charset=utf-8" },
  "dashboard.js": { path: () => pageFile("dashboard.js"), type: "text/javascript; charset=utf-8" },
  "dashboard.css": { path: () => pageFile("dashboard.css"), type: "text/css; charset=utf-8" },
  "uPlot.min.js": { path: () => require.resolve("uplot/dist/uPlot.iife.min.js"), type: "text/javascript; charset=utf-8" },
  "uPlot.min.css": { path: () => require.resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};

/**
 * services/dashboard/page/<name>: beside this module when it runs from the
 * sources (Deno), or from the sources' directory when it runs compiled
 * (dist/services/dashboard on Node; the page is not compiled).
 */
function pageFile(name: string): string {
  for (const dir of [join(here, "page"), join(here, "..", "..", "..", "services", "dashboard", "page")]) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  throw new Error(`the dashboard's page file ${name} is missing`);
}

/** Read once, on first use. */
const cache = new Map<string, Uint8Array>();
function asset(name: string): Uint8Array {
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(ASSETS[name]!.path());
    cache.set(name, body);
  }
  return body;
}

export function pageRoutes(): Router {
  const router = new Router();
  router.get("/dashboard", (ctx) => {
    ctx.type = "text/html; charset=utf-8";
    ctx.body = asset("index.html");
  });
  router.get("/dashboard/assets/:name", (ctx) => {
    const entry = ASSETS[ctx.params.name!];
    if (!entry || ctx.params.name === "index.html") return; // 404
    ctx.type = entry.type;
    ctx.set("cache-control", "public, max-age=300");
    ctx.body = asset(ctx.params.name!);
  });
  return router;
}
