import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");

describe("docker-compose components", () => {
  it("are exactly what deploy/docker/compose-components.mjs makes of components/ (run it after editing components/ or the apps of dapr.yaml)", async () => {
    const generator = (await import(pathToFileURL(join(root, "deploy/docker/compose-components.mjs")).href)) as {
      composeComponents(): Map<string, string>;
      composePrometheus(): string;
      target: string;
      prometheusFile: string;
    };
    const expected = generator.composeComponents();
    expect(expected.size).to.be.greaterThan(5);
    for (const [path, text] of expected) {
      expect(readFileSync(join(generator.target, path), "utf8"), path).to.equal(text);
    }
    // Prometheus's configuration, from dapr.yaml's apps.
    expect(readFileSync(generator.prometheusFile, "utf8"), "deploy/docker/prometheus.yml").to.equal(generator.composePrometheus());
  });
});
