// Gallery: filters and search live in the URL (a plain GET form), so back, forward and
// sharing a link all work; "Show more" follows the API's cursor.
import { card } from "../cards.js";
import { fillSelect } from "../fields.js";
import { api, announce, focusOn, formLabel, getMeta, initChrome, kindLabel, params } from "../lib.js";

initChrome();

const FILTERS = ["q", "kind", "form", "region", "tag"];
const PAGE_SIZE = 24;
const results = document.getElementById("results");
const status = document.getElementById("results-status");
const more = document.getElementById("more");
let cursor = null;
let meta = null;

function setUpFilters() {
  const p = params();
  document.getElementById("q").value = p.get("q") || "";
  fillSelect(document.getElementById("f-kind"), (meta ? meta.kinds : []).map((k) => [k, kindLabel(k)]), p.get("kind"));
  fillSelect(document.getElementById("f-form"), (meta ? meta.forms : []).map((f) => [f, formLabel(f)]), p.get("form"));
  fillSelect(document.getElementById("f-region"), (meta ? meta.regions : []).map((r) => [r.code, r.name]), p.get("region"));
  fillSelect(document.getElementById("f-tag"), (meta ? meta.tags : []).map((t) => [t, t]), p.get("tag"));
}

function query(extra = {}) {
  const p = params();
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const value = (p.get(name) || "").trim();
    if (value) q.set(name, value);
  }
  q.set("limit", String(PAGE_SIZE));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q;
}

function describeFilters() {
  const p = params();
  return FILTERS.some((name) => (p.get(name) || "").trim());
}

async function load(append) {
  more.disabled = true;
  try {
    const page = await api(`/api/gallery?${query(append && cursor ? { cursor } : {})}`);
    const cards = page.items.map((item) => card(item, meta, 3));
    if (append) results.append(...cards);
    else results.replaceChildren(...cards);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    const shown = results.children.length;
    if (!shown) {
      status.textContent = describeFilters()
        ? "Nothing matches these filters yet. Try fewer filters, or different words."
        : "Nothing has been published yet.";
    } else {
      status.textContent = `Showing ${shown} contribution${shown === 1 ? "" : "s"}${cursor ? ", with more to see" : ""}.`;
    }
    if (append && cards.length) focusOn(cards[0].querySelector("h3 a"));
  } catch (err) {
    status.textContent = err.status === 422
      ? `Those filters could not be used: ${err.detail}`
      : "The scrapbook could not be loaded just now. Please try again in a moment.";
  } finally {
    more.disabled = false;
  }
}

more.addEventListener("click", () => { load(true).then(() => announce(status.textContent)); });

// Empty fields would put "kind=&form=" in the URL; leave them out so shared links stay tidy.
document.getElementById("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const q = new URLSearchParams();
  for (const name of FILTERS) {
    const value = (form.elements[name].value || "").trim();
    if (value) q.set(name, value);
  }
  const qs = q.toString();
  window.location.assign(qs ? `/gallery?${qs}` : "/gallery");
});

getMeta()
  .then((m) => { meta = m; })
  .catch(() => { meta = null; })
  .finally(() => { setUpFilters(); load(false); });
