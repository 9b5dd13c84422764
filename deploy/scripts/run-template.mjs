#!/usr/bin/env node
// Writes the run template that `npm start` and the tests hand to
// `dapr run -f`: dapr.yaml with the chosen pub/sub and state folders, every
// path made absolute, and optionally shifted ports and a Redis port of its own
// (so a test run never shares ports, consumer groups or name resolution with a
// running `npm start`). --port-map moves servers the components name as
// localhost:FROM to localhost:TO (Redis 6379=6390, say).
//
//   node deploy/scripts/run-template.mjs --out DIR [--pubsub redis] [--state redis] [--secrets file]
//        [--port-offset N] [--port-map FROM=TO,...] [--placement-port P] [--smtp-port P]
//        [--env NAME=VALUE ...] [--simulator]
//
// Prints the path of the written template.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse, stringify } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function writeRunTemplate({ out, pubsub = "redis", state = "redis", secrets = "file", portOffset = 0, portMap = {}, placementPort, smtpPort, env = {}, simulator = false }) {
  const components = join(root, "components");
  for (const [kind, name, variable] of [["pubsub", pubsub, "PUBSUB"], ["state", state, "STATE"], ["secretstore", secrets, "SECRETS"]]) {
    if (!existsSync(join(components, kind, name))) {
      const choices = readdirSync(join(components, kind)).join(", ");
      throw new Error(`${variable}=${name}: no components/${kind}/${name}/ (choices: ${choices})`);
    }
  }
  const outDir = resolve(out);
  mkdirSync(outDir, { recursive: true });
  const template = parse(readFileSync(join(root, "dapr.yaml"), "utf8"));
  const abs = (p) => (isAbsolute(p) ? p : resolve(root, p));

  // Resource folders: swap the chosen choices in, then copy them when the
  // Redis address or the mail relay's port must change (the component files
  // stay the source).
  let resources = template.common.resourcesPaths.map((p) =>
    p
      .replace(/components\/pubsub\/[^/]+$/, `components/pubsub/${pubsub}`)
      .replace(/components\/state\/[^/]+$/, `components/state/${state}`)
      .replace(/components\/secretstore\/[^/]+$/, `components/secretstore/${secrets}`),
  );
  // The courier simulator is a demo: its binding loads only when asked for.
  if (simulator) resources.push("./components/simulator");
  resources = resources.map(abs);
  if (Object.keys(portMap).length > 0 || smtpPort) {
    resources = resources.map((dir, i) => {
      const copy = join(outDir, "resources", String(i));
      rmSync(copy, { recursive: true, force: true });
      cpSync(dir, copy, { recursive: true });
      for (const file of readdirSync(copy)) {
        const path = join(copy, file);
        let text = readFileSync(path, "utf8");
        for (const [from, to] of Object.entries(portMap)) text = text.replaceAll(`localhost:${from}`, `localhost:${to}`);
        if (smtpPort && /type: bindings\.smtp/.test(text)) text = text.replace(/(- name: port\n\s+value: )"?\d+"?/, `$1"${smtpPort}"`);
        writeFileSync(path, text);
      }
      return copy;
    });
  }
  template.common.resourcesPaths = resources;

  // The Configuration, with a name-resolution database of this run's own.
  const config = parse(readFileSync(abs(template.common.configFilePath), "utf8"));
  config.spec.nameResolution.configuration.connectionString = join(outDir, "nameresolution.db");
  const configPath = join(outDir, "config.yaml");
  writeFileSync(configPath, stringify(config));
  template.common.configFilePath = configPath;

  template.common.env = { ...template.common.env, ...env };
  if (placementPort) template.common.placementHostAddress = `127.0.0.1:${placementPort}`;
  for (const app of template.apps) {
    app.appDirPath = abs(app.appDirPath);
    for (const port of ["appPort", "daprHTTPPort", "daprGRPCPort", "metricsPort"]) {
      if (app[port]) app[port] += portOffset;
    }
  }
  const path = join(outDir, "dapr.yaml");
  writeFileSync(path, `# Generated from dapr.yaml by deploy/scripts/run-template.mjs; edit that file instead.\n${stringify(template)}`);
  return { path, template };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      pubsub: { type: "string", default: process.env.PUBSUB || "redis" },
      state: { type: "string", default: process.env.STATE || "redis" },
      secrets: { type: "string", default: process.env.SECRETS || "file" },
      "port-offset": { type: "string", default: "0" },
      "port-map": { type: "string", default: "" },
      "placement-port": { type: "string" },
      "smtp-port": { type: "string" },
      env: { type: "string", multiple: true, default: [] },
      simulator: { type: "boolean", default: process.env.SIMULATOR === "1" },
    },
  });
  try {
    const { path } = writeRunTemplate({
      out: values.out ?? join(root, ".dapr", "run"),
      pubsub: values.pubsub,
      state: values.state,
      secrets: values.secrets,
      portOffset: Number(values["port-offset"]),
      portMap: Object.fromEntries(values["port-map"].split(",").filter(Boolean).map((pair) => pair.split("="))),
      placementPort: values["placement-port"] ? Number(values["placement-port"]) : undefined,
      smtpPort: values["smtp-port"] ? Number(values["smtp-port"]) : undefined,
      simulator: values.simulator,
      env: Object.fromEntries(values.env.map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)])),
    });
    console.log(path);
  } catch (err) {
    console.error(`run-template: ${err.message}`);
    process.exit(1);
  }
}
