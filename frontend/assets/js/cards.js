// Rendering a published contribution: cards for lists, media with blurhash placeholders,
// and content-warning covers that stay closed until the visitor chooses.
import { blurhashDataUrl } from "./blurhash.js";
import { el, formLabel, formatDate, regionName, titleOf } from "./lib.js";
import { mediaPlayer, timeMedia, transcriptDetails } from "./media.js";

let uid = 0;

export function byline(item, meta) {
  const parts = [formLabel(item.form)];
  if (item.region) parts.push(regionName(meta, item.region));
  parts.push(item.display_name ? `by ${item.display_name}` : "Anonymous");
  if (item.published_on) parts.push(formatDate(item.published_on));
  return parts.join(" · ");
}

/** An <img> that shows its blurhash until the real picture has loaded. */
export function mediaImage(media, variant = "thumb", { eager = false } = {}) {
  const src = media.variants[variant] || media.variants.display || media.variants.thumb;
  const img = el("img", {
    src,
    alt: media.alt_text || "",
    class: "media-img",
    loading: eager ? "eager" : "lazy",
    decoding: "async",
    width: media.width || null,
    height: media.height || null,
  });
  const placeholder = blurhashDataUrl(media.blurhash);
  if (placeholder) {
    img.style.backgroundImage = `url("${placeholder}")`; // CSSOM, allowed by the CSP
    const clear = () => { img.style.backgroundImage = "none"; };
    if (img.complete && img.naturalWidth) clear();
    else img.addEventListener("load", clear, { once: true });
  }
  return img;
}

/**
 * Any media item: pictures as <img> with their blurhash; sound and video as native players
 * that load nothing until played (options.title names the piece in the player's label).
 */
export function mediaElement(media, variant = "thumb", options = {}) {
  const type = media.type || "image";
  if (type !== "audio" && type !== "video") return mediaImage(media, variant, options);
  return mediaPlayer(media, { variant, ...options });
}

/**
 * Wrap content in a content-warning cover: the warning and a "Show it" button; the content
 * itself stays hidden (and out of the accessibility tree) until the button is pressed.
 */
export function warned(warning, content, { label = "Show it" } = {}) {
  if (!warning) return content;
  uid += 1;
  const id = `cw-${uid}`;
  content.id = id;
  content.hidden = true;
  const button = el("button", { type: "button", class: "secondary", "aria-expanded": "false", "aria-controls": id },
    label);
  const cover = el("div", { class: "cw-cover" },
    el("p", {}, el("strong", { text: "Content warning: " }), warning),
    button);
  button.addEventListener("click", () => {
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    content.hidden = !open;
    content.classList.toggle("reveal", open);
    button.textContent = open ? "Hide it again" : label;
  });
  return el("div", { class: "cw" }, cover, content);
}

/** A gallery card: <li><article>…</article></li>. */
export function card(item, meta, headingLevel = 3) {
  uid += 1;
  const headingId = `card-${uid}`;
  const heading = el(`h${headingLevel}`, { id: headingId },
    el("a", { href: `/contributions/${encodeURIComponent(item.id)}`, text: titleOf(item) }));
  const body = el("div", { class: "card-body" });
  const playable = timeMedia(item);
  if (playable) {
    body.append(mediaPlayer(playable, { title: titleOf(item) }));
    const transcript = transcriptDetails(item, { title: titleOf(item) });
    if (transcript) body.append(transcript);
  } else if (item.media && item.media.length) {
    body.append(el("div", { class: "thumbs" }, item.media.slice(0, 4).map((m) => mediaElement(m, "thumb"))));
  }
  if (item.body) body.append(el("p", { class: "excerpt", text: item.body }));
  const covered = warned(item.content_warning, body);
  return el("li", {},
    el("article", { class: "card", "aria-labelledby": headingId },
      heading,
      el("p", { class: "card-meta", text: byline(item, meta) }),
      covered));
}
