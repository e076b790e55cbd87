// One contribution's permalink: the piece, its licence and credit line, and a report link.
import { byline, mediaElement, warned } from "../cards.js";
import { api, el, getMeta, initChrome, licenceForVisitors, reportForm, safeUrl, titleOf } from "../lib.js";
import { mediaPlayer, timeMedia } from "../media.js";

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

function render(item, meta) {
  const title = titleOf(item);
  heading.textContent = title;
  document.title = `${title} · Scrapbook`;
  const content = el("div", {});
  const after = []; // what follows the words
  const playable = timeMedia(item);
  if (playable) {
    // Sound and video: the player, then the transcript (and what is shown) in full.
    content.append(el("figure", {}, mediaPlayer(playable, { title, variant: "display" })));
    const transcript = (item.transcript || "").trim();
    const description = playable.type === "video" ? (playable.alt_text || "").trim() : "";
    if (transcript || description) {
      after.push(el("section", { class: "transcript", "aria-labelledby": "transcript-h" },
        el("h2", { id: "transcript-h", text: transcript && description ? "Transcript and description" : transcript ? "Transcript" : "Description" }),
        description ? el("p", {}, el("strong", { text: "What is shown: " }), description) : null,
        transcript ? el("div", { class: "piece-body transcript-text", text: transcript }) : null));
    }
  } else {
    for (const m of item.media || []) {
      content.append(el("figure", {}, mediaElement(m, "display", { eager: true })));
    }
  }
  if (item.body) content.append(el("div", { class: "piece-body", text: item.body }));
  content.append(...after);
  const licence = licenceForVisitors(meta, item.licence);
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
      // Reuse is invited only where the licence allows it.
      licence.reusable ? el("p", { text: "If you share it, please credit it like this:" }) : null,
      licence.reusable ? el("p", { class: "credit", text: credit }) : null,
      // Visitors tell the moderators what is wrong.
      reportForm({
        url: `/api/gallery/${encodeURIComponent(item.id)}/report`, id: "report-message",
        summary: "Report this contribution", label: "What is wrong?",
        hint: "For example: it names me, or it breaks the guidelines. Only moderators read this.",
        button: "Send the report", empty: "Please say what is wrong.",
        thanks: "Thank you. A moderator will look at it.",
      })),
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
