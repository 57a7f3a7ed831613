// The x-painting mask editor: paint the region to repaint over the base image, with a brush and
// an eraser, a size slider, undo and clear; exported as a white-on-black PNG of the image's size.
//
// The mask lives on an offscreen canvas at the image's own resolution (what the server needs);
// the visible canvas shows the image fitted to the screen with the mask tinted over it. Strokes
// are recorded (tool, width in image pixels, points), so undo replays them instead of keeping a
// snapshot per stroke (a 4000 px mask is 64 MB a copy). Pointer events serve mouse, pen and
// touch alike; `touch-action: none` on the canvas keeps a finger stroke from scrolling the page.
// Keyboard: arrows move the brush (Shift: faster), Space puts it down or lifts it, Enter dabs,
// B / E pick brush / eraser, [ and ] resize, Ctrl+Z undoes.

import { announce, h, uid } from "./dom.js";

const TINT = "rgba(99, 102, 241, 1)";
const TINT_ALPHA = 0.55;

export class MaskEditor {
  constructor({ onChange } = {}) {
    this.onChange = onChange || (() => {});
    this.tool = "brush";
    this.size = 40; // CSS pixels on screen
    this.strokes = [];
    this.current = null;
    this.cursor = null; // {x, y} in CSS pixels, or null
    this.penDown = false; // keyboard painting
    this.image = null;
    this.mask = document.createElement("canvas");
    this.build();
  }

  build() {
    const id = uid("mask");
    const tool = (value, label, key) => {
      const input = h("input", { type: "radio", name: `${id}-tool`, value, checked: value === this.tool,
        onchange: () => this.setTool(value) });
      this[`${value}Input`] = input;
      return h("label", { class: "seg-option", title: `${label} (${key})` }, input, h("span", {}, label));
    };
    this.sizeInput = h("input", { type: "range", id: `${id}-size`, min: 4, max: 160, step: 1,
      value: this.size, oninput: () => this.setSize(Number(this.sizeInput.value)) });
    this.sizeOut = h("output", { for: `${id}-size`, class: "size-out" }, `${this.size} px`);
    this.undoButton = h("button", { type: "button", class: "ghost small", disabled: true,
      onclick: () => this.undo() }, "Undo");
    this.clearButton = h("button", { type: "button", class: "ghost small", disabled: true,
      onclick: () => this.clear() }, "Clear");
    this.canvas = h("canvas", {
      // "application": screen readers pass the arrow keys and Space through to the painter
      class: "mask-canvas", tabindex: "0", role: "application", id: `${id}-canvas`,
      "aria-roledescription": "mask painter",
      "aria-label": "Mask canvas: paint over the part of the image to repaint",
      "aria-describedby": `${id}-keys`,
    });
    this.stage = h("div", { class: "mask-stage" }, this.canvas);
    this.element = h("div", { class: "mask-editor" },
      h("div", { class: "mask-toolbar", role: "toolbar", "aria-label": "Mask tools" },
        h("fieldset", { class: "segmented compact" },
          h("legend", { class: "visually-hidden" }, "Tool"),
          tool("brush", "Brush", "B"), tool("eraser", "Eraser", "E")),
        h("span", { class: "toolbar-gap" }), this.undoButton, this.clearButton),
      h("div", { class: "mask-size" },
        h("label", { class: "size-label", for: `${id}-size` }, "Brush size"),
        this.sizeInput, this.sizeOut),
      this.stage,
      h("p", { class: "hint", id: `${id}-keys` },
        "Drag to paint (mouse, pen or finger). Keyboard: arrow keys move the brush, Space puts it " +
        "down or lifts it, Enter dabs, B / E switch brush and eraser, [ and ] change the size, " +
        "Ctrl+Z undoes."));
    this.bindPointer();
    this.bindKeys();
    new ResizeObserver(() => this.layout()).observe(this.stage);
  }

  /** Show `image` (a decoded HTMLImageElement) and start an empty mask of its size. */
  setImage(image) {
    this.image = image;
    this.mask.width = image.naturalWidth;
    this.mask.height = image.naturalHeight;
    this.strokes = [];
    this.element.classList.add("ready");
    this.layout();
    this.changed();
  }

  setTool(tool) {
    this.tool = tool;
    this[`${tool}Input`].checked = true;
    this.draw();
  }

  setSize(size) {
    this.size = Math.max(4, Math.min(160, Math.round(size)));
    this.sizeInput.value = String(this.size);
    this.sizeOut.textContent = `${this.size} px`;
    this.draw();
  }

  /** Image pixels per CSS pixel of the visible canvas. */
  get scale() {
    return this.image ? this.image.naturalWidth / this.cssWidth : 1;
  }

  layout() {
    if (!this.image) return;
    const width = this.stage.clientWidth || 480;
    const aspect = this.image.naturalHeight / this.image.naturalWidth;
    // Fit the width; cap the height so a tall photo still fits on a phone screen.
    const maxHeight = Math.max(240, window.innerHeight * 0.7);
    const cssWidth = Math.min(width, maxHeight / aspect);
    const ratio = window.devicePixelRatio || 1;
    this.cssWidth = cssWidth;
    this.cssHeight = cssWidth * aspect;
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${this.cssHeight}px`;
    this.canvas.width = Math.round(cssWidth * ratio);
    this.canvas.height = Math.round(this.cssHeight * ratio);
    this.draw();
  }

  draw() {
    if (!this.image || !this.cssWidth) return;
    const ctx = this.canvas.getContext("2d");
    const ratio = this.canvas.width / this.cssWidth;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.drawImage(this.image, 0, 0, this.canvas.width, this.canvas.height);
    ctx.globalAlpha = TINT_ALPHA;
    ctx.drawImage(this.mask, 0, 0, this.canvas.width, this.canvas.height);
    ctx.globalAlpha = 1;
    if (this.cursor) {
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.beginPath();
      ctx.arc(this.cursor.x, this.cursor.y, this.size / 2, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = "rgba(255,255,255,0.95)";
      ctx.stroke();
      ctx.lineWidth = 1;
      ctx.strokeStyle = this.tool === "eraser" ? "rgba(220,38,38,0.95)" : "rgba(30,27,75,0.9)";
      ctx.stroke();
    }
  }

  // ---- strokes ------------------------------------------------------------------------------

  toImage(x, y) {
    return { x: x * this.scale, y: y * this.scale };
  }

  begin(x, y) {
    this.current = { tool: this.tool, width: this.size * this.scale, points: [this.toImage(x, y)] };
    this.strokes.push(this.current);
    this.paint(this.current, 0);
  }

  extend(x, y) {
    if (!this.current) return;
    this.current.points.push(this.toImage(x, y));
    this.paint(this.current, this.current.points.length - 2);
  }

  end() {
    if (!this.current) return;
    this.current = null;
    this.changed();
  }

  /** Draw the part of `stroke` from point `from` on onto the mask. */
  paint(stroke, from) {
    const ctx = this.mask.getContext("2d");
    ctx.globalCompositeOperation = stroke.tool === "eraser" ? "destination-out" : "source-over";
    ctx.strokeStyle = ctx.fillStyle = TINT;
    ctx.lineWidth = stroke.width;
    ctx.lineCap = ctx.lineJoin = "round";
    const pts = stroke.points;
    if (pts.length === 1 || from < 0) {
      ctx.beginPath();
      ctx.arc(pts[0].x, pts[0].y, stroke.width / 2, 0, Math.PI * 2);
      ctx.fill();
    }
    if (pts.length > 1) {
      ctx.beginPath();
      const start = Math.max(0, from);
      ctx.moveTo(pts[start].x, pts[start].y);
      for (let i = start + 1; i < pts.length; i += 1) ctx.lineTo(pts[i].x, pts[i].y);
      ctx.stroke();
    }
    ctx.globalCompositeOperation = "source-over";
    this.draw();
  }

  replay() {
    const ctx = this.mask.getContext("2d");
    ctx.clearRect(0, 0, this.mask.width, this.mask.height);
    for (const stroke of this.strokes) {
      if (stroke.tool === "clear") ctx.clearRect(0, 0, this.mask.width, this.mask.height);
      else this.paint(stroke, -1);
    }
    this.draw();
  }

  undo() {
    if (!this.strokes.length) return;
    this.strokes.pop();
    this.replay();
    this.changed();
    announce("Undone");
  }

  clear() {
    if (this.clearButton.disabled) return;
    this.strokes.push({ tool: "clear" }); // undoable, like any stroke
    this.replay();
    this.changed();
    announce("Mask cleared");
  }

  changed() {
    this.undoButton.disabled = this.strokes.length === 0;
    // Cheap on every stroke: a full pixel scan (painted()) runs only when the form is checked.
    const last = this.strokes[this.strokes.length - 1];
    this.clearButton.disabled = !last || last.tool === "clear";
    this.onChange();
  }

  /** Whether the mask has any painted pixel. */
  painted() {
    if (!this.image || !this.strokes.length) return false;
    const ctx = this.mask.getContext("2d", { willReadFrequently: true });
    const { data } = ctx.getImageData(0, 0, this.mask.width, this.mask.height);
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  }

  /** The mask as the server reads it: white where painted, black elsewhere, PNG, image size. */
  exportDataUrl() {
    const { width, height } = this.mask;
    const white = document.createElement("canvas");
    white.width = width;
    white.height = height;
    const w = white.getContext("2d");
    w.drawImage(this.mask, 0, 0);
    w.globalCompositeOperation = "source-in";
    w.fillStyle = "#fff";
    w.fillRect(0, 0, width, height);
    const out = document.createElement("canvas");
    out.width = width;
    out.height = height;
    const o = out.getContext("2d");
    o.fillStyle = "#000";
    o.fillRect(0, 0, width, height);
    o.drawImage(white, 0, 0);
    return out.toDataURL("image/png");
  }

  // ---- input --------------------------------------------------------------------------------

  bindPointer() {
    const c = this.canvas;
    const at = (e) => {
      const r = c.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    c.addEventListener("pointerdown", (e) => {
      if (!this.image || (e.pointerType === "mouse" && e.button !== 0)) return;
      e.preventDefault();
      c.setPointerCapture(e.pointerId);
      const p = at(e);
      this.cursor = p;
      this.begin(p.x, p.y);
    });
    c.addEventListener("pointermove", (e) => {
      if (!this.image) return;
      const events = this.current && e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) {
        const p = at(ev);
        this.cursor = p;
        if (this.current) this.extend(p.x, p.y);
      }
      this.draw();
    });
    const stop = () => this.end();
    c.addEventListener("pointerup", stop);
    c.addEventListener("pointercancel", stop);
    c.addEventListener("pointerleave", () => {
      if (!this.current) {
        this.cursor = null;
        this.draw();
      }
    });
  }

  bindKeys() {
    this.canvas.addEventListener("focus", () => {
      if (!this.cursor && this.image) this.cursor = { x: this.cssWidth / 2, y: this.cssHeight / 2 };
      this.draw();
    });
    this.canvas.addEventListener("blur", () => {
      if (this.penDown) this.togglePen();
      this.cursor = null;
      this.draw();
    });
    this.canvas.addEventListener("keydown", (e) => {
      if (!this.image) return;
      const step = e.shiftKey ? 32 : 8;
      const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[e.key]) {
        e.preventDefault();
        const [dx, dy] = moves[e.key];
        const p = this.cursor || { x: 0, y: 0 };
        this.cursor = {
          x: Math.max(0, Math.min(this.cssWidth, p.x + dx)),
          y: Math.max(0, Math.min(this.cssHeight, p.y + dy)),
        };
        if (this.penDown) this.extend(this.cursor.x, this.cursor.y);
        this.draw();
      } else if (e.key === " ") {
        e.preventDefault();
        this.togglePen();
      } else if (e.key === "Enter") {
        e.preventDefault();
        const p = this.cursor;
        this.begin(p.x, p.y);
        this.end();
      } else if (e.key === "Escape" && this.penDown) {
        this.togglePen();
      } else if (e.key === "b" || e.key === "e") {
        this.setTool(e.key === "b" ? "brush" : "eraser");
        announce(e.key === "b" ? "Brush" : "Eraser");
      } else if (e.key === "[" || e.key === "]") {
        this.setSize(this.size + (e.key === "]" ? 4 : -4));
        announce(`Brush size ${this.size}`);
      } else if (e.key === "z" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.undo();
      }
    });
  }

  togglePen() {
    this.penDown = !this.penDown;
    if (this.penDown) this.begin(this.cursor.x, this.cursor.y);
    else this.end();
    announce(this.penDown ? `${this.tool === "eraser" ? "Eraser" : "Brush"} down` : "Lifted");
  }
}
