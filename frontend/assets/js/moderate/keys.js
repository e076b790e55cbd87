// Keyboard: j/k/a/h/r/? while not typing, and the switch that turns single keys off.
import { focusOn } from "../lib.js";
import { decide, openReject } from "./decide.js";
import { move } from "./queue.js";
import { $, keepShortcuts, SHORTCUT_KEYS, state } from "./state.js";

function isTyping(target) {
  return target instanceof Element && Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
}

function toggleHelp() {
  const help = $("help");
  if (help.open) help.close();
  else help.showModal();
}

// Single-key shortcuts can be set off by speech input or a slip of the hand (WCAG 2.1.4), so
// they can be turned off; the choice is kept in this browser.
function showShortcuts() {
  const on = state.shortcutsOn;
  for (const toggle of document.querySelectorAll(".shortcuts-switch")) {
    toggle.setAttribute("aria-checked", on ? "true" : "false");
    toggle.querySelector(".shortcuts-state").textContent = on ? "on" : "off";
  }
  $("dashboard").classList.toggle("shortcuts-off", !on);
  for (const [action, key] of Object.entries(SHORTCUT_KEYS)) {
    const button = $(action);
    if (!button) continue;
    if (on) button.setAttribute("aria-keyshortcuts", key);
    else button.removeAttribute("aria-keyshortcuts");
  }
}

function onKey(event) {
  const help = $("help");
  if ($("dashboard").hidden || !state.shortcutsOn) return;
  if (event.key === "Escape" && isTyping(event.target) && !help.open) {
    event.target.blur();
    focusOn($("detail-h"));
    return;
  }
  if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
  if (event.key === "?") { event.preventDefault(); toggleHelp(); return; }
  if (help.open || $("queue-view").hidden) return;
  const actions = { j: () => move(1), k: () => move(-1), a: () => decide("approve"), h: () => decide("hold"), r: openReject };
  const run = actions[event.key];
  if (run) { event.preventDefault(); run(); }
}

export function wireKeys() {
  $("help-open").addEventListener("click", toggleHelp);
  $("help-close").addEventListener("click", () => $("help").close());
  for (const toggle of document.querySelectorAll(".shortcuts-switch")) {
    toggle.addEventListener("click", () => {
      keepShortcuts(!state.shortcutsOn);
      showShortcuts();
    });
  }
  showShortcuts();
  document.addEventListener("keydown", onKey);
}
