// The unit map: boundaries and buildings as the background (no tiles needed), buildings
// coloured by walking time to the chosen facility type, facilities, isochrones on click,
// and siting suggestions. All data comes from /api/facilities (scoped on the server).
(function () {
  "use strict";
  var el = document.getElementById("fac-map");
  if (!el || typeof L === "undefined") return;
  var status = document.getElementById("fac-map-status");
  var colours = {
    within: "#1e8449", beyond: "#e67e22", unreachable: "#7b241c", unknown: "#9ca3af",
  };
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25 });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, {
      maxZoom: 19, attribution: el.dataset.tileAttribution || "",
    }).addTo(map);
  }
  var isoLayer = L.layerGroup().addTo(map);
  var siteLayer = L.layerGroup().addTo(map);

  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) throw new Error(body.message || ("HTTP " + r.status));
          return body;
        });
      });
  }

  function minutesText(m) {
    return m == null ? "无法到达" : m.toFixed(1) + " 分钟";
  }

  function drawLayers(data) {
    var units = L.geoJSON(data.units, {
      style: function (f) {
        return {
          color: f.properties.self ? "#1d5fa8" : "#64748b",
          weight: f.properties.self ? 3 : 1.5,
          fillColor: "#e2e8f0", fillOpacity: f.properties.self ? 0.25 : 0.1,
          dashArray: f.properties.generated ? "6 4" : null,
        };
      },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 4, color: "#64748b" });
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(esc(f.properties.name) + (f.properties.generated ? "（生成边界）" : ""));
      },
    }).addTo(map);
    var buildings = L.geoJSON(data.buildings, {
      pointToLayer: function (f, latlng) {
        var p = f.properties;
        var uncovered = p.access === "beyond" || p.access === "unreachable";
        return L.circleMarker(latlng, {
          radius: uncovered ? 5 : 3.5, weight: uncovered ? 2 : 1,
          color: uncovered ? "#c0392b" : colours[p.access],
          fillColor: colours[p.access], fillOpacity: 0.85,
        });
      },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        layer.bindPopup(esc(p.address || "") + " " + esc(p.number) + "<br>" + p.households +
          " 户 · 到" + esc(data.type.name) + "：" +
          (p.access === "unknown" ? "尚未计算" : minutesText(p.minutes)));
      },
    }).addTo(map);
    L.geoJSON(data.facilities, {
      pointToLayer: function (f, latlng) {
        var chosen = f.properties.chosen;
        return L.circleMarker(latlng, {
          radius: chosen ? 8 : 5, weight: 2, color: "#fff",
          fillColor: chosen ? "#1d5fa8" : "#8e44ad", fillOpacity: 1,
        });
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(esc(f.properties.name) + "（" + esc(f.properties.type_name) + "）");
        layer.on("click", function () { showIsochrones(f.properties); });
      },
    }).addTo(map);
    var bounds = units.getBounds();
    if (buildings.getLayers().length) bounds.extend(buildings.getBounds());
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    else map.setView([42.90, 125.13], 12);
    var s = data.summary;
    status.textContent = s.buildings + " 栋楼、" + s.households + " 户；" +
      (s.computed ? "步行" + data.type.standard_minutes + "分钟内没有" + data.type.name +
        "的住户：" + s.uncovered_households + " 户（红框）。" : "尚未计算步行时间。") +
      (data.unit.generated ? " 边界与位置为演示生成数据。" : "");
  }

  function showIsochrones(p) {
    isoLayer.clearLayers();
    var url = el.dataset.isochronesUrl.replace("{id}", p.id);
    status.textContent = "正在计算 " + p.name + " 的等时圈…";
    getJSON(url).then(function (fc) {
      var shades = { 5: "#1e8449", 10: "#f1c40f", 15: "#e67e22" };
      var features = (fc.features || []).slice().sort(function (a, b) {
        return b.properties.minutes - a.properties.minutes;
      });
      L.geoJSON({ type: "FeatureCollection", features: features }, {
        style: function (f) {
          var c = shades[f.properties.minutes] || "#1d5fa8";
          return { color: c, weight: 1, fillColor: c, fillOpacity: 0.18 };
        },
        onEachFeature: function (f, layer) {
          layer.bindTooltip(esc(p.name) + " 步行 " + f.properties.minutes + " 分钟");
        },
      }).addTo(isoLayer);
      status.textContent = p.name + "：步行 5/10/15 分钟可达范围。";
    }).catch(function (e) { status.textContent = "等时圈：" + e.message; });
  }

  document.getElementById("fac-siting").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var out = document.getElementById("fac-siting-result");
    var k = document.getElementById("k").value || "3";
    var url = el.dataset.sitingUrl + "?unit=" + encodeURIComponent(el.dataset.unit) +
      "&type=" + encodeURIComponent(el.dataset.type) + "&k=" + encodeURIComponent(k);
    out.textContent = "正在计算选址…";
    siteLayer.clearLayers();
    getJSON(url).then(function (r) {
      r.sites.forEach(function (s, i) {
        L.marker([s.lat, s.lon], { title: "建议选址 " + (i + 1) })
          .bindPopup("建议选址 " + (i + 1) + "：新增覆盖 " + s.households + " 户")
          .addTo(siteLayer);
      });
      out.textContent = r.message;
    }).catch(function (e) { out.textContent = "选址：" + e.message; });
  });

  getJSON(el.dataset.layersUrl).then(drawLayers).catch(function (e) {
    status.textContent = "地图数据加载失败：" + e.message;
  });
})();
