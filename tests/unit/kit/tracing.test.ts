import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SpanKind, trace } from "@opentelemetry/api";
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { expect } from "chai";
import Router from "@koa/router";
import { createApp } from "../../../services/kit/http/app.ts";
import { describeCall, DaprHttp } from "../../../services/kit/dapr/http.ts";
import { KeyLocks } from "../../../services/kit/coordination/locks.ts";
import { EventDelivery, subscriptionRouter } from "../../../services/kit/events/subscriptions.ts";
import { currentTrace, withTrace } from "../../../services/kit/trace-context.ts";
import { tracesEndpoint } from "../../../services/kit/telemetry.ts";
import { appBasics, call, FakeStateStore } from "../../support/fakes.ts";

const PRODUCER = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331" };
const exporter = new InMemorySpanExporter();

describe("tracing", () => {
  before(() => {
    trace.disable();
    trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }));
  });
  after(() => trace.disable());
  beforeEach(() => exporter.reset());

  it("makes each request a server span named by its route, a child of the caller's traceparent, and answers with its own context", async () => {
    const app = createApp(appBasics("svc"));
    const router = new Router();
    router.get("/api/v1/things/:id", (ctx) => {
      ctx.body = { trace: currentTrace() };
    });
    router.get("/api/v1/broken", () => {
      throw new Error("boom");
    });
    app.use(router.routes());
    const res = await call(app, { method: "GET", url: "/api/v1/things/42", headers: { traceparent: `00-${PRODUCER.traceId}-${PRODUCER.spanId}-01` } });
    await call(app, { method: "GET", url: "/api/v1/broken" });
    await call(app, { method: "GET", url: "/healthz" });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).to.deep.equal(["GET /api/v1/things/:id", "GET /api/v1/broken"]);
    const [ok, broken] = spans;
    expect(ok!.kind).to.equal(SpanKind.SERVER);
    expect(ok!.spanContext().traceId).to.equal(PRODUCER.traceId);
    expect(ok!.parentSpanContext?.spanId).to.equal(PRODUCER.spanId);
    expect(ok!.attributes).to.include({ "http.request.method": "GET", "http.route": "/api/v1/things/:id", "url.path": "/api/v1/things/42", "http.response.status_code": 200 });
    expect(res.json().trace).to.include({ traceId: PRODUCER.traceId, spanId: ok!.spanContext().spanId });
    expect(res.headers.traceparent).to.equal(`00-${PRODUCER.traceId}-${ok!.spanContext().spanId}-01`);
    expect(broken!.status.code).to.equal(2); // ERROR
    expect(broken!.attributes["http.response.status_code"]).to.equal(500);
  });

  it("makes each event a consumer span under the delivery's request, linked to the producer, with its outcome", async () => {
    const basics = appBasics("sub");
    const store = new FakeStateStore();
    const app = createApp(basics);
    const specs = [{ topic: "things", handlers: { "thing.happened": async () => undefined } }];
    const options = { appId: "sub", store, locks: new KeyLocks(store), logger: basics.logger, pubsubName: "pubsub" };
    app.use(subscriptionRouter(specs, options, new EventDelivery(specs, options)).routes());
    // The sidecar delivers in the producer's trace, from a span of its own.
    const delivery = `00-${PRODUCER.traceId}-2222222222222222-01`;
    const body = { id: "e1", type: "thing.happened", source: "order", specversion: "1.0", data: {}, traceid: `00-${PRODUCER.traceId}-${PRODUCER.spanId}-01` };
    await call(app, { method: "POST", url: "/dapr/events/things/thing.happened", headers: { "content-type": "application/json", traceparent: delivery }, payload: JSON.stringify(body) });
    const spans = exporter.getFinishedSpans();
    const consumer = spans.find((s) => s.name === "process things")!;
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    expect(consumer.kind).to.equal(SpanKind.CONSUMER);
    expect(consumer.parentSpanContext?.spanId).to.equal(server.spanContext().spanId);
    expect(server.parentSpanContext?.spanId).to.equal("2222222222222222");
    expect(consumer.links.map((l) => l.context.spanId)).to.deep.equal([PRODUCER.spanId]);
    expect(consumer.attributes).to.include({ "messaging.destination.name": "things", "messaging.message.id": "e1", "cloudevents.event_type": "thing.happened", "logistics.event.outcome": "applied" });

    // A delivery in a trace of its own (Dapr's subscriber, for an event its outbox published): the event's span continues the producer's, linked to the delivery.
    exporter.reset();
    await call(app, { method: "POST", url: "/dapr/events/things/thing.happened", headers: { "content-type": "application/json" }, payload: JSON.stringify({ ...body, id: "e2" }) });
    const alone = exporter.getFinishedSpans().find((s) => s.name === "process things")!;
    const request = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(alone.spanContext().traceId).to.equal(PRODUCER.traceId);
    expect(alone.parentSpanContext?.spanId).to.equal(PRODUCER.spanId);
    expect(alone.links.map((l) => l.context.spanId)).to.deep.equal([request.spanContext().spanId]);
  });

  it("makes each call to the sidecar a client span whose context the sidecar receives, named without keys", async () => {
    const received: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      received.push(req.headers.traceparent as string | undefined);
      res.writeHead(204).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    try {
      const http = new DaprHttp({ daprHost: "127.0.0.1", daprHttpPort: (server.address() as AddressInfo).port, daprApiToken: undefined });
      const parent = { traceId: PRODUCER.traceId, spanId: PRODUCER.spanId, flags: "01", traceState: undefined };
      await withTrace(parent, () => http.execute("/state/orderstore", { method: "POST", body: [{ key: "order:1", value: 1 }] }));
      const [span] = exporter.getFinishedSpans();
      expect(span!.name).to.equal("state save orderstore");
      expect(span!.kind).to.equal(SpanKind.CLIENT);
      expect(span!.parentSpanContext?.spanId).to.equal(PRODUCER.spanId);
      expect(received).to.deep.equal([`00-${PRODUCER.traceId}-${span!.spanContext().spanId}-01`]);
    } finally {
      server.close();
    }
  });

  it("names the sidecar's operations by what they act on", () => {
    expect(describeCall("POST", "/state/orderstore/bulk")?.name).to.equal("state get orderstore");
    expect(describeCall("DELETE", "/state/orderstore/order%3A1")?.name).to.equal("state delete orderstore");
    expect(describeCall("POST", "/state/orderstore/transaction")?.name).to.equal("state transaction orderstore");
    expect(describeCall("POST", "/publish/pubsub/orders?metadata.cloudevent.id=x")).to.deep.include({ name: "send orders", kind: SpanKind.PRODUCER });
    expect(describeCall("POST", "/invoke/order/method/api/v1/orders/123")?.name).to.equal("invoke order");
    expect(describeCall("GET", "/healthz")).to.equal(undefined);
  });

  it("reads the collector from the standard OpenTelemetry variables", () => {
    expect(tracesEndpoint({})).to.equal(undefined);
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:4318/" })).to.equal("http://127.0.0.1:4318/v1/traces");
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://b/v1/traces" })).to.equal("http://b/v1/traces");
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://a:4318", OTEL_TRACES_EXPORTER: "none" })).to.equal(undefined);
  });
});
