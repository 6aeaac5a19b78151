// Inside the embedded calendar: tell the page around the frame how tall the content is, so
// that it can fit the frame to it (static/js/embed-host.js does that on the member's page).
(function () {
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = document.documentElement.scrollHeight;
    if (height !== last) {
      last = height;
      window.parent.postMessage({ eventsappHeight: height }, "*");
    }
  }
  window.addEventListener("load", report);
  window.addEventListener("resize", report);
  if (window.ResizeObserver) new ResizeObserver(report).observe(document.body);
})();
