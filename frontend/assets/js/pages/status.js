// Status: look a contribution up by its receipt code; see its status and reason; withdraw it.
import { clearFieldError, setFieldError } from "../fields.js";
import { api, careNotice, el, focusOn, formLabel, formatDate, getMeta, initChrome, safeUrl } from "../lib.js";

initChrome();

const form = document.getElementById("status-form");
const input = document.getElementById("code");
const result = document.getElementById("result");
const resultBody = document.getElementById("result-body");
const withdrawArea = document.getElementById("withdraw-area");
const confirmBox = document.getElementById("confirm");
const withdrawn = document.getElementById("withdrawn");
let code = null;

const STATES = {
  processing: ["We are processing your file. Once it is ready, a moderator will look at it. This usually takes a few minutes; check again later.",
    "We are getting your file ready. Then a person will look at it. Check again later."],
  failed: ["We could not use the file you sent, so it has not been kept.", "Something went wrong with your file. It was not kept."],
  pending: ["It is waiting for a moderator to read it.", "It is waiting. A person will read it soon."],
  held: ["A moderator is taking a little longer to decide about it.", "A person needs more time to decide."],
  approved: ["It is in the scrapbook.", "It is on the website now."],
  rejected: ["It was not published.", "It was not put on the website."],
};

function setError(message) {
  setFieldError(input, message).focus();
}

const clearError = () => clearFieldError(input);

function render(info, meta) {
  const [std, easy] = STATES[info.status] || [`Its status is: ${info.status}.`, `It is: ${info.status}.`];
  const what = `${formLabel(info.form)}${info.title ? ` “${info.title}”` : ""}, received on ${formatDate(info.received_on)}`;
  resultBody.replaceChildren(...[
    el("p", { class: "muted", text: what }),
    el("p", { class: "lead" }, el("strong", {}, el("span", { class: "std", text: std }), el("span", { class: "easy", text: easy }))),
    // A failed file's reason is the site's own kind sentence, not a moderator's words.
    info.public_reason ? el("p", {}, info.status === "failed" ? null : el("strong", { text: "The moderator said: " }), info.public_reason) : null,
    info.status === "failed" ? el("p", {}, el("a", { href: "/contribute", text: "Try again with another file" })) : null,
    safeUrl(info.public_url) ? el("p", {}, el("a", { href: safeUrl(info.public_url), text: "See it in the scrapbook" })) : null,
    careNotice(info.support, meta && meta.not_a_crisis_service),
  ].filter(Boolean));
  withdrawArea.hidden = false;
  confirmBox.hidden = true;
  result.hidden = false;
  withdrawn.hidden = true;
  focusOn(document.getElementById("result-h"));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError();
  const typed = input.value.trim();
  const compact = typed.replace(/[^0-9a-z]/gi, "");
  if (!compact) { setError("Please enter your receipt code."); return; }
  if (compact.length !== 20) {
    setError(`A receipt code has 20 letters and numbers; this has ${compact.length}. Please check it.`);
    return;
  }
  try {
    const [info, meta] = await Promise.all([api(`/api/receipts/${encodeURIComponent(typed)}`), getMeta().catch(() => null)]);
    code = typed;
    render(info, meta);
  } catch (err) {
    result.hidden = true;
    if (err.status === 404) setError("We could not find this code. It may have been withdrawn, or a character may be mistyped.");
    else setError(err.detail || "Something went wrong. Please try again.");
  }
});

const confirmError = document.getElementById("confirm-error");
let withdrawing = false;

function openConfirm() {
  confirmError.hidden = true;
  confirmError.textContent = "";
  document.getElementById("confirm-yes").setAttribute("aria-describedby", "confirm-text");
  confirmBox.hidden = false;
  document.getElementById("confirm-yes").focus();
}

document.getElementById("withdraw").addEventListener("click", openConfirm);
document.getElementById("confirm-no").addEventListener("click", () => {
  confirmBox.hidden = true;
  document.getElementById("withdraw").focus();
});
document.getElementById("confirm-yes").addEventListener("click", async () => {
  // aria-disabled, not disabled: a disabled button would drop keyboard focus onto <body>.
  const yes = document.getElementById("confirm-yes");
  if (withdrawing) return;
  withdrawing = true;
  yes.setAttribute("aria-disabled", "true");
  confirmError.hidden = true;
  try {
    await api(`/api/receipts/${encodeURIComponent(code)}`, { method: "DELETE" });
    result.hidden = true;
    input.value = "";
    code = null;
    withdrawn.hidden = false;
    focusOn(withdrawn);
  } catch (err) {
    // Only the message changes: Yes and No stay, so the contributor can simply try again.
    confirmError.textContent = err.detail || "It could not be withdrawn just now. Please try again.";
    confirmError.hidden = false;
    yes.setAttribute("aria-describedby", "confirm-text confirm-error");
    focusOn(confirmError);
  } finally {
    withdrawing = false;
    yes.removeAttribute("aria-disabled");
  }
});
