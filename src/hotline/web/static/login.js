// The sign-in form: POST /api/auth/session, then on to the page asked for.
import { t } from "./i18n.js";

const form = document.querySelector("[data-login]");
const error = form.querySelector("[data-error]");

function show(message) {
  error.textContent = message;
  error.hidden = !message;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  show("");
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const response = await fetch("/api/auth/session", {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      credentials: "same-origin",
    });
    if (response.ok) {
      location.assign(form.dataset.next || "/");
      return;
    }
    if (response.status === 429) {
      show(t("login.too_many", { seconds: response.headers.get("Retry-After") || "60" }));
    } else if (response.status === 401 || response.status === 400 || response.status === 403) {
      show(t("login.wrong"));
    } else {
      show(t("login.failed", { status: response.status }));
    }
  } finally {
    button.disabled = false;
  }
});
