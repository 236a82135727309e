// The report pages work without script; this only adds a print button.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-cetak]")) {
    window.print();
  }
});
