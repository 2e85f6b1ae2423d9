/* SatuPintu — small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  // One click, one submission: disable the submit buttons of a POST form once it is sent
  // (after the browser has collected the values), and re-enable them when the page is shown
  // again from the back/forward cache.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || (form.method || "").toLowerCase() !== "post" || event.defaultPrevented) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); return; }
    if (form.dataset.sent === "1") { event.preventDefault(); return; }
    form.dataset.sent = "1";
    var buttons = form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]");
    window.setTimeout(function () {
      buttons.forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-busy", "true");
        if (b.tagName === "BUTTON" && !b.dataset.label) { b.dataset.label = b.innerHTML; b.textContent = "Mengirim…"; }
      });
    }, 0);
  });

  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[aria-busy=true]").forEach(function (b) {
        b.disabled = false;
        b.removeAttribute("aria-busy");
        if (b.dataset.label) { b.innerHTML = b.dataset.label; delete b.dataset.label; }
      });
    });
  });

  // A decision whose outcome requires a reason marks the reason field as required
  // (a hint only: the server refuses a missing reason with its own message).
  function syncReason(form) {
    var chosen = form.querySelector("input[name=outcome]:checked");
    var needed = !!chosen && chosen.getAttribute("data-requires-reason") === "true";
    var input = form.querySelector("[data-reason-input]");
    var marker = form.querySelector("[data-reason-marker]");
    if (input) input.setAttribute("aria-required", needed ? "true" : "false");
    if (marker && (needed || !input || input.getAttribute("aria-invalid") !== "true")) marker.hidden = !needed;
  }

  function init() {
    document.querySelectorAll("#form-keputusan").forEach(function (form) {
      syncReason(form);
      form.addEventListener("change", function (event) {
        if (event.target && event.target.name === "outcome") syncReason(form);
      });
    });
    // After a refused submission, take keyboard and screen-reader users to the message.
    var alert = document.querySelector(".alert-danger[role=alert][tabindex]");
    if (alert) alert.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
