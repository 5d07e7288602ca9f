// Live event status: while an element has data-poll, fetch that URL once a second and put the
// answer in its place. The server leaves data-poll out once the event has finished.
"use strict";
function poll() {
  const el = document.querySelector("[data-poll]");
  if (!el) return;
  fetch(el.dataset.poll, { credentials: "same-origin", headers: { "Accept": "text/html" } })
    .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
    .then((html) => { el.outerHTML = html; })
    .catch(() => {})  // a missed poll is tried again in a second
    .finally(() => { if (document.querySelector("[data-poll]")) setTimeout(poll, 1000); });
}
document.addEventListener("DOMContentLoaded", () => setTimeout(poll, 1000));
