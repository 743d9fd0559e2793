// The admin upload page: sends the files with progress and lists one result per file.
(function () {
  var form = document.getElementById("upload-form");
  var input = document.getElementById("upload-input");
  var button = document.getElementById("upload-button");
  var bar = document.getElementById("upload-progress");
  var status = document.getElementById("upload-status");
  var error = document.getElementById("upload-error");
  var list = document.getElementById("upload-results");
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function fail(text) { error.textContent = text; error.hidden = false; }
  function show(results) {
    list.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      li.className = r.status;
      li.setAttribute("data-testid", "upload-result");
      li.dataset.status = r.status;
      li.textContent = r.line;
      list.appendChild(li);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var data = new FormData();
    var total = 0;
    for (var i = 0; i < input.files.length; i++) {
      data.append("files", input.files[i], input.files[i].name);
      total += input.files[i].size;
    }
    error.hidden = true; list.textContent = ""; status.textContent = "";
    if (!input.files.length) return;
    if (total > Number(form.dataset.maxBytes)) { fail(form.dataset.tooLarge); return; }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/admin/uploads");
    xhr.setRequestHeader("X-CSRF-Token", token);
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) return;
      bar.max = e.total; bar.value = e.loaded;
      status.textContent = Math.round(100 * e.loaded / e.total) + "%";
    };
    xhr.upload.onload = function () { status.textContent = form.dataset.processing; };
    xhr.onload = function () {
      button.disabled = false; bar.hidden = true; status.textContent = "";
      var body = {};
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = {}; }
      if (xhr.status === 200) { show(body.results || []); }
      else { fail(body.detail ? String(body.detail) : "HTTP " + xhr.status); }
    };
    xhr.onerror = function () { button.disabled = false; bar.hidden = true; fail(form.dataset.networkError); };
    button.disabled = true; bar.value = 0; bar.hidden = false;
    xhr.send(data);
  });
})();
