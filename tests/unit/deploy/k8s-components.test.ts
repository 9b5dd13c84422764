import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");

interface Generator {
  k8sComponents(): Map<string, string>;
  generatedOnDisk(): string[];
  target: string;
  ADDRESS_SECRETS: string[];
  SECRET_FIELDS: Record<string, Record<string, string>>;
  INIT_TIMEOUT: string;
}

const generator = async () =>
  (await import(pathToFileURL(join(root, "deploy/k8s/generate-components.mjs")).href)) as Generator;

type Yaml = Record<string, unknown>;

function documents(path: string): Yaml[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
    return doc.toJS() as Yaml;
  });
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return name.endsWith(".yaml") && name !== "kustomization.yaml" ? [path] : [];
  });
}

interface Summary {
  name: unknown;
  type: unknown;
  scopes: unknown;
  fields: string[];
}

/** What must survive the trip to the cluster: names, types, scopes and which metadata fields are set. */
function summary(docs: Yaml[]): Summary[] {
  return docs
    .map((doc) => {
      const spec = (doc.spec ?? {}) as Yaml;
      const metadata = (Array.isArray(spec.metadata) ? spec.metadata : []) as Yaml[];
      return {
        name: (doc.metadata as Yaml).name,
        type: spec.type,
        scopes: doc.scopes,
        fields: metadata.map((m) => String(m.name)).sort(),
      };
    })
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
}

describe("Kubernetes components", () => {
  it("are exactly what deploy/k8s/generate-components.mjs makes of components/ (run it after editing components/)", async () => {
    const gen = await generator();
    const expected = gen.k8sComponents();
    expect(expected.size).to.be.greaterThan(20);
    for (const [path, text] of expected) {
      expect(readFileSync(join(gen.target, path), "utf8"), path).to.equal(text);
    }
    // A file the script no longer makes (its source was removed) must go too.
    expect(gen.generatedOnDisk().filter((path) => !expected.has(path)), "stale generated files").to.deep.equal([]);
  });

  it("say at their top which file they come from", async () => {
    const gen = await generator();
    for (const [path, text] of (await generator()).k8sComponents()) {
      expect(text.split("\n")[0], path).to.match(/^# Generated (from (components|deploy\/observability\/prometheus\/rules)\/\S+|by deploy\/k8s\/generate-components\.mjs)/);
      expect(gen.generatedOnDisk(), path).to.include(path);
    }
  });

  for (const kind of ["pubsub", "state"]) {
    for (const choice of readdirSync(join(root, "components", kind))) {
      it(`${kind}/${choice}: the same components, types, settings and scopes as components/${kind}/${choice}`, async () => {
        const local = summary(yamlFiles(join(root, "components", kind, choice)).flatMap(documents));
        const cluster = summary(yamlFiles(join(root, "deploy/k8s/components", kind, choice)).flatMap(documents));
        expect(local.length).to.be.greaterThan(0);
        expect(cluster).to.deep.equal(local);
      });
    }
  }

  it("common/: the same bindings and resiliency in the base", () => {
    const local = summary(yamlFiles(join(root, "components/common")).flatMap(documents));
    const cluster = summary(
      yamlFiles(join(root, "deploy/k8s/base/dapr"))
        .flatMap(documents)
        .filter((doc) => doc.kind !== "Configuration"),
    );
    expect(cluster).to.deep.equal(local);
  });

  it("reach servers through secrets, never through the loopback, and read them through the secretstore", () => {
    const dirs = ["deploy/k8s/components", "deploy/k8s/base/dapr"].map((dir) => join(root, dir));
    let refs = 0;
    for (const path of dirs.flatMap(yamlFiles)) {
      const text = readFileSync(path, "utf8");
      expect(text, path).not.to.match(/localhost|127\.0\.0\.1|\.\.\/\.\.\//);
      for (const doc of documents(path)) {
        const metadata = (((doc.spec ?? {}) as Yaml).metadata ?? []) as Yaml[];
        if (!Array.isArray(metadata) || !metadata.some((m) => m.secretKeyRef !== undefined)) continue;
        refs += 1;
        expect((doc.auth as Yaml | undefined)?.secretStore, path).to.equal("secretstore");
        for (const m of metadata.filter((m) => m.secretKeyRef !== undefined)) {
          const ref = m.secretKeyRef as Yaml;
          // A Kubernetes Secret name, and the key of the same name inside it.
          expect(ref.name, path).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          expect(ref.key, path).to.equal(ref.name);
        }
      }
    }
    expect(refs).to.be.greaterThan(10);
  });

  it("wait for their server longer than Dapr's 5 s at a sidecar's start, so a server that comes up beside the apps costs no restart", async () => {
    const { SECRET_FIELDS, INIT_TIMEOUT } = await generator();
    let servers = 0;
    for (const path of ["deploy/k8s/components", "deploy/k8s/base/dapr"].map((dir) => join(root, dir)).flatMap(yamlFiles)) {
      for (const doc of documents(path)) {
        const spec = (doc.spec ?? {}) as Yaml;
        if (doc.kind !== "Component" || SECRET_FIELDS[String(spec.type)] === undefined) continue;
        servers += 1;
        expect(spec.initTimeout, path).to.equal(INIT_TIMEOUT);
      }
    }
    expect(servers).to.be.greaterThan(10);
    expect(Number.parseInt(INIT_TIMEOUT, 10)).to.be.greaterThan(5);
  });

  it("the dev secrets are every secret of components/secrets.dev.json but the servers' addresses, by its Kubernetes name and value", async () => {
    const { ADDRESS_SECRETS } = await generator();
    expect(ADDRESS_SECRETS).to.deep.equal(["MONGODB_URL"]);
    const dev = Object.fromEntries(
      Object.entries(JSON.parse(readFileSync(join(root, "components/secrets.dev.json"), "utf8")) as Record<string, string>).filter(([name]) => !ADDRESS_SECRETS.includes(name)),
    );
    const [kustomization] = documents(join(root, "deploy/k8s/overlays/dev/secrets/kustomization.yaml"));
    const generated = new Map(
      ((kustomization!.secretGenerator ?? []) as Yaml[]).map((g) => {
        const [literal] = g.literals as string[];
        const at = literal!.indexOf("=");
        return [String(g.name), { key: literal!.slice(0, at), value: literal!.slice(at + 1), options: g.options }];
      }),
    );
    expect([...generated.keys()].sort()).to.deep.equal(Object.keys(dev).map((n) => n.toLowerCase().replaceAll("_", "-")).sort());
    for (const [name, value] of Object.entries(dev)) {
      const secret = generated.get(name.toLowerCase().replaceAll("_", "-"))!;
      expect(secret.key).to.equal(name.toLowerCase().replaceAll("_", "-"));
      expect(secret.value, name).to.equal(value);
      expect(secret.options, name).to.deep.equal({ disableNameSuffixHash: true });
    }
  });
});
