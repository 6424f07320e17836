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
map.on("click", (e) => {
  const hits = map.queryRenderedFeatures(e.point)
    .filter((f) => f.source === "geoservice");
  if (!hits.length) return;
  const f = hits[0];
  const props = f.properties || {};
  const first = config.lang === "en" ? "name_en" : "name_zh";
  const second = config.lang === "en" ? "name_zh" : "name_en";
  const div = el("div", "gs-popup");
  div.appendChild(el("div", "gs-popup-layer", (config.titles || {})[f.sourceLayer] || f.sourceLayer));
  div.appendChild(el("div", "gs-popup-title", props[first] || props[second] || ""));
  const table = el("table");
  Object.keys(props).filter((k) => k !== first && k !== second).forEach((k) => {
    const row = el("tr");
    row.appendChild(el("th", null, ((config.attributes || {})[f.sourceLayer] || {})[k] || k));
    row.appendChild(el("td", null, shown(k, props[k])));
    table.appendChild(row);
  });
  div.appendChild(table);
  new maplibregl.Popup({maxWidth: "360px"}).setLngLat(e.lngLat).setDOMContent(div).addTo(map);
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
