// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // Small screens fold the navigation behind the Menu button (the CSS hides it only when this
  // script runs, so without JavaScript it stays in view).
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".menu-toggle");
    if (!toggle) return;
    var bar = toggle.closest(".topbar");
    var open = bar.classList.toggle("nav-open");
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // Check attachments before upload (the server checks again): at most N files of M bytes.
  function checkFiles(form) {
    var input = form.querySelector('input[type="file"][data-max-files]');
    var message = form.querySelector("[data-file-error]");
    if (!input || !message) return true;
    var maxFiles = parseInt(input.dataset.maxFiles, 10);
    var maxBytes = parseInt(input.dataset.maxBytes, 10);
    var problem = "";
    if (input.files.length > maxFiles) {
      problem = document.documentElement.lang === "ja"
        ? "添付できるファイルは " + maxFiles + " 個までです。"
        : "Attach at most " + maxFiles + " files.";
    }
    for (var i = 0; i < input.files.length && !problem; i++) {
      if (input.files[i].size > maxBytes) {
        problem = document.documentElement.lang === "ja"
          ? input.files[i].name + " は 5 MB を超えています。"
          : input.files[i].name + " is larger than 5 MB.";
      }
    }
    message.textContent = problem;
    message.hidden = !problem;
    return !problem;
  }

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.hasAttribute("data-check-files") && event.target.type === "file") {
      checkFiles(form);
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-check-files") && !checkFiles(form)) {
      event.preventDefault();
    }
  });

  // The create form's callback fields are shown only while the contact method that needs them
  // is chosen (without JavaScript they are always shown, and ignored unless it is).
  function syncContactDetails(form) {
    var chosen = form.querySelector('input[name="contact_method"]:checked');
    form.querySelectorAll("[data-shown-for-contact]").forEach(function (block) {
      block.hidden = !chosen || chosen.value !== block.dataset.shownForContact;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "contact_method" && event.target.form) {
      syncContactDetails(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-shown-for-contact]")) syncContactDetails(form);
    });
  });

  // The console's collision notice: the presence poll says whether this engineer is typing a
  // reply (a hidden flag it sends), and is nudged at once when typing starts.
  var typingTimer = null;
  var lastSignal = 0;
  document.addEventListener("input", function (event) {
    var target = event.target;
    var flag = document.getElementById("typing-flag");
    if (!flag || !target.hasAttribute || !target.hasAttribute("data-typing-signal")) return;
    flag.value = "1";
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { flag.value = ""; }, 10000);
    if (Date.now() - lastSignal > 5000) {
      lastSignal = Date.now();
      document.body.dispatchEvent(new CustomEvent("typing"));
    }
  });

  // A suggested earlier case on the create form: "related to this one" fills the form's related
  // case field instead of leaving the form (the link does that without JavaScript).
  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("[data-related-case]") : null;
    var field = document.getElementById("id_related_case");
    if (!link || !field) return;
    event.preventDefault();
    field.value = link.getAttribute("data-related-case");
    field.focus();
  });
})();
