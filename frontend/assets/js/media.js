// Sound and video: native players that load nothing and play nothing until asked, with the
// poster or waveform, the length, and the transcript one click away. Media URLs are used as
// the API gives them (they may be on a separate media origin).
import { el } from "./lib.js";

export const TIME_KINDS = ["audio", "video"];

/** 75.4 -> "1:15"; 3725 -> "1:02:05"; unknown -> "". */
export function formatDuration(seconds) {
  const n = Number(seconds);
  if (seconds === null || seconds === undefined || !Number.isFinite(n)) return "";
  const total = Math.max(0, Math.round(n));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The length, shown as m:ss, marked up as a duration. */
export function durationLine(seconds, prefix = "Length") {
  const shown = formatDuration(seconds);
  if (!shown) return null;
  return el("p", { class: "media-duration" },
    `${prefix} `,
    el("time", { datetime: `PT${Math.max(0, Math.round(Number(seconds)))}S`, text: shown }));
}

function nameOf(type, title) {
  if (title) return `“${title}”`;
  return type === "video" ? "this video" : "this recording";
}

/**
 * A sound or video player. Audio shows its waveform picture beside the player (decorative:
 * the player's label names the piece); video shows its poster frame. preload="none" keeps a
 * gallery page from downloading anything until someone presses play.
 */
export function mediaPlayer(media, { title = "", variant = "thumb", preload = "none" } = {}) {
  const type = media.type;
  const v = media.variants || {};
  const name = nameOf(type, title);
  const src = v[type];
  const parts = [];
  if (type === "audio") {
    const wave = v[variant] || v.display || v.thumb;
    if (wave) parts.push(el("img", { class: "waveform", src: wave, alt: "", loading: "lazy", decoding: "async" }));
  }
  if (src) {
    parts.push(el(type, {
      src, controls: true, preload, class: "player-media",
      poster: type === "video" ? v.display || v.thumb || null : null,
      playsinline: type === "video",
      width: type === "video" ? media.width || null : null,
      height: type === "video" ? media.height || null : null,
      "aria-label": `${type === "video" ? "Watch" : "Listen to"} ${name}`,
    }));
  } else {
    parts.push(el("p", { class: "muted", text: type === "video" ? "This video is not ready to play yet." : "This recording is not ready to play yet." }));
  }
  parts.push(durationLine(media.duration));
  return el("div", { class: `player player-${type}` }, ...parts);
}

/** The piece's playable item, if it is sound or video. */
export function timeMedia(item) {
  return (item.media || []).find((m) => TIME_KINDS.includes(m.type)) || null;
}

/**
 * The transcript (and, for video, the description of what is shown) behind one click:
 * a <details> whose summary names the piece for screen-reader users.
 */
export function transcriptDetails(item, { title = "" } = {}) {
  const media = timeMedia(item);
  const transcript = (item.transcript || "").trim();
  const description = media && media.type === "video" ? (media.alt_text || "").trim() : "";
  if (!transcript && !description) return null;
  const label = transcript && description ? "Transcript and description" : transcript ? "Transcript" : "Description";
  return el("details", { class: "transcript" },
    el("summary", {}, label, el("span", { class: "visually-hidden", text: ` of ${nameOf(media ? media.type : "audio", title)}` })),
    description ? el("p", {}, el("strong", { text: "What is shown: " }), description) : null,
    transcript ? el("div", { class: "transcript-text", text: transcript }) : null);
}
