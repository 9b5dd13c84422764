#!/usr/bin/env node
// A development mailbox: an SMTP server on loopback that accepts the mail
// the notification service sends through Dapr's SMTP binding, checks the
// binding's credentials, and keeps every message (npm start writes them to
// .dapr/mailbox/ as .eml files; the tests read them back in memory).
//
//   node deploy/scripts/mailbox.mjs [--port 1025] [--dir .dapr/mailbox]
//       [--host 127.0.0.1] [--tls-key key.pem --tls-cert cert.pem]
// Off loopback (docker-compose.yml's mailbox container) it needs a key and
// certificate to offer STARTTLS with: the binding logs in only over TLS there.
import { Buffer } from "node:buffer";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { format, parseArgs } from "node:util";
import { SMTPServer } from "smtp-server";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The SMTP user and password the binding is configured with (components/secrets.dev.json). */
export function devCredentials() {
  const secrets = JSON.parse(readFileSync(join(root, "components", "secrets.dev.json"), "utf8"));
  return { user: secrets.SMTP_USER, password: secrets.SMTP_PASSWORD };
}

/** Reads the headers of a raw message: lower-cased names, unfolded values. */
export function parseHeaders(raw) {
  const head = raw.split(/\r?\n\r?\n/, 1)[0];
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers;
}

/**
 * Starts the mailbox on `host`:`port` (127.0.0.1 unless told: the tests on
 * Kubernetes give the node's address, which the pods reach, and a
 * certificate for STARTTLS). Each accepted
 * message is passed to `onMessage({from, to, headers, raw})`; with `log`,
 * each step of each SMTP session (connect, login, message, close, errors) is
 * passed to it as one line of text. Resolves to `{port, close()}`.
 */
export function startMailbox({ host = "127.0.0.1", port = 1025, user, password, onMessage, tls, log }) {
  const server = new SMTPServer({
    // On loopback, no TLS (Go's SMTP client sends a password in the clear to
    // localhost only); elsewhere, `tls: {key, cert}` (PEM) turns STARTTLS on.
    // The binding has to log in either way.
    secure: false,
    ...(tls ? { key: tls.key, cert: tls.cert } : { disabledCommands: ["STARTTLS"] }),
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    logger: log ? sessionLogger(log) : false,
    // The sender is on this machine or in the cluster: its name is no news,
    // and a slow resolver would hold every greeting up.
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (auth.username === user && auth.password === password) return callback(null, { user });
      return callback(new Error("Invalid username or password"));
    },
    onData(stream, session, callback) {
      const chunks = [];
      stream.on("data", (chunk) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        try {
          onMessage({
            from: session.envelope.mailFrom && session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((r) => r.address),
            headers: parseHeaders(raw),
            raw,
          });
          callback();
        } catch (err) {
          callback(err);
        }
      });
    },
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      // From here on, an error is one connection's (a sender killed mid-mail
      // resets its socket): that connection ends, the server goes on. Without
      // a listener it would be thrown in the process that runs the mailbox.
      server.off("error", reject);
      server.on("error", (err) => log?.(`connection error: ${err.message}`));
      resolvePromise({ port: server.server.address().port, close: () => new Promise((done) => server.close(done)) });
    });
  });
}

/** smtp-server's logger interface (bunyan's levels), writing lines to `log`. */
function sessionLogger(log) {
  const line = (level) => (meta, message, ...args) => log(`${new Date().toISOString()} ${level} ${meta?.cid ?? "-"} ${format(message, ...args)}`);
  return { trace: () => {}, debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error"), fatal: line("fatal") };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "1025" },
      dir: { type: "string", default: join(root, ".dapr", "mailbox") },
      "tls-key": { type: "string" },
      "tls-cert": { type: "string" },
    },
  });
  if (Boolean(values["tls-key"]) !== Boolean(values["tls-cert"])) throw new Error("--tls-key and --tls-cert go together");
  const tls = values["tls-key"] ? { key: readFileSync(values["tls-key"], "utf8"), cert: readFileSync(values["tls-cert"], "utf8") } : undefined;
  mkdirSync(values.dir, { recursive: true });
  let count = 0;
  const { port } = await startMailbox({
    host: values.host,
    port: Number(values.port),
    tls,
    ...devCredentials(),
    onMessage({ to, headers, raw }) {
      count += 1;
      const file = join(values.dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${count}.eml`);
      // Whole or not at all, for a reader watching the folder.
      writeFileSync(`${file}.part`, raw);
      renameSync(`${file}.part`, file);
      console.log(`mailbox: to ${to.join(", ")}: ${headers.subject ?? "(no subject)"}`);
    },
  });
  console.log(`mailbox: listening on ${values.host}:${port}${tls ? " (STARTTLS)" : ""}, keeping messages in ${values.dir}`);
}
