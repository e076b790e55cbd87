// Form controls shared by every page: a field's error message beside its control, and filling
// a <select> from the API's vocabularies. One way of doing each, so they read alike everywhere.
import { el } from "./lib.js";

function describedBy(input) {
  return (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
}

/** Mark a control invalid and add the message that says why to what it is described by. */
export function markInvalid(input, errorId) {
  input.setAttribute("aria-invalid", "true");
  const ids = describedBy(input);
  if (!ids.includes(errorId)) input.setAttribute("aria-describedby", [...ids, errorId].join(" "));
}

/** Undo markInvalid(). */
export function markValid(input, errorId) {
  input.removeAttribute("aria-invalid");
  const ids = describedBy(input).filter((id) => id !== errorId);
  if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
}

/** Show `message` just above a control (inside its .field) and mark the control invalid. */
export function setFieldError(input, message) {
  const errorId = `${input.id}-error`;
  let error = document.getElementById(errorId);
  if (!error) {
    error = el("span", { class: "error-message", id: errorId });
    (input.closest(".choice") || input).before(error);
  }
  error.textContent = message;
  const container = input.closest(".field") || input.parentElement;
  container.classList.add("has-error");
  markInvalid(input, errorId);
  return input;
}

/** Take a control's error message away again. */
export function clearFieldError(input) {
  const errorId = `${input.id}-error`;
  const error = document.getElementById(errorId);
  if (error) error.remove();
  const container = input.closest(".field");
  if (container) container.classList.remove("has-error");
  markValid(input, errorId);
}

/**
 * Fill a <select> with [value, label] pairs and choose `current`. Options already there (such as
 * "Any area" in the page) stay unless `replace`; a `current` it does not know is kept as it is.
 */
export function fillSelect(select, pairs, current, { replace = false } = {}) {
  if (replace) select.replaceChildren();
  const have = new Set([...select.options].map((o) => o.value));
  for (const [value, label] of pairs) {
    if (have.has(value)) continue;
    select.append(el("option", { value, text: label }));
    have.add(value);
  }
  if (current && !have.has(current)) select.append(el("option", { value: current, text: current }));
  select.value = current || (replace && pairs.length ? pairs[0][0] : "");
}
