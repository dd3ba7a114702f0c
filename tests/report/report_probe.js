// Appended to a copy of report.html by test_report_browser.py; not part of the report.
// It waits for the report's React app, shows every image result the way the report's own
// "eye" button does, records whether the browser decoded it, lists the menu, then leaves the
// first category's first figure on screen (with its caption) for the screenshot.
(async function () {
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const ready = () => typeof app !== "undefined" && app && document.querySelector("#app nav");
  for (let i = 0; i < 200 && !ready(); i++) await wait(50);
  const out = {rendered: !!ready(), menu: ready() ? document.querySelector("#app nav").innerText : "", figures: {}};
  if (out.rendered) {
    for (const [path, entry] of Object.entries(results)) {
      if (!entry.mime_type.startsWith("image/")) continue;
      app.setView({content: "img", contentPath: entry.data_uri, resultPath: path});
      let img = null;
      for (let i = 0; i < 100 && !(img && img.complete); i++) {
        await wait(50);
        img = Array.from(document.querySelectorAll("#app img")).find((el) => el.getAttribute("src") === entry.data_uri);
      }
      out.figures[path] = img ? {complete: img.complete, width: img.naturalWidth, height: img.naturalHeight} : null;
    }
    const first = Object.keys(categories).sort()[0];
    const shown = first && Object.values(categories[first]).flat().find((p) => results[p].mime_type.startsWith("image/"));
    if (shown) {
      app.showCategory(first);
      await wait(200);  // React applies state asynchronously; each view builds on the last
      app.setView({content: "img", contentPath: results[shown].data_uri, resultPath: shown});
      await wait(200);
      app.showResultInfo(shown);
      await wait(200);
      out.shown = shown;
      out.navbar = document.querySelector("#app nav").innerText;
    }
  }
  const pre = document.createElement("pre");
  pre.id = "astrobuild-probe-result";
  pre.style.display = "none";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
