// The report pages work without script; this adds a print button, the page's
// own (Indonesian) messages for fields left empty, and ticking rows for a
// decision on many.
document.documentElement.classList.add("ada-skrip");

document.addEventListener("click", function (event) {
  if (event.target.closest("[data-cetak]")) {
    window.print();
  }
});

// The browser's own "Please fill out this field." is English: say it here.
function pesanKosong(field) {
  return field.dataset.pesan || (field.name === "alasan"
    ? "Alasan wajib diisi untuk mengecualikan."
    : field.name === "kunci"
      ? "Tempelkan kunci API Anda di sini."
      : "Kolom ini wajib diisi.");
}

document.addEventListener("invalid", function (event) {
  var field = event.target;
  if (field.validity && field.validity.valueMissing) {
    field.setCustomValidity(pesanKosong(field));
  }
}, true);

document.addEventListener("input", function (event) {
  if (event.target.setCustomValidity) {
    event.target.setCustomValidity("");
  }
});

function kotakTerpilih() {
  return Array.prototype.slice.call(document.querySelectorAll("input.pilih:checked"));
}

function hitungTerpilih() {
  var n = kotakTerpilih().length;
  document.querySelectorAll("[data-terpilih]").forEach(function (el) {
    el.textContent = String(n);
  });
  document.querySelectorAll("[data-massal] input[name=alasan]").forEach(function (el) {
    el.setCustomValidity("");
  });
}

document.addEventListener("change", function (event) {
  var target = event.target;
  if (target.matches("[data-pilih-semua]")) {
    document.querySelectorAll("input.pilih:not(:disabled)").forEach(function (box) {
      box.checked = target.checked;
    });
  }
  if (target.matches("input.pilih, [data-pilih-semua]")) {
    hitungTerpilih();
  }
});

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.matches("[data-massal]")) {
    return;
  }
  var ids = kotakTerpilih().map(function (box) { return box.value; });
  var alasan = form.querySelector("input[name=alasan]");
  var tombol = event.submitter;
  alasan.setCustomValidity("");
  if (ids.length === 0) {
    event.preventDefault();
    alasan.setCustomValidity("Pilih dulu baris yang akan diputuskan (kotak di kiri setiap baris).");
    alasan.reportValidity();
    return;
  }
  if (tombol && tombol.hasAttribute("data-perlu-alasan") && !alasan.value.trim()) {
    event.preventDefault();
    alasan.setCustomValidity("Alasan wajib diisi untuk mengecualikan.");
    alasan.reportValidity();
    return;
  }
  form.querySelector("input[name=ids]").value = ids.join(",");
});
