// Calls to Hotline's API from a signed-in page: the session cookie goes by itself, and every
// state-changing request carries the X-CSRF-Token header copied from the hotline_csrf cookie
// (a page of another site cannot read that cookie, so it cannot forge the header).
import { t } from "./i18n.js";

function cookie(name) {
  const found = document.cookie.split("; ").find((item) => item.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** POST ``body`` (JSON, or none) to ``path``; resolves to the response. A session that has
 * ended sends the browser to the sign-in page. */
export async function post(path, body) {
  return send("POST", path, body);
}

/** PUT ``body`` (JSON) to ``path``, as ``post`` does. */
export async function put(path, body) {
  return send("PUT", path, body);
}

async function send(method, path, body) {
  const headers = { "X-CSRF-Token": cookie("hotline_csrf") };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 401) signIn();
  return response;
}

/** The reason a refused request gives, in words for people. */
export async function failure(response) {
  let detail = `${response.status}`;
  try {
    const answer = await response.json();
    if (typeof answer.detail === "string") detail = answer.detail;
    else if (Array.isArray(answer.detail)) detail = answer.detail.map((item) => item.msg).join("; ");
  } catch {
    // not JSON: the status says enough
  }
  return t("action.failed", { detail });
}

let leaving = false; // signing out: the session's end is no reason to come back here

/** End the session and go to the sign-in page. */
export async function signOut() {
  leaving = true;
  await post("/api/auth/logout");
  location.assign("/login");
}

/** Go to the sign-in page, to come back here after. */
export function signIn() {
  if (leaving) return;
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}
