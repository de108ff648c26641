"use strict";
// A runnable example of an OPAC results page on GET /search/stream (docs/streaming.md).
// Record data is untrusted (it comes from partner catalogs): it is only ever set as
// textContent, never as HTML, and the page is served with a Content-Security-Policy that runs
// no inline script.

const $ = (id) => document.getElementById(id);
let source = null;
let finished = false;

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function setState(state, text) {
  $("state").dataset.state = state;
  $("state").textContent = text;
}

function partnerText(p) {
  if (p.status === "waiting") return `${p.name}: waiting…`;
  const parts = [p.status];
  if (p.hits !== null && p.hits !== undefined) parts.push(`${p.hits} hits`);
  parts.push(`${Math.round(p.elapsed_ms)} ms`);
  return `${p.name}: ${parts.join(" · ")}${p.diagnostic ? " — " + p.diagnostic : ""}`;
}

function showPartner(p) {
  let row = $("partners").querySelector(`li[data-partner="${CSS.escape(p.id)}"]`);
  if (!row) {
    row = el("li");
    row.dataset.partner = p.id;
    $("partners").append(row);
  }
  row.dataset.status = p.status;
  row.textContent = partnerText(p);
}

function recordItem(r) {
  const item = el("li");
  item.dataset.id = r.id;
  item.append(el("div", r.part ? `${r.title}. ${r.part}` : r.title, "title"));
  const who = r.responsibility || (r.authors || []).join("; ");
  const meta = [who, r.edition, [r.place, r.publisher].filter(Boolean).join(": "), r.year]
    .filter(Boolean).join(" · ");
  if (meta) item.append(el("div", meta, "meta"));
  const held = el("div", "Held by: ", "held");
  const available = new Set(r.available_at || []);
  r.partners.forEach((p, i) => {
    if (i > 0) held.append(", ");
    const name = el("span", available.has(p.id) ? `${p.name} (available)` : p.name,
                    available.has(p.id) ? "available" : "");
    name.dataset.partner = p.id;
    held.append(name);
  });
  item.append(held);
  return item;
}

function showRecords(records) {
  // Replace, never append: a later library's record may have joined one already shown.
  $("results").replaceChildren(...records.map(recordItem));
}

async function explainFailure(url) {
  // EventSource does not expose an error answer's body: ask once more to show its message.
  try {
    const controller = new AbortController();
    const response = await fetch(url, {signal: controller.signal});
    if (!response.ok) {
      const body = await response.json();
      return body.error?.message || `HTTP ${response.status}`;
    }
    controller.abort();
  } catch (e) { /* fall through */ }
  return "The search could not be completed.";
}

function search(q, pageSize) {
  if (source) source.close();
  finished = false;
  $("notices").replaceChildren();
  $("partners").replaceChildren();
  $("results").replaceChildren();
  setState("searching", "Searching…");
  const url = `/search/stream?${new URLSearchParams({q, page_size: pageSize})}`;
  const started = performance.now();
  let received = false;
  source = new EventSource(url);
  source.addEventListener("start", (e) => {
    received = true;
    for (const p of JSON.parse(e.data).partners) showPartner({...p, status: "waiting"});
  });
  source.addEventListener("partner", (e) => showPartner(JSON.parse(e.data)));
  source.addEventListener("records", (e) => {
    const d = JSON.parse(e.data);
    showRecords(d.records);
    setState("partial", `${d.partners_done} of ${d.partners_total} libraries answered · ` +
                        `${d.total} records so far`);
  });
  source.addEventListener("done", (e) => {
    finished = true;
    source.close();
    const d = JSON.parse(e.data);
    showRecords(d.records);
    d.partners.forEach(showPartner);
    $("notices").replaceChildren(...d.notices.map((n) => el("li", n)));
    const ok = d.partners.filter((p) => p.status === "ok").length;
    setState("done", `${d.total} records from ${ok} of ${d.partners.length} libraries ` +
                     `(${Math.round(performance.now() - started)} ms)`);
  });
  source.onerror = async () => {
    if (finished) return;
    source.close();
    setState("error", received ? "The connection was lost before the search finished."
                               : await explainFailure(url));
  };
}

$("search").addEventListener("submit", (e) => {
  e.preventDefault();
  const q = $("q").value.trim();
  if (!q) return;
  const pageSize = new URLSearchParams(location.hash.slice(1)).get("page_size") || "20";
  history.replaceState(null, "", `#${new URLSearchParams({q, page_size: pageSize})}`);
  search(q, pageSize);
});

// /examples/stream#q=sejarah searches at once (page_size=N: results per page, default 20)
const initial = new URLSearchParams(location.hash.slice(1));
if (initial.get("q")) {
  $("q").value = initial.get("q");
  search(initial.get("q"), initial.get("page_size") || "20");
}
