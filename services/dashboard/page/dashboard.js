// The live operations page. Plain browser code, no build step: the summary
// and every applied event arrive on /api/v1/dashboard/stream (Server-Sent
// Events, read with fetch so that the operator's token goes in a header),
// the services' health and dead letters are looked up every 10 s.
"use strict";
(() => {
  const KEEP_EVENTS = 50;
  const LOOKUP_MS = 10_000;
  const SERVICES = ["order", "inventory", "payment", "tracking", "notification", "dashboard"];
  const $ = (id) => document.getElementById(id);
  const connection = $("connection");

  // The token: from the address' fragment (#token=…, never sent to a server), then kept for the tab.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem("operator-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  let token = sessionStorage.getItem("operator-token");

  // A JWT (three dot-separated parts) goes as a bearer token, anything else as an API key.
  const credentials = () => (token.split(".").length === 3 ? { Authorization: `Bearer ${token}` } : { "x-api-key": token });

  function say(state, text) {
    connection.dataset.state = state;
    connection.textContent = text;
  }

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs ?? {})) {
      if (name.startsWith("data-")) node.setAttribute(name, value);
      else node[name] = value;
    }
    node.append(...children);
    return node;
  }

  const number = new Intl.NumberFormat();
  const money = new Intl.NumberFormat(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const seconds = (ms) => (ms === null || ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`);
  const clock = (iso) => new Date(iso).toLocaleTimeString();

  // The per-minute chart: created, confirmed, failed over the last hour.
  let chart;
  // Every minute of the hour up to asOf, the quiet ones as zeros (minutes are UTC, "2026-11-30T14:05").
  function drawChart(perMinute, asOf) {
    const byMinute = new Map(perMinute.map((m) => [Date.parse(`${m.minute}:00Z`) / 1000, m]));
    const last = Math.floor(Date.parse(asOf) / 60_000) * 60;
    const xs = Array.from({ length: 60 }, (_, i) => last - (59 - i) * 60);
    const count = (field) => xs.map((x) => byMinute.get(x)?.[field] ?? 0);
    const data = [xs, count("created"), count("confirmed"), count("failed")];
    const width = Math.max(280, $("throughput").clientWidth);
    if (!chart) {
      chart = new uPlot(
        {
          width,
          height: 200,
          scales: { x: { time: true } },
          series: [{}, { label: "created", stroke: "#0969da" }, { label: "confirmed", stroke: "#1a7f37" }, { label: "failed", stroke: "#cf222e" }],
          axes: [{}, { label: "orders / min" }],
        },
        data,
        $("throughput"),
      );
      addEventListener("resize", () => chart.setSize({ width: Math.max(280, $("throughput").clientWidth), height: 200 }));
    } else {
      chart.setData(data);
    }
  }

  function showSummary(summary) {
    $("statuses").replaceChildren(
      ...Object.entries(summary.orders_by_status).map(([status, count]) =>
        el("li", { "data-status": status }, el("span", { className: "label" }, status), el("span", { className: "value" }, number.format(count))),
      ),
    );
    const hour = summary.last_hour;
    $("hour-created").textContent = number.format(hour.created);
    $("hour-confirmed").textContent = number.format(hour.confirmed);
    $("hour-failed").textContent = number.format(hour.failed);
    $("hour-revenue").textContent = money.format(hour.revenue);
    $("saga-p50").textContent = seconds(summary.saga_latency_ms.p50);
    $("saga-p95").textContent = seconds(summary.saga_latency_ms.p95);
    $("low-stock").replaceChildren(
      ...summary.low_stock.map((s) => el("tr", {}, el("td", {}, s.sku), el("td", {}, s.item_name ?? ""), el("td", {}, number.format(s.available)), el("td", {}, number.format(s.low_stock_threshold)))),
    );
    $("couriers").replaceChildren(...summary.courier_load.map((c) => el("tr", {}, el("td", {}, c.courier), el("td", {}, number.format(c.active_shipments)))));
    drawChart(hour.per_minute, summary.as_of);
    document.body.dataset.summaryAsOf = summary.as_of;
  }

  function eventItem(event) {
    const what = event.status ? `${event.type} → ${event.status}` : event.type;
    return el(
      "li",
      { "data-type": event.type, "data-order": event.order_id ?? "", "data-status": event.status ?? "" },
      el("time", { dateTime: event.at }, clock(event.at)),
      el("span", {}, what),
      el("span", { className: "id" }, event.order_id ?? event.sku ?? ""),
    );
  }

  function addEvent(event) {
    const list = $("events");
    list.prepend(eventItem(event));
    while (list.children.length > KEEP_EVENTS) list.lastElementChild.remove();
  }

  const handlers = {
    summary: showSummary,
    events: (events) => $("events").replaceChildren(...events.slice().reverse().map(eventItem)),
    event: addEvent,
  };

  // Server-Sent Events over fetch: blocks separated by a blank line, "event:" and "data:" fields.
  async function stream() {
    const response = await fetch("/api/v1/dashboard/stream", { headers: { ...credentials(), Accept: "text/event-stream" } });
    if (response.status === 401 || response.status === 403) {
      sessionStorage.removeItem("operator-token");
      token = null;
      throw Object.assign(new Error(`the token was refused (${response.status})`), { login: true });
    }
    if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
    say("live", "live");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = "message";
        const data = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        if (data.length > 0 && handlers[type]) handlers[type](JSON.parse(data.join("\n")));
      }
    }
  }

  async function lookUp() {
    try {
      const health = await (await fetch("/health")).json();
      $("health").replaceChildren(
        ...Object.entries(health.services).map(([name, h]) => el("li", { "data-status": h.status, title: h.reason ?? `${h.latency_ms} ms` }, name)),
      );
    } catch {
      $("health").replaceChildren(el("li", { "data-status": "down" }, "gateway"));
    }
    const counts = await Promise.all(
      SERVICES.map(async (service) => {
        try {
          const response = await fetch(`/api/v1/dead-letters/${service}`, { headers: credentials() });
          if (!response.ok) return [service, null];
          const letters = await response.json();
          return [service, Object.values(letters).reduce((sum, list) => sum + list.length, 0)];
        } catch {
          return [service, null];
        }
      }),
    );
    $("dead-letters").replaceChildren(
      ...counts.map(([service, count]) => el("li", { "data-status": count ? "letters" : count === 0 ? "ok" : "down" }, `${service}: ${count ?? "?"}`)),
    );
  }

  async function run() {
    $("login").hidden = true;
    $("board").hidden = false;
    lookUp();
    setInterval(lookUp, LOOKUP_MS);
    for (;;) {
      try {
        await stream();
      } catch (err) {
        if (err.login) return login(err.message);
        say("down", `reconnecting: ${err.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }

  function login(why) {
    say("down", why ?? "an operator's token is needed");
    $("board").hidden = true;
    $("login").hidden = false;
    $("login").onsubmit = (event) => {
      event.preventDefault();
      token = $("token").value.trim();
      sessionStorage.setItem("operator-token", token);
      location.reload();
    };
  }

  if (token) run();
  else login();
})();
