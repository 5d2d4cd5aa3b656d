// The console's canned responses (templates/console/macro_picker.html). htmx fetches the chosen
// macro, filled in for the case, into the picker's hidden element; this adds it to the reply
// after what is already typed (never replacing it) and selects the macro's next status.
// Without JavaScript the picker's Insert button does the same on the server
// (console/views/macros.py, append_text: keep the two in step).
(function () {
  "use strict";
  // The picker may be rendered more than once (a page swapped by htmx): listen once.
  if (window.supportCenterMacros) return;
  window.supportCenterMacros = true;

  function appendText(typed, text) {
    if (!typed.trim()) return text;
    if (/\n\n$/.test(typed)) return typed + text;
    return typed + (/\n$/.test(typed) ? "\n" : "\n\n") + text;
  }

  // Choosing "Choose" again asks for nothing (a filter in hx-trigger would need eval, which the
  // Content-Security-Policy forbids).
  document.addEventListener("htmx:confirm", function (event) {
    var picker = event.detail.elt;
    if (!picker || !picker.classList || !picker.classList.contains("macro-picker")) return;
    var select = picker.querySelector("select");
    if (select && select.value === "") event.preventDefault();
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var holder = event.detail.target;
    if (!holder || !holder.hasAttribute("data-macro-target")) return;
    var filled = holder.querySelector("[data-macro-text]");
    var form = holder.closest("form");
    holder.replaceChildren();
    if (!filled || !form) return;
    // A macro that was added clears an earlier refusal (console/views/macros.py).
    var refusal = document.getElementById("macro-error");
    if (refusal) refusal.replaceChildren();
    var body = form.elements.namedItem("body");
    var status = form.elements.namedItem("next_status");
    var picker = form.elements.namedItem("macro");
    if (!body) return;
    body.value = appendText(body.value, filled.textContent);
    // Only a status the form offers: the case may not be able to take the macro's.
    var wanted = filled.dataset.nextStatus;
    if (status && wanted && Array.prototype.some.call(status.options, function (option) {
      return option.value === wanted;
    })) status.value = wanted;
    // Back to "Choose", so that the same macro can be chosen again.
    if (picker) picker.value = "";
    body.focus();
    body.setSelectionRange(body.value.length, body.value.length);
  });
})();
