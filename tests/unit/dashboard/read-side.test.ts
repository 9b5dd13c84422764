import { expect } from "chai";
import { ReadSide } from "../../../services/dashboard/read-side.ts";
import type { ReadModel } from "../../../services/dashboard/store.ts";
import { DependencyUnavailableError } from "../../../services/kit/failures.ts";
import { appBasics } from "../../support/fakes.ts";

/** The driver's error for a server it cannot select (its name is what matters). */
function selectionError(message = "connection 2 to 127.0.0.1:27017 closed"): Error {
  const err = new Error(message);
  err.name = "MongoServerSelectionError";
  return err;
}

/** A model whose every use fails with `fail` while it is set; counts closes. */
class FakeModel {
  fail: Error | undefined;
  closed = 0;
  applied = 0;
  async apply(): Promise<boolean> {
    if (this.fail) throw this.fail;
    this.applied += 1;
    return true;
  }
  async ping(): Promise<void> {
    if (this.fail) throw this.fail;
  }
  async close(): Promise<void> {
    this.closed += 1;
  }
}

const event = { id: "e1", type: "order.created", time: "2026-03-01T10:00:00Z", data: {} } as never;

async function until(condition: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("dashboard read side (the connection the app uses)", () => {
  function setup(openings: Array<FakeModel | Error>) {
    let clock = 0;
    const opened: FakeModel[] = [];
    const side = new ReadSide(
      async () => {
        const next = openings.shift();
        if (!next) throw new Error("no more connections in this test");
        if (next instanceof Error) throw next;
        opened.push(next);
        return next as unknown as ReadModel;
      },
      appBasics("dashboard").logger,
      { retryMs: 1, replaceAfterMs: 15_000, now: () => clock },
    );
    return { side, opened, tick: (ms: number) => (clock += ms) };
  }

  it("answers DependencyUnavailableError until connected, then uses the connection", async () => {
    const first = new FakeModel();
    const { side, opened } = setup([new Error("ECONNREFUSED"), first]);
    // The first attempt fails; until the second works, uses are refused as unavailable.
    try {
      await side.apply(event);
    } catch (err) {
      expect(err).to.be.instanceOf(DependencyUnavailableError);
    }
    await until(() => opened.length === 1);
    expect(await side.apply(event)).to.equal(true);
    expect(first.applied).to.equal(1);
    await side.close();
    expect(first.closed).to.equal(1);
  });

  it("reports an unreachable database as DependencyUnavailableError, and other errors as they are", async () => {
    const first = new FakeModel();
    const { side, opened } = setup([first]);
    await until(() => opened.length === 1);
    first.fail = selectionError();
    const unreachable = await side.apply(event).catch((err: unknown) => err);
    expect(unreachable).to.be.instanceOf(DependencyUnavailableError);
    expect((unreachable as Error).message).to.include("connection 2 to 127.0.0.1:27017 closed");
    first.fail = new TypeError("a bug");
    const bug = await side.apply(event).catch((err: unknown) => err);
    expect(bug).to.be.instanceOf(TypeError);
    await side.close();
  });

  it("replaces a connection that has failed as unreachable for longer than replaceAfterMs, once, and closes the old one", async () => {
    const wedged = new FakeModel();
    const fresh = new FakeModel();
    const { side, opened, tick } = setup([wedged, fresh]);
    await until(() => opened.length === 1);
    wedged.fail = selectionError();
    for (let i = 0; i < 5; i++) {
      await side.apply(event).catch(() => undefined);
      tick(3000); // 12 s of failures: not yet
    }
    expect(opened).to.have.length(1);
    // At 15 s: a new connection is opened, one for both failures.
    await Promise.all([side.apply(event).catch(() => undefined), side.apply(event).catch(() => undefined)]);
    await until(() => opened.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(opened).to.have.length(2);
    expect(await side.apply(event)).to.equal(true);
    expect(fresh.applied).to.equal(1);
    await until(() => wedged.closed === 1);
    await side.close();
    expect(fresh.closed).to.equal(1);
  });

  it("keeps a connection whose failures stop before replaceAfterMs (a database restarted quickly)", async () => {
    const first = new FakeModel();
    const { side, opened, tick } = setup([first, new FakeModel()]);
    await until(() => opened.length === 1);
    first.fail = selectionError();
    await side.apply(event).catch(() => undefined);
    tick(10_000);
    first.fail = undefined;
    expect(await side.apply(event)).to.equal(true);
    first.fail = selectionError();
    tick(10_000);
    await side.apply(event).catch(() => undefined); // failing again, but only just
    expect(opened).to.have.length(1);
    await side.close();
  });
});
