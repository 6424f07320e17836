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
map.once("load", () => {
  map.fitBounds(config.bounds, {padding: 20, animate: false});
  map.once("idle", () => { window.__idle = true; });
});
