// The phone form of the farmland platform: device position, then POST /farmland/...
(function () {
  "use strict";
  var form = document.getElementById("farmland-record");
  if (!form) { return; }
  var result = document.getElementById("result");
  var base = location.pathname.replace(/\/farmland\/record$/, "");
  var today = new Date().toISOString().slice(0, 10);
  form.elements.patrol_date.value = today;
  form.elements.key.value = localStorage.getItem("geoservice.key") || "";

  function say(text) { result.textContent = text; }

  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { say("no geolocation / 本机不支持定位"); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.elements.lon.value = pos.coords.longitude.toFixed(6);
      form.elements.lat.value = pos.coords.latitude.toFixed(6);
      document.getElementById("accuracy").textContent = "± " + Math.round(pos.coords.accuracy) + " m";
    }, function (err) { say(err.message); }, { enableHighAccuracy: true, timeout: 20000 });
  });

  async function send(url, body, type, key) {
    var r = await fetch(base + url, {
      method: "POST", body: body, headers: { "Content-Type": type, "X-API-Key": key }
    });
    var doc = await r.json().catch(function () { return {}; });
    if (!r.ok) { throw new Error(r.status + " " + (doc.detail || doc.description || "")); }
    return doc;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var f = form.elements, key = f.key.value.trim(), kind = f.kind.value;
    localStorage.setItem("geoservice.key", key);
    var geometry = { type: "Point", coordinates: [Number(f.lon.value), Number(f.lat.value)] };
    var body = kind === "patrol"
      ? { patrol_date: f.patrol_date.value, findings: f.text.value, geometry: geometry }
      : { category: f.category.value, description: f.text.value, geometry: geometry };
    try {
      var doc = await send("/farmland/" + (kind === "patrol" ? "patrols" : "incidents"),
        JSON.stringify(body), "application/json", key);
      var photo = f.photo.files[0];
      if (kind === "incident" && photo) {
        await send("/farmland/incidents/" + doc.incident_id + "/photos", photo, photo.type, key);
      }
      say("OK " + (doc.patrol_id || doc.incident_id) + " · " + doc.cell_code);
    } catch (err) { say(err.message); }
  });
}());
