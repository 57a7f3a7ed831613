// wanx-background-generation-v2 (seeds 001, 002): an RGBA product cut-out (shown over a
// checkerboard, so its transparent parts show), a text and/or image guide, an optional title and
// subtitle (editable text layers come back), n, model version, noise level, prompt weight.

import { h } from "../dom.js";
import { FormError, checkAll, imageRules, more, put, section } from "./form.js";
import { checkField, imageField, numberField, segmentedField, selectField, textField } from "./fields.js";

export function backgroundForm(model) {
  const cutout = checkField({
    label: "Cut out an opaque photo first",
    hint: 'Sends parameters.cutout: "auto" (a wanstack extension) so an RGB product photo is ' +
      "cut out on the server. Without it an image with no transparency is refused, as DashScope does.",
  });
  const base = imageField({
    label: "Product cut-out",
    required: true,
    accept: "image/png",
    checker: true,
    alpha: true,
    hint: "An RGBA PNG: the product on a transparent background; long side at most 2048 pixels.",
    inspect: (picked) => {
      const verdict = imageRules(picked, { formats: ["PNG"], field: "The product cut-out" });
      if (Math.max(picked.width, picked.height) > 2048) {
        verdict.errors.push(`The long side may be at most 2048 pixels; it is ${picked.width} × ${picked.height}.`);
      }
      if (!picked.transparent) {
        verdict.notes.push("No transparent pixels: this is not a cut-out. Tick “Cut out an opaque photo first” or pick an RGBA PNG.");
      }
      return verdict;
    },
  });
  const refPrompt = textField({ label: "Scene prompt (ref_prompt)", multiline: true, rows: 3,
    hint: "The new background, in Chinese or English; up to about 150 words (120 Chinese characters) count.",
    placeholder: "on a marble table by a window, soft morning light" });
  const refImage = imageField({ label: "Reference image (ref_image_url)",
    hint: "Optional: a picture whose look the background should follow. A prompt, an image, or both." });
  const negPrompt = textField({ label: "Negative prompt (neg_ref_prompt)", multiline: true, rows: 2,
    hint: "What the background should not have." });
  const title = textField({ label: "Title", max: 8, hint: "Optional poster title; comes back as an editable text layer." });
  const subTitle = textField({ label: "Subtitle", max: 10, hint: "Only together with a title." });
  const n = segmentedField({ label: "Images", options: [["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"]],
    value: "1", hint: "How many backgrounds to make (1–4)." });
  const version = segmentedField({ label: "Model version", options: [["v2", "v2"], ["v3", "v3"]],
    value: "v2", hint: "v3 keeps closer to the reference image." });
  const noise = numberField({ label: "Noise level", min: 0, max: 999, value: 300, slider: true,
    hint: "Higher: the background strays further from the reference image." });
  const weight = numberField({ label: "Prompt weight (ref_prompt_weight)", min: 0, max: 1, step: 0.05,
    value: 0.5, slider: true, hint: "How much the prompt counts against the reference image." });
  const scene = selectField({ label: "Scene type (deprecated)", value: "",
    options: [["", "Not set"], ["GENERAL", "General"], ["ROOM", "Room"], ["COSMETIC", "Cosmetic"]] });
  const seed = numberField({ label: "Seed", min: 0, max: 2147483647, optional: true,
    hint: "Same seed, same backgrounds. Empty: a random one." });
  const element = h("div", { class: "fields" },
    base.element, cutout.element,
    section("Guide", refPrompt.element, refImage.element),
    section("Title", title.element, subTitle.element),
    n.element,
    more("More options", version.element, negPrompt.element, noise.element, weight.element,
      scene.element, seed.element));

  return {
    element,
    build() {
      checkAll([base, refPrompt, refImage, negPrompt, title, subTitle, noise, weight, seed]);
      const picked = base.picked();
      if (!picked.transparent && !cutout.value()) {
        base.setError("The product cut-out has no transparent pixels: background generation needs an RGBA cut-out.");
        throw new FormError("The product cut-out has no transparent pixels: pick an RGBA PNG, or tick “Cut out an opaque photo first”.", base);
      }
      if (refPrompt.value() === undefined && refImage.value() === undefined) {
        throw new FormError("Give a scene prompt, a reference image, or both.", refPrompt);
      }
      if (subTitle.value() !== undefined && title.value() === undefined) {
        throw new FormError("A subtitle needs a title.", title);
      }
      const input = { base_image_url: base.value() };
      put(input, "ref_prompt", refPrompt.value());
      put(input, "ref_image_url", refImage.value());
      put(input, "neg_ref_prompt", negPrompt.value());
      put(input, "title", title.value());
      put(input, "sub_title", subTitle.value());
      const parameters = {
        n: Number(n.value()),
        model_version: version.value(),
        noise_level: noise.value(),
        ref_prompt_weight: weight.value(),
      };
      put(parameters, "scene_type", scene.value() || undefined);
      put(parameters, "seed", seed.value());
      if (cutout.value()) parameters.cutout = "auto";
      return { endpoint: "background-generation/generation", async: true,
        body: { model, input, parameters } };
    },
  };
}
