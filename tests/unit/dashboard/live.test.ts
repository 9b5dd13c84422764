/**
 * The live page's feed (services/dashboard/live.ts), its stream on the
 * dashboard app and through the gateway, read over a real socket on
 * 127.0.0.1 (a stream stays open until its client leaves, which an
 * injected request cannot do), and the page itself.
 */
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import type Koa from "koa";
import { buildApp } from "../../../services/dashboard/app.ts";
import { LiveFeed } from "../../../services/dashboard/live.ts";
import type { Viewer } from "../../../services/dashboard/live.ts";
import type { ProjectedEvent } from "../../../services/dashboard/projection.ts";
import { buildApp as buildGateway, } from "../../../services/gateway/app.ts";
import { PAGE_POLICY } from "../../../services/gateway/routes.ts";
import { orderCreatedData, orderSnapshot } from "../../support/events.ts";
import { appBasics, call, FakeInvoker, FakeProjections, FakeSidecar, FakeStateStore, jsonResponse } from "../../support/fakes.ts";
import { operatorHeaders } from "../../support/credentials.ts";
import { gatewayDeps } from "../../support/gateway.ts";

const logger = appBasics("dashboard").logger;

/** A viewer that records what it is sent. */
function recorder(): Viewer & { got: Array<[string, unknown]>; ended: boolean } {
  const viewer = {
    got: [] as Array<[string, unknown]>,
    ended: false,
    send(event: string, data: unknown) {
      viewer.got.push([event, data]);
    },
    end() {
      viewer.ended = true;
    },
  };
  return viewer;
}

function created(id: string, order: string): ProjectedEvent {
  return { id, type: "order.created", time: "2026-03-01T10:00:00.000Z", data: orderCreatedData(order) } as ProjectedEvent;
}

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Serves `app` on 127.0.0.1 at a free port. */
async function listen(app: Koa): Promise<{ url: string; server: Server }> {
  const server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Reads Server-Sent Events from `response` until `enough` says so; returns them. */
async function readEvents(response: Response, enough: (events: Array<{ event: string; data: unknown }>) => boolean): Promise<Array<{ event: string; data: unknown }>> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: Array<{ event: string; data: unknown }> = [];
  let buffer = "";
  while (!enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
  }
  await reader.cancel();
  return events;
}

describe("dashboard live feed", () => {
  it("gives a new viewer the latest events and the summary, then each applied event", async () => {
    let summaries = 0;
    const feed = new LiveFeed(async () => ({ n: ++summaries }), logger, { summaryIntervalMs: 20, keep: 2 });
    feed.applied(created("e1", "o1"));
    feed.applied(created("e2", "o2"));
    feed.applied(created("e3", "o3"));
    const viewer = recorder();
    const stop = await feed.watch(viewer);
    expect(viewer.got[0]).to.deep.equal(["events", [
      { id: "e2", type: "order.created", at: "2026-03-01T10:00:00.000Z", order_id: "o2" },
      { id: "e3", type: "order.created", at: "2026-03-01T10:00:00.000Z", order_id: "o3" },
    ]]);
    expect(viewer.got[1]).to.deep.equal(["summary", { n: 1 }]);
    const changed = { id: "e4", type: "order.status_changed", time: "2026-03-01T10:00:01.000Z", data: { order_id: "o3", status: "confirmed", previous_status: "processing", order: orderSnapshot("o3", "confirmed", { updated_at: "2026-03-01T10:00:00.750Z" }) } } as ProjectedEvent;
    // Its time is the order service's, to the millisecond (the CloudEvent's has whole seconds).
    feed.applied(changed);
    expect(viewer.got[2]).to.deep.equal(["event", { id: "e4", type: "order.status_changed", at: "2026-03-01T10:00:00.750Z", order_id: "o3", status: "confirmed" }]);
    stop();
    feed.close();
  });

  it("sends the summary again at most once per interval while events apply, and not while none do", async () => {
    let summaries = 0;
    const feed = new LiveFeed(async () => ({ n: ++summaries }), logger, { summaryIntervalMs: 100 });
    const viewer = recorder();
    await feed.watch(viewer);
    for (let i = 0; i < 20; i++) feed.applied(created(`e${i}`, `o${i}`));
    await until(() => viewer.got.filter(([event]) => event === "summary").length === 2);
    await new Promise((resolve) => setTimeout(resolve, 250));
    // One on connecting, one for the 20 events; none since.
    expect(viewer.got.filter(([event]) => event === "summary")).to.have.length(2);
    expect(viewer.got.filter(([event]) => event === "event")).to.have.length(20);
    feed.close();
    expect(viewer.ended).to.equal(true);
  });

  it("streams them from the dashboard app over a socket as events are delivered", async () => {
    const projections = new FakeProjections();
    const feed = new LiveFeed(() => projections.summary(), logger, { summaryIntervalMs: 20 });
    const app = buildApp({ ...appBasics("dashboard"), pubsubName: "pubsub", store: new FakeStateStore(), projections, feed });
    const { url, server } = await listen(app);
    try {
      const response = await fetch(`${url}/api/v1/dashboard/stream`);
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.match(/^text\/event-stream/);
      const reading = readEvents(response, (events) => events.some((e) => e.event === "event") && events.filter((e) => e.event === "summary").length >= 2);
      await until(() => feed.viewers === 1);
      const delivered = await call(app, {
        method: "POST",
        url: "/dapr/events/orders/order.created",
        headers: { "content-type": "application/cloudevents+json" },
        payload: JSON.stringify({ specversion: "1.0", id: "e1", source: "test", type: "order.created", time: "2026-03-01T10:00:00Z", data: orderCreatedData("o1") }),
      });
      expect((delivered.json() as { status: string }).status).to.equal("SUCCESS");
      const events = await reading;
      expect(events.map((e) => e.event).slice(0, 2)).to.deep.equal(["events", "summary"]);
      expect(events.find((e) => e.event === "event")!.data).to.deep.include({ id: "e1", type: "order.created", order_id: "o1" });
      const last = events.filter((e) => e.event === "summary").at(-1)!.data as { orders_by_status: Record<string, number> };
      expect(last.orders_by_status.pending).to.equal(1);
      // The client left: the feed forgets it.
      await until(() => feed.viewers === 0);
    } finally {
      feed.close();
      server.closeAllConnections();
      server.close();
    }
  });

  it("serves the page and its assets, uPlot included", async () => {
    const app = buildApp({ ...appBasics("dashboard"), pubsubName: "pubsub", store: new FakeStateStore(), projections: new FakeProjections() });
    const page = await call(app, { method: "GET", url: "/dashboard" });
    expect(page.statusCode).to.equal(200);
    expect(page.headers["content-type"]).to.match(/^text\/html/);
    expect(page.body).to.include('src="/dashboard/assets/dashboard.js"').and.to.include('id="events"');
    for (const [name, type] of [["dashboard.js", /javascript/], ["dashboard.css", /css/], ["uPlot.min.js", /javascript/], ["uPlot.min.css", /css/]] as const) {
      const asset = await call(app, { method: "GET", url: `/dashboard/assets/${name}` });
      expect(asset.statusCode, name).to.equal(200);
      expect(asset.headers["content-type"], name).to.match(type);
      expect(asset.body.length, name).to.be.greaterThan(100);
    }
    expect((await call(app, { method: "GET", url: "/dashboard/assets/index.html" })).statusCode).to.equal(404);
    expect((await call(app, { method: "GET", url: "/dashboard/assets/..%2Fpage.ts" })).statusCode).to.equal(404);
  });
});

describe("gateway: the live page and its stream", () => {
  it("passes the stream on as it comes, to operators only, and ends the call when the client leaves", async () => {
    const invoker = new FakeInvoker(() => jsonResponse(200, {}));
    let push: ((chunk: string) => void) | undefined;
    let aborted = false;
    invoker.streamed = (_appId, _request, signal) => {
      signal.addEventListener("abort", () => (aborted = true));
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          push = (chunk) => controller.enqueue(new TextEncoder().encode(chunk));
        },
      });
      return { status: 200, headers: new Headers({ "content-type": "text/event-stream" }), body };
    };
    const app = buildGateway({ ...appBasics("gateway"), ...gatewayDeps(), invoker, sidecar: new FakeSidecar() });
    const { url, server } = await listen(app);
    try {
      expect((await fetch(`${url}/api/v1/dashboard/stream`)).status).to.equal(401);
      const response = await fetch(`${url}/api/v1/dashboard/stream`, { headers: operatorHeaders() });
      expect(response.status).to.equal(200);
      expect(response.headers.get("content-type")).to.match(/^text\/event-stream/);
      expect(invoker.calls.at(-1)).to.deep.include({ appId: "dashboard", method: "GET", path: "api/v1/dashboard/stream" });
      const reading = readEvents(response, (events) => events.length === 2);
      await until(() => push !== undefined);
      push!('event: summary\ndata: {"n":1}\n\n');
      // The second arrives later: it is passed on when it comes, not when the stream ends.
      await new Promise((resolve) => setTimeout(resolve, 50));
      push!('event: event\ndata: {"id":"e1"}\n\n');
      expect(await reading).to.deep.equal([{ event: "summary", data: { n: 1 } }, { event: "event", data: { id: "e1" } }]);
      await until(() => aborted);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it("serves the dashboard's page to anyone, with a policy that lets it load only its own files and call this origin", async () => {
    const invoker = new FakeInvoker((_appId, request) => ({ status: 200, headers: new Headers({ "content-type": request.path.endsWith(".js") ? "text/javascript" : "text/html" }), body: new TextEncoder().encode("<!doctype html>") }));
    const app = buildGateway({ ...appBasics("gateway"), ...gatewayDeps(), invoker, sidecar: new FakeSidecar() });
    const page = await call(app, { method: "GET", url: "/dashboard" });
    expect(page.statusCode).to.equal(200);
    expect(page.headers["content-security-policy"]).to.equal(PAGE_POLICY);
    expect(page.headers["cache-control"]).to.equal("no-store");
    const script = await call(app, { method: "GET", url: "/dashboard/assets/dashboard.js" });
    expect(script.statusCode).to.equal(200);
    expect(script.headers["cache-control"]).to.equal("public, max-age=300");
    expect(invoker.calls.map((c) => `${c.appId} ${c.path}`)).to.deep.equal(["dashboard dashboard", "dashboard dashboard/assets/dashboard.js"]);
    expect((await call(app, { method: "POST", url: "/dashboard" })).statusCode).to.equal(405);
  });
});
