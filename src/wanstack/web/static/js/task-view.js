// One task, watched: submit (async with X-DashScope-Async, or a direct answer), then poll
// GET /tasks/{id} until it ends, showing its status, its place in the queue
// (output.queue_position), its progress (output.progress), a cancel button and, at the end, its
// results or its error. Status changes are announced in the live region.

import { ApiError } from "./api.js";
import { announce, formatSeconds, h, replace } from "./dom.js";
import { renderOutput } from "./results.js";

const SERVICES = "/api/v1/services/aigc/";
const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN"]);
const LABELS = {
  SUBMITTING: "Submitting",
  WAITING: "Waiting for the answer",
  PENDING: "Queued",
  RUNNING: "Running",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELED: "Canceled",
  UNKNOWN: "Unknown",
  ERROR: "Refused",
};

/** DashScope's "2024-03-01 17:38:24.817" (Beijing time, UTC+8) as epoch ms. */
export function parseTimestamp(text) {
  const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,3}))?$/.exec(text || "");
  if (!m) return null;
  const [, y, mo, d, hh, mm, ss, ms = "0"] = m;
  return Date.UTC(+y, +mo - 1, +d, +hh, +mm, +ss, +ms.padEnd(3, "0")) - 8 * 3600 * 1000;
}

function ordinal(n) {
  const s = ["th", "st", "nd", "rd"];
  const v = n % 100;
  return `${n}${s[(v - 20) % 10] || s[v] || s[0]}`;
}

/** Data URIs cut short, so a request can be shown without megabytes of base64. */
function abridged(body) {
  return JSON.stringify(body, (_, v) => (typeof v === "string" && v.startsWith("data:") && v.length > 80
    ? `${v.slice(0, 40)}… (${Math.round(v.length / 1024)} KB)` : v), 2);
}

export class TaskView {
  constructor(api, root) {
    this.api = api;
    this.root = root;
    this.run = 0; // bumped for every task shown: a stale poll loop stops itself
  }

  build(model) {
    this.status = h("span", { class: "status-badge" });
    this.idLine = h("span", { class: "task-id" });
    this.clock = h("span", { class: "elapsed" });
    this.detail = h("p", { class: "task-detail" });
    this.bar = h("div", { class: "progress", role: "progressbar", "aria-label": "Progress",
      "aria-valuemin": "0", "aria-valuemax": "100", hidden: true }, h("div", { class: "progress-fill" }));
    this.cancelButton = h("button", { type: "button", class: "ghost danger", hidden: true,
      onclick: () => this.cancel() }, "Cancel task");
    this.error = h("div", { class: "error-box", role: "alert", hidden: true });
    this.output = h("div", { class: "task-output" });
    // Scrollable: focusable, so the keyboard can scroll them too.
    this.raw = h("pre", { class: "code-block", tabindex: "0", "aria-label": "Raw answer" });
    this.request = h("pre", { class: "code-block", tabindex: "0", "aria-label": "Request sent" });
    this.requestBox = h("details", { class: "more", hidden: true }, h("summary", {}, "Request sent"), this.request);
    replace(this.root,
      h("div", { class: "task-head" }, this.status, h("span", { class: "model-name" }, model || ""),
        this.clock),
      h("div", { class: "task-meta" }, this.idLine, this.cancelButton),
      this.detail, this.bar, this.error, this.output,
      this.requestBox,
      h("details", { class: "more" }, h("summary", {}, "Raw answer"), this.raw));
  }

  setStatus(status, detail = "") {
    const changed = this.current !== status;
    this.current = status;
    this.status.textContent = LABELS[status] || status;
    this.status.dataset.status = status;
    this.detail.textContent = detail;
    this.cancelButton.hidden = !(status === "PENDING" || status === "RUNNING");
    if (changed) announce(`Task ${LABELS[status] || status}${detail ? `: ${detail}` : ""}`);
  }

  setProgress(value) {
    if (value === null) {
      this.bar.hidden = true;
      return;
    }
    this.bar.hidden = false;
    const fill = this.bar.firstChild;
    if (value === undefined) {
      this.bar.classList.add("indeterminate");
      this.bar.removeAttribute("aria-valuenow");
      fill.style.width = "";
    } else {
      this.bar.classList.remove("indeterminate");
      this.bar.setAttribute("aria-valuenow", String(value));
      fill.style.width = `${value}%`;
    }
  }

  showError(err) {
    this.error.hidden = false;
    const message = err instanceof ApiError ? err.describe() : String(err.message || err);
    replace(this.error, h("strong", {}, err.code || "Error"), h("p", {}, err.message || message),
      err.requestId ? h("p", { class: "hint" }, `request_id ${err.requestId}`) : null);
  }

  tick(start, end) {
    const t = ((end || Date.now()) - start) / 1000;
    this.clock.textContent = end ? `took ${formatSeconds(t)}` : formatSeconds(Math.max(0, t));
  }

  /** Send `req` ({endpoint, async, body}) and follow what comes of it. */
  async submit(req) {
    const run = ++this.run;
    this.build(req.body.model);
    this.requestBox.hidden = false;
    this.request.textContent = `POST ${SERVICES}${req.endpoint}${req.async ? "\nX-DashScope-Async: enable" : ""}\n\n${abridged(req.body)}`;
    const started = Date.now();
    this.setStatus(req.async ? "SUBMITTING" : "WAITING");
    this.setProgress(undefined);
    const timer = window.setInterval(() => this.tick(started), 250);
    let answer;
    try {
      answer = await this.api.submit(SERVICES + req.endpoint, req.body, { async: req.async });
    } catch (err) {
      window.clearInterval(timer);
      if (run !== this.run) return null;
      this.setProgress(null);
      this.setStatus("ERROR", "the server refused the request");
      this.showError(err);
      return null;
    }
    window.clearInterval(timer);
    if (run !== this.run) return null;
    this.raw.textContent = JSON.stringify(answer, null, 2);
    if (!req.async || !answer.output || !answer.output.task_id) {
      // A direct answer: the images are already there.
      this.tick(started, Date.now());
      this.setProgress(null);
      this.setStatus("SUCCEEDED");
      replace(this.output, renderOutput(answer.output || {}, answer.usage));
      return null;
    }
    const id = answer.output.task_id;
    this.follow(id, run);
    return id;
  }

  /** Show an existing task (from the task list) and follow it if it is still going. */
  open(id, model = "") {
    const run = ++this.run;
    this.build(model);
    this.setStatus("PENDING", "loading…");
    this.follow(id, run);
  }

  async follow(id, run) {
    this.taskId = id;
    replace(this.idLine, "Task ", h("code", {}, id), " ",
      h("button", { type: "button", class: "ghost small", "aria-label": "Copy task id",
        onclick: () => navigator.clipboard && navigator.clipboard.writeText(id) }, "Copy"));
    let delay = 600;
    const first = Date.now();
    let submitted = first;
    const timer = window.setInterval(() => this.tick(submitted), 250);
    try {
      for (;;) {
        let body;
        try {
          body = await this.api.task(id);
        } catch (err) {
          if (run !== this.run) return;
          this.showError(err);
          if (err.status === 401 || err.status === 403) return;
          body = null;
        }
        if (run !== this.run) return;
        if (body) {
          this.error.hidden = true;
          const out = body.output || {};
          submitted = parseTimestamp(out.submit_time) || submitted;
          this.raw.textContent = JSON.stringify(body, null, 2);
          this.show(out, body.usage);
          if (FINAL.has(out.task_status)) {
            window.clearInterval(timer);
            const end = parseTimestamp(out.end_time);
            if (end) this.tick(submitted, end);
            else this.clock.textContent = "";
            return;
          }
        }
        await new Promise((r) => window.setTimeout(r, delay));
        delay = Math.min(2000, delay + (Date.now() - first > 10000 ? 400 : 100));
      }
    } finally {
      window.clearInterval(timer);
    }
  }

  show(out, usage) {
    const status = out.task_status;
    if (status === "PENDING") {
      const q = out.queue_position;
      this.setStatus("PENDING", q ? `${ordinal(q)} in the queue for this model` : "waiting for a worker");
      this.detail.dataset.queue = q || "";
      this.setProgress(undefined);
    } else if (status === "RUNNING") {
      const p = typeof out.progress === "number" ? Math.round(out.progress) : undefined;
      this.setStatus("RUNNING", p === undefined ? "" : `${p} % done`);
      this.setProgress(p);
    } else {
      this.setProgress(null);
      const detail = status === "UNKNOWN" ? "no such task: it expired, or belongs to another account" : "";
      this.setStatus(status, detail);
      if (status === "FAILED" && out.code) this.showError(new ApiError(200, out.code, out.message || ""));
      replace(this.output, renderOutput(out, usage));
    }
  }

  async cancel() {
    if (!this.taskId) return;
    this.cancelButton.disabled = true;
    try {
      await this.api.cancel(this.taskId);
      announce("Cancel requested");
    } catch (err) {
      this.showError(err);
    } finally {
      this.cancelButton.disabled = false;
    }
  }
}
