// The playground's entry point: sign-in with an API key (kept in this browser only), the model
// picker with its form or the JSON editor, the result panel, the task list, and the two views.

import { Api, forgetKey, storeKey, storedKey } from "./api.js";
import { announce, h, replace } from "./dom.js";
import { FormError } from "./forms/form.js";
import { ABOUT, formFor } from "./forms/index.js";
import { jsonForm, loadSamples, sampleFor, withTokens } from "./forms/json.js";
import { bindLightbox } from "./results.js";
import { TaskList } from "./task-list.js";
import { TaskView } from "./task-view.js";

const MODEL_STORAGE = "wanstack.playground.model";
const $ = (id) => document.getElementById(id);

const state = { api: null, models: [], form: null, mode: "form", taskView: null, taskList: null,
  emptyResult: null };

function maskedKey(key) {
  return key.length > 12 ? `${key.slice(0, 5)}…${key.slice(-4)}` : "•".repeat(key.length);
}

function showView(name) {
  for (const tab of document.querySelectorAll(".view-tab")) {
    if (tab.dataset.view === name) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  $("view-create").hidden = name !== "create";
  $("view-tasks").hidden = name !== "tasks";
  if (name === "tasks") state.taskList.load(1);
}

function signedOut(message = "") {
  state.api = null;
  if (state.taskView) state.taskView.run += 1; // stops its polling: the key is gone
  state.taskView = null;
  replace($("task-body"), state.emptyResult.cloneNode(true));
  window.history.replaceState(null, "", window.location.pathname);
  $("signin").hidden = false;
  $("view-create").hidden = true;
  $("view-tasks").hidden = true;
  $("views").hidden = true;
  $("session").hidden = true;
  $("signin-error").textContent = message;
  $("api-key").value = "";
  $("api-key").focus();
}

async function signIn(key, { remembered }) {
  const api = new Api(key);
  const button = $("signin-button");
  button.disabled = true;
  $("signin-error").textContent = "";
  try {
    state.models = await api.models();
  } catch (err) {
    const why = err.describe ? err.describe() : String(err);
    if (remembered) forgetKey();
    signedOut(remembered ? `The saved key no longer works. ${why}` : why);
    $("api-key").setAttribute("aria-invalid", "true");
    return;
  } finally {
    button.disabled = false;
  }
  $("api-key").removeAttribute("aria-invalid");
  storeKey(key);
  state.api = api;
  $("signin").hidden = true;
  $("views").hidden = false;
  $("session").hidden = false;
  $("key-chip").textContent = `Key ${maskedKey(key)}`;
  state.taskView = new TaskView(api, $("task-body"));
  state.taskList = new TaskList(api, $("task-list"), {
    onOpen: (id, model) => {
      showView("create");
      state.taskView.open(id, model);
      window.history.replaceState(null, "", `#task=${encodeURIComponent(id)}`);
      $("task-panel").scrollIntoView({ block: "start" });
    },
  });
  state.taskList.setModels(state.models);
  fillModels();
  showView("create");
  announce(`Signed in. ${state.models.length} models available.`);
  openLinkedTask();
}

/** `#task=<id>` in the address (a bookmark, a pasted link) opens that task. */
function openLinkedTask() {
  const linked = /^#task=(.+)$/.exec(window.location.hash);
  if (!linked || !state.taskView) return;
  showView("create");
  state.taskView.open(decodeURIComponent(linked[1]));
}

function fillModels() {
  const select = $("model");
  const withForms = state.models.filter((m) => ABOUT[m.model]);
  const others = state.models.filter((m) => !ABOUT[m.model]);
  replace(select,
    h("optgroup", { label: "With a form" }, withForms.map((m) => h("option", { value: m.model }, m.model))),
    others.length ? h("optgroup", { label: "JSON body" }, others.map((m) => h("option", { value: m.model }, m.model))) : null);
  const saved = window.localStorage.getItem(MODEL_STORAGE);
  const names = state.models.map((m) => m.model);
  select.value = names.includes(saved) ? saved : names.includes("wanx-x-painting") ? "wanx-x-painting" : names[0];
  renderForm("form");
}

async function renderForm(mode, fromForm = null) {
  const info = state.models.find((m) => m.model === $("model").value);
  if (!info) return;
  window.localStorage.setItem(MODEL_STORAGE, info.model);
  const own = mode === "form" ? formFor(info.model) : null;
  const hasForm = Boolean(ABOUT[info.model]);
  state.mode = own ? "form" : "json";
  $("mode-form").setAttribute("aria-pressed", String(state.mode === "form"));
  $("mode-json").setAttribute("aria-pressed", String(state.mode === "json"));
  $("mode-form").disabled = !hasForm;
  replace($("model-info"), ABOUT[info.model] || "Any field DashScope documents, as a JSON body.",
    h("span", { class: "chips" },
      h("span", { class: "chip engine" }, `engine: ${info.engine}`),
      info.endpoints.map((e) => h("span", { class: "chip" },
        `${e.path.replace("/api/v1/services/aigc/", "")} · ${e.mode}`))));
  $("form-error").textContent = "";
  if (own) {
    state.form = own;
  } else {
    const samples = await loadSamples();
    let start = sampleFor(info, samples);
    let attachments;
    if (fromForm) {
      const [body, files] = withTokens(fromForm.body);
      start = { endpoint: fromForm.endpoint, body };
      attachments = files;
    }
    state.form = jsonForm(info, { ...start, attachments });
  }
  replace($("fields"), state.form.element);
}

function switchToJson() {
  if (state.mode === "json") return;
  let built = null;
  try {
    built = state.form.build();
  } catch {
    built = null; // an unfinished form: start from the model's minimal body instead
  }
  renderForm("json", built);
  announce("JSON editor");
}

async function submit(e) {
  e.preventDefault();
  const error = $("form-error");
  error.textContent = "";
  let req;
  try {
    req = await state.form.build();
  } catch (err) {
    if (!(err instanceof FormError)) throw err;
    error.textContent = err.message;
    if (err.field && err.field.focus) err.field.focus();
    return;
  }
  const button = $("submit");
  button.disabled = true;
  if (window.matchMedia("(max-width: 960px)").matches) $("task-panel").scrollIntoView({ block: "start" });
  try {
    const id = await state.taskView.submit(req);
    if (id) window.history.replaceState(null, "", `#task=${encodeURIComponent(id)}`);
  } finally {
    button.disabled = false;
  }
}

function init() {
  bindLightbox();
  state.emptyResult = $("task-body").firstElementChild.cloneNode(true);
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const key = $("api-key").value.trim();
    if (!key) {
      $("signin-error").textContent = "Paste an API key first.";
      $("api-key").focus();
      return;
    }
    signIn(key, { remembered: false });
  });
  $("show-key").addEventListener("click", () => {
    const input = $("api-key");
    const show = input.type === "password";
    input.type = show ? "text" : "password";
    $("show-key").setAttribute("aria-pressed", String(show));
    $("show-key").textContent = show ? "Hide" : "Show";
  });
  $("forget-key").addEventListener("click", () => {
    forgetKey();
    signedOut("");
    announce("The key was removed from this browser.");
  });
  for (const tab of document.querySelectorAll(".view-tab")) {
    tab.addEventListener("click", () => showView(tab.dataset.view));
  }
  $("model").addEventListener("change", () => renderForm("form"));
  $("mode-form").addEventListener("click", () => renderForm("form"));
  $("mode-json").addEventListener("click", switchToJson);
  $("request-form").addEventListener("submit", submit);
  window.addEventListener("hashchange", openLinkedTask);
  const key = storedKey();
  if (key) {
    $("signin").hidden = true; // no flash of the sign-in card while the saved key is checked
    signIn(key, { remembered: true });
  }
  else $("api-key").focus();
}

init();
