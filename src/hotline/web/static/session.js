// The sign-out button of every page.
import { signOut } from "./api.js";

for (const button of document.querySelectorAll("[data-sign-out]")) {
  button.addEventListener("click", () => {
    button.disabled = true;
    signOut();
  });
}
