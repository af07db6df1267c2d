// Live board: follow /api/events (Server-Sent Events) and refresh what changed.
// The browser's EventSource reconnects by itself and sends Last-Event-ID, so a short
// outage loses nothing; after a longer one the server says "reset" and we reload.
(function () {
  "use strict";
  const body = document.body;
  const live = document.getElementById("live");
  const caseId = body.dataset.case;
  const onBoard = body.hasAttribute("data-board");
  if (!live || !(onBoard || caseId) || !window.EventSource) return;

  function swap(url, target, how) {
    if (window.htmx) {
      return htmx.ajax("GET", url, { target: target, swap: how });
    }
    window.location.reload();  // no htmx: a full reload still shows the change
  }

  function showChange(change) {
    if (onBoard) {
      const row = document.getElementById("case-" + change.id);
      const rows = document.getElementById("case-rows");
      if (!rows) return;
      if (row) row.remove();
      // The changed case goes to the top: newest change first.
      const holder = document.createElement("tr");
      holder.id = "case-" + change.id;
      rows.prepend(holder);
      swap("/board/rows/" + change.id, holder, "outerHTML");
      const empty = document.getElementById("no-cases");
      if (empty) empty.hidden = true;
    } else if (String(change.id) === caseId) {
      swap("/board/cases/" + caseId + "/panel", "#case-panel", "outerHTML");
      refreshOperation(true);
    }
  }

  // The case's operation section (when the page has one): fetched again with the stamp of
  // what it shows; the server answers 204 (nothing to swap) when that is still current,
  // so a map is not redrawn, nor a half-filled form wiped, for a change elsewhere.
  function refreshOperation(onlyIfChanged) {
    const section = document.getElementById("operation");
    if (!section) return;
    let url = "/board/cases/" + caseId + "/operation";
    if (onlyIfChanged && section.dataset.stamp) url += "?stamp=" + encodeURIComponent(section.dataset.stamp);
    swap(url, "#operation", "outerHTML");
  }

  function reloadAll() {
    if (onBoard) swap("/board/rows", "#case-rows", "innerHTML");
    else {
      swap("/board/cases/" + caseId + "/panel", "#case-panel", "outerHTML");
      refreshOperation(true);
    }
  }

  const after = body.dataset.cursor;
  const source = new EventSource("/api/events" + (after ? "?after=" + encodeURIComponent(after) : ""));
  source.addEventListener("ready", function () { live.dataset.state = "on"; });
  source.addEventListener("case", function (event) { showChange(JSON.parse(event.data)); });
  source.addEventListener("reset", reloadAll);
  source.addEventListener("error", function () { live.dataset.state = "off"; });
})();
