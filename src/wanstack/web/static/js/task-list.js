// The account's tasks (GET /api/v1/tasks): filters by status, model and time range, paging, and
// a way back into any task. Times in the filter are the browser's local time; the API takes
// DashScope's YYYYMMDDhhmmss in Beijing time (UTC+8), so they are converted here.

import { announce, formatSeconds, h, replace, uid } from "./dom.js";

const STATUSES = ["", "PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED"];

/** A datetime-local value ("2026-05-01T09:30", local time) as DashScope's Beijing-time
 *  YYYYMMDDhhmmss, or "" when empty. */
export function toBeijing(value) {
  if (!value) return "";
  const ms = new Date(value).getTime();
  if (!Number.isFinite(ms)) return "";
  const d = new Date(ms + 8 * 3600 * 1000);
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
}

function field(label, control) {
  control.id = control.id || uid("filter");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

export class TaskList {
  constructor(api, root, { onOpen }) {
    this.api = api;
    this.root = root;
    this.onOpen = onOpen;
    this.page = 1;
    this.status = h("select", {}, STATUSES.map((s) => h("option", { value: s }, s || "Any status")));
    this.model = h("select", {}, h("option", { value: "" }, "Any model"));
    this.from = h("input", { type: "datetime-local", step: 1 });
    this.to = h("input", { type: "datetime-local", step: 1 });
    this.size = h("select", {}, [10, 20, 50].map((n) => h("option", { value: n }, `${n} a page`)));
    this.error = h("p", { class: "error", role: "alert" });
    this.summary = h("p", { class: "hint", id: uid("summary") });
    this.body = h("tbody", {});
    this.prev = h("button", { type: "button", class: "ghost", onclick: () => this.load(this.page - 1) }, "Previous");
    this.next = h("button", { type: "button", class: "ghost", onclick: () => this.load(this.page + 1) }, "Next");
    const form = h("form", { class: "filters", "aria-label": "Task filters" },
      field("Status", this.status), field("Model", this.model), field("From", this.from),
      field("To", this.to), field("Page size", this.size),
      h("div", { class: "filter-actions" },
        h("button", { type: "submit", class: "primary" }, "Apply"),
        h("button", { type: "button", class: "ghost", onclick: () => this.reset() }, "Reset")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.load(1);
    });
    replace(root, form,
      h("p", { class: "hint" }, "Without a time range: the last 24 hours. Times are this device's local time."),
      this.error,
      h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": "Tasks, table" },
        h("table", { class: "tasks", "aria-describedby": this.summary.id },
        h("thead", {}, h("tr", {}, ["Created", "Model", "Status", "Task", "Took"]
          .map((t) => h("th", { scope: "col" }, t)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")))), this.body)),
      h("nav", { class: "pager", "aria-label": "Pages" }, this.prev, this.summary, this.next));
  }

  setModels(models) {
    replace(this.model, h("option", { value: "" }, "Any model"),
      models.map((m) => h("option", { value: m.model }, m.model)));
  }

  reset() {
    this.status.value = "";
    this.model.value = "";
    this.from.value = "";
    this.to.value = "";
    this.load(1);
  }

  async load(page = this.page) {
    this.error.textContent = "";
    const query = {
      page_no: Math.max(1, page),
      page_size: this.size.value,
      status: this.status.value,
      model_name: this.model.value,
      start_time: toBeijing(this.from.value),
      end_time: toBeijing(this.to.value),
    };
    let data;
    try {
      data = await this.api.list(query);
    } catch (err) {
      this.error.textContent = err.describe ? err.describe() : String(err);
      return;
    }
    this.page = data.page_no;
    const rows = data.data || [];
    replace(this.body, rows.length ? rows.map((t) => this.row(t))
      : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No tasks match.")));
    const pages = Math.max(1, data.total_page || 1);
    this.summary.textContent = `Page ${data.page_no} of ${pages} · ${data.total} task${data.total === 1 ? "" : "s"}`;
    this.prev.disabled = data.page_no <= 1;
    this.next.disabled = data.page_no >= pages;
    announce(this.summary.textContent);
  }

  row(t) {
    const created = new Date(t.gmt_create);
    const took = t.end_time && t.gmt_create ? formatSeconds((t.end_time - t.gmt_create) / 1000) : "";
    return h("tr", {},
      h("td", {}, h("time", { datetime: created.toISOString() }, created.toLocaleString())),
      h("td", {}, t.model_name),
      h("td", {}, h("span", { class: "status-badge", dataset: { status: t.status } }, t.status)),
      h("td", {}, h("code", { title: t.task_id }, `${t.task_id.slice(0, 8)}…`)),
      h("td", {}, took),
      h("td", {}, h("button", { type: "button", class: "ghost small",
        "aria-label": `Open task ${t.task_id}`, onclick: () => this.onOpen(t.task_id, t.model_name) }, "Open")));
  }
}
