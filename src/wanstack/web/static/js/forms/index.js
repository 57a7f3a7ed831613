// Which form a model gets: the five seed models have their own; every other model the JSON
// editor, prefilled with a minimal valid body.

import { backgroundForm } from "./background.js";
import { videoForm } from "./video.js";
import { wanImageForm } from "./wan-image.js";
import { xPaintingForm } from "./x-painting.js";

const FORMS = {
  "wanx-x-painting": (model) => xPaintingForm(model),
  "wanx-background-generation-v2": (model) => backgroundForm(model),
  "wan2.6-t2v": (model) => videoForm(model, { image: false }),
  "wan2.6-i2v": (model) => videoForm(model, { image: true }),
  "wan2.6-image": (model) => wanImageForm(model),
};

/** The model's own form, or null when it has none (the JSON editor then serves it). */
export function formFor(model) {
  const make = FORMS[model];
  return make ? make(model) : null;
}

/** One line about what a model does, shown under the model picker. */
export const ABOUT = {
  "wanx-x-painting": "Inpainting: repaint the masked part of an image from a prompt, in one of eight styles.",
  "wanx-background-generation-v2": "A new scene around a product cut-out; optional poster title with editable text layers.",
  "wan2.6-t2v": "Text to video: the scene and its motion from a prompt, 2–15 seconds.",
  "wan2.6-i2v": "Image to video: a still brought to life, 2–15 seconds.",
  "wan2.6-image": "Text to image and image editing, or an illustrated story (interleaved).",
};
