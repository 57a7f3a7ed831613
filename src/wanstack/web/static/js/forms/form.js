// What every model form shares: checking its fields before a request is sent, and the shape of
// that request.
//
// A model form is {element, build()}: build() returns a Request {endpoint, async, body} or
// throws a FormError (shown under the form, the field focused and marked invalid).

import { h } from "../dom.js";

export class FormError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

/** Check `fields` in order: each shows its own error; the first broken one is thrown. */
export function checkAll(fields) {
  let first = null;
  for (const field of fields) {
    const message = field.check();
    field.setError(message);
    if (message && !first) first = new FormError(message, field);
  }
  if (first) throw first;
}

/** `obj` with `key` set to `value`, unless value is undefined. */
export function put(obj, key, value) {
  if (value !== undefined) obj[key] = value;
  return obj;
}

/** Less used options, folded away to keep the form calm. */
export function more(label, ...children) {
  return h("details", { class: "more" }, h("summary", {}, label), h("div", { class: "fields" }, children));
}

/** A section heading inside a form. */
export function section(title, ...children) {
  return h("div", { class: "form-section" }, h("h3", {}, title), children);
}

/** An image's sides and format against a model's rules: {errors, notes}. */
export function imageRules(picked, { formats, minSide, maxSide, exclusive = false, maxBytes,
  field }) {
  const errors = [];
  const { width, height } = picked;
  if (formats && !formats.includes(picked.format)) {
    errors.push(`${field} must be ${formats.join(", ")}; this file is ${picked.format}.`);
  }
  const fits = exclusive
    ? width > minSide && height > minSide && width < maxSide && height < maxSide
    : width >= minSide && height >= minSide && width <= maxSide && height <= maxSide;
  if (minSide && !fits) {
    const rule = exclusive
      ? `more than ${minSide} and less than ${maxSide} pixels`
      : `${minSide}–${maxSide} pixels`;
    errors.push(`Each side of ${field} must be ${rule}; it is ${width} × ${height}.`);
  }
  if (maxBytes && picked.size > maxBytes) {
    errors.push(`${field} may be at most ${Math.round(maxBytes / 1024 / 1024)} MB.`);
  }
  return { errors, notes: [] };
}
