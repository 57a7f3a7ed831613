// wanx-x-painting (seed 003): a base image, a mask painted over it, a prompt (≤ 75 characters),
// one of eight styles, one of three sizes, n 1–4.

import { h } from "../dom.js";
import { MaskEditor } from "../mask-editor.js";
import { FormError, checkAll, imageRules, more, put } from "./form.js";
import { imageField, numberField, segmentedField, selectField, textField } from "./fields.js";

export const STYLES = [
  ["<auto>", "Auto"],
  ["<3d cartoon>", "3D cartoon"],
  ["<anime>", "Anime"],
  ["<oil painting>", "Oil painting"],
  ["<watercolor>", "Watercolor"],
  ["<sketch>", "Sketch"],
  ["<chinese painting>", "Chinese painting"],
  ["<flat illustration>", "Flat illustration"],
];
export const SIZES = [
  ["1024*1024", "1024 × 1024"],
  ["720*1280", "720 × 1280"],
  ["1280*720", "1280 × 720"],
];

export function xPaintingForm(model) {
  const editor = new MaskEditor();
  const maskField = h("div", { class: "field mask-field", hidden: true },
    h("span", { class: "label-like", id: "mask-label" }, "Mask: paint what to repaint"),
    editor.element);
  const base = imageField({
    label: "Base image",
    required: true,
    accept: "image/png,image/jpeg,image/bmp",
    preview: false, // the mask editor below shows it
    hint: "JPG, PNG or BMP; each side more than 256 and less than 4096 pixels; at most 10 MB.",
    inspect: (picked) => imageRules(picked, { formats: ["PNG", "JPEG", "BMP"], minSide: 256,
      maxSide: 4096, exclusive: true, maxBytes: 10 * 1024 * 1024, field: "The base image" }),
    onImage: (picked) => {
      maskField.hidden = false;
      editor.setImage(picked.image);
    },
  });
  const prompt = textField({ label: "Prompt", required: true, max: 75, multiline: true, rows: 2,
    hint: "What to paint in the masked area, in Chinese or English.",
    placeholder: "a vase of sunflowers" });
  const style = selectField({ label: "Style", options: STYLES, value: "<auto>" });
  const size = segmentedField({ label: "Output size", options: SIZES, value: "1024*1024" });
  const n = segmentedField({ label: "Images", options: [["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"]],
    value: "1", hint: "How many images to make (1–4)." });
  const seed = numberField({ label: "Seed", min: 0, max: 2147483647, optional: true,
    hint: "Same seed, same images. Empty: a random one." });
  const element = h("div", { class: "fields" },
    base.element, maskField, prompt.element, style.element, size.element, n.element,
    more("More options", seed.element));

  return {
    element,
    editor,
    build() {
      checkAll([base, prompt, seed]);
      if (!editor.painted()) {
        throw new FormError("Paint the area to repaint on the image: the mask is empty.",
          { focus: () => editor.canvas.focus(), setError() {} });
      }
      return {
        endpoint: "image2image/image-synthesis",
        async: true,
        body: {
          model,
          input: {
            prompt: prompt.value(),
            base_image_url: base.value(),
            mask_image_url: editor.exportDataUrl(),
          },
          parameters: put({ style: style.value(), size: size.value(), n: Number(n.value()) },
            "seed", seed.value()),
        },
      };
    },
  };
}
