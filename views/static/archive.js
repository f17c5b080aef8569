// Progress bars for uploads and confirmation of irreversible actions.
// No inline scripts: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  function withProgress(form, input) {
    form.addEventListener("submit", function (event) {
      if (!input.files || input.files.length === 0 || !window.FormData) { return; }
      event.preventDefault();
      var box = document.getElementById(input.id + "-progress") || (function () {
        var div = document.createElement("div");
        div.className = "progress mt-2";
        div.innerHTML = '<div class="progress-bar" style="width:0%">0%</div>';
        input.parentNode.appendChild(div);
        return div;
      })();
      box.classList.remove("d-none");
      var bar = box.querySelector(".progress-bar");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          var pct = Math.round(100 * e.loaded / e.total);
          bar.style.width = pct + "%";
          bar.textContent = pct + "%";
        }
      });
      xhr.addEventListener("load", function () {
        // Show the page the server answered, at its URL.  Navigating to
        // xhr.responseURL instead would GET the page a second time, and the
        // flash message ("Đã lưu văn bản ...") was already used up by the
        // redirect the XHR followed.
        if (xhr.responseURL && xhr.responseURL !== window.location.href) {
          window.history.replaceState(null, "", xhr.responseURL);
        }
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () {
        bar.classList.add("bg-danger");
        bar.textContent = "!";
      });
      Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (b) { b.disabled = true; });
      xhr.send(new FormData(form));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-archive-upload]"), function (input) {
      if (input.form) { withProgress(input.form, input); }
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-confirm]"), function (form) {
      form.addEventListener("submit", function (event) {
        // the question comes translated from the template
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
  });
})();
