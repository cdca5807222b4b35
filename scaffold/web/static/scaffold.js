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

  // The answers as a query string: what the form would submit, empty fields left out
  // (only text fields and the framework's "recommended" can be empty).
  function answersQuery() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(form)) {
      if (typeof value === "string" && value !== "") params.append(key, value);
    }
    return params.toString();
  }

  function pageUrl(query) {
    const params = new URLSearchParams(query);
    if (shownFile) params.set("file", shownFile);
    const text = params.toString();
    return text ? "/?" + text : "/";
  }

  function showShareLink(query) {
    const share = query ? "/?" + query : "/";
    shareLink.href = share;
    shareLink.textContent = location.origin + share;
  }

  // One request per kind at a time: a newer one aborts the older, whose answer is stale.
  const inFlight = {};
  async function latest(kind, url) {
    inFlight[kind]?.abort();
    const controller = new AbortController();
    inFlight[kind] = controller;
    try {
      const response = await fetch(url, { signal: controller.signal });
      return { response, body: response.ok || kind === "files" ? await response.text() : null };
    } catch (error) {
      if (error.name === "AbortError") return null;
      throw error;
    }
  }

  // Enable the fields that apply, refresh defaults and notes; leave focus and typing alone.
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
    // The option fields now stand for this framework's questions.
    form.elements.namedItem("options_for").value = state.framework;
  }

  // Each problem next to its field; no download while any answer is invalid.
  function applyErrors(state) {
    const byField = {};
    for (const { field, message } of state.errors) (byField[field] ??= []).push(message);
    for (const slot of form.querySelectorAll("[data-error-for]")) {
      const messages = byField[slot.dataset.errorFor] || [];
      slot.textContent = messages.join("; ");
      slot.hidden = messages.length === 0;
      const box = slot.closest("[data-field]");
      for (const control of box ? box.querySelectorAll("input, select") : []) {
        if (messages.length) control.setAttribute("aria-invalid", "true");
        else control.removeAttribute("aria-invalid");
      }
    }
    for (const button of form.querySelectorAll("button.download")) button.disabled = !state.valid;
  }

  async function refreshState(query) {
    const answer = await latest("state", "/ui/state?" + query);
    if (!answer || answer.body === null) return;
    const state = JSON.parse(answer.body);
    recommendation.innerHTML = state.recommendation;
    problems.innerHTML = state.problems;
    applyFields(state);
    applyErrors(state);
  }

  function fileLink(path) {
    return [...files.querySelectorAll("a[data-path]")].find((a) => a.dataset.path === path);
  }

  async function refreshFiles(query) {
    const requested = shownFile;
    const suffix = requested ? "&file=" + encodeURIComponent(requested) : "";
    const answer = await latest("files", "/ui/files?" + query + suffix);
    if (!answer) return;
    files.innerHTML = answer.body;
    // A file opened while the new tree was on its way is opened again in it.
    const link = shownFile && shownFile !== requested && fileLink(shownFile);
    if (link) showFile(link);
  }

  let lastQuery = answersQuery();

  function refresh() {
    const query = answersQuery();
    if (query === lastQuery) return; // e.g. the change event after typing: already refreshed
    lastQuery = query;
    history.replaceState(null, "", pageUrl(query));
    showShareLink(query);
    // Field states first: a download waits for them, never for the (slower) preview.
    refreshing = refreshState(query)
      .catch((error) => console.warn("scaffold: could not refresh the answers", error))
      .finally(() => { refreshing = null; });
    refreshFiles(query).catch((error) => console.warn("scaffold: could not refresh the files", error));
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

  // A download submitted while the field states are being refreshed waits for them,
  // so that a field that no longer applies is not sent.
  form.addEventListener("submit", async (event) => {
    if (!refreshing) return;
    event.preventDefault();
    await refreshing;
    if (!event.submitter || !event.submitter.disabled) form.requestSubmit(event.submitter);
  });

  async function showFile(link) {
    const path = link.dataset.path;
    shownFile = path;
    history.replaceState(null, "", pageUrl(lastQuery));
    for (const other of files.querySelectorAll("a[aria-current]")) other.removeAttribute("aria-current");
    link.setAttribute("aria-current", "true");
    // The server highlights the file: the viewer of the files fragment is taken as it is.
    const response = await fetch("/ui/files?" + lastQuery + "&file=" + encodeURIComponent(path));
    const fragment = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = fragment.getElementById("viewer");
    if (shownFile !== path || !fresh) return; // another file was chosen meanwhile
    const viewer = document.getElementById("viewer");
    viewer.replaceChildren(...fresh.childNodes);
    // On a narrow screen the viewer sits below the tree: bring the file into view.
    const top = viewer.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) viewer.scrollIntoView({ block: "start" });
  }

  files.addEventListener("click", async (event) => {
    const copy = event.target.closest("button[data-copy]");
    if (!copy) return;
    const code = document.querySelector("#viewer code");
    try {
      await navigator.clipboard.writeText(code ? code.textContent : "");
      copy.textContent = "Copied";
    } catch (error) {
      copy.textContent = "Copy failed";
      console.warn("scaffold: could not copy the file", error);
    }
    setTimeout(() => { copy.textContent = "Copy"; }, 1500);
  });

  files.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-path]");
    if (!link) return;
    event.preventDefault();
    showFile(link);
  });

  showShareLink(lastQuery);
})();
