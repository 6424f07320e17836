/* geoservice map helpers: popups, tooltips, click queries, sliced layers, search.
 * Inlined into every map page. Attribute values only ever reach the page as
 * textContent, so an uploaded attribute cannot inject HTML. */
(function () {
  "use strict";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function fmt(value, spec) {
    if (value === null || value === undefined || value === "") return null;
    if (typeof value === "boolean") return value ? spec.yes : spec.no;
    if (typeof value === "number") {
      return Number.isInteger(value) ? String(value)
        : value.toLocaleString("en-US", {maximumFractionDigits: 3, useGrouping: false});
    }
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  /* An area in m², shown in km²; on an approximate outline with ≈ and said so. */
  function area(value, approx, spec) {
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) return null;
    var km2 = (Number(value) / 1e6).toLocaleString("en-US", {maximumFractionDigits: 1});
    return approx ? spec.approx_area.replace("{v}", km2) : km2 + " km\u00b2";
  }

  /* A coded value as a person reads it (catalog/vocabulary.py), else as stored. */
  function shown(name, value, spec) {
    var table = spec.values || {};
    if (typeof value === "string") {
      var key = name + "=" + value;
      if (Object.prototype.hasOwnProperty.call(table, key)) return table[key];
      if (Object.prototype.hasOwnProperty.call(table, value)) return table[value];
    }
    return fmt(value, spec);
  }

  function safeUrl(url) {
    return typeof url === "string" && /^https?:\/\//.test(url) ? url : null;
  }

  function label(props, spec) {
    return fmt(props[spec.title], spec) || fmt(props[spec.subtitle], spec) || spec.layer;
  }

  function popup(props, spec) {
    var div = el("div", "gs-popup");
    div.appendChild(el("div", "gs-popup-layer", spec.layer));
    var title = fmt(props[spec.title], spec);
    var subtitle = fmt(props[spec.subtitle], spec);
    if (title) div.appendChild(el("div", "gs-popup-title", title));
    if (subtitle && subtitle !== title) div.appendChild(el("div", "gs-popup-subtitle", subtitle));
    if (props[spec.quality] === "symbolic" && spec.symbolic_note) {
      div.appendChild(el("div", "gs-approx", "\u26a0 " + spec.symbolic_note));
    } else if (approximate(props[spec.quality])) {
      div.appendChild(el("div", "gs-approx", "\u26a0 " + spec.note));
    }
    var method = props[spec.method];
    var notes = spec.methodNotes || {};
    if (typeof method === "string" && Object.prototype.hasOwnProperty.call(notes, method)) {
      div.appendChild(el("div", "gs-method-note", notes[method]));
    }
    var table = el("table", "gs-popup-table");
    spec.fields.forEach(function (field) {
      var isArea = (spec.areas || []).indexOf(field[0]) >= 0;
      /* a third entry names the text in the page's language (placement_zh), where given */
      var raw = field[2] && fmt(props[field[2]], spec) !== null ? props[field[2]] : props[field[0]];
      var value = isArea ? area(raw, approximate(props[spec.quality]), spec)
        : shown(field[0], raw, spec);
      if (value === null) return;
      var row = el("tr");
      row.appendChild(el("th", null, isArea ? spec.area_label : field[1]));
      var cell = el("td", null, value);
      if (field[0] === spec.source) cell.className = "gs-source";
      row.appendChild(cell);
      table.appendChild(row);
    });
    if (table.childNodes.length) div.appendChild(table);
    if (spec.citation) {
      var cite = el("div", "gs-citation", spec.citation);
      var url = safeUrl(spec.citationUrl);
      if (url) {
        cite.appendChild(document.createTextNode(" "));
        var a = el("a", null, url);
        a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
        cite.appendChild(a);
      }
      div.appendChild(cite);
    }
    return div;
  }

  /* onEachFeature for Folium's GeoJson: a tooltip with the name, a popup with the rest. */
  function bind(spec) {
    return function (feature, layer) {
      var props = feature.properties || {};
      layer.bindTooltip(function () { return el("span", null, label(props, spec)); },
        {sticky: true});
      layer.bindPopup(function () { return popup(props, spec); }, {maxWidth: 360});
    };
  }

  /* A layer drawn from the service's tiles: a click asks the items API what is there. */
  function queryOnClick(map, layer, itemsUrl, spec, geometry) {
    map.on("click", function (e) {
      if (!map.hasLayer(layer)) return;
      var url = itemsUrl + (itemsUrl.indexOf("?") < 0 ? "?" : "&") + "limit=5&f=json&";
      var lon = e.latlng.lng.toFixed(7), lat = e.latlng.lat.toFixed(7);
      if (geometry === "polygon") {
        url += "filter-lang=cql2-text&filter=" +
          encodeURIComponent("S_INTERSECTS(geometry,POINT(" + lon + " " + lat + "))");
      } else {
        var p = map.latLngToContainerPoint(e.latlng);
        var sw = map.containerPointToLatLng([p.x - 6, p.y + 6]);
        var ne = map.containerPointToLatLng([p.x + 6, p.y - 6]);
        url += "bbox=" + [sw.lng, sw.lat, ne.lng, ne.lat].map(function (v) {
          return v.toFixed(7);
        }).join(",");
      }
      var box = L.popup({maxWidth: 360}).setLatLng(e.latlng)
        .setContent(el("div", "gs-popup", spec.querying)).openOn(map);
      fetch(url, {headers: {Accept: "application/geo+json"}})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(r.status)); })
        .then(function (fc) {
          var features = fc.features || [];
          if (!features.length) { box.setContent(el("div", "gs-popup", spec.nothing)); return; }
          var div = popup(features[0].properties || {}, spec);
          var more = (fc.numberMatched || features.length) - 1;
          if (more > 0) div.appendChild(el("div", "gs-more", spec.more.replace("{n}", more)));
          box.setContent(div);
        })
        .catch(function (err) { box.setContent(el("div", "gs-popup", String(err))); });
    });
  }

  /* geoservice.quality.is_approximate: drawn dashed, flagged in popups. */
  function approximate(quality) {
    return quality === "approximate" || quality === "symbolic";
  }

  /* The style of a feature from its properties and a class table (maps/style.py). */
  function tableStyle(table, props) {
    var q = approximate(props.geometry_quality) ? 1 : 0;
    var value = table.property ? props[table.property] : null;
    var i = -1;
    if (table.type === "categorical") {
      i = table.values.indexOf(String(value));
    } else if (table.type === "graduated" && value !== null && value !== undefined &&
               !isNaN(Number(value))) {
      i = 0;
      while (i < table.uppers.length && Number(value) >= table.uppers[i]) i++;
    }
    return (i >= 0 ? table.styles[i] : table.fallback)[q];
  }

  /* A large layer from the service's vector tiles, styled here like embedded layers. */
  function vectorTiles(url, layerName, table, options) {
    var styles = {};
    styles[layerName] = function (props) { return tableStyle(table, props || {}); };
    return L.vectorGrid.protobuf(url, Object.assign({
      rendererFactory: L.canvas.tile,
      vectorTileLayerStyles: styles
    }, options));
  }

  /* A tiled layer draws nothing below its first useful zoom: say so, or zoom in (focus). */
  function zoomHint(map, layer, minZoom, text, focus) {
    if (focus && map.getZoom() < minZoom) map.setZoom(minZoom, {animate: false});
    var box = L.control({position: "topright"});
    box.onAdd = function () { return el("div", "gs-box gs-hint", text); };
    var shown = false;
    function update() {
      var want = map.hasLayer(layer) && map.getZoom() < minZoom;
      if (want && !shown) box.addTo(map);
      if (!want && shown) box.remove();
      shown = want;
    }
    map.on("zoomend layeradd layerremove", update);
    update();
  }

  function ringContains(ring, x, y) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function polygons(geometry) {
    if (geometry.type === "Polygon") return [geometry.coordinates];
    if (geometry.type === "MultiPolygon") return geometry.coordinates;
    return [];
  }

  function contains(geometry, x, y) {
    return polygons(geometry).some(function (rings) {
      return ringContains(rings[0], x, y) && !rings.slice(1).some(function (hole) {
        return ringContains(hole, x, y);
      });
    });
  }

  function bbox(geometry) {
    var b = [Infinity, Infinity, -Infinity, -Infinity];
    polygons(geometry).forEach(function (rings) {
      rings[0].forEach(function (c) {
        b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
      });
    });
    return b;
  }

  /* Many embedded features (a standalone export): tiled in the browser by VectorGrid,
   * in a worker, made when the layer is first shown (handing the data to the worker
   * takes a while). A click looks the polygon up in the embedded data (VectorGrid's
   * canvas hit detection does not fire with Leaflet 1.9). */
  function sliced(data, styles, spec, options) {
    var group = L.layerGroup();
    var boxes = null, attached = null;
    function onClick(e) {
      var x = e.latlng.lng, y = e.latlng.lat;
      boxes = boxes || data.features.map(function (f) { return bbox(f.geometry); });
      var hit = data.features.find(function (f, i) {
        var b = boxes[i];
        return x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3] && contains(f.geometry, x, y);
      });
      if (hit && group._map && group._map.getZoom() >= (options.minZoom || 0)) {
        L.popup({maxWidth: 360}).setLatLng(e.latlng)
          .setContent(popup(hit.properties || {}, spec)).openOn(group._map);
      }
    }
    group.on("add", function () {
      if (!group.getLayers().length) {
        group.addLayer(L.vectorGrid.slicer(data, Object.assign({
          rendererFactory: L.canvas.tile,
          vectorTileLayerStyles: {
            sliced: function (props) { return styles[props._s || 0]; }
          }
        }, options)));
      }
      attached = group._map;
      attached.on("click", onClick);
    });
    group.on("remove", function () { if (attached) attached.off("click", onClick); });
    return group;
  }

  function owners(layer) {
    var parents = layer._eventParents || {};
    return Object.keys(parents).map(function (id) { return parents[id]; });
  }

  function clusterOf(layer) {
    var found = owners(layer).filter(function (p) { return p._gsCluster; });
    return found.length ? found[0]._gsCluster : null;
  }

  /* Records {name: latlng (with .layer)} of every named feature, shown or not.
   * leaflet-search's own `layer` option would add the layers to the map. */
  function records(layers, property) {
    var out = {};
    layers.forEach(function (group) {
      group.eachLayer(function (layer) {
        var name = layer.feature && layer.feature.properties[property];
        if (!name) return;
        var at = layer.getLatLng ? layer.getLatLng() : layer.getBounds().getCenter();
        at.layer = layer;
        out[name] = at;
      });
    });
    return out;
  }

  /* One search box over the names of every embedded layer. */
  function search(map, layers, property, texts) {
    layers = layers.filter(Boolean);
    var control = new L.Control.Search({
      sourceData: function (text, callback) { callback(records(layers, property)); return {}; },
      formatData: function (data) { return data; },
      marker: false, initial: false, position: "topleft",
      // leaflet-search writes tips with innerHTML; feature names are data, not markup
      buildTip: function (name) { return el("li", null, name); },
      textPlaceholder: texts.placeholder, textErr: texts.notFound,
      moveToLocation: function (latlng, title, m) {
        var target = latlng.layer;
        if (target && target.getBounds) m.fitBounds(target.getBounds(), {maxZoom: 14});
        else m.setView(latlng, Math.max(m.getZoom(), 13));
      }
    });
    control.on("search:locationfound", function (e) {
      var cluster = clusterOf(e.layer);
      var owner = cluster || owners(e.layer)[0];
      if (owner && !map.hasLayer(owner)) map.addLayer(owner);
      if (cluster && !e.layer._map) {
        cluster.zoomToShowLayer(e.layer, function () { e.layer.openPopup(); });
      } else if (e.layer.openPopup) {
        e.layer.openPopup();
      }
    });
    map.addControl(control);
    return control;
  }

  function pane(map, name, zIndex) {
    var p = map.getPane(name) || map.createPane(name);
    p.style.zIndex = zIndex;
    p.style.pointerEvents = "none";
    return name;
  }

  /* The offline base map (maps/context.py): county and unit outlines and roads in a
   * pane under the layers, their names as text in a pane above them. Names reach
   * the page as textContent. Unit and road names show from zoom 11. */
  function context(map, data, options) {
    var under = pane(map, "gsContext", 250);
    var above = pane(map, "gsContextLabels", 590);
    var tiles = options.overTiles;
    var group = L.featureGroup([], {attribution: options.attribution});
    group.getAttribution = function () { return options.attribution; };
    L.geoJSON(data.areas, {pane: under, interactive: false, style: function (f) {
      var study = f.properties && f.properties.study;
      return {color: study ? "#6b4f8a" : "#9a93a3", weight: study ? 2.5 : 1.5,
              fill: !tiles, fillColor: study ? "#ffffff" : "#e2dfd5", fillOpacity: 0.9};
    }}).addTo(group);
    L.geoJSON(data.units, {pane: under, interactive: false,
      style: {color: "#b5ab98", weight: 1, dashArray: "4 3", fill: false}}).addTo(group);
    L.geoJSON(data.roads, {pane: under, interactive: false,
      style: {color: "#e8a33d", weight: 3, opacity: 0.85}}).addTo(group);
    var detail = L.layerGroup();
    var spans = [];
    data.labels.forEach(function (l) {
      var span = el("span", null, l.text);
      spans.push(span);
      var marker = L.marker([l.lat, l.lon], {pane: above, interactive: false, keyboard: false,
        icon: L.divIcon({className: "gs-label gs-label-" + l.kind, html: span, iconSize: null})});
      (l.kind === "county" ? group : detail).addLayer(marker);
    });
    /* Labels come county first, then units, then roads: a label overlapping one
     * already shown is hidden, so names never print over each other. */
    function declutter() {
      var shown = [];
      spans.forEach(function (span) {
        span.style.visibility = "";
        if (!span.isConnected) return;
        var r = span.getBoundingClientRect();
        var hit = shown.some(function (o) {
          return r.left < o.right && r.right > o.left && r.top < o.bottom && r.bottom > o.top;
        });
        if (hit) span.style.visibility = "hidden"; else shown.push(r);
      });
    }
    function update() {
      var want = map.hasLayer(group) && map.getZoom() >= 11;
      if (want && !map.hasLayer(detail)) detail.addTo(map);
      if (!want && map.hasLayer(detail)) map.removeLayer(detail);
      declutter();
    }
    map.on("zoomend moveend layeradd layerremove", update);
    group.on("add", update);
    return group;
  }

  /* The same page in the other language (served maps; an export has no server), as a
   * link in the map's title box, so it takes no room of its own on a phone. */
  function languageSwitch(map, other, labelText) {
    if (location.protocol !== "http:" && location.protocol !== "https:") return;
    var url = new URL(location.href);
    url.searchParams.set("lang", other);
    var a = el("a", "gs-lang-link", labelText);
    a.href = url.toString();
    a.hreflang = other;
    var span = el("span", "gs-lang");
    span.appendChild(a);
    var title = map.getContainer().querySelector(".gs-title");
    if (title) { title.appendChild(span); return; }
    var box = L.control({position: "topright"});
    box.onAdd = function () { var div = el("div", "gs-box"); div.appendChild(span); return div; };
    box.addTo(map);
  }

  window.gsmaps = {
    context: context, languageSwitch: languageSwitch,
    el: el, fmt: fmt, popup: popup, bind: bind, queryOnClick: queryOnClick,
    sliced: sliced, search: search, clusterOf: clusterOf, zoomHint: zoomHint,
    vectorTiles: vectorTiles, tableStyle: tableStyle
  };
})();
