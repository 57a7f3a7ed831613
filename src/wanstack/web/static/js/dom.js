// Building the page: a tiny element factory, unique ids, and the live region.
// No framework: every view builds its elements with h() and keeps references to what it updates.

let counter = 0;

/** A new id, unique on this page, for label/aria wiring. */
export function uid(prefix = "f") {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * h("button", {class: "primary", onclick: fn}, "Text", child, ...)
 * Attributes: `class`, `text`, `on<event>` handlers, `dataset` (object), boolean attributes
 * (true sets, false/null/undefined leaves out), anything else as an attribute. Children: nodes,
 * strings (as text, never HTML), arrays, and falsy values (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

/** Replace every child of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/**
 * Say `message` through the page's polite live region (screen readers announce it once).
 * Cleared first, so the same words said twice are announced twice.
 */
export function announce(message) {
  const live = document.getElementById("live");
  if (!live) return;
  live.textContent = "";
  window.setTimeout(() => {
    live.textContent = message;
  }, 30);
}

/** "1.2 MB" */
export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "12.3 s", "2 min 05 s" */
export function formatSeconds(seconds) {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return `${m} min ${String(s).padStart(2, "0")} s`;
}

/** Number of characters as Python counts them (code points, not UTF-16 units). */
export function charCount(text) {
  return Array.from(text).length;
}
