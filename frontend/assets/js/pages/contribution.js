// One contribution's permalink: the piece, its licence and credit line, and a report link.
import { byline, mediaElement, titleOf, warned } from "../cards.js";
import { api, el, getMeta, initChrome, licenceOf, safeUrl } from "../lib.js";

initChrome();

const article = document.getElementById("piece");
const heading = document.getElementById("piece-h");
const id = decodeURIComponent(window.location.pathname.split("/").filter(Boolean).pop() || "");

function notFound() {
  heading.textContent = "We couldn't find this contribution";
  document.title = "Not found · Scrapbook";
  article.append(el("p", { text: "It may have been withdrawn by the person who shared it, or the link may be mistyped." }),
    el("p", {}, el("a", { href: "/gallery", text: "Look at the rest of the scrapbook" })));
}

// Visitors tell the moderators what is wrong: POST {message} to the contribution's report URL.
function reportForm(url) {
  const message = el("textarea", { id: "report-message", rows: "3", "aria-describedby": "report-hint" });
  const result = el("p", { role: "status" });
  const form = el("form", { novalidate: true },
    el("div", { class: "field" },
      el("label", { for: "report-message", text: "What is wrong?" }),
      el("span", { class: "hint", id: "report-hint", text: "For example: it names me, or it breaks the guidelines. Only moderators read this." }),
      message),
    el("button", { type: "submit", class: "secondary" }, "Send the report"), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!message.value.trim()) { result.textContent = "Please say what is wrong."; message.focus(); return; }
    try {
      const answer = await api(url, { method: "POST", json: { message: message.value.trim() } });
      form.replaceChildren(el("p", { role: "status", text: (answer && answer.detail) || "Thank you. A moderator will look at it." }));
    } catch (err) {
      result.textContent = err.detail || "That could not be sent just now. Please try again.";
    }
  });
  return el("details", {}, el("summary", { text: "Report this contribution" }), form);
}

function render(item, meta) {
  const title = titleOf(item);
  heading.textContent = title;
  document.title = `${title} · Scrapbook`;
  const content = el("div", {});
  for (const m of item.media || []) {
    content.append(el("figure", {}, mediaElement(m, "display", { eager: true })));
  }
  const transcript = item.kind === "audio" || item.kind === "video";
  if (item.body && transcript) content.append(el("h2", { text: "Transcript" }));
  if (item.body) content.append(el("div", { class: "piece-body", text: item.body }));
  const licence = licenceOf(meta, item.licence);
  const author = item.display_name || "Anonymous";
  const permalink = `${window.location.origin}/contributions/${encodeURIComponent(item.id)}`;
  const credit = `“${title}” by ${author}, shared on Scrapbook, ${permalink}. ${licence.name}.`;

  article.append(...[
    el("p", { class: "item-meta", text: byline(item, meta) }),
    item.tags && item.tags.length
      ? el("ul", { class: "tags", "aria-label": "Tags" },
        item.tags.map((t) => el("li", {}, el("a", { href: `/gallery?tag=${encodeURIComponent(t)}`, text: `#${t}` }))))
      : null,
    warned(item.content_warning, content),
    el("section", { "aria-labelledby": "licence-h" },
      el("h2", { id: "licence-h", text: "Sharing this" }),
      el("p", {}, el("strong", { text: `${licence.name}. ` }), licence.explanation || "",
        safeUrl(licence.url) ? [" ", el("a", { href: safeUrl(licence.url), rel: "license noopener", text: "Read the licence" })] : null),
      el("p", { text: "If you share it, please credit it like this:" }),
      el("p", { class: "credit", text: credit }),
      reportForm(`/api/gallery/${encodeURIComponent(item.id)}/report`)),
  ].filter(Boolean));
}

Promise.all([api(`/api/gallery/${encodeURIComponent(id)}`), getMeta().catch(() => null)])
  .then(([item, meta]) => render(item, meta))
  .catch((err) => {
    if (err.status === 404) notFound();
    else {
      heading.textContent = "This contribution could not be loaded";
      article.append(el("p", { text: "Please try again in a moment." }));
    }
  });
