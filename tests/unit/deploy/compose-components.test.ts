import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");

describe("docker-compose components", () => {
  it("are exactly what deploy/docker/compose-components.mjs makes of components/ (run it after editing components/)", async () => {
    const generator = (await import(pathToFileURL(join(root, "deploy/docker/compose-components.mjs")).href)) as {
      composeComponents(): Map<string, string>;
      target: string;
    };
    const expected = generator.composeComponents();
    expect(expected.size).to.be.greaterThan(5);
    for (const [path, text] of expected) {
      expect(readFileSync(join(generator.target, path), "utf8"), path).to.equal(text);
    }
  });
});
