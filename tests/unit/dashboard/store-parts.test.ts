import { expect } from "chai";
import { RecentViews, SerialKeys } from "../../../services/dashboard/store.ts";

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("dashboard read model: deliveries of one view take turns", () => {
  it("runs the tasks of one key one after another, in the order given, and of different keys at once", async () => {
    const serial = new SerialKeys();
    const log: string[] = [];
    const task = (name: string) => async () => {
      log.push(`${name} starts`);
      await tick();
      log.push(`${name} ends`);
      return name;
    };
    const results = await Promise.all([serial.run("a", task("a1")), serial.run("a", task("a2")), serial.run("b", task("b1"))]);
    expect(results).to.deep.equal(["a1", "a2", "b1"]);
    expect(log.indexOf("a2 starts")).to.be.greaterThan(log.indexOf("a1 ends"));
    expect(log.indexOf("b1 starts")).to.be.lessThan(log.indexOf("a1 ends"));
    await tick();
    expect(serial.size).to.equal(0);
  });

  it("goes on with the next task of a key after one fails, and gives the failure to its caller", async () => {
    const serial = new SerialKeys();
    const failed = serial.run("a", async () => {
      throw new Error("lost");
    });
    const next = serial.run("a", async () => "next");
    expect(await failed.catch((err: Error) => err.message)).to.equal("lost");
    expect(await next).to.equal("next");
  });
});

describe("dashboard read model: the views written last", () => {
  it("keeps the most recently used views up to its capacity, dropping the least recently used first", () => {
    const recent = new RecentViews<{ n: number }>(2);
    recent.set("a", { n: 1 });
    recent.set("b", { n: 2 });
    expect(recent.get("a")).to.deep.equal({ n: 1 }); // a is now the most recent
    recent.set("c", { n: 3 });
    expect(recent.get("b")).to.equal(undefined);
    expect(recent.get("a")).to.deep.equal({ n: 1 });
    recent.set("a", { n: 4 });
    expect(recent.get("a")).to.deep.equal({ n: 4 });
    expect(recent.size).to.equal(2);
    recent.delete("a");
    recent.clear();
    expect(recent.size).to.equal(0);
  });
});
