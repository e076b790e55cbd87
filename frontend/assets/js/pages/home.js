// Home: writing prompts from /api/meta and the most recent contributions.
import { card } from "../cards.js";
import { api, el, getMeta, initChrome } from "../lib.js";

initChrome();

async function showPrompts(meta) {
  const list = document.getElementById("prompts");
  if (!meta.prompts || !meta.prompts.length) return;
  // Three different prompts on each visit, so returning visitors see new ideas.
  const shuffled = [...meta.prompts].sort(() => Math.random() - 0.5).slice(0, 3);
  list.replaceChildren(...shuffled.map((p) => el("li", { text: p })));
}

async function showRecent(meta) {
  const status = document.getElementById("recent-status");
  const list = document.getElementById("recent-list");
  try {
    const page = await api("/api/gallery?limit=6");
    list.replaceChildren(...page.items.map((item) => card(item, meta, 3)));
    if (page.items.length) status.hidden = true;
    else status.textContent = "Nothing has been published yet. Yours could be the first.";
  } catch (err) {
    status.textContent = "The latest contributions could not be loaded just now.";
  }
}

getMeta()
  .then((meta) => Promise.all([showPrompts(meta), showRecent(meta)]))
  .catch(() => showRecent(null));
