// wan2.6-t2v and wan2.6-i2v: prompt (≤ 1500), negative prompt (≤ 500), size (t2v: the 720P and
// 1080P sizes) or resolution (i2v: 720P / 1080P, the image's aspect ratio), duration 2–15 s,
// single or multi shot, prompt extension, an optional soundtrack (wav / mp3, 3–30 s), watermark,
// seed.

import { h } from "../dom.js";
import { checkAll, imageRules, more, put } from "./form.js";
import { audioField, checkField, imageField, numberField, segmentedField, selectField, textField } from "./fields.js";

export const T2V_SIZES = [
  ["1280*720", "1280 × 720 · 720P 16:9"],
  ["720*1280", "720 × 1280 · 720P 9:16"],
  ["960*960", "960 × 960 · 720P 1:1"],
  ["1088*832", "1088 × 832 · 720P 4:3"],
  ["832*1088", "832 × 1088 · 720P 3:4"],
  ["1920*1080", "1920 × 1080 · 1080P 16:9"],
  ["1080*1920", "1080 × 1920 · 1080P 9:16"],
  ["1440*1440", "1440 × 1440 · 1080P 1:1"],
  ["1632*1248", "1632 × 1248 · 1080P 4:3"],
  ["1248*1632", "1248 × 1632 · 1080P 3:4"],
];

export function videoForm(model, { image }) {
  const still = image
    ? imageField({
      label: "First frame (img_url)",
      required: true,
      hint: "JPEG, PNG, BMP or WEBP; each side 240–8000 pixels; at most 20 MB. The video keeps its aspect ratio.",
      inspect: (picked) => imageRules(picked, { formats: ["JPEG", "PNG", "BMP", "WEBP"], minSide: 240,
        maxSide: 8000, maxBytes: 20 * 1024 * 1024, field: "The first frame" }),
    })
    : null;
  const prompt = textField({ label: "Prompt", required: !image, max: 1500, multiline: true, rows: 3,
    hint: image ? "Optional: the motion, in Chinese or English." : "The scene and its motion, in Chinese or English.",
    placeholder: image ? "slow push in" : "sunset over the sea, gentle waves" });
  const negative = textField({ label: "Negative prompt", max: 500, multiline: true, rows: 2 });
  const size = image
    ? segmentedField({ label: "Resolution", options: [["720P", "720P"], ["1080P", "1080P"]], value: "720P",
      hint: "About 1280 × 720 or 1920 × 1080 pixels (DashScope's default is 1080P)." })
    : selectField({ label: "Size", options: T2V_SIZES, value: "1280*720",
      hint: "Width × height (DashScope's default is 1920 × 1080; 480P is not offered for wan2.6)." });
  const duration = numberField({ label: "Duration (seconds)", min: 2, max: 15, value: 5, slider: true });
  const shots = segmentedField({ label: "Shots", options: [["single", "Single shot"], ["multi", "Multi shot"]],
    value: "single", hint: "Multi shot takes effect only with prompt extension on." });
  const extend = checkField({ label: "Prompt extension (prompt_extend)", checked: true });
  const audio = audioField({ label: "Soundtrack (audio_url)",
    hint: "Optional: a wav or mp3 file, 3–30 seconds, at most 15 MB; trimmed or looped to the video." });
  const watermark = checkField({ label: "Watermark" });
  const seed = numberField({ label: "Seed", min: 0, max: 2147483647, optional: true,
    hint: "Same seed, same video. Empty: a random one." });
  const element = h("div", { class: "fields" },
    still ? still.element : null, prompt.element, size.element, duration.element, shots.element,
    extend.element, audio.element,
    more("More options", negative.element, watermark.element, seed.element));

  return {
    element,
    build() {
      checkAll([still, prompt, negative, duration, audio, seed].filter(Boolean));
      const input = {};
      put(input, "prompt", prompt.value());
      put(input, "negative_prompt", negative.value());
      if (still) input.img_url = still.value();
      put(input, "audio_url", audio.value());
      const parameters = {
        [image ? "resolution" : "size"]: size.value(),
        duration: duration.value(),
        shot_type: shots.value(),
        prompt_extend: extend.value(),
        watermark: watermark.value(),
      };
      put(parameters, "seed", seed.value());
      return { endpoint: "video-generation/video-synthesis", async: true,
        body: { model, input, parameters } };
    },
  };
}
