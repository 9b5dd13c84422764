import { expect } from "chai";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { toDaprError } from "../../../services/kit/dapr/adapters.ts";
import { DaprHttp } from "../../../services/kit/dapr/http.ts";
import { DaprStateStore } from "../../../services/kit/dapr/state.ts";
import { DaprError, DaprTimeoutError, DaprUnavailableError, EtagInvalidError, EtagMismatchError } from "../../../services/kit/ports/errors.ts";

/** What the SDK's HTTP client throws for a non-2xx answer of the sidecar. */
function sdkError(status: number, body: unknown): Error {
  return new Error(JSON.stringify({ error: "x", error_msg: typeof body === "string" ? body : JSON.stringify(body), status }));
}

describe("Dapr adapter errors", () => {
  it("turns a 409 into EtagMismatchError carrying the key", () => {
    const err = toDaprError(sdkError(409, { errorCode: "ERR_STATE_SAVE", message: "possible etag mismatch" }), "POST /state/s", "k1");
    expect(err).to.be.instanceOf(EtagMismatchError);
    expect((err as EtagMismatchError).key).to.equal("k1");
  });

  it("turns PostgreSQL's refused first write (500, no item was updated) into EtagMismatchError", () => {
    const err = toDaprError(
      sdkError(500, { errorCode: "ERR_STATE_SAVE", message: "failed saving state in state store orderstore: no item was updated" }),
      "POST /state/orderstore",
      "order-1",
    );
    expect(err).to.be.instanceOf(EtagMismatchError);
    expect((err as EtagMismatchError).key).to.equal("order-1");
  });

  it("turns a malformed ETag (400) into EtagInvalidError", () => {
    const err = toDaprError(sdkError(400, { errorCode: "ERR_STATE_SAVE", message: "invalid etag value" }), "POST /state/s");
    expect(err).to.be.instanceOf(EtagInvalidError);
  });

  it("keeps Dapr's status and error code for other failures", () => {
    const err = toDaprError(sdkError(500, { errorCode: "ERR_PUBSUB_PUBLISH_MESSAGE", message: "broker down" }), "POST /publish");
    expect(err).to.be.instanceOf(DaprError).and.not.instanceOf(EtagMismatchError);
    expect(err).to.include({ status: 500, code: "ERR_PUBSUB_PUBLISH_MESSAGE" });
    expect(err.message).to.contain("broker down");
  });

  it("reports an unreachable sidecar as DaprUnavailableError", () => {
    const err = toDaprError(new Error("request to http://127.0.0.1:3500 failed, reason: connect ECONNREFUSED"), "GET /state");
    expect(err).to.be.instanceOf(DaprUnavailableError);
  });
});

describe("Dapr sidecar calls", () => {
  it("give up on a sidecar that accepted the call and never answers, as a timeout", async () => {
    // A listener that takes connections and says nothing.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const http = new DaprHttp({ daprHost: "127.0.0.1", daprHttpPort: (silent.address() as AddressInfo).port, daprApiToken: undefined }, 200);
      const started = Date.now();
      const err = await http.execute("/state/s", { method: "POST", body: [{ key: "k", value: 1 }] }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(DaprTimeoutError);
      expect((err as Error).message).to.contain("POST /state/s").and.contain("200 ms");
      expect(Date.now() - started).to.be.below(5000);
      expect(sockets.length, "the request reached the listener").to.equal(1);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("Dapr state store adapter", () => {
  /** A sidecar whose insert-only writes are refused as Dapr's Redis store refuses them, and whose reads find `stored`. */
  function refusingSidecar(stored: Array<{ key: string; data: unknown; etag: string }>, message: string) {
    return {
      async execute(path: string) {
        if (path.endsWith("/bulk")) return stored;
        throw new DaprError(`POST ${path} failed (500): ${message}`, { status: 500, code: "ERR_STATE_SAVE" });
      },
    } as unknown as DaprHttp;
  }

  it("reads a refused insert-only write as a lost race even when the key is gone again (a lock released in between)", async () => {
    const store = new DaprStateStore(refusingSidecar([], "failed saving state in state store s: failed to set key lock:a: ERR user_script:14: failed to set key lock:a"), "s");
    const err = await store.save("lock:a", { holder: "me" }, { onlyIfAbsent: true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(EtagMismatchError);
  });

  it("reads another store's refused insert-only write as a lost race when the key is there", async () => {
    const store = new DaprStateStore(refusingSidecar([{ key: "lock:a", data: { holder: "other" }, etag: "1" }], "duplicate key"), "s");
    expect(await store.save("lock:a", { holder: "me" }, { onlyIfAbsent: true }).catch((e: unknown) => e)).to.be.instanceOf(EtagMismatchError);
  });

  it("keeps any other failure of an insert-only write as it is", async () => {
    const store = new DaprStateStore(refusingSidecar([], "connection refused"), "s");
    const err = await store.save("lock:a", { holder: "me" }, { onlyIfAbsent: true }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(DaprError).and.not.instanceOf(EtagMismatchError);
  });
});
