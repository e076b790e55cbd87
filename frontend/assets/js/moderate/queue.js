// The queue: a list of buttons, one a contribution, loaded a page at a time; j and k move through it.
import { mediaElement } from "../cards.js";
import { el, excerpt, focusOn, formLabel, formatDate, kindLabel, titleOf } from "../lib.js";
import { formatDuration, TIME_KINDS } from "../media.js";
import { renderDetail } from "./detail.js";
import { $, mod, state, STATUS_WORDS } from "./state.js";

function mediaSummary(item) {
  const playable = item.media.find((m) => TIME_KINDS.includes(m.type));
  if (playable) return playable.duration ? ` · ${formatDuration(playable.duration)}` : "";
  return item.media.length ? ` · ${item.media.length} image${item.media.length === 1 ? "" : "s"}` : "";
}

function queueButton(item, i) {
  // Only a picture can preview inside the button (a player there would nest controls).
  const thumb = (item.media || []).find((m) => (m.type || "image") === "image");
  const button = el("button", { type: "button", class: "queue-item", "data-index": String(i) },
    el("span", { class: "qi-title" },
      item.at_risk ? [el("span", { class: "risk-flag", text: "May be at risk" }), " "] : null,
      titleOf(item)),
    el("span", { class: "qi-meta", text: `${kindLabel(item.kind)} · ${formLabel(item.form)} · received ${formatDate(item.received_on)}${mediaSummary(item)}` }),
    thumb ? mediaElement(thumb, "thumb") : null,
    item.body ? el("span", { class: "qi-meta", text: excerpt(item.body) }) : null);
  const img = button.querySelector("img");
  if (img) { img.alt = ""; img.width = 96; img.height = Math.round(96 * ((thumb.height || 1) / (thumb.width || 1))); img.classList.add("qi-thumb"); }
  button.addEventListener("click", () => select(i, { focusList: true }));
  return el("li", {}, button);
}

export function renderQueue() {
  const { items, cursor } = state;
  $("queue-list").replaceChildren(...items.map(queueButton));
  const status = $("queue-status").value;
  $("queue-count").textContent = items.length
    ? `${items.length}${cursor ? "+" : ""} ${STATUS_WORDS[status]}`
    : `Nothing ${STATUS_WORDS[status]}.`;
  $("queue-more").hidden = !cursor;
}

export async function loadQueue(append = false) {
  const status = $("queue-status").value;
  // "reported" is published work that visitors have reported.
  const q = new URLSearchParams(status === "reported"
    ? { status: "approved", reported: "true", limit: "25" } : { status, limit: "25" });
  if (append && state.cursor) q.set("cursor", state.cursor);
  try {
    const page = await mod(`/api/admin/queue?${q}`);
    state.items = append ? [...state.items, ...page.items] : page.items;
    state.cursor = page.next_cursor;
    renderQueue();
    if (!append) select(state.items.length ? 0 : -1);
  } catch (err) {
    $("queue-count").textContent = `The queue could not be loaded: ${err.detail}`;
  }
}

/** Show the i-th contribution; focus its queue button or the detail's heading if asked. */
export function select(i, { focusList = false, focusHeading = false } = {}) {
  state.index = i;
  const list = $("queue-list");
  for (const button of list.querySelectorAll(".queue-item")) {
    if (Number(button.dataset.index) === i) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  renderDetail();
  const button = list.querySelector(`[data-index="${i}"]`);
  if (focusList && button) button.focus();
  else if (focusHeading) focusOn($("detail-h"));
  if (button) button.scrollIntoView({ block: "nearest" });
}

export function move(step) {
  const { items, index } = state;
  if (!items.length) return;
  select(index < 0 ? 0 : Math.max(0, Math.min(items.length - 1, index + step)), { focusList: true });
}

/** The shown contribution as the API now has it. */
export function replaceItem(updated) {
  state.items[state.index] = updated;
  const li = queueButton(updated, state.index);
  li.querySelector("button").setAttribute("aria-current", "true");
  $("queue-list").children[state.index].replaceWith(li);
}

export function wireQueue() {
  $("queue-filter").addEventListener("submit", (e) => { e.preventDefault(); loadQueue(false); });
  $("queue-more").addEventListener("click", () => loadQueue(true));
}
