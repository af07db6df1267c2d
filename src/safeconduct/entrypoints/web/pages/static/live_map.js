// The live map of a leading: the drone(s) and the person where the leader last reported
// them, and the crew's taps, redrawn from /api/operations/{id}/live/events (Server-Sent
// Events, the whole map each time it changes). For the operation's crew a click or tap on
// the map marks the person, and the buttons start (after a confirmation) and stop leading.
// Leaflet from this service's own static files; no tiles, no internet.
(function () {
  "use strict";
  const holder = document.getElementById("live-map");
  if (!holder || !window.L) return;
  const data = holder.dataset;
  const crew = data.crew === "true";
  const statusLine = document.getElementById("live-status");
  const badge = document.getElementById("live-engaged");
  const problem = document.getElementById("live-error");

  const map = L.map(holder, { zoomSnap: 0.25, attributionControl: false });
  if (data.lat && data.lon) map.setView([Number(data.lat), Number(data.lon)], 16);
  else map.setView([0, 0], 2);
  const STYLE = {
    drone: { radius: 8, color: "#fff", weight: 2, fillColor: "#7b3fbf", fillOpacity: 1 },
    person: { radius: 8, color: "#fff", weight: 2, fillColor: "#c25e00", fillOpacity: 1 },
    tap: { radius: 5, color: "#c25e00", weight: 2, fillColor: "#fff", fillOpacity: 0.8 },
  };
  const markers = {};  // "kind/label" -> circle marker
  const taps = L.layerGroup().addTo(map);
  let fitted = false;

  if (data.route) {
    fetch(data.route, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    }).then(function (route) {
      const line = L.geoJSON(route, {
        filter: function (f) { return f.properties.role === "route"; },
        style: { color: "#d7263d", weight: 3, opacity: 0.7 },
        interactive: false,
      }).addTo(map);
      if (!fitted && line.getBounds().isValid()) map.fitBounds(line.getBounds().pad(0.08));
    }).catch(function () { /* the live map does without the route */ });
  }

  function say(text) {
    if (!problem) return;
    problem.textContent = text;
    problem.hidden = !text;
  }

  function marker(position) {
    const key = position.kind + "/" + (position.label || "");
    const latlng = [position.lat, position.lon];
    let found = markers[key];
    if (!found) {
      // Not interactive: a click goes through to the map (a tap marking the person).
      found = L.circleMarker(latlng, Object.assign({}, STYLE[position.kind] || STYLE.drone, {
        interactive: false, className: "live-" + position.kind,
      })).addTo(map);
      markers[key] = found;
    }
    found.setLatLng(latlng);
    return key;
  }

  function describe(position) {
    const who = position.kind === "drone" ? "Drone" + (position.label ? " " + position.label : "") : "Person";
    return who + " " + position.lat.toFixed(5) + ", " + position.lon.toFixed(5) +
      " (" + position.source.replace("_", " ") + ", " + position.at.slice(11, 19) + " UTC)";
  }

  function render(view) {
    const shown = {};
    const lines = [];
    (view.positions || []).forEach(function (p) { shown[marker(p)] = true; lines.push(describe(p)); });
    Object.keys(markers).forEach(function (key) {
      if (!shown[key]) { map.removeLayer(markers[key]); delete markers[key]; }
    });
    taps.clearLayers();
    (view.taps || []).forEach(function (t) {
      L.circleMarker([t.lat, t.lon], Object.assign({}, STYLE.tap, {
        interactive: false, className: "live-tap",
      })).addTo(taps);
    });
    if (statusLine) {
      const text = (view.status ? view.status + ". " : "") + lines.join("; ");
      statusLine.textContent = text || "No position yet.";
    }
    if (badge) {
      badge.dataset.engaged = view.engaged ? "true" : "false";
      badge.textContent = view.engaged ? "Leading" : "Not leading";
    }
    // Start is offered only while not leading; Stop always (a page behind must never
    // keep the crew from stopping).
    const start = document.getElementById("live-start");
    if (start) start.disabled = !!view.engaged;
    if (!fitted && view.positions && view.positions.length) {
      const bounds = L.latLngBounds(view.positions.map(function (p) { return [p.lat, p.lon]; }));
      if (!data.route) map.fitBounds(bounds.pad(0.5), { maxZoom: 17 });
      fitted = true;
    }
    holder.dataset.ready = "true";
  }

  function post(path, body) {
    const headers = { "X-CSRF-Token": data.csrf || "" };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(data.api + path, {
      method: "POST", credentials: "same-origin", headers: headers,
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (answer) {
      if (answer.ok) { say(""); return answer.json(); }
      return answer.json().then(function (p) { throw new Error(p.detail || answer.status); },
        function () { throw new Error("the board answered " + answer.status); });
    }).catch(function (error) { say(error.message); throw error; });
  }

  if (crew) {
    map.on("click", function (event) {
      post("/taps", { lat: event.latlng.lat, lon: event.latlng.lng }).catch(function () {});
    });
    const start = document.getElementById("live-start");
    const stop = document.getElementById("live-stop");
    if (start) start.addEventListener("click", function () {
      if (!window.confirm("Start leading? The drone flies ahead of the person in GUIDED " +
                          "mode; the pilot takes it back by changing mode.")) return;
      post("/engage").then(render).catch(function () {});
    });
    if (stop) stop.addEventListener("click", function () {
      post("/disengage").then(render).catch(function () {});
    });
  }

  if (window.EventSource) {
    const source = new EventSource(data.events);
    source.addEventListener("live", function (event) { render(JSON.parse(event.data)); });
    source.addEventListener("error", function () { holder.dataset.stream = "off"; });
    source.addEventListener("open", function () { holder.dataset.stream = "on"; });
  }
})();
