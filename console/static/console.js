// The PIN pad: its keys type into the PIN field (which also takes the keyboard on its own).
// Loaded from the sandbox itself (no inline script: the Content-Security-Policy forbids it).
"use strict";
document.addEventListener("click", (event) => {
  const key = event.target.closest("[data-pin-key], [data-pin-clear]");
  if (!key) return;
  const form = key.closest("form");
  const pin = form && form.querySelector("input[name=pin]");
  if (!pin) return;
  if (key.hasAttribute("data-pin-clear")) {
    pin.value = pin.value.slice(0, -1);
  } else if (pin.value.length < (pin.maxLength > 0 ? pin.maxLength : 6)) {
    pin.value += key.getAttribute("data-pin-key");
  }
  pin.focus();
});
