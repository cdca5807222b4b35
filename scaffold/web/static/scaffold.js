// scaffold serve: keeps the recommendation, the form and the file preview in step with the
// answers. Without this script the page still works: "Update" reloads it, "Download" submits.
"use strict";

(() => {
  const form = document.getElementById("answers");
  if (!form) return;
  document.documentElement.classList.add("js");

  const recommendation = document.getElementById("recommendation");
  const problems = document.getElementById("problems");
  const files = document.getElementById("files");
  const shareLink = document.getElementById("share-link");
  let shownFile = new URLSearchParams(location.search).get("file");
  let refreshing = null;
  let typingTimer = null;

  // The answers as a query string: what the form would submit, empty fields left out.
  function answersQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") params.append(key, value);
    }
    return params.toString();
  }

  function pageUrl(query) {
    const params = new URLSearchParams(query);
    if (shownFile) params.set("file", shownFile);
    const text = params.toString();
    return text ? "/?" + text : "/";
  }

  function fileUrl(path, query) {
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    return "/api/preview/" + encoded + "?" + query;
  }

  // One request per kind at a time: a newer one aborts the older, whose answer is stale.
  const inFlight = {};
  async function latest(kind, url) {
    inFlight[kind]?.abort();
    const controller = new AbortController();
    inFlight[kind] = controller;
    try {
      return await fetch(url, { signal: controller.signal });
    } catch (error) {
      if (error.name === "AbortError") return null;
      throw error;
    }
  }

  // Enable the fields that apply, refresh defaults and notes, keep focus and typing untouched.
  function applyFields(state) {
    for (const [key, field] of Object.entries(state.fields)) {
      const box = form.querySelector(`[data-field="${CSS.escape(key)}"]`);
      if (!box) continue;
      for (const control of box.querySelectorAll("input, select")) control.disabled = !field.applies;
      const condition = box.querySelector(".condition");
      if (condition) condition.hidden = field.applies;
      const text = box.querySelector('input[type="text"]');
      if (text) text.placeholder = field.default;
      for (const option of box.querySelectorAll("option")) {
        const reason = field.unavailable[option.value];
        option.textContent = option.dataset.label + (reason ? ` (not available: ${reason})` : "");
      }
    }
    for (const note of form.querySelectorAll("[data-note]")) {
      const reason = state.frameworks[note.dataset.note];
      note.textContent = reason || "";
      note.hidden = !reason;
    }
    for (const label of form.querySelectorAll(".recommended-label")) {
      label.textContent = state.recommended;
    }
  }

  async function refreshState(query) {
    const response = await latest("state", "/ui/state?" + query);
    if (!response || !response.ok) return;
    let state;
    try {
      state = await response.json();
    } catch (error) {
      if (error.name === "AbortError") return; // a newer refresh took over
      throw error;
    }
    recommendation.innerHTML = state.recommendation;
    problems.innerHTML = state.problems;
    applyFields(state);
  }

  async function refreshFiles(query) {
    const url = "/ui/files?" + query + (shownFile ? "&file=" + encodeURIComponent(shownFile) : "");
    const response = await latest("files", url);
    if (!response) return;
    try {
      files.innerHTML = await response.text();
    } catch (error) {
      if (error.name !== "AbortError") throw error;
    }
  }

  function showShareLink(query) {
    const share = query ? "/?" + query : "/";
    shareLink.href = share;
    shareLink.textContent = location.origin + share;
  }

  function refresh() {
    const query = answersQuery();
    history.replaceState(null, "", pageUrl(query));
    showShareLink(query);
    // Field states first: a download waits for them, never for the (slower) preview.
    refreshing = refreshState(query)
      .catch((error) => console.error("scaffold: could not refresh the answers", error))
      .finally(() => { refreshing = null; });
    refreshFiles(query);
  }

  form.addEventListener("change", () => {
    clearTimeout(typingTimer);
    refresh();
  });
  form.addEventListener("input", (event) => {
    if (event.target.type !== "text") return;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(refresh, 300);
  });

  // A download submitted while the field states are still being refreshed waits for them,
  // so that a field that no longer applies is not sent.
  form.addEventListener("submit", async (event) => {
    if (!refreshing) return;
    event.preventDefault();
    await refreshing;
    form.requestSubmit(event.submitter);
  });

  async function showFile(link) {
    const path = link.dataset.path;
    const viewer = document.getElementById("viewer");
    const response = await fetch(fileUrl(path, answersQuery()));
    const title = viewer.querySelector("h3");
    const pre = viewer.querySelector("pre");
    const code = pre.querySelector("code");
    for (const other of files.querySelectorAll("a[aria-current]")) other.removeAttribute("aria-current");
    link.setAttribute("aria-current", "true");
    title.textContent = path;
    code.textContent = response.ok ? await response.text() : (await response.json()).error;
    pre.hidden = false;
    viewer.querySelector(".empty")?.remove();
    shownFile = path;
    history.replaceState(null, "", pageUrl(answersQuery()));
  }

  files.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-path]");
    if (!link) return;
    event.preventDefault();
    showFile(link);
  });

  showShareLink(answersQuery());
})();
