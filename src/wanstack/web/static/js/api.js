// The DashScope HTTP API of this server, as the playground uses it. Same origin: the page is
// served by wanstack itself, so every call is a relative URL and the CSP allows only 'self'.

const KEY_STORAGE = "wanstack.playground.apiKey";

/** An error answer: DashScope's {code, message, request_id}, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message, requestId = "") {
    super(message);
    this.status = status;
    this.code = code;
    this.requestId = requestId;
  }

  /** "InvalidApiKey: Invalid API-key provided." */
  describe() {
    return this.code ? `${this.code}: ${this.message}` : this.message;
  }
}

/** The key kept in this browser, or "". */
export function storedKey() {
  try {
    return window.localStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

export function storeKey(key) {
  window.localStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey() {
  window.localStorage.removeItem(KEY_STORAGE);
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  async request(method, path, { body, headers = {}, signal } = {}) {
    const init = {
      method,
      headers: { Authorization: `Bearer ${this.key}`, ...headers },
      signal,
      cache: "no-store",
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json; charset=utf-8";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      if (err && err.name === "AbortError") throw err;
      throw new ApiError(0, "NetworkError", `The server could not be reached (${err.message}).`);
    }
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = null;
    }
    if (!response.ok || data === null) {
      const code = (data && data.code) || `HTTP ${response.status}`;
      const message = (data && data.message) || text.slice(0, 300) || response.statusText;
      throw new ApiError(response.status, code, message, (data && data.request_id) || "");
    }
    return data;
  }

  /** GET /api/v1/models: [{model, aliases, endpoints: [{path, mode}], engine}] */
  async models() {
    const data = await this.request("GET", "/api/v1/models");
    return data.models || [];
  }

  /** Submit a body to an endpoint; `async` adds X-DashScope-Async: enable. */
  submit(path, body, { async = true, signal } = {}) {
    const headers = async ? { "X-DashScope-Async": "enable" } : {};
    return this.request("POST", path, { body, headers, signal });
  }

  task(id, signal) {
    return this.request("GET", `/api/v1/tasks/${encodeURIComponent(id)}`, { signal });
  }

  cancel(id) {
    return this.request("POST", `/api/v1/tasks/${encodeURIComponent(id)}/cancel`);
  }

  /** GET /api/v1/tasks with DashScope's filters (page_no, page_size, status, model_name, …). */
  list(query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== "" && v != null) params.set(k, v);
    return this.request("GET", `/api/v1/tasks?${params}`);
  }
}
