// The page's words: the catalog of its language, rendered by the server into
// <script id="hotline-i18n" type="application/json"> (see hotline.web.i18n).
const element = document.getElementById("hotline-i18n");
const catalog = element ? JSON.parse(element.textContent) : {};

/** The message ``key`` with its ``{name}`` fields filled from ``values``. */
export function t(key, values = {}) {
  const message = catalog[key];
  if (message === undefined) return key; // a test keeps every key used in the catalogs
  return message.replace(/\{(\w+)\}/g, (field, name) => (name in values ? String(values[name]) : field));
}

/** What a person reads for the pause reason ``name`` (kept as the name in the API): its
 * label in the page's catalog (the site's own, else ours), else the name itself. */
export function pauseLabel(name) {
  return catalog[`pause_reason.${name}`] ?? name;
}

/** The page's language, for formatting times and numbers. */
export const language = document.documentElement.lang || "en";
