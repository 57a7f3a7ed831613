// What a task produced, drawn: images (full size on click, downloadable), a video in a player,
// wan2.6-image's choices (text and images in order), a titled background's text-free images and
// their text layers, per-item errors, usage and the engine that made it.

import { h } from "./dom.js";

/** Open `url` full size in the page's dialog. */
export function openLightbox(url, title) {
  const dialog = document.getElementById("lightbox");
  const img = document.getElementById("lightbox-image");
  img.src = url;
  img.alt = title;
  document.getElementById("lightbox-title").textContent = title;
  document.getElementById("lightbox-download").href = url;
  dialog.showModal();
}

export function bindLightbox() {
  const dialog = document.getElementById("lightbox");
  document.getElementById("lightbox-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener("close", () => {
    document.getElementById("lightbox-image").removeAttribute("src");
  });
}

function fileName(url, fallback) {
  try {
    const path = new URL(url, window.location.href).pathname;
    return path.slice(path.lastIndexOf("/") + 1) || fallback;
  } catch {
    return fallback;
  }
}

function imageCard(url, label) {
  const size = h("span", { class: "dims" });
  const img = h("img", { src: url, alt: label, loading: "lazy", decoding: "async" });
  img.addEventListener("load", () => {
    size.textContent = `${img.naturalWidth} × ${img.naturalHeight}`;
  });
  return h("figure", { class: "result-image" },
    h("button", { type: "button", class: "thumb", "aria-label": `${label}: open full size`,
      onclick: () => openLightbox(url, label) }, img),
    h("figcaption", {},
      h("span", {}, label), size,
      h("a", { class: "button ghost small", href: url, download: fileName(url, "image.png"),
        "aria-label": `Download ${label}` }, "Download")));
}

function errorCard(item, label) {
  return h("figure", { class: "result-image failed" },
    h("div", { class: "failed-box" }, h("strong", {}, item.code || "Failed"), h("p", {}, item.message || "")),
    h("figcaption", {}, label));
}

function videoCard(url) {
  const video = h("video", { src: url, controls: true, playsinline: true, preload: "metadata",
    class: "result-video", "aria-label": "Generated video" });
  const facts = h("span", { class: "dims" });
  video.addEventListener("loadedmetadata", () => {
    facts.textContent = `${video.videoWidth} × ${video.videoHeight} · ${video.duration.toFixed(1)} s`;
  });
  return h("figure", { class: "result-video-card" }, video,
    h("figcaption", {}, h("span", {}, "Video"), facts,
      h("a", { class: "button ghost small", href: url, download: fileName(url, "video.mp4") }, "Download")));
}

function layerRows(layers) {
  return layers.map((layer) => {
    const color = layer.font_color || layer.color || "";
    const box = ["left", "top", "width", "height"].every((k) => typeof layer[k] === "number")
      ? `${layer.left}, ${layer.top} · ${layer.width} × ${layer.height}` : "";
    const swatch = color ? h("span", { class: "swatch", "aria-hidden": "true" }) : null;
    if (swatch) swatch.style.background = color.slice(0, 7);
    return h("tr", {},
      h("td", {}, layer.sub_type ? `${layer.type} · ${layer.sub_type}` : layer.type),
      h("td", { lang: "zh" }, layer.content || ""),
      h("td", {}, layer.font_size ? `${layer.font_size} px ${layer.font_weight || ""}` : ""),
      h("td", {}, swatch, color),
      h("td", {}, box));
  });
}

function textLayers(textResults) {
  const urls = textResults.urls || [];
  return (textResults.params || []).map((param, i) => {
    const plain = urls[i] && urls[i].url;
    const label = `Image ${param.sample_idx + 1} without its text`;
    return h("section", { class: "text-layers", "aria-label": `Text layers of image ${param.sample_idx + 1}` },
      h("h3", {}, `Text layers · image ${param.sample_idx + 1}`),
      h("div", { class: "text-layers-body" },
        plain ? imageCard(plain, label) : null,
        h("div", { class: "table-wrap", tabindex: "0", role: "region",
          "aria-label": `Text layers of image ${param.sample_idx + 1}, table` }, h("table", {},
          h("thead", {}, h("tr", {}, ["Layer", "Text", "Font", "Colour", "Box (x, y · w × h)"]
            .map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, layerRows(param.layers || []))))));
  });
}

function choiceItems(choices) {
  const out = [];
  let n = 0;
  for (const choice of choices) {
    for (const item of (choice.message && choice.message.content) || []) {
      if (item.image) {
        n += 1;
        out.push(imageCard(item.image, `Image ${n}`));
      } else if (item.text) out.push(h("p", { class: "choice-text" }, item.text));
    }
  }
  return out;
}

function facts(output, usage) {
  const rows = [];
  if (usage) {
    for (const [k, v] of Object.entries(usage)) rows.push([k, typeof v === "object" ? JSON.stringify(v) : String(v)]);
  }
  if (output.task_metrics) {
    const m = output.task_metrics;
    rows.push(["task_metrics", `${m.SUCCEEDED} of ${m.TOTAL} succeeded`]);
  }
  if (output.engine) {
    const e = output.engine;
    rows.push(["engine", typeof e === "object" ? Object.values(e).join(" · ") : String(e)]);
  }
  if (!rows.length) return null;
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** Everything `output` (a task's or a direct answer's) holds, as elements. */
export function renderOutput(output, usage) {
  const parts = [];
  const images = [];
  // wan2.6-image answers with choices (captions before images when interleaved) and, as a
  // task, with results too: the choices keep the captions, so they win when they have text.
  const captioned = (output.choices || []).some((c) =>
    ((c.message && c.message.content) || []).some((item) => item.text));
  if (captioned || !output.results) images.push(...choiceItems(output.choices || []));
  else {
    output.results.forEach((item, i) => {
      const label = `Image ${i + 1}`;
      if (item.url) images.push(imageCard(item.url, label));
      else if (item.code) images.push(errorCard(item, label));
    });
  }
  if (images.length) parts.push(h("div", { class: "result-grid" }, images));
  if (output.video_url) parts.push(videoCard(output.video_url));
  if (output.text_results) parts.push(...textLayers(output.text_results));
  const f = facts(output, usage);
  if (f) parts.push(h("details", { class: "more" }, h("summary", {}, "Usage and engine"), f));
  return parts;
}
