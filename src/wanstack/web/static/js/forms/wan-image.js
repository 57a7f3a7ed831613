// wan2.6-image: one user message of text (≤ 2000) and 0–4 images (0–1 interleaved), size W*H
// (768² to 1280² pixels, 1:4 to 4:1), n 1–4 (1 interleaved), max_images 1–5 (interleaved),
// negative prompt, prompt extension, watermark, seed. As a task (image-generation/generation) or
// answered directly (multimodal-generation/generation).

import { h } from "../dom.js";
import { FormError, checkAll, imageRules, more, put } from "./form.js";
import { checkField, imageListField, numberField, segmentedField, selectField, textField } from "./fields.js";

const SIZES = [
  ["", "Automatic"],
  ["1280*1280", "1280 × 1280"],
  ["1024*1024", "1024 × 1024"],
  ["1280*960", "1280 × 960 (4:3)"],
  ["960*1280", "960 × 1280 (3:4)"],
  ["1280*720", "1280 × 720 (16:9)"],
  ["720*1280", "720 × 1280 (9:16)"],
  ["768*768", "768 × 768"],
];

export function wanImageForm(model) {
  let interleave = false;
  const text = textField({ label: "Prompt", required: true, max: 2000, multiline: true, rows: 3,
    hint: "Describe the picture, or the edit to make to the images below; Chinese or English.",
    placeholder: "a lighthouse at dusk, warm windows" });
  const images = imageListField({
    label: "Images to edit",
    max: () => (interleave ? 1 : 4),
    hint: "Optional: up to 4 images (1 in interleaved mode); JPEG, PNG, BMP or WEBP, sides 384–5000 pixels, at most 10 MB each.",
    inspect: (picked) => imageRules(picked, { formats: ["JPEG", "PNG", "BMP", "WEBP"], minSide: 384,
      maxSide: 5000, maxBytes: 10 * 1024 * 1024, field: picked.name }),
  });
  const size = selectField({ label: "Size", options: SIZES, value: "",
    hint: "Automatic: 1280 × 1280, or the first image's shape at that many pixels." });
  const n = segmentedField({ label: "Images", options: [["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"]],
    value: "1", hint: "How many images to make (1–4; DashScope's default is 4; interleaved: 1)." });
  const maxImages = numberField({ label: "Most images in the story (max_images)", min: 1, max: 5, value: 5 });
  maxImages.element.hidden = true;
  const interleaved = checkField({
    label: "Interleaved text and images (enable_interleave)",
    hint: "A short illustrated sequence: each image follows its caption.",
    onChange: (on) => {
      interleave = on;
      n.element.hidden = on;
      maxImages.element.hidden = !on;
    },
  });
  const how = segmentedField({ label: "Run", options: [["task", "As a task"], ["direct", "Direct answer"]],
    value: "task", hint: "A task is queued and polled (image-generation/generation); a direct answer waits for the images (multimodal-generation/generation)." });
  const negative = textField({ label: "Negative prompt", max: 500, multiline: true, rows: 2 });
  const extend = checkField({ label: "Prompt extension (prompt_extend)", checked: true });
  const watermark = checkField({ label: "Watermark" });
  const seed = numberField({ label: "Seed", min: 0, max: 2147483647, optional: true });
  const element = h("div", { class: "fields" },
    text.element, images.element, size.element, n.element, interleaved.element, maxImages.element,
    how.element, more("More options", negative.element, extend.element, watermark.element, seed.element));

  return {
    element,
    build() {
      checkAll([text, images, negative, maxImages, seed]);
      if (interleave && images.count() > 1) {
        throw new FormError("Interleaved mode takes at most one image.", images);
      }
      const content = [{ text: text.value() }, ...images.value().map((image) => ({ image }))];
      const parameters = { n: interleave ? 1 : Number(n.value()) };
      put(parameters, "size", size.value() || undefined);
      if (interleave) {
        parameters.enable_interleave = true;
        parameters.max_images = maxImages.value();
      }
      put(parameters, "negative_prompt", negative.value());
      parameters.prompt_extend = extend.value();
      parameters.watermark = watermark.value();
      put(parameters, "seed", seed.value());
      const direct = how.value() === "direct";
      return {
        endpoint: direct ? "multimodal-generation/generation" : "image-generation/generation",
        async: !direct,
        body: { model, input: { messages: [{ role: "user", content }] }, parameters },
      };
    },
  };
}
