/* The MapLibre page (geoservice/templates/map.html): a file, not an inline script, so the
 * page's CSP allows no inline script at all. What to show comes from the page's JSON
 * data block (#map-config), which is data and never runs. */
import * as maplibregl from "../vendor/maplibre-gl/maplibre-gl.mjs";

const config = JSON.parse(document.getElementById("map-config").textContent);
window.__errors = [];
window.__idle = false;
window.addEventListener("error", (e) => window.__errors.push(String(e.message)));
const map = new maplibregl.Map({
  container: "map",
  style: config.style,
  localIdeographFontFamily: "'WenQuanYi Micro Hei', 'Noto Sans CJK SC', sans-serif",
  canvasContextAttributes: {preserveDrawingBuffer: true},
});
window.__map = map;
map.addControl(new maplibregl.NavigationControl());
map.on("error", (e) => window.__errors.push(String((e.error && e.error.message) || e)));

/* A click shows what the data layers have there (the base map's layers aside), as text. */
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}
function shown(name, value) {
  const table = config.values || {};
  if (typeof value === "string") {
    if (Object.hasOwn(table, `${name}=${value}`)) return table[`${name}=${value}`];
    if (Object.hasOwn(table, value)) return table[value];
  }
  return value;
}
function row(table, label, value) {
  const tr = el("tr");
  tr.appendChild(el("th", null, label));
  tr.appendChild(el("td", null, value));
  table.appendChild(tr);
}
/* The placement note (定位说明) in the page's language, as the Leaflet popups show it: the
 * feature's own (its Chinese twin first on a Chinese page), from the tile if it carries
 * it, else from the items API (tiles mostly leave long text out); else the note of its
 * placement method. Shown as text, like every value. */
async function placementNote(spec, f) {
  const own = (p) => [spec.twin, spec.field]
    .map((k) => (k ? p[k] : null)).find((v) => typeof v === "string" && v.trim());
  let note = own(f.properties || {});
  if (!note && spec.items && f.id !== undefined) {
    try {
      const r = await fetch(`${spec.items}/${encodeURIComponent(f.id)}?f=json`,
        {headers: {Accept: "application/geo+json"}});
      if (r.ok) note = own((await r.json()).properties || {});
    } catch { /* the method's note below still says how it was placed */ }
  }
  const notes = config.methodNotes || {};
  const method = (f.properties || {})[spec.method];
  return note || (Object.hasOwn(notes, method) ? notes[method] : null);
}
map.on("click", (e) => {
  const hits = map.queryRenderedFeatures(e.point)
    .filter((f) => f.source === "geoservice");
  if (!hits.length) return;
  const f = hits[0];
  const props = f.properties || {};
  const first = config.lang === "en" ? "name_en" : "name_zh";
  const second = config.lang === "en" ? "name_zh" : "name_en";
  const placed = (config.placement || {})[f.sourceLayer];
  const skip = [first, second, ...(placed ? placed.hide : [])];
  const div = el("div", "gs-popup");
  div.appendChild(el("div", "gs-popup-layer", (config.titles || {})[f.sourceLayer] || f.sourceLayer));
  div.appendChild(el("div", "gs-popup-title", props[first] || props[second] || ""));
  const table = el("table");
  Object.keys(props).filter((k) => !skip.includes(k)).forEach((k) => {
    row(table, ((config.attributes || {})[f.sourceLayer] || {})[k] || k, shown(k, props[k]));
  });
  div.appendChild(table);
  new maplibregl.Popup({maxWidth: "360px"}).setLngLat(e.lngLat).setDOMContent(div).addTo(map);
  if (placed) {
    placementNote(placed, f).then((note) => {
      if (note) row(table, placed.label, note);
      div.dataset.placement = "done";
    });
  }
});
/* Symbolic positions (not locations) are drawn only when asked: hollow rings. */
const showNotLocated = document.getElementById("show-not-located");
if (showNotLocated) {
  showNotLocated.addEventListener("change", () => {
    map.getStyle().layers.filter((l) => l.id.endsWith("-not-located")).forEach((l) => {
      map.setLayoutProperty(l.id, "visibility", showNotLocated.checked ? "visible" : "none");
    });
  });
}
map.once("load", () => {
  map.fitBounds(config.bounds, {padding: 20, animate: false});
  map.once("idle", () => { window.__idle = true; });
});
