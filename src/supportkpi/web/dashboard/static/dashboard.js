// supportkpi dashboard: draw the Vega-Lite charts embedded in the page, open the rows behind
// a clicked bar or point, and keep the date-range form consistent. No network requests.
"use strict";

function drawCharts() {
  const boxes = document.querySelectorAll(".vega[data-spec]");
  if (!boxes.length) return;
  if (typeof window.vegaEmbed !== "function") {
    boxes.forEach((box) => showChartError(box, "the chart library did not load"));
    return;
  }
  boxes.forEach((box) => {
    const source = document.getElementById(box.dataset.spec);
    if (!source) return;
    let spec;
    try {
      spec = JSON.parse(source.textContent);
    } catch (err) {
      showChartError(box, "the chart's data is not valid");
      return;
    }
    window
      .vegaEmbed(box, spec, { actions: false, renderer: "svg", tooltip: { theme: "dark" } })
      .then((result) => {
        const svg = box.querySelector("svg");
        if (svg) {
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", box.getAttribute("aria-label") || "chart");
        }
        result.view.addEventListener("click", (_event, item) => {
          const url = item && item.datum && item.datum.drill;
          if (typeof url === "string" && url.startsWith("/")) window.location.assign(url);
        });
      })
      .catch((err) => showChartError(box, String(err && err.message ? err.message : err)));
  });
}

function showChartError(box, message) {
  const note = document.createElement("p");
  note.className = "chart-error";
  note.textContent = "Chart not shown: " + message + ". The table holds the same numbers.";
  box.replaceChildren(note);
  box.style.minHeight = "0";
}

function wireFilters() {
  const form = document.querySelector("form.filters");
  if (!form) return;
  const range = form.querySelector("#f-range");
  const dates = form.querySelectorAll('input[type="date"]');
  // A preset ignores the dates, so picking one applies it at once; typing a date makes the
  // range custom.
  if (range) {
    range.addEventListener("change", () => {
      if (range.value !== "custom") form.requestSubmit();
    });
  }
  dates.forEach((input) =>
    input.addEventListener("change", () => {
      if (range) range.value = "custom";
    })
  );
  // Keep shared URLs short: leave out empty and default fields.
  form.addEventListener("formdata", (event) => {
    const data = event.formData;
    for (const [key, value] of Array.from(data.entries())) {
      if (value === "" || (key === "grain" && value === "auto")) data.delete(key);
    }
    if (data.get("range") && data.get("range") !== "custom") {
      data.delete("from");
      data.delete("to");
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wireFilters();
  drawCharts();
});
