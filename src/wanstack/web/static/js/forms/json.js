// The JSON body editor: any model, any field. Prefilled with a minimal valid body for the model
// (samples.json), or with what the model's form would send. Attached files stand in the text as
// "@image1", "@audio1", …: readable JSON, and each is sent as its data: URI.

import { formatBytes, h, replace, uid } from "../dom.js";
import { readFileAsDataUrl, readImage } from "../images.js";
import { FormError } from "./form.js";

const SERVICES = "/api/v1/services/aigc/";
const TOKEN = /^@(image|audio|file)\d+$/;

let samplesPromise = null;

/** samples.json, fetched once. */
export function loadSamples() {
  if (!samplesPromise) {
    samplesPromise = fetch(new URL("../../samples.json", import.meta.url))
      .then((r) => (r.ok ? r.json() : { models: {}, endpoints: {} }))
      .catch(() => ({ models: {}, endpoints: {} }));
  }
  return samplesPromise;
}

/** The minimal body and endpoint for `info` (an entry of GET /api/v1/models). */
export function sampleFor(info, samples) {
  const endpoints = info.endpoints.map((e) => e.path.replace(SERVICES, ""));
  const own = samples.models[info.model];
  if (own && endpoints.includes(own.endpoint)) {
    return { endpoint: own.endpoint, body: { model: info.model, ...own.body } };
  }
  for (const endpoint of endpoints) {
    if (samples.endpoints[endpoint]) {
      return { endpoint, body: { model: info.model, ...samples.endpoints[endpoint] } };
    }
  }
  return { endpoint: endpoints[0], body: { model: info.model, input: {}, parameters: {} } };
}

/** Replace every data: URI string in `body` by a token; returns [body, attachments]. */
export function withTokens(body) {
  const attachments = new Map();
  const counts = { image: 0, audio: 0, file: 0 };
  const walk = (value) => {
    if (typeof value === "string" && value.startsWith("data:")) {
      const kind = value.startsWith("data:image/") ? "image" : value.startsWith("data:audio/") ? "audio" : "file";
      counts[kind] += 1;
      const token = `@${kind}${counts[kind]}`;
      attachments.set(token, { dataUrl: value, name: "from the form", size: Math.round(value.length * 0.75) });
      return token;
    }
    if (Array.isArray(value)) return value.map(walk);
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
    }
    return value;
  };
  return [walk(body), attachments];
}

export function jsonForm(info, { endpoint, body, attachments = new Map() }) {
  const id = uid("json");
  const endpointSelect = h("select", { id: `${id}-endpoint` },
    info.endpoints.map((e) => {
      const path = e.path.replace(SERVICES, "");
      return h("option", { value: path, selected: path === endpoint }, `${path} · ${e.mode}`);
    }));
  const editor = h("textarea", { id, class: "code", rows: 16, spellcheck: "false",
    autocapitalize: "off", "aria-describedby": `${id}-hint ${id}-error` });
  editor.value = JSON.stringify(body, null, 2);
  const error = h("p", { class: "field-error", id: `${id}-error` });
  const list = h("ul", { class: "attachments", "aria-label": "Attached files" });
  const picker = h("input", { type: "file", id: `${id}-attach`, accept: "image/*,audio/wav,audio/mpeg,.wav,.mp3" });
  const render = () => {
    replace(list, [...attachments].map(([token, file]) => h("li", {},
      file.dataUrl.startsWith("data:image/") ? h("img", { src: file.dataUrl, alt: "" }) : null,
      h("code", {}, token),
      h("span", { class: "meta" }, `${file.name} · ${formatBytes(file.size)}`),
      h("button", { type: "button", class: "ghost small", "aria-label": `Remove ${token}`,
        onclick: () => { attachments.delete(token); render(); } }, "Remove"))));
  };
  picker.addEventListener("change", async () => {
    const file = picker.files[0];
    picker.value = "";
    if (!file) return;
    const isImage = file.type.startsWith("image/");
    const kind = isImage ? "image" : file.type.startsWith("audio/") || /\.(wav|mp3)$/i.test(file.name) ? "audio" : "file";
    let n = 1;
    while (attachments.has(`@${kind}${n}`)) n += 1;
    try {
      const dataUrl = isImage ? (await readImage(file)).dataUrl : await readFileAsDataUrl(file);
      attachments.set(`@${kind}${n}`, { dataUrl, name: file.name, size: file.size });
      error.textContent = "";
    } catch (err) {
      error.textContent = err.message;
    }
    render();
  });
  render();
  const element = h("div", { class: "fields" },
    h("div", { class: "field" }, h("label", { for: `${id}-endpoint` }, "Endpoint"), endpointSelect),
    h("div", { class: "field" },
      h("label", { for: id }, "Request body (JSON)"), editor,
      h("p", { class: "hint", id: `${id}-hint` },
        "The body as DashScope documents it. Write @image1, @image2, … where an image URL goes and " +
        "attach the files below; they are sent as data: URIs. http(s) URLs work too."),
      error),
    h("div", { class: "field" }, h("label", { for: `${id}-attach` }, "Attach a file"), picker, list));

  return {
    element,
    build() {
      let parsed;
      try {
        parsed = JSON.parse(editor.value);
      } catch (err) {
        error.textContent = `Not valid JSON: ${err.message}`;
        editor.setAttribute("aria-invalid", "true");
        throw new FormError(`The request body is not valid JSON: ${err.message}`, { focus: () => editor.focus(), setError() {} });
      }
      editor.removeAttribute("aria-invalid");
      error.textContent = "";
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new FormError("The request body must be a JSON object with model, input and parameters.",
          { focus: () => editor.focus(), setError() {} });
      }
      const missing = [];
      const resolve = (value) => {
        if (typeof value === "string" && TOKEN.test(value)) {
          const file = attachments.get(value);
          if (!file) missing.push(value);
          return file ? file.dataUrl : value;
        }
        if (Array.isArray(value)) return value.map(resolve);
        if (value && typeof value === "object") {
          return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
        }
        return value;
      };
      const resolved = resolve(parsed);
      if (missing.length) {
        throw new FormError(`Attach a file for ${missing.join(", ")} (or replace it with a URL).`,
          { focus: () => picker.focus(), setError() {} });
      }
      if (!resolved.model) resolved.model = info.model;
      const path = endpointSelect.value;
      const mode = (info.endpoints.find((e) => e.path.endsWith(`/${path}`)) || {}).mode || "async";
      return { endpoint: path, async: mode !== "sync", body: resolved };
    },
  };
}
