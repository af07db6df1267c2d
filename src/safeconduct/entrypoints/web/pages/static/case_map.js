// The operation's map: the plan's route, meeting and reception points, and the sorties'
// paths as layers (Leaflet from this service's own static files; no tiles, no internet).
// The data are the plan's GeoJSON files, WGS84 lon/lat, fetched with the session cookie.
(function () {
  "use strict";
  const holder = document.getElementById("map");
  if (!holder || !window.L) return;

  const map = L.map(holder, { zoomSnap: 0.25, attributionControl: false });
  const overlays = {};
  const control = L.control.layers(null, overlays, { collapsed: false }).addTo(map);

  function point(colour, radius) {
    return function (_feature, latlng) {
      return L.circleMarker(latlng, {
        radius: radius, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 1,
      });
    };
  }

  function add(name, layer, show) {
    control.addOverlay(layer, name);
    if (show) layer.addTo(map);
    return layer;
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

  const shade = holder.dataset.hillshade;
  if (shade) {
    const b = holder.dataset.hillshadeBounds.split(",").map(Number);  // west,south,east,north
    add("Terrain (hillshade)", L.imageOverlay(shade, [[b[1], b[0]], [b[3], b[2]]], { opacity: 0.9 }), true);
  }

  Promise.all([load(holder.dataset.route), load(holder.dataset.mission)]).then(function (docs) {
    const route = docs[0], mission = docs[1];
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
})();
