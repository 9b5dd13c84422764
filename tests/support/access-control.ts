/**
 * components/config.yaml's accessControl as cases a test can try through the
 * sidecars of a running system, local (tests/integration/sidecar-security)
 * or on Kubernetes (tests/k8s/cluster).
 */
import { expect } from "chai";
import type { RunningSystem } from "./system.ts";

/** [caller, callee, method, path, allowed] */
export type AccessCase = [string, string, string, string, boolean];

export function accessControlCases(): AccessCase[] {
  return [
    ["gateway", "order", "GET", "api/v1/orders?limit=1", true],
    ["gateway", "inventory", "GET", "api/v1/inventory", true],
    ["gateway", "payment", "GET", "healthz", true],
    ["gateway", "notification", "GET", "dead-letters", true],
    ["order", "tracking", "POST", `internal/orders/${crypto.randomUUID()}/shipment/cancel`, true],
    // Nobody else, and nothing else.
    ["payment", "order", "GET", "api/v1/orders?limit=1", false],
    ["order", "inventory", "GET", "api/v1/inventory", false],
    ["tracking", "payment", "GET", "healthz", false],
    ["inventory", "order", "PUT", `api/v1/orders/${crypto.randomUUID()}/status`, false],
    ["gateway", "tracking", "POST", `internal/orders/${crypto.randomUUID()}/shipment/cancel`, false],
    ["order", "tracking", "GET", "api/v1/shipments", false],
  ];
}

/** Service invocation from `caller`'s sidecar (as its app would call it) of `method path` on `callee`. */
export async function invokeFrom(running: RunningSystem, caller: string, callee: string, method: string, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${running.daprPort(caller)}/v1.0/invoke/${callee}/method/${path}`, {
    method,
    headers: { "dapr-api-token": running.daprApiToken, "content-type": "application/json" },
    body: method === "GET" ? undefined : "{}",
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

/** The case's title, for `it`. */
export function accessCaseTitle([caller, callee, method, path, allowed]: AccessCase): string {
  return `${allowed ? "lets" : "keeps"} ${caller} ${allowed ? "invoke" : "from invoking"} ${method} /${path.split("?")[0]} on ${callee}`;
}

/** Tries the case: an allowed call gets past the callee's sidecar, a refused one is a 403 from its policy. */
export async function expectAccessControl(running: RunningSystem, [caller, callee, method, path, allowed]: AccessCase): Promise<void> {
  const { status, body } = await invokeFrom(running, caller, callee, method, path);
  if (allowed) {
    expect(status, body).to.not.equal(403);
    expect(status, body).to.be.below(500);
  } else {
    expect(status, body).to.equal(403);
    expect(body).to.match(/access control policy has denied access/);
  }
}
