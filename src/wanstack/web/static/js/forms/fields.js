// Form controls with their labels, hints, limits and errors.
//
// Every field returns {element, value(), check(), focus()}: value() is what goes into the
// request (undefined: leave the key out), check() the message of the first rule it breaks ("" when
// it is fine). Every control has a <label> (or a <legend> for groups), its hint and error are
// tied to it with aria-describedby, and a broken rule sets aria-invalid.

import { charCount, formatBytes, h, replace, uid } from "../dom.js";
import { hasTransparency, readFileAsDataUrl, readImage } from "../images.js";

function frame(id, label, control, hint, { group = false } = {}) {
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const error = h("p", { class: "field-error", id: errorId });
  const hintEl = hint ? h("p", { class: "hint", id: hintId }, hint) : null;
  const element = group
    ? h("fieldset", { class: "field group" }, h("legend", {}, label), control, hintEl, error)
    : h("div", { class: "field" }, h("label", { for: id }, label), control, hintEl, error);
  const describedBy = [hint ? hintId : "", errorId].filter(Boolean).join(" ");
  return { element, error, describedBy };
}

function withErrors(base, target) {
  return {
    ...base,
    setError(message) {
      base.error.textContent = message;
      for (const el of target()) {
        if (message) el.setAttribute("aria-invalid", "true");
        else el.removeAttribute("aria-invalid");
      }
    },
  };
}

/** One line or a text area, with a character counter when `max` is set. */
export function textField({ label, max, required, multiline, rows = 3, hint, value = "",
  placeholder }) {
  const id = uid("text");
  const control = multiline
    ? h("textarea", { id, rows, placeholder, spellcheck: "true" })
    : h("input", { id, type: "text", placeholder, autocomplete: "off" });
  control.value = value;
  const counter = max ? h("span", { class: "counter", "aria-hidden": "true" }) : null;
  const update = () => {
    if (!counter) return;
    const n = charCount(control.value);
    counter.textContent = `${n} / ${max}`;
    counter.classList.toggle("over", n > max);
  };
  control.addEventListener("input", update);
  update();
  let limits = required ? "Required" : "";
  if (max) limits = limits ? `${limits}, at most ${max} characters` : `At most ${max} characters`;
  const fullHint = [hint, limits ? `${limits}.` : ""].filter(Boolean).join(" ");
  const f = withErrors(frame(id, label, h("div", { class: "text-wrap" }, control, counter),
    fullHint), () => [control]);
  control.setAttribute("aria-describedby", f.describedBy);
  if (required) control.setAttribute("aria-required", "true");
  return {
    ...f,
    control,
    value: () => (control.value.trim() ? control.value : undefined),
    check() {
      if (required && !control.value.trim()) return `${label} is required.`;
      if (max && charCount(control.value) > max) {
        return `${label} may be at most ${max} characters (it has ${charCount(control.value)}).`;
      }
      return "";
    },
    focus: () => control.focus(),
    set(v) { control.value = v; update(); },
  };
}

/** A <select> of [value, label] pairs. */
export function selectField({ label, options, value, hint }) {
  const id = uid("select");
  const control = h("select", { id },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)));
  const f = withErrors(frame(id, label, control, hint), () => [control]);
  control.setAttribute("aria-describedby", f.describedBy);
  return { ...f, control, value: () => control.value, check: () => "", focus: () => control.focus() };
}

/** Radio buttons shown as a segmented control (a fieldset with a legend). */
export function segmentedField({ label, options, value, hint, onChange }) {
  const id = uid("seg");
  const name = `${id}-name`;
  const inputs = [];
  const control = h("div", { class: "segmented" }, options.map(([v, text]) => {
    const input = h("input", { type: "radio", name, value: v, id: `${id}-${inputs.length}`,
      checked: v === value });
    if (onChange) input.addEventListener("change", () => onChange(v));
    inputs.push(input);
    return h("label", { class: "seg-option" }, input, h("span", {}, text));
  }));
  const f = withErrors(frame(id, label, control, hint, { group: true }), () => inputs);
  if (hint) f.element.setAttribute("aria-describedby", `${id}-hint`);
  return {
    ...f,
    value: () => (inputs.find((i) => i.checked) || inputs[0]).value,
    check: () => "",
    focus: () => (inputs.find((i) => i.checked) || inputs[0]).focus(),
  };
}

/** An integer or decimal with its range; `slider` adds a range input kept in step with it;
 *  `optional` fields left empty are not sent. */
export function numberField({ label, min, max, step = 1, value, slider, optional, hint }) {
  const id = uid("num");
  const number = h("input", { id, type: "number", min, max, step, inputmode: step < 1 ? "decimal" : "numeric" });
  if (value !== undefined) number.value = String(value);
  let range = null;
  if (slider) {
    range = h("input", { type: "range", min, max, step, "aria-label": `${label} slider`,
      tabindex: "-1" });
    range.value = String(value ?? min);
    range.addEventListener("input", () => { number.value = range.value; });
    number.addEventListener("input", () => { if (number.value !== "") range.value = number.value; });
  }
  const limits = `${min}–${max}${value !== undefined && !optional ? `, default ${value}` : ""}`;
  const f = withErrors(frame(id, label, h("div", { class: "number-row" }, range, number),
    [hint, `${limits}.`].filter(Boolean).join(" ")), () => [number]);
  number.setAttribute("aria-describedby", f.describedBy);
  return {
    ...f,
    control: number,
    value() {
      if (number.value === "") return undefined;
      return Number(number.value);
    },
    check() {
      if (number.value === "") return optional ? "" : `${label} is required.`;
      const v = Number(number.value);
      if (!Number.isFinite(v) || v < min || v > max) return `${label} must be from ${min} to ${max}.`;
      if (step >= 1 && !Number.isInteger(v)) return `${label} must be a whole number.`;
      return "";
    },
    focus: () => number.focus(),
  };
}

/** A checkbox. */
export function checkField({ label, checked = false, hint, onChange }) {
  const id = uid("check");
  const input = h("input", { id, type: "checkbox", checked });
  if (onChange) input.addEventListener("change", () => onChange(input.checked));
  const hintId = `${id}-hint`;
  if (hint) input.setAttribute("aria-describedby", hintId);
  const element = h("div", { class: "field check" },
    h("label", { for: id, class: "check-label" }, input, h("span", {}, label)),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
  return { element, control: input, value: () => input.checked, check: () => "",
    focus: () => input.focus(), setError() {} };
}

/** Lets a file input also take a file dropped anywhere on `zone`. */
function dropTarget(zone, input, onFile) {
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragging"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("dragging");
    const file = e.dataTransfer && e.dataTransfer.files[0];
    if (file) onFile(file);
  });
  input.addEventListener("change", () => { if (input.files[0]) onFile(input.files[0]); });
}

/**
 * An image picker with a preview. `inspect(picked)` returns {errors: [], notes: []} for the
 * model's rules (sides, format, transparency); `checker` shows the preview over a checkerboard
 * (transparent parts visible); `onImage(picked)` is told of every new pick.
 */
export function imageField({ label, required, hint, accept = "image/png,image/jpeg,image/bmp,image/webp",
  checker = false, alpha = false, preview: showPreview = true, inspect, onImage }) {
  const id = uid("image");
  const input = h("input", { id, type: "file", accept });
  const preview = h("div", { class: `preview${checker ? " checker" : ""}`, hidden: true });
  const meta = h("p", { class: "meta" });
  const f = withErrors(frame(id, label, h("div", { class: "drop" }, input, preview, meta), hint),
    () => [input]);
  input.setAttribute("aria-describedby", `${f.describedBy} ${id}-meta`);
  meta.id = `${id}-meta`;
  let picked = null;
  let problems = [];
  const show = async (file) => {
    f.setError("");
    replace(meta, "Reading…");
    try {
      picked = await readImage(file);
    } catch (err) {
      picked = null;
      preview.hidden = true;
      replace(meta);
      f.setError(err.message);
      return;
    }
    picked.transparent = alpha ? hasTransparency(picked.image) : undefined;
    const verdict = inspect ? inspect(picked) : { errors: [], notes: [] };
    problems = verdict.errors || [];
    const img = h("img", { src: picked.url, alt: `Preview of ${picked.name}` });
    replace(preview, img);
    preview.hidden = !showPreview;
    const facts = [picked.name, `${picked.width} × ${picked.height}`, picked.format,
      formatBytes(picked.size)];
    if (alpha) facts.push(picked.transparent ? "has transparency" : "fully opaque");
    if (picked.note) facts.push(picked.note);
    replace(meta, facts.join(" · "), (verdict.notes || []).map((n) => h("span", { class: "note" }, n)));
    f.setError(problems.join(" "));
    if (onImage) onImage(picked);
  };
  dropTarget(f.element, input, show);
  return {
    ...f,
    control: input,
    picked: () => picked,
    value: () => (picked ? picked.dataUrl : undefined),
    check() {
      if (!picked) return required ? `${label}: choose an image.` : "";
      return problems.join(" ");
    },
    focus: () => input.focus(),
    /** Set a file programmatically (tests, drops): same path as a pick. */
    load: show,
  };
}

/** A list of 0..max images (wan2.6-image's message images), each removable. */
export function imageListField({ label, max, hint, inspect }) {
  const id = uid("images");
  const input = h("input", { id, type: "file", accept: "image/png,image/jpeg,image/bmp,image/webp",
    multiple: true });
  const list = h("ul", { class: "thumbs" });
  const f = withErrors(frame(id, label, h("div", { class: "drop" }, input, list), hint),
    () => [input]);
  input.setAttribute("aria-describedby", f.describedBy);
  let items = [];
  const render = () => {
    replace(list, items.map((item, i) => h("li", {},
      h("img", { src: item.url, alt: `Image ${i + 1}: ${item.name}` }),
      h("span", { class: "meta" }, `${i + 1}. ${item.width} × ${item.height}`),
      h("button", { type: "button", class: "ghost small", "aria-label": `Remove image ${i + 1}`,
        onclick: () => { items.splice(i, 1); render(); } }, "Remove"))));
  };
  const add = async (files) => {
    f.setError("");
    for (const file of files) {
      try {
        const picked = await readImage(file);
        const verdict = inspect ? inspect(picked) : { errors: [] };
        if (verdict.errors && verdict.errors.length) f.setError(verdict.errors.join(" "));
        else items.push(picked);
      } catch (err) {
        f.setError(err.message);
      }
    }
    render();
  };
  input.addEventListener("change", () => { add([...input.files]); input.value = ""; });
  f.element.addEventListener("dragover", (e) => e.preventDefault());
  f.element.addEventListener("drop", (e) => { e.preventDefault(); add([...e.dataTransfer.files]); });
  return {
    ...f,
    control: input,
    value: () => items.map((item) => item.dataUrl),
    count: () => items.length,
    check: () => (items.length > max() ? `${label}: at most ${max()} images here.` : ""),
    focus: () => input.focus(),
  };
}

/** An optional audio file (wav or mp3), checked for length and size, played back in place. */
export function audioField({ label, hint, seconds = [3, 30], maxBytes = 15 * 1024 * 1024 }) {
  const id = uid("audio");
  const input = h("input", { id, type: "file", accept: "audio/wav,audio/x-wav,audio/mpeg,.wav,.mp3" });
  const player = h("audio", { controls: true, hidden: true, preload: "metadata" });
  const meta = h("p", { class: "meta" });
  const f = withErrors(frame(id, label, h("div", { class: "drop" }, input, player, meta), hint),
    () => [input]);
  input.setAttribute("aria-describedby", f.describedBy);
  let data = null;
  let problem = "";
  const show = async (file) => {
    f.setError("");
    const url = URL.createObjectURL(file);
    player.src = url;
    player.hidden = false;
    player.setAttribute("aria-label", `Soundtrack preview: ${file.name}`);
    const duration = await new Promise((resolve) => {
      player.onloadedmetadata = () => resolve(player.duration);
      player.onerror = () => resolve(NaN);
    });
    problem = "";
    if (!Number.isFinite(duration)) problem = `${file.name} could not be read as audio.`;
    else if (duration < seconds[0] || duration > seconds[1]) {
      problem = `The soundtrack must be ${seconds[0]}–${seconds[1]} s long; it is ${duration.toFixed(1)} s.`;
    } else if (file.size > maxBytes) problem = `The soundtrack may be at most ${formatBytes(maxBytes)}.`;
    const mime = /\.mp3$/i.test(file.name) ? "audio/mpeg" : "audio/wav";
    data = await readFileAsDataUrl(file, mime);
    replace(meta, [file.name, Number.isFinite(duration) ? `${duration.toFixed(1)} s` : "",
      formatBytes(file.size)].filter(Boolean).join(" · "));
    f.setError(problem);
  };
  dropTarget(f.element, input, show);
  return { ...f, control: input, value: () => data || undefined, check: () => problem,
    focus: () => input.focus() };
}
