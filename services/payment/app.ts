/** The payment service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import type { DomainEvent } from "../contracts/events.ts";
import { KeyLocks } from "../kit/coordination/locks.ts";
import { observeAnnouncements } from "../kit/ports/announced.ts";
import type { EventPublisher, OutboxStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { paymentSubscriptions } from "./events.ts";
import { paymentMetrics } from "./metrics.ts";
import { paymentRoutes } from "./routes.ts";
import { Payments } from "./store.ts";

export interface PaymentAppDeps extends ServiceDeps {
  store: OutboxStore;
  /** Says a charge's outcome again when an order asks twice. */
  publisher: EventPublisher;
  currency: string;
  /** Resolves once the provider's credentials are at hand. */
  provider: { ready(): Promise<void> };
  now?: () => Date;
}

export function buildApp(deps: PaymentAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const store = observeAnnouncements<DomainEvent>(deps.store, paymentMetrics(deps.metrics.registry, deps.currency));
  const payments = new Payments(store, locks, deps.now ?? (() => new Date()), deps.publisher);
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: paymentSubscriptions(payments, deps.currency, deps.provider),
    routers: [paymentRoutes(payments)],
  });
}
