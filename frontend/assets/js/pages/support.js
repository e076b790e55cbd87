// Support: helplines from /api/meta, and the South West directory from /api/services,
// filtered by area and category (kept in the URL). If the directory API is missing or
// unreachable the directory section stays hidden: the visitor sees the helplines, no error.
import { fillSelect } from "../fields.js";
import { api, el, focusOn, formatDate, getMeta, initChrome, params, reportForm, safeUrl, smsHref, telHref } from "../lib.js";

initChrome();

const section = document.getElementById("directory");
const list = document.getElementById("services");
const status = document.getElementById("directory-status");
const more = document.getElementById("services-more");
const NOT_AN_AREA = new Set(["elsewhere-uk", "outside-uk"]);
let cursor = null;
let uid = 0;

const joined = (parts) => parts.filter(Boolean).flatMap((part, i) => (i ? [" · ", part] : [part]));

function showHelplines(meta) {
  if (!meta.helplines || !meta.helplines.length) return;
  document.getElementById("helplines").replaceChildren(...meta.helplines.map((h) => el("li", { class: "service" },
    el("h3", { text: h.name }),
    el("p", { text: h.how }),
    h.hours && !(h.how || "").includes(h.hours) ? el("p", { class: "item-meta", text: h.hours }) : null,
    el("p", {}, ...joined([
      h.phone ? el("a", { href: telHref(h.phone), text: `Call ${h.phone}` }) : null,
      h.text ? el("a", { href: smsHref(h.text), text: `Text ${h.text}` }) : null,
      safeUrl(h.url) ? el("a", { href: safeUrl(h.url), rel: "noopener", text: `${h.name} website` }) : null,
    ])))));
}

function service(s) {
  const areas = s.national ? ["Anywhere (national)"] : (s.areas_served || []).map((a) => a.name);
  const org = s.organisation && s.organisation.name !== s.name ? s.organisation.name : null;
  return el("li", { class: "service" },
    el("h3", { text: s.name }),
    org ? el("p", { class: "muted", text: org }) : null,
    s.description ? el("p", { text: s.description }) : null,
    el("p", { class: "item-meta", text: [...(s.categories || []).map((c) => c.name), ...areas].join(" · ") }),
    (s.addresses || []).length ? el("ul", {}, s.addresses.map((a) =>
      el("li", { text: [a.name, a.address_1, a.city, a.postal_code].filter(Boolean).join(", ") }))) : null,
    (s.opening_hours || []).length ? el("p", { text: `Open: ${s.opening_hours.join("; ")}` }) : null,
    (s.accessibility || []).length ? el("p", { text: `Access: ${s.accessibility.join("; ")}` }) : null,
    el("p", {}, ...joined([
      ...(s.phones || []).map((p) => el("a", { href: telHref(p.number), text: `Call ${p.number}${p.description ? ` (${p.description})` : ""}` })),
      s.email ? el("a", { href: `mailto:${s.email}`, text: s.email }) : null,
      safeUrl(s.url) ? el("a", { href: safeUrl(s.url), rel: "noopener" }, "Website", el("span", { class: "visually-hidden", text: ` of ${s.name}` })) : null,
    ])),
    typeof s.distance_km === "number" ? el("p", { class: "item-meta", text: `About ${s.distance_km < 1 ? "less than 1" : Math.round(s.distance_km)} km away.` }) : null,
    s.last_reviewed ? el("p", { class: "item-meta", text: `Details checked on ${formatDate(s.last_reviewed)}.` }) : null,
    safeUrl(s.report_url) ? reportForm({
      url: s.report_url, id: `report-${(uid += 1)}`, summary: "Are these details out of date?",
      label: "What has changed?", hint: "For example: the phone number, or it no longer meets.",
      button: "Send", empty: "Please say what has changed.", thanks: "Thank you. We will check it.",
    }) : null);
}

function filters() {
  const p = params();
  const q = new URLSearchParams();
  for (const name of ["region", "category", "q", "near"]) if ((p.get(name) || "").trim()) q.set(name, p.get(name).trim());
  return q;
}

// Two decimal places is about 1 km: precise enough to sort by distance, too coarse to find a home.
const roughly = (degrees) => (Math.round(degrees * 100) / 100).toFixed(2);

function locate() {
  const note = document.getElementById("d-locate-status");
  if (!("geolocation" in navigator)) { note.textContent = "This browser cannot share a location."; return; }
  note.textContent = "Asking your browser for your location…";
  navigator.geolocation.getCurrentPosition((position) => {
    const form = document.getElementById("directory-filters");
    form.elements.near.value = `${roughly(position.coords.latitude)},${roughly(position.coords.longitude)}`;
    form.requestSubmit();
  }, () => { note.textContent = "Your location was not shared, so services are listed by name."; },
  { enableHighAccuracy: false, maximumAge: 600000, timeout: 15000 });
}

async function loadDirectory(meta, append = false) {
  const q = filters();
  if (append && cursor) q.set("cursor", cursor);
  let page;
  try {
    page = await api(`/api/services${q.toString() ? `?${q}` : ""}`);
  } catch (err) {
    if (append) status.textContent = "More services could not be loaded just now.";
    else if (err.status === 422) { section.hidden = false; status.textContent = "Those filters could not be used. Please choose again."; }
    else section.hidden = true; // not there yet or unreachable: helplines only
    return;
  }
  const filtered = [...filters().keys()].length > 0;
  if (!append && !page.items.length && !filtered) { section.hidden = true; return; } // empty directory
  if (!append) {
    const p = params();
    fillSelect(document.getElementById("d-region"),
      (meta ? meta.regions : []).filter((r) => !NOT_AN_AREA.has(r.code)).map((r) => [r.code, r.name]), p.get("region"));
    let categories = [];
    try { categories = await api("/api/services/categories"); } catch (e) { categories = []; }
    fillSelect(document.getElementById("d-category"), categories.map((c) => [c.code, c.name]), p.get("category"));
    document.getElementById("d-q").value = p.get("q") || "";
    document.getElementById("d-near").value = p.get("near") || "";
    // Nearest-first only helps once some service has a place on the map; until then, no button.
    document.getElementById("d-locate-block").hidden = page.any_located !== true;
    if (p.get("near")) document.getElementById("d-locate-status").textContent = "Nearest first, where we know where a service is.";
    list.replaceChildren();
  }
  const added = page.items.map(service);
  list.append(...added);
  cursor = page.next_cursor;
  more.hidden = !cursor;
  const n = list.children.length;
  status.textContent = n
    ? `Showing ${n} service${n === 1 ? "" : "s"}${cursor ? ", with more to see" : ""}.`
    : "No services match. Try another area or type of support.";
  section.hidden = false;
  if (append && added.length) focusOn(added[0].querySelector("h3"));
}

// Empty fields would clutter the URL; leave them out so a shared link stays tidy.
document.getElementById("directory-filters").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const q = new URLSearchParams();
  for (const name of ["region", "category", "q", "near"]) if (form.elements[name].value.trim()) q.set(name, form.elements[name].value.trim());
  window.location.assign(q.toString() ? `/support?${q}#directory-h` : "/support#directory-h");
});

document.getElementById("d-locate").addEventListener("click", locate);

getMeta()
  .then((meta) => { showHelplines(meta); return meta; })
  .catch(() => null)
  .then((meta) => {
    more.addEventListener("click", () => loadDirectory(meta, true));
    return loadDirectory(meta);
  });
