// The operation's map: the area's hillshade and the plan's exposure as pictures, and the
// plan's route, hazards, observers, meeting and reception points, sorties and relay points
// as layers (Leaflet from this service's own static files; no tiles, no internet). The data
// are the plan's GeoJSON files, WGS84 lon/lat, fetched with the session cookie.
// A map that arrives later (htmx swaps in the operation section when its plan is done) is
// drawn when it lands.
(function () {
  "use strict";
  if (!window.L) return;

  //: Hazard kinds (terrain/layers.py) and how they are drawn: barriers red.
  const HAZARD_STYLE = {
    minefield: { color: "#b42318", fillColor: "#b42318", fillOpacity: 0.35, weight: 2 },
    impassable: { color: "#b42318", fillColor: "#b42318", fillOpacity: 0.25, weight: 2, dashArray: "4 3" },
    water: { color: "#1f6fbf", fillColor: "#1f6fbf", fillOpacity: 0.3, weight: 2 },
    woodland: { color: "#2f7a3a", fillColor: "#2f7a3a", fillOpacity: 0.15, weight: 1 },
    road: { color: "#555b66", weight: 3, fill: false },
    path: { color: "#7a6a55", weight: 2, dashArray: "2 3", fill: false },
  };

  function point(colour, radius) {
    return function (_feature, latlng) {
      return L.circleMarker(latlng, {
        radius: radius, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1,
      });
    };
  }

  function byRole(roles) {
    return function (feature) { return roles.indexOf(feature.properties.role) >= 0; };
  }

  function load(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (answer) {
      if (!answer.ok) throw new Error(url + ": " + answer.status);
      return answer.json();
    });
  }

  function corners(text) {  // "west,south,east,north" -> Leaflet's [[south, west], [north, east]]
    const b = text.split(",").map(Number);
    return [[b[1], b[0]], [b[3], b[2]]];
  }

  function draw(holder) {
    if (holder.dataset.drawn) return;
    holder.dataset.drawn = "true";
    const map = L.map(holder, { zoomSnap: 0.25, attributionControl: false });
    // Pictures go under every line and point, whichever is switched on last.
    map.createPane("pictures").style.zIndex = 350;
    const control = L.control.layers(null, {}, { collapsed: false }).addTo(map);

    function add(name, layer, show) {
      control.addOverlay(layer, name);
      if (show) layer.addTo(map);
      return layer;
    }

    const data = holder.dataset;
    if (data.hillshade) {
      add("Terrain (hillshade)", L.imageOverlay(data.hillshade, corners(data.hillshadeBounds), {
        opacity: 0.9, pane: "pictures", className: "overlay-hillshade",
      }), true);
    }
    if (data.exposure) {
      add("Exposure (seen by observers)", L.imageOverlay(data.exposure, corners(data.exposureBounds), {
        opacity: 0.75, pane: "pictures", className: "overlay-exposure",
      }), false);
    }

    const none = Promise.resolve(null);
    Promise.all([
      load(data.route), load(data.mission),
      data.hazards ? load(data.hazards) : none,
      data.observers ? load(data.observers) : none,
    ]).then(function (docs) {
      const route = docs[0], mission = docs[1], hazards = docs[2], observers = docs[3];
      if (hazards) {
        add("Hazards", L.geoJSON(hazards, {
          style: function (f) { return HAZARD_STYLE[f.properties.kind] || HAZARD_STYLE.impassable; },
          pointToLayer: point("#b42318", 5),
          onEachFeature: function (f, layer) {
            const p = f.properties;
            layer.bindTooltip(p.kind + (p.name ? ": " + p.name : ""));
          },
        }), true);
      }
      const sorties = add("Sorties", L.geoJSON(mission, {
        filter: byRole(["sortie"]),
        style: function (f) {
          const hues = ["#7b3fbf", "#1f8a70", "#c25e00"];
          return { color: hues[(f.properties.airframe - 1) % hues.length], weight: 2, dashArray: "5 4" };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip("Sortie " + f.properties.sortie + " (airframe " + f.properties.airframe + ")");
        },
      }), true);
      add("Relief and waiting points", L.geoJSON(mission, {
        filter: byRole(["waiting", "relief_hold", "drop", "launch"]),
        pointToLayer: point("#7b3fbf", 4),
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.role.replace("_", " ")); },
      }), false);
      const path = add("Route", L.geoJSON(route, {
        filter: byRole(["route"]),
        style: { color: "#d7263d", weight: 4 },
        onEachFeature: function (f, layer) {
          const p = f.properties;
          layer.bindTooltip("Route: " + (p.length_m / 1000).toFixed(1) + " km, " +
            Math.round(p.walking_time_s / 60) + " min on foot");
        },
      }), true);
      if (observers) {
        add("Observers", L.geoJSON(observers, {
          pointToLayer: function (_f, latlng) {
            return L.circleMarker(latlng, {
              radius: 6, color: "#fff", weight: 2, fillColor: "#1d2330", fillOpacity: 1,
              className: "observer",
            });
          },
          onEachFeature: function (f, layer) {
            const p = f.properties;
            let text = "Observer" + (p.name ? " " + p.name : "");
            if (p.height_m != null) text += ", eye " + p.height_m + " m above ground";
            if (p.range_m != null) text += ", sees up to " + (p.range_m / 1000).toFixed(1) + " km";
            layer.bindTooltip(text);
          },
        }), true);
      }
      add("Meeting point", L.geoJSON(route, {
        filter: byRole(["start"]),
        pointToLayer: point("#1f5fbf", 8),
        onEachFeature: function (_f, layer) { layer.bindTooltip("Meeting point"); },
      }), true);
      add("Reception point", L.geoJSON(route, {
        filter: byRole(["reception"]),
        pointToLayer: point("#1d7a46", 8),
        onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name || "Reception"); },
      }), true);
      const bounds = path.getBounds().extend(sorties.getBounds());
      map.fitBounds(bounds.pad(0.08));
      holder.dataset.ready = "true";
    }).catch(function (error) {
      holder.dataset.ready = "failed";
      holder.textContent = "The map could not be drawn: " + error.message;
    });
  }

  function drawIn(root) {
    const holder = root && root.querySelector ? (root.id === "map" ? root : root.querySelector("#map")) : null;
    if (holder) draw(holder);
  }

  drawIn(document);
  document.addEventListener("htmx:load", function (event) { drawIn(event.detail.elt); });
})();
