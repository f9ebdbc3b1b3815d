// The sign-out button of every page.
import { post } from "./api.js";

for (const button of document.querySelectorAll("[data-sign-out]")) {
  button.addEventListener("click", async () => {
    button.disabled = true;
    await post("/api/auth/logout");
    location.assign("/login");
  });
}
