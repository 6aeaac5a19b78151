// On a member organisation's page: fit each embedded calendar's frame to its content.
(function () {
  var origin = new URL(document.currentScript.src).origin;
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || !event.data || !event.data.eventsappHeight) return;
    var frames = document.querySelectorAll("iframe");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === event.source) {
        frames[i].style.height = event.data.eventsappHeight + "px";
      }
    }
  });
})();
