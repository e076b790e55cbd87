// Shared helpers for every page: safe element building, the API, /api/meta, easy read.
// User text is only ever inserted with textContent (through el()), never as HTML.

const EASY_KEY = "scrapbook:easy-read";

/** Build an element. attrs: plain attributes, plus `text`, `class`, `hidden` and on* handlers. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "text") node.textContent = value;
    else if (key === "class") node.className = value;
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Standard and easy-read wording side by side; CSS shows the one that applies. */
export function words(standard, easy) {
  return [el("span", { class: "std", text: standard }), el("span", { class: "easy", text: easy || standard })];
}

export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** fetch() the JSON API; throws ApiError with the API's {error, detail}. */
export async function api(path, { method = "GET", json, headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin", signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "We could not reach Scrapbook. Please check your connection and try again.");
  }
  if (response.status === 204) return null;
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    throw new ApiError(response.status, body && body.error, (body && body.detail) ||
      "Something went wrong on our side. Please try again.");
  }
  return body;
}

let metaPromise = null;
/** GET /api/meta once per page. */
export function getMeta() {
  if (!metaPromise) metaPromise = api("/api/meta");
  return metaPromise;
}

export function regionName(meta, code) {
  const found = meta && meta.regions.find((r) => r.code === code);
  return found ? found.name : code;
}

export function licenceOf(meta, code) {
  return (meta && meta.licences.find((l) => l.code === code)) || { code, name: code, explanation: "", url: "" };
}

// The API explains each licence to the contributor choosing it ("your work"); a visitor reads
// about "this work" and "the author". Only the Creative Commons licences let others reuse a piece.
/** A licence as a visitor reads it: its name, what it lets them do, and whether it invites reuse. */
export function licenceForVisitors(meta, code) {
  const licence = licenceOf(meta, code);
  return { ...licence, reusable: Boolean(licence.reusable), explanation: licence.visitor_explanation || "" };
}

/** A piece's title, or "Untitled poem" (and so on) when it has none. */
export function titleOf(item) {
  return item.title || `Untitled ${formLabel(item.form).toLowerCase()}`;
}

/** Link targets for a phone number as written for people ("116 123" -> "tel:116123"). */
export const telHref = (number) => `tel:${String(number).replace(/[^0-9+]/g, "")}`;
export const smsHref = (number) => `sms:${String(number).replace(/\s/g, "")}`;

/**
 * The start of a text on one line, at most about `n` characters, cut at a word boundary.
 * "…" marks a cut, except after a sentence's own full stop (no "chair.…").
 */
export function excerpt(text, n = 90) {
  const flat = (text || "").replace(/\s+/g, " ").trim();
  if (flat.length <= n) return flat;
  let cut = flat.slice(0, n);
  const space = cut.lastIndexOf(" ");
  if (space > n / 2) cut = cut.slice(0, space); // one unbroken word is cut where it must be
  cut = cut.replace(/[\s,;:\u2013\u2014-]+$/, "");
  return /[.!?…]["'\u201d\u2019)]*$/.test(cut) ? cut : `${cut}…`;
}

// Sizes in decimal units, as the API words them: 1 MB = 1,000,000 bytes, 1 kB = 1,000 bytes.

/** A file's size: "12 kB", "4.3 MB". Rounded up, so a file over a limit never reads as equal to it. */
export function sizeWords(bytes) {
  const kb = Math.ceil(bytes / 1000);
  if (kb < 1000) return `${bytes > 0 ? Math.max(1, kb) : 0} kB`;
  return `${Math.ceil(bytes / 100_000) / 10} MB`;
}

/** A limit, worded as the server words it ("may be at most 500 MB"): whole units, rounded down. */
export function limitWords(bytes) {
  return bytes < 1_000_000 ? `${Math.floor(bytes / 1000)} kB` : `${Math.floor(bytes / 1_000_000)} MB`;
}

const FORM_LABELS = { poem: "Poem", story: "Story", letter: "Letter", note: "Note", essay: "Essay", song: "Song",
  drawing: "Drawing", painting: "Painting", photo: "Photo", meme: "Meme", film: "Film", other: "Something else" };
export function formLabel(code) {
  return FORM_LABELS[code] || (code ? code.charAt(0).toUpperCase() + code.slice(1) : "");
}

const KIND_LABELS = { text: "Writing", image: "Pictures", audio: "Sound", video: "Video" };
export function kindLabel(code) { return KIND_LABELS[code] || code; }

export function formatDate(iso) {
  if (!iso) return "";
  const d = new Date(`${iso}T12:00:00Z`);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

/** Say something to screen-reader users through the page's polite live region. */
export function announce(message) {
  let region = document.getElementById("live");
  if (!region) {
    region = el("div", { id: "live", class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true" });
    document.body.append(region);
  }
  region.textContent = "";
  window.setTimeout(() => { region.textContent = message; }, 50);
}

function setEasyRead(on) {
  document.documentElement.classList.toggle("easy-read", on);
  try { window.localStorage.setItem(EASY_KEY, on ? "on" : "off"); } catch (e) { /* not persisted */ }
  for (const button of document.querySelectorAll(".easy-read-toggle")) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }
}

/** Wire the header: easy-read toggle state and behaviour. */
export function initChrome() {
  const on = document.documentElement.classList.contains("easy-read");
  for (const button of document.querySelectorAll(".easy-read-toggle")) {
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.addEventListener("click", () => {
      const next = !document.documentElement.classList.contains("easy-read");
      setEasyRead(next);
      announce(next ? "Easy read is on: simpler words and bigger text." : "Easy read is off.");
    });
  }
}

// What takes focus by itself. Giving one of these tabindex=-1 would take it out of the Tab
// order (and, with the site's CSS, hide its focus ring), so focusOn() leaves them alone.
const FOCUSABLE = "a[href], area[href], button, input:not([type='hidden']), select, textarea, summary, " +
  "iframe, audio[controls], video[controls], [contenteditable]:not([contenteditable='false'])";

/** Move focus to an element: a control as it is; a heading or notice made focusable (tabindex=-1). */
export function focusOn(node) {
  if (!node) return;
  if (!node.hasAttribute("tabindex") && !node.matches(FOCUSABLE)) node.setAttribute("tabindex", "-1");
  node.focus();
}

/**
 * A visitor's report: a short form that POSTs {message} to `url`. The status line sits outside
 * the form and stays put, so "thank you" is written into a live region that already exists and
 * focus moves to it (never dropped on <body> with the Send button).
 */
export function reportForm({ url, id, summary, label, hint, button, empty, thanks }) {
  const hintId = `${id}-hint`;
  const result = el("p", { id: `${id}-status`, role: "status", tabindex: "-1" });
  const message = el("textarea", { id, rows: "3", "aria-describedby": hintId });
  const form = el("form", { novalidate: true },
    el("div", { class: "field" },
      el("label", { for: id, text: label }),
      el("span", { class: "hint", id: hintId, text: hint }),
      message),
    el("button", { type: "submit", class: "secondary" }, button));
  let sending = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (sending) return;
    if (!message.value.trim()) {
      result.textContent = empty;
      message.setAttribute("aria-invalid", "true");
      message.setAttribute("aria-describedby", `${hintId} ${result.id}`);
      message.focus();
      return;
    }
    message.removeAttribute("aria-invalid");
    message.setAttribute("aria-describedby", hintId);
    sending = true;
    try {
      const answer = await api(url, { method: "POST", json: { message: message.value.trim() } });
      result.textContent = (answer && answer.detail) || thanks;
      focusOn(result);
      form.hidden = true; // sent: nothing to send twice
    } catch (err) {
      result.textContent = err.detail || "That could not be sent just now. Please try again.";
    } finally {
      sending = false;
    }
  });
  return el("details", {}, el("summary", { text: summary }), form, result);
}

/** Only web and same-site links from API data become hrefs (never javascript: or data:). */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  return /^https?:\/\//i.test(url) || (url.startsWith("/") && !url.startsWith("//")) ? url : null;
}

/**
 * The API's `support` block on receipts: a word of care and helplines when the words suggest
 * someone may be struggling. Returns null when it only repeats the standing notice.
 */
export function careNotice(support, standing) {
  if (!support || !support.message || support.message === standing) return null;
  return el("div", { class: "crisis care" },
    el("h3", { text: "You don't have to wait for us" }),
    el("p", { text: support.message }),
    el("ul", {}, (support.helplines || []).map((h) => el("li", {},
      el("strong", { text: h.name }), `: ${h.how || ""} `,
      h.phone ? el("a", { href: telHref(h.phone), text: `Call ${h.phone}` }) : null,
      h.phone && h.text ? " · " : null,
      h.text ? el("a", { href: smsHref(h.text), text: `Text ${h.text}` }) : null))));
}

export function params() {
  return new URLSearchParams(window.location.search);
}
