// ReDoc for /redoc, started from here so that the page needs no inline script.
// ReDoc writes its styles into <style> elements; the nonce of this answer's
// Content-Security-Policy lets exactly those in.
(function () {
  var root = document.getElementById("redoc");
  Redoc.init(root.dataset.openapi, { nonce: root.dataset.nonce }, root);
})();
