// Refreshes the page's live regions without a reload: every few seconds it asks the page's
// own URL with ?live=1 (JSON: region id -> HTML rendered by the server) and swaps them in.
(function () {
  "use strict";
  const main = document.getElementById("main");
  const period = main ? Number(main.dataset.live || 0) : 0;
  if (!period) { return; }
  async function refresh() {
    const url = new URL(window.location.href);
    url.searchParams.set("live", "1");
    try {
      const response = await fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (response.redirected || !response.ok) { return; }
      const regions = await response.json();
      for (const [id, html] of Object.entries(regions)) {
        const element = document.getElementById(id);
        if (element && element.innerHTML !== html) { element.innerHTML = html; }
      }
      main.dataset.refreshed = String(Date.now());
    } catch (error) {
      // the VTN is restarting or unreachable: try again at the next tick
    }
  }
  window.setInterval(refresh, period);
})();
