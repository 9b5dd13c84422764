/**
 * The locked-down sidecars of a running system, as npm start runs them:
 * service invocation only for the callers components/config.yaml's
 * accessControl names (checked by the called sidecar against the caller's
 * mTLS identity), mTLS between sidecars with sentry's certificates (a client
 * without one is refused), and every port of the run on loopback.
 * (A call without the Dapr API token is refused in order-slice.test.ts.)
 */
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { connect as connectHttp2 } from "node:http2";
import { join } from "node:path";
import { connect as connectTls } from "node:tls";
import { accessCaseTitle, accessControlCases, expectAccessControl } from "../support/access-control.ts";
import { listeningSockets } from "../support/system.ts";
import { system } from "../support/system-hooks.ts";


describe("locked-down sidecars", function () {
  this.timeout(30_000);

  describe("accessControl: who may invoke whom", () => {
    for (const accessCase of accessControlCases()) {
      it(accessCaseTitle(accessCase), () => expectAccessControl(system(), accessCase));
    }
  });

  describe("mTLS between sidecars", () => {
    /** The port order's sidecar serves other sidecars on (its internal gRPC API): the one it listens on besides those its command line names. */
    function internalPort(): number {
      const pid = system().sidecarPid("order")!;
      const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      const named = new Set(["--dapr-http-port", "--dapr-grpc-port", "--metrics-port"].map((flag) => Number(args[args.indexOf(flag) + 1])));
      const sockets = listeningSockets([pid]);
      const ports = sockets.map((s) => s.port).filter((port) => !named.has(port));
      expect(ports, `order's sidecar listens on ${JSON.stringify(sockets)}`).to.have.length(1);
      return ports[0]!;
    }

    it("has sentry serve from its start without restarting, though the run's data directory began empty", () => {
      // Started on an empty directory, sentry would write its certificates
      // there, see its own writes and restart its server once for each,
      // refusing connections meanwhile: a sidecar starting then exits.
      const log = readFileSync(join(system().logDir, "sentry.log"), "utf8");
      expect(log.split("\n").filter((line) => /reloading/i.test(line)), "sentry's restarts").to.deep.equal([]);
    });

    it("refuses a plaintext gRPC client", async () => {
      const port = internalPort();
      const outcome = await new Promise<string>((done) => {
        const session = connectHttp2(`http://127.0.0.1:${port}`);
        session.on("error", (err) => done(`error: ${err.message}`));
        session.on("close", () => done("closed"));
        const request = session.request({ ":method": "POST", ":path": "/dapr.proto.internals.v1.ServiceInvocation/CallLocal", "content-type": "application/grpc" });
        request.on("response", (headers) => done(`answered ${String(headers[":status"])}`));
        request.on("error", (err) => done(`error: ${err.message}`));
        request.end();
        setTimeout(() => done("no answer"), 5000).unref();
      });
      expect(outcome).to.match(/^(error|closed)/);
    });

    it("refuses a TLS client without a certificate from sentry", async () => {
      const port = internalPort();
      const outcome = await new Promise<string>((done) => {
        // Not checking the server either: this client only wants in.
        const socket = connectTls({ host: "127.0.0.1", port, rejectUnauthorized: false, ALPNProtocols: ["h2"] });
        socket.on("error", (err) => done(`error: ${err.message}`));
        socket.on("secureConnect", () => {
          // TLS 1.3: the server checks the client's certificate after the
          // client's handshake is done, and answers with an alert.
          socket.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
        });
        socket.on("data", () => done("answered"));
        socket.on("close", () => done("closed"));
        setTimeout(() => done("no answer"), 5000).unref();
      });
      expect(outcome).to.match(/certificate required|^error|^closed/);
      expect(outcome).to.not.equal("answered");
    });
  });

  describe("scopes: each store and secret reachable by its owner only", () => {
    const sidecar = async (appId: string, path: string, init: RequestInit = {}) => {
      const response = await fetch(`http://127.0.0.1:${system().daprPort(appId)}/v1.0/${path}`, {
        ...init,
        headers: { "dapr-api-token": system().daprApiToken, "content-type": "application/json" },
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, body: await response.text() };
    };

    it("lets payment read its provider key, and no secret the configuration does not list", async () => {
      expect((await sidecar("payment", "secrets/secretstore/PAYMENT_PROVIDER_API_KEY")).status).to.equal(200);
      const other = await sidecar("payment", "secrets/secretstore/SOMETHING_ELSE");
      expect(other.status, other.body).to.equal(403);
      expect(other.body).to.match(/ERR_PERMISSION_DENIED/);
    });

    it("gives no secret store to an app that reads no secret", async () => {
      for (const appId of ["order", "inventory", "tracking"]) {
        const answer = await sidecar(appId, "secrets/secretstore/PAYMENT_PROVIDER_API_KEY");
        expect(answer.status, `${appId}: ${answer.body}`).to.not.equal(200);
        expect(answer.body, appId).to.match(/ERR_SECRET_STORE/);
      }
    });

    it("gives each app its own state store only, and the gateway no pub/sub", async () => {
      const read = await sidecar("order", "state/paymentstore/anything");
      expect(read.status, read.body).to.not.equal(200);
      expect(read.body).to.match(/ERR_STATE_STORE_NOT_FOUND|not found|not configured/i);
      const publish = await sidecar("gateway", "publish/pubsub/orders", { method: "POST", body: "{}" });
      expect(publish.status, publish.body).to.not.be.within(200, 299);
      expect(publish.body).to.match(/ERR_PUBSUB_NOT_FOUND|not found|not configured/i);
    });
  });

  it("listens on loopback only, every process of the run", () => {
    const running = system();
    const sockets = listeningSockets(running.pids());
    expect(sockets.length, "listening sockets found").to.be.greaterThan(20);
    const open = sockets.filter((s) => !s.address.startsWith("127.") && s.address !== "0:0:0:0:0:0:0:1");
    expect(open, "sockets not on loopback").to.deep.equal([]);
  });
});
