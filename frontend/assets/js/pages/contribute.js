// Contribute: one form that adapts to what is being shared, checks files against /api/meta
// before anything is sent, shows progress per file with cancel, then the receipt, once.
// Sound and video: pick a file or record one here, listen back, then a resumable (tus) upload
// that carries on after a dropped connection, and the contribution sent with its upload id.
import { clearFieldError as clearError, fillSelect, setFieldError as setError } from "../fields.js";
import { announce, careNotice, el, focusOn, formLabel, formatDate, getMeta, initChrome, limitWords, sizeWords } from "../lib.js";
import { formatDuration, TIME_KINDS } from "../media.js";
import { Recording, recordingType } from "../recorder.js";
import { buildMultipart, loadTus, rangeProgress, resumable, send } from "../upload.js";

initChrome();

const KINDS = {
  text: { label: "Writing", hint: "a poem, letter, note, story…", files: false,
    forms: ["poem", "letter", "note", "story", "essay", "song", "other"],
    body: "Your writing", bodyHint: "Write as much or as little as you like. Line breaks are kept, so poems keep their shape." },
  image: { label: "Pictures", hint: "a drawing, painting, photo…", files: true, noun: "picture",
    forms: ["drawing", "painting", "photo", "meme", "poem", "letter", "note", "other"],
    body: "Words to go with your pictures (optional)", bodyHint: "For example, what the picture means to you." },
  audio: { label: "Sound", hint: "a song, a spoken poem, a voice note…", files: true, noun: "sound file",
    forms: ["song", "poem", "story", "letter", "note", "other"],
    body: "Words to go with it (optional)", bodyHint: "For example, what it means to you.",
    fileLabel: "Choose a sound file", formats: "MP3, M4A, WAV, FLAC, Ogg or WebM",
    recordTitle: "Or record a voice note here", recordHint: "Your browser will ask to use your microphone.",
    recorded: "Your voice note", device: "microphone",
    transcript: "Transcript or description: what is said",
    transcriptHint: "Write down the words that are spoken or sung. It lets people who cannot hear it share it too. If you'd rather not, a moderator can help." },
  video: { label: "Video", hint: "a short film…", files: true, noun: "video",
    forms: ["film", "poem", "song", "story", "other"],
    body: "Words to go with it (optional)", bodyHint: "For example, what it means to you.",
    fileLabel: "Choose a video file", formats: "MP4, MOV, WebM or 3GP",
    recordTitle: "Or record a short video here", recordHint: "Your browser will ask to use your camera and microphone.",
    recorded: "Your video", device: "camera and microphone",
    transcript: "Transcript or description: what is said and shown",
    transcriptHint: "Write down what is said, and describe what can be seen. It lets people who cannot hear or see it share it too. If you'd rather not, a moderator can help." },
};
// Sound and video are recognised from their bytes on the server; this only catches a wrong pick.
const TIME_EXTENSIONS = { audio: ["mp3", "m4a", "aac", "wav", "flac", "ogg", "oga", "opus", "webm", "weba"],
  video: ["mp4", "m4v", "mov", "webm", "3gp", "3g2"] };
const EXTENSION_TYPES = { heic: "image/heic", heif: "image/heic", jpg: "image/jpeg", jpeg: "image/jpeg",
  png: "image/png", webp: "image/webp", gif: "image/gif" };
const TYPE_NAMES = { "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF", "image/heic": "HEIC" };

const form = document.getElementById("contribute-form");
const formArea = document.getElementById("form-area");
const summary = document.getElementById("error-summary");
const notice = document.getElementById("form-notice");
const fileInput = document.getElementById("files");
const fileList = document.getElementById("file-list");
const sending = document.getElementById("sending");
const receipt = document.getElementById("receipt");
const recordButton = document.getElementById("record");
const recStatus = document.getElementById("rec-status");
const recTimer = document.getElementById("rec-timer");

let meta = null;
// Limits and accepted files come from /api/meta only (the page copies no server defaults); if it
// cannot be read, the page checks nothing it does not know and the server checks everything.
let limits = {};
// What is chosen for each kind, so switching back and forth loses nothing:
// { key, file, type, preview (object URL), alt (textarea), altValue, seconds, recorded, uploadId }
const chosenBy = { image: [], audio: [], video: [] };
let nextKey = 1;
let current = null; // the running upload: { abort() }
let recording = null; // the Recording in progress
let formChosen = false; // the visitor picked "What kind of piece is it?" themselves

const kind = () => form.elements.kind.value || "text";
const timed = (k = kind()) => TIME_KINDS.includes(k);
const chosenList = () => chosenBy[kind()] || [];
function accepted() {
  const k = kind();
  const given = meta && meta.accepted && meta.accepted[k];
  if (timed(k)) return { ...(given || {}), max_files: 1 };
  return given || { types: null, max_files: Infinity };
}

/** 900 -> "15 minutes"; 90 -> "1 minute 30 seconds". */
function lengthWords(seconds) {
  const total = Math.round(seconds);
  const m = Math.floor(total / 60);
  const s = total % 60;
  const part = (n, unit) => (n ? `${n} ${unit}${n === 1 ? "" : "s"}` : "");
  return [part(m, "minute"), part(s, "second")].filter(Boolean).join(" ") || "0 seconds";
}

// --- Setting the form up from /api/meta -------------------------------------------------------

function setUpKinds() {
  const container = document.getElementById("kind-choices");
  for (const k of meta.kinds) {
    if (document.getElementById(`kind-${k}`) || !KINDS[k]) continue;
    // Audio and video appear only once the API lists them.
    container.append(el("div", { class: "choice" },
      el("input", { type: "radio", name: "kind", id: `kind-${k}`, value: k }),
      el("label", { for: `kind-${k}` }, `${KINDS[k].label} `, el("span", { class: "hint", text: KINDS[k].hint }))));
  }
  for (const input of container.querySelectorAll("input")) {
    if (!meta.kinds.includes(input.value)) input.closest(".choice").remove();
  }
}

function setUpForms() {
  const select = document.getElementById("form");
  const known = meta ? meta.forms : KINDS.text.forms;
  const preferred = KINDS[kind()].forms.filter((f) => known.includes(f));
  const mapped = new Set(Object.values(KINDS).flatMap((k) => k.forms));
  const extra = known.filter((f) => !mapped.has(f));
  const pairs = [...preferred, ...extra].map((f) => [f, formLabel(f)]);
  // A form chosen by hand is kept when the kind changes (if it still fits); otherwise the kind's first.
  const keep = formChosen && pairs.some(([f]) => f === select.value);
  fillSelect(select, pairs, keep ? select.value : "", { replace: true });
}

function setUpRegions() {
  const select = document.getElementById("region");
  fillSelect(select, meta.regions.map((r) => [r.code, r.name]), select.value);
}

function setUpLicences() {
  const container = document.getElementById("licence-choices");
  const chosenBefore = form.elements.licence.value || "all-rights-reserved";
  // The default (most protective) choice first.
  const ordered = [...meta.licences].sort((a, b) => (b.code === "all-rights-reserved") - (a.code === "all-rights-reserved"));
  container.replaceChildren(...ordered.map((l) => {
    const id = `licence-${l.code}`;
    return el("div", { class: "choice" },
      el("input", { type: "radio", name: "licence", id, value: l.code, checked: l.code === chosenBefore }),
      el("label", { for: id }, `${l.name} `, el("span", { class: "hint", text: l.explanation })));
  }));
  if (!form.elements.licence.value && meta.licences.length) container.querySelector("input").checked = true;
}

function describeTimed() {
  const k = kind();
  const acc = accepted();
  const info = KINDS[k];
  document.getElementById("files-label").textContent = info.fileLabel;
  document.getElementById("files-hint").textContent =
    `One file (${info.formats})${acc.max_bytes ? `, up to ${limitWords(acc.max_bytes)}` : ""}` +
    `${acc.max_seconds ? ` and ${lengthWords(acc.max_seconds)} long` : ""}. ` +
    "We remove hidden details, such as where and when it was recorded, before anyone hears it.";
  fileInput.multiple = false;
  fileInput.accept = [`${k}/*`, ...(acc.types || []), ...TIME_EXTENSIONS[k].map((e) => `.${e}`)].join(",");
  const canRecord = Boolean(recordingType(k)) && Boolean(acc.max_seconds);  // a recording needs its limit
  document.getElementById("recorder").hidden = !canRecord;
  if (canRecord) {
    document.getElementById("recorder-title").textContent = info.recordTitle;
    document.getElementById("recorder-hint").textContent = `${info.recordHint} Up to ${lengthWords(acc.max_seconds)}.`;
    setRecordLabel();
  }
  const transcript = document.getElementById("transcript-label");
  transcript.replaceChildren(`${info.transcript} `, el("span", { class: "muted", text: "(optional)" }));
  document.getElementById("transcript-hint").textContent = info.transcriptHint;
}

function describeAccepted() {
  if (timed()) { describeTimed(); return; }
  document.getElementById("recorder").hidden = true;
  fileInput.multiple = true;
  const acc = accepted();
  const types = acc.types || [];
  const names = types.map((t) => TYPE_NAMES[t] || t.split("/").pop().toUpperCase());
  const noun = KINDS[kind()].noun || "file";
  const count = Number.isFinite(acc.max_files) ? `up to ${acc.max_files} ${noun}${acc.max_files === 1 ? "" : "s"}` : `your ${noun}s`;
  document.getElementById("files-label").textContent = `Your ${noun}s`;
  document.getElementById("files-hint").textContent =
    `Choose ${count}${names.length ? ` (${names.join(", ")})` : ""}` +
    `${acc.max_bytes ? `, ${acc.max_files === 1 ? "" : "each "}up to ${limitWords(acc.max_bytes)}` : ""}. ` +
    "We remove hidden details, such as where a photo was taken, before anyone sees it.";
  fileInput.accept = types.length ? [...types, ...(types.includes("image/heic") ? [".heic", ".heif"] : [])].join(",") : "image/*";
}

function applyKind() {
  if (recording) stopRecording({ discard: true });
  const k = KINDS[kind()];
  document.getElementById("files-field").hidden = !k.files;
  document.getElementById("transcript-field").hidden = !timed();
  document.getElementById("file-list").setAttribute("aria-label", timed() ? `Chosen ${k.noun}` : "Chosen pictures");
  if (timed()) loadTus().catch(() => { /* sent in one piece instead */ });
  document.getElementById("body-label").textContent = k.body;
  document.getElementById("body-hint").textContent = k.bodyHint;
  if (k.files) describeAccepted();
  setUpForms();
  renderFiles();
}

// --- Files --------------------------------------------------------------------------------------

function typeOf(file) {
  if (file.type) return file.type === "image/heif" ? "image/heic" : file.type;
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  return EXTENSION_TYPES[ext] || "";
}

function timedProblem(file, k, acc) {
  const type = file.type || "";
  const ext = (file.name.split(".").pop() || "").toLowerCase();
  const fits = type.startsWith(`${k}/`) || (acc.types || []).includes(type) || TIME_EXTENSIONS[k].includes(ext) ||
    (k === "audio" && (type === "video/webm" || type === "application/ogg"));
  if (!fits) return `“${file.name}” is not a ${KINDS[k].noun} we can take. Please choose a ${KINDS[k].formats} file.`;
  if (file.size === 0) return `“${file.name}” is empty.`;
  if (file.size > acc.max_bytes) return `“${file.name}” is ${sizeWords(file.size)}, more than the ${limitWords(acc.max_bytes)} limit. Try a shorter or smaller copy.`;
  return "";
}

/** The length the browser reads from the file (null when it cannot tell, as for some formats). */
function measure(url, k) {
  return new Promise((resolve) => {
    const probe = document.createElement(k === "video" ? "video" : "audio");
    const done = (value) => { window.clearTimeout(timer); probe.removeAttribute("src"); probe.load(); resolve(value); };
    const timer = window.setTimeout(() => done(null), 4000);
    probe.preload = "metadata";
    probe.muted = true;
    probe.addEventListener("loadedmetadata", () => done(Number.isFinite(probe.duration) ? probe.duration : null), { once: true });
    probe.addEventListener("error", () => done(null), { once: true });
    probe.src = url;
  });
}

function setTimedFile(item) {
  const list = chosenList();
  for (const old of list) if (old.preview) URL.revokeObjectURL(old.preview);
  list.splice(0, list.length, item);
}

async function addTimedFile(file) {
  const k = kind();
  const acc = accepted();
  fileInput.value = "";
  clearFieldError("files");
  const problem = timedProblem(file, k, acc);
  if (problem) { setFieldError("files", problem); announce(problem); return; }
  const preview = URL.createObjectURL(file);
  const seconds = await measure(preview, k);
  if (seconds !== null && seconds > acc.max_seconds + 0.5) {
    URL.revokeObjectURL(preview);
    const message = `“${file.name}” is ${formatDuration(seconds)} long, more than the ${lengthWords(acc.max_seconds)} limit. Please choose a shorter one.`;
    setFieldError("files", message);
    announce(message);
    return;
  }
  setTimedFile({ key: nextKey++, file, type: file.type, preview, seconds, recorded: false, altValue: "" });
  if (kind() === k) renderFiles();
  announce(`Chosen: ${file.name}${seconds ? `, ${formatDuration(seconds)} long` : ""}.`);
}

function addFiles(files) {
  if (timed()) { if (files.length) addTimedFile(files[0]); return; }
  const chosen = chosenList();
  const acc = accepted();
  const problems = [];
  for (const file of files) {
    const type = typeOf(file);
    if (acc.types && !acc.types.includes(type)) {
      problems.push(`“${file.name}” is not a kind of file we can take. Please choose a ${acc.types.map((t) => TYPE_NAMES[t] || t).join(", ")} file.`);
    } else if (file.size > acc.max_bytes) {
      problems.push(`“${file.name}” is ${sizeWords(file.size)}, more than the ${limitWords(acc.max_bytes)} limit. Try a smaller copy.`);
    } else if (file.size === 0) {
      problems.push(`“${file.name}” is empty.`);
    } else if (chosen.length >= acc.max_files) {
      problems.push(`“${file.name}” was not added: you can share up to ${acc.max_files} at a time.`);
    } else {
      chosen.push({ key: nextKey++, file, type, preview: type.startsWith("image/") && type !== "image/heic" ? URL.createObjectURL(file) : "", altValue: "" });
    }
  }
  fileInput.value = "";
  clearFieldError("files");
  if (problems.length) setFieldError("files", problems.join(" "));
  renderFiles();
  announce(`${chosen.length} ${KINDS[kind()].noun || "file"}${chosen.length === 1 ? "" : "s"} chosen.`);
}

function removeFile(key) {
  const chosen = chosenList();
  const index = chosen.findIndex((c) => c.key === key);
  if (index < 0) return;
  const [gone] = chosen.splice(index, 1);
  if (gone.preview) URL.revokeObjectURL(gone.preview);
  renderFiles();
  announce(`Removed ${gone.recorded ? KINDS[kind()].recorded.toLowerCase() : gone.file.name}.`);
  focusOn(fileInput);
}

function timedItem(c) {
  const k = kind();
  const name = c.recorded ? KINDS[k].recorded : c.file.name;
  const length = c.seconds ? `${formatDuration(c.seconds)}, ` : "";
  const what = c.recorded ? name.toLowerCase() : `“${name}”`;
  const player = el(k, { src: c.preview, controls: true, preload: "metadata", class: "player-media",
    playsinline: k === "video", "aria-label": k === "video" ? `Watch ${what} again` : `Listen back to ${what}` });
  return el("li", { class: "file-item media-item" },
    el("div", {},
      el("p", { class: "file-name", text: `${name} (${length}${sizeWords(c.file.size)})` }),
      el("p", { class: "label", text: k === "video" ? "Watch it again before you send it:" : "Listen back before you send it:" }),
      player,
      el("div", { class: "actions" },
        el("button", { type: "button", class: "secondary", onclick: () => removeFile(c.key) },
          "Remove ", el("span", { class: c.recorded ? null : "visually-hidden", text: c.recorded ? name.toLowerCase() : c.file.name })))));
}

/** What the picker says beside its button: how much is chosen (never the browser's "No file chosen"). */
function showChosen(chosen) {
  const k = KINDS[kind()];
  const noun = k.noun || "file";
  document.getElementById("files-button").textContent = timed() ? "Choose a file" : `Choose ${noun}s`;
  const recorded = chosen.length === 1 && chosen[0].recorded;
  document.getElementById("files-chosen").textContent = recorded ? `${k.recorded} is ready.`
    : chosen.length ? `${chosen.length} ${noun}${chosen.length === 1 ? "" : "s"} chosen.`
      : `No ${noun}${timed() ? "" : "s"} chosen yet.`;
}

function renderFiles() {
  const chosen = chosenList();
  if (KINDS[kind()].files) showChosen(chosen);
  if (timed()) { fileList.replaceChildren(...chosen.map(timedItem)); return; }
  const describe = kind() === "image";
  fileList.replaceChildren(...chosen.map((c, i) => {
    const altId = `alt-${c.key}`;
    const hintId = `${altId}-hint`;
    const alt = el("textarea", { id: altId, name: "alt_text", rows: "3", "aria-describedby": hintId });
    alt.value = c.altValue;
    alt.addEventListener("input", () => { c.altValue = alt.value; });
    c.alt = alt;
    return el("li", { class: "file-item" },
      c.preview ? el("img", { src: c.preview, alt: "" }) : el("span", { "aria-hidden": "true" }),
      el("div", {},
        el("p", { class: "file-name", text: `${i + 1}. ${c.file.name} (${sizeWords(c.file.size)})` }),
        describe ? el("div", { class: "field", id: `${altId}-field` },
          el("label", { for: altId, text: `Describe picture ${i + 1} (optional)` }),
          el("span", { class: "hint", id: hintId },
            "In a sentence or two, say what is in it and how it feels, for people who cannot see it. " +
            "For example: “A rainy window with a single mug on the sill.” If you're not sure, a moderator will help."),
          alt) : null,
        el("div", { class: "actions" },
          el("button", { type: "button", class: "secondary", onclick: () => removeFile(c.key) },
            "Remove ", el("span", { class: "visually-hidden", text: c.file.name })))));
  }));
}

// --- Errors -------------------------------------------------------------------------------------

function inputFor(name) {
  if (name === "files") return fileInput;
  if (name === "upload_id") return fileInput;
  return document.getElementById(name);
}

function setFieldError(name, message) {
  const input = inputFor(name);
  return input ? setError(input, message) : null;
}

function clearFieldError(name) {
  const input = inputFor(name);
  if (input) clearError(input);
}

function clearErrors() {
  for (const error of [...form.querySelectorAll(".error-message")]) {
    const name = error.id.replace(/-error$/, "");
    clearFieldError(name);
  }
  summary.hidden = true;
  notice.hidden = true;
}

function showErrors(errors) {
  const list = document.getElementById("error-list");
  list.replaceChildren(...errors.map(({ name, message }) => {
    const input = setFieldError(name, message);
    const link = el("a", { href: `#${input ? input.id : ""}`, text: message });
    link.addEventListener("click", (e) => {
      e.preventDefault();
      if (input) { input.focus(); input.scrollIntoView({ block: "center" }); }
    });
    return el("li", {}, link);
  }));
  summary.hidden = false;
  focusOn(summary);
}

function showNotice(message, kindClass = "error") {
  notice.className = `notice ${kindClass}`;
  notice.replaceChildren(el("p", { text: message }));
  notice.hidden = false;
  focusOn(notice);
}

function tagsOf(value) {
  return value.split(",").map((t) => t.trim().replace(/^#/, "").toLowerCase()).filter(Boolean);
}

function validate() {
  const errors = [];
  const k = kind();
  const value = (name) => (document.getElementById(name).value || "").trim();
  const tooLong = (name, label, max) => {
    if (value(name).length > max) errors.push({ name, message: `${label} can be at most ${max} characters (it has ${value(name).length}).` });
  };
  tooLong("title", "The title", limits.title);
  if (k === "text" && !value("body")) errors.push({ name: "body", message: "Please write something to share." });
  tooLong("body", k === "text" ? "Your writing" : "The words", limits.body);
  const chosen = chosenList();
  if (timed(k)) {
    const canRecord = !document.getElementById("recorder").hidden;
    if (!chosen.length) {
      errors.push({ name: "files", message: canRecord
        ? `Please choose a ${KINDS[k].noun}, or record one.` : `Please choose a ${KINDS[k].noun}.` });
    }
    tooLong("transcript", "The transcript", limits.transcript);
  } else if (KINDS[k].files) {
    if (!chosen.length) errors.push({ name: "files", message: `Please choose at least one ${KINDS[k].noun}.` });
    for (const c of chosen) {
      if (c.alt && c.alt.value.trim().length > limits.alt_text) {
        errors.push({ name: c.alt.id, message: `The description of ${c.file.name} can be at most ${limits.alt_text} characters.` });
      }
    }
  }
  const tags = tagsOf(value("tags"));
  if (tags.length > limits.tags) errors.push({ name: "tags", message: `Please use at most ${limits.tags} tags (there are ${tags.length}).` });
  const longTag = tags.find((t) => t.length > limits.tag);
  if (longTag) errors.push({ name: "tags", message: `Each tag can be at most ${limits.tag} characters: “${longTag.slice(0, 20)}…” is longer.` });
  tooLong("content_warning", "The content warning", limits.content_warning);
  if (form.elements.credit.value === "name") {
    if (!value("display_name")) errors.push({ name: "display_name", message: "Please write a name, or choose to share anonymously." });
    tooLong("display_name", "The name", limits.display_name);
  }
  const email = value("contact_email");
  if (email && !/^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/.test(email)) {
    errors.push({ name: "contact_email", message: "This doesn't look like an email address. Check it, or leave it empty." });
  }
  if (!document.getElementById("consent").checked) {
    errors.push({ name: "consent", message: "Please confirm you have read the guidelines and that it is yours to share." });
  }
  // One message per field: the first one found.
  const seen = new Set();
  return errors.filter((e) => (seen.has(e.name) ? false : seen.add(e.name)));
}

// Errors without a field of their own that are about the files sent.
const CODE_FIELDS = { too_large: "files", unsupported_media: "files" };
// The API names the field at fault (`field`); a few are shown beside another control.
const FIELD_CONTROLS = { alt_text: "files", upload_id: "files", tag: "tags" };
const FIELD_NAMES = ["kind", "form", "title", "body", "region", "tags", "content_warning", "display_name", "contact_email",
  "consent", "transcript", "files"];

function serverError(status, body) {
  const code = body && body.error;
  const detail = (body && body.detail) || "Something went wrong on our side. Please try again.";
  if (status === 429) return showNotice(detail);
  const field = body && body.field && (FIELD_CONTROLS[body.field] || body.field.split(".")[0]);
  let name = FIELD_NAMES.includes(field) ? field : CODE_FIELDS[code];
  // Sound and video over a limit (length, size, frame size) are about the file.
  if (!name && timed() && (status === 413 || status === 415)) name = "files";
  if (name === "contact_email") return showErrors([{ name, message: "This doesn't look like an email address. Check it, or leave it empty." }]);
  if (name) return showErrors([{ name, message: detail }]);
  return showNotice(detail);
}

// --- Sending ------------------------------------------------------------------------------------

function collect() {
  const value = (name) => document.getElementById(name).value;
  const k = kind();
  const fields = [["kind", k], ["form", value("form")], ["title", value("title").trim()], ["body", value("body")]];
  if (value("region")) fields.push(["region", value("region")]);
  for (const tag of tagsOf(value("tags"))) fields.push(["tags", tag]);
  if (value("content_warning").trim()) fields.push(["content_warning", value("content_warning").trim()]);
  if (form.elements.credit.value === "name" && value("display_name").trim()) fields.push(["display_name", value("display_name").trim()]);
  fields.push(["licence", form.elements.licence.value || "all-rights-reserved"]);
  if (value("contact_email").trim()) fields.push(["contact_email", value("contact_email").trim()]);
  fields.push(["consent", "true"]);
  fields.push(["website", value("website")]);
  if (timed(k) && value("transcript").trim()) fields.push(["transcript", value("transcript")]);
  const files = KINDS[k].files ? chosenList() : [];
  if (k === "image") for (const c of files) fields.push(["alt_text", (c.alt ? c.alt.value : c.altValue).trim()]);
  return { fields, files: files.map((c) => ({ name: "files", file: c.file, label: c.recorded ? KINDS[k].recorded : c.file.name })) };
}

function progressRows(files) {
  const list = document.getElementById("progress-list");
  const rows = (files.length ? files.map((f) => f.label) : ["Your writing"]).map((label, i) => {
    const id = `progress-${i}`;
    const bar = el("progress", { id, max: "100", value: "0" });
    const pct = el("span", { class: "progress-pct", "aria-hidden": "true", text: "0%" });
    list.append(el("li", { class: "progress-row" }, el("label", { for: id, text: label }), el("div", { class: "progress-line" }, bar, pct)));
    return { bar, pct };
  });
  return rows;
}

function setRow(row, fraction) {
  const pct = Math.floor(fraction * 100);
  row.bar.value = pct;
  row.pct.textContent = `${pct}%`;
}

function backToForm() {
  current = null;
  sending.hidden = true;
  document.getElementById("retry").hidden = true;
  formArea.hidden = false;
}

function showReceipt(issued) {
  sending.hidden = true;
  formArea.remove(); // nothing to send twice; "Share something else" starts afresh
  for (const list of Object.values(chosenBy)) {
    for (const c of list) if (c.preview) URL.revokeObjectURL(c.preview);
    list.length = 0;
  }
  const code = issued.receipt;
  // Sound and video are made playable off the request path: say so honestly.
  document.getElementById("receipt-processing").hidden = issued.status !== "processing";
  document.getElementById("receipt-code").textContent = code;
  // If the words suggest they are struggling, care and helplines come before the code.
  const care = careNotice(issued.support, meta && meta.not_a_crisis_service);
  if (care) document.getElementById("receipt-h").after(care);
  const copyStatus = document.getElementById("copy-status");
  document.getElementById("copy-receipt").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(code);
      copyStatus.textContent = "Copied. Paste it somewhere safe, such as a note on your phone.";
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("receipt-code"));
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copyStatus.textContent = "The code is selected: press Ctrl and C (or Cmd and C) to copy it.";
    }
  });
  document.getElementById("download-receipt").addEventListener("click", () => {
    const text = [
      "Scrapbook receipt", "", `Receipt code: ${code}`, `Sent on: ${formatDate(new Date().toISOString().slice(0, 10))}`, "",
      "Keep this code safe. It is the only way to check on what you shared, or to take it back (withdraw it):",
      `${window.location.origin}/status`, "",
      "We don't know who you are, so we cannot send this code to you again.", "",
    ].join("\r\n");
    const url = URL.createObjectURL(new Blob([text], { type: "text/plain;charset=utf-8" }));
    const link = el("a", { href: url, download: "scrapbook-receipt.txt", class: "visually-hidden", text: "receipt" });
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
    copyStatus.textContent = "Downloaded as scrapbook-receipt.txt.";
  });
  receipt.hidden = false;
  focusOn(document.getElementById("receipt-h"));
}

function showSending(files) {
  document.getElementById("progress-list").replaceChildren();
  const rows = progressRows(files);
  const status = document.getElementById("sending-status");
  const cancel = document.getElementById("cancel");
  status.textContent = "";
  cancel.disabled = false;
  document.getElementById("retry").hidden = true;
  formArea.hidden = true;
  sending.hidden = false;
  focusOn(document.getElementById("sending-h"));
  return { rows, status, cancel };
}

/** Cancel can no longer help once the server has everything: keep focus somewhere useful. */
function lockCancel(status, cancel) {
  const focused = document.activeElement;
  if (!focused || focused === document.body || sending.contains(focused)) focusOn(status);
  cancel.disabled = true; // the server has it all; cancelling now could lose the receipt
}

/** Everything in one multipart request (writing, pictures, and sound or video without tus). */
function sendAll(fields, files, { rows, status, cancel }) {
  const multipart = buildMultipart(fields, files);
  let halfway = false;
  current = send("/api/contributions", multipart, {
    onProgress(loaded) {
      if (files.length) multipart.ranges.forEach((range, i) => setRow(rows[i], rangeProgress(loaded, range)));
      else setRow(rows[0], loaded / multipart.total);
      if (!halfway && loaded >= multipart.total / 2) { halfway = true; status.textContent = "Halfway there…"; }
    },
    onUploaded() {
      rows.forEach((row) => setRow(row, 1));
      status.textContent = files.length ? "All sent. Checking your files, this can take a moment…" : "Sent. Just a moment…";
      lockCancel(status, cancel);
    },
  });
  return current.promise;
}

/**
 * Sound and video: the file goes by tus, in chunks that survive a dropped connection; then the
 * contribution is sent with the upload's id. Falls back to one request without tus.
 */
async function sendResumable(fields, c, ui) {
  const endpoint = meta && meta.uploads && meta.uploads.tus;
  const { rows: [row], status, cancel } = ui;
  const retry = document.getElementById("retry");
  if (!c.uploadId) {
    let tus = null;
    if (endpoint) tus = await loadTus().catch(() => null);
    if (!tus || !tus.isSupported) return sendAll(fields, [{ name: "files", file: c.file }], ui);
    let halfway = false;
    const upload = resumable(tus, c.file, endpoint, {
      onProgress(sent, total) {
        setRow(row, total ? sent / total : 0);
        if (!halfway && sent >= total / 2) { halfway = true; status.textContent = "Halfway there…"; }
      },
      onRetrying(attempt) {
        status.textContent = `The connection dropped. Trying again (${attempt} of 5)…`;
      },
      onStalled(offline) {
        const pct = Math.floor(row.bar.value);
        status.textContent = offline
          ? `You seem to be offline. ${pct}% has arrived; we will carry on from there as soon as you are back online.`
          : `We could not reach Scrapbook. ${pct}% has arrived; press Try again now to carry on from there.`;
        retry.hidden = false;
      },
      onResumed() {
        const moveFocus = document.activeElement === retry;
        retry.hidden = true;
        status.textContent = "Carrying on from where it stopped…";
        if (moveFocus) focusOn(status);
      },
    });
    current = upload;
    c.uploadId = await upload.promise;
  }
  setRow(row, 1);
  status.textContent = "Uploaded. Sending the details…";
  lockCancel(status, cancel);
  current = send("/api/contributions", buildMultipart([...fields, ["upload_id", c.uploadId]], []));
  const answer = await current.promise;
  // The upload is used up by a contribution, or gone: a new try uploads the file again.
  if (answer.status === 202 || answer.status === 404 || (answer.body && /upload/i.test(answer.body.detail || ""))) c.uploadId = null;
  return answer;
}

async function submit(event) {
  event.preventDefault();
  if (current) return;
  clearErrors();
  if (recording) {
    stopRecording({ discard: false });
    showErrors([{ name: "files", message: "The recording was still going, so we have stopped it. Listen back to it, then send it." }]);
    return;
  }
  const errors = validate();
  if (errors.length) { showErrors(errors); return; }
  const { fields, files } = collect();
  const ui = showSending(files);
  try {
    const { status: code, body } = timed() ? await sendResumable(fields, chosenList()[0], ui) : await sendAll(fields, files, ui);
    current = null;
    if (code === 202 && body && body.receipt) showReceipt(body);
    else { backToForm(); serverError(code, body); }
  } catch (err) {
    backToForm();
    if (err.name === "AbortError") {
      showNotice("Sending was cancelled and nothing was saved. Everything you wrote and chose is still here.", "ok");
      announce("Sending cancelled.");
    } else if (err.name === "HttpError") {
      serverError(err.status, err.body);
    } else {
      showNotice("We could not reach Scrapbook. Please check your connection and try again; everything you wrote is still here.");
    }
  }
}

// --- Recording ----------------------------------------------------------------------------------

function setRecordLabel() {
  const has = chosenList().some((c) => c.recorded);
  document.getElementById("record-label").textContent = recording ? "Stop recording" : has ? "Record again" : "Start recording";
  recordButton.classList.toggle("recording", Boolean(recording));
}

function showTimer(seconds) {
  const max = accepted().max_seconds;
  recTimer.textContent = `${formatDuration(seconds)} of ${formatDuration(max)}`;
}

const RECORD_ERRORS = {
  NotAllowedError: (d) => `Scrapbook was not allowed to use your ${d}. You can allow it in your browser's settings, or choose a file instead.`,
  SecurityError: (d) => `Scrapbook was not allowed to use your ${d}. You can allow it in your browser's settings, or choose a file instead.`,
  NotFoundError: (d) => `No ${d} was found. You can choose a file instead.`,
  NotReadableError: (d) => `Your ${d} is busy or not working. Close other apps that use it and try again, or choose a file instead.`,
};

async function startRecording() {
  const k = kind();
  const info = KINDS[k];
  clearFieldError("files");
  const take = new Recording(k, {
    maxSeconds: accepted().max_seconds,
    preview: document.getElementById("rec-preview"),
    onTick: showTimer,
    onStop: ({ file, seconds, limited }) => {
      if (recording === take) recording = null;
      recTimer.hidden = true;
      if (!file.size) {
        recStatus.textContent = "Nothing was recorded. Please try again, or choose a file instead.";
        setRecordLabel();
        return;
      }
      setTimedFile({ key: nextKey++, file, type: file.type, preview: URL.createObjectURL(file), seconds,
        recorded: true, altValue: "" });
      if (kind() === k) renderFiles();
      setRecordLabel();
      recStatus.textContent = `${limited ? `The recording reached the ${lengthWords(accepted().max_seconds)} limit, so it stopped. ` : ""}` +
        `Recorded ${formatDuration(seconds)}. ${k === "video" ? "Watch it" : "Listen back to it"} below, record again, or send it.`;
    },
  });
  recording = take;
  setRecordLabel();
  recStatus.textContent = `Asking to use your ${info.device}…`;
  try {
    await take.start();
  } catch (err) {
    if (recording === take) recording = null;
    take.cancel();
    setRecordLabel();
    recStatus.textContent = (RECORD_ERRORS[err.name] || ((d) => `Recording could not start on this ${d}. You can choose a file instead.`))(info.device);
    return;
  }
  if (recording !== take) return; // stopped or switched away while the browser was asking
  showTimer(0);
  recTimer.hidden = false;
  recStatus.textContent = "Recording. Press Stop recording when you have finished.";
}

function stopRecording({ discard }) {
  const take = recording;
  if (!take) return;
  recording = null;
  recTimer.hidden = true;
  if (discard) {
    take.cancel();
    recStatus.textContent = "";
  } else {
    take.stop();
    if (!take.recording && !take.started) take.cancel(); // still asking for the microphone
  }
  setRecordLabel();
}

recordButton.addEventListener("click", () => {
  if (recording) stopRecording({ discard: false });
  else startRecording();
});

// --- Wiring -------------------------------------------------------------------------------------

document.getElementById("cancel").addEventListener("click", () => { if (current) current.abort(); });
document.getElementById("retry").addEventListener("click", () => { if (current && current.retry) current.retry(); });
fileInput.addEventListener("change", () => addFiles([...fileInput.files]));
form.addEventListener("change", (e) => {
  if (e.target.name === "kind") applyKind();
  if (e.target.name === "form") formChosen = true;
  if (e.target.name === "credit") {
    const named = form.elements.credit.value === "name";
    document.getElementById("display_name-field").hidden = !named;
    if (named) document.getElementById("display_name").focus();
  }
});
form.addEventListener("submit", submit);

getMeta()
  .then((m) => {
    meta = m;
    limits = m.limits || {};
    setUpKinds();
    setUpRegions();
    setUpLicences();
    applyKind();
  })
  .catch(() => applyKind());
