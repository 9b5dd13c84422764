import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import type Koa from "koa";
import { parse } from "yaml";
import { allTopics, TOPOLOGY } from "../../../services/contracts/topology.ts";
import { buildApp as inventoryApp } from "../../../services/inventory/app.ts";
import { buildApp as notificationApp } from "../../../services/notification/app.ts";
import { buildApp as orderApp } from "../../../services/order/app.ts";
import { buildApp as paymentApp } from "../../../services/payment/app.ts";
import { buildApp as trackingApp } from "../../../services/tracking/app.ts";
import { appBasics, call, FakePublisher, FakeStateStore } from "../../support/fakes.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");

function apps(): Record<string, Koa> {
  const deps = (appId: string) => ({ ...appBasics(appId), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher() });
  const noBinding = { send: async () => undefined };
  return {
    order: orderApp({ ...deps("order"), shipments: { cancel: async () => "cancelled" as const }, stuckAfterSeconds: 60 }),
    inventory: inventoryApp({ ...deps("inventory"), reservationTtlSeconds: 60, currency: "EUR" }),
    payment: paymentApp({ ...deps("payment"), currency: "EUR", provider: { ready: async () => undefined } }),
    tracking: trackingApp({ ...deps("tracking"), couriers: ["ada"] }),
    notification: notificationApp({ ...deps("notification"), bindings: noBinding, emailBinding: "email", operationsEmail: "ops@example.com" }),
  };
}

describe("topology", () => {
  it("lists exactly the topics each service subscribes to, with their dead-letter topics", async () => {
    for (const [appId, app] of Object.entries(apps())) {
      const subscriptions = (await call(app, { method: "GET", url: "/dapr/subscribe" })).json() as Array<{ topic: string; deadLetterTopic?: string }>;
      const topics = subscriptions.filter((s) => s.deadLetterTopic).map((s) => s.topic);
      expect(topics, appId).to.have.members(TOPOLOGY[appId]!.subscribes);
      for (const s of subscriptions) expect(allTopics(), `${appId}: ${s.topic}`).to.include(s.topic);
    }
  });

  it("names the topic of each service's outbox as every state choice's component does (none for an app that publishes nothing)", () => {
    for (const state of ["redis", "postgres"]) {
      for (const [appId, app] of Object.entries(TOPOLOGY)) {
        const component = parse(readFileSync(join(root, "components/state", state, `${appId}store.yaml`), "utf8"));
        const topic = component.spec.metadata.find((m: { name: string }) => m.name === "outboxPublishTopic")?.value;
        // An app that publishes nothing (the read side) has no outbox.
        expect(topic, `${state}/${appId}store.yaml`).to.equal(app.publishes);
        if (topic) expect(allTopics()).to.include(`default${appId}${topic}outbox`);
      }
    }
  });
});
