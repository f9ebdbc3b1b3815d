// The notification centre of the console and the agent panel: the history from
// /api/notifications, new ones live from the page's WebSocket (wallboard-live.js hands them on
// as "hotline:notification" events), an unread count, a sound for the kinds the user chose,
// and acknowledging one or all.
import { post, put } from "./api.js";
import { t } from "./i18n.js";

const root = document.querySelector("[data-notify]");
const count = root.querySelector("[data-notify-count]");
const panel = root.querySelector("[data-notify-panel]");
const toggle = root.querySelector("[data-notify-toggle]");
const list = root.querySelector("[data-notify-list]");
const none = root.querySelector("[data-notify-none]");
const sound = root.querySelector("[data-notify-sound]");
const kinds = root.querySelector("[data-notify-kinds]");
const items = new Map(); // id -> notification, newest first when listed
const KINDS = [
  "sla_breach", "service_level_low", "lost_call", "callback_failed", "no_agents", "agent_auto_paused", "system",
];

async function load() {
  const response = await fetch("/api/notifications?limit=50", { credentials: "same-origin" });
  if (!response.ok) return;
  const body = await response.json();
  // Merged, not replaced: a notification may have come live while the list was on its way.
  for (const item of body.items) if (!items.has(item.id)) items.set(item.id, item);
  render();
  root.dataset.loaded = "true";
}

function title(item) {
  const cleared = item.phase === "cleared" ? "_cleared" : "";
  const key = `notify.${item.kind}${cleared}`;
  const text = t(key);
  return text === key ? t(`notify.${item.kind}`) : text;
}

function details(item) {
  const facts = item.facts || {};
  const parts = [];
  if (item.queue) parts.push(t("notify.queue", { queue: item.queue }));
  if (facts.number) parts.push(t("notify.caller", { number: facts.number }));
  if (facts.wait !== undefined && facts.wait !== null) parts.push(t("notify.waited", { seconds: facts.wait }));
  if (facts.agent) parts.push(t("notify.agent", { agent: facts.agent }));
  if (facts.waiting) parts.push(t("notify.waiting", { count: facts.waiting }));
  if (facts.service_level !== undefined) parts.push(t("notify.level", { percent: facts.service_level }));
  if (facts.problem) parts.push(facts.problem);
  return parts.join(" · ");
}

function render() {
  const sorted = [...items.values()].sort((a, b) => b.id - a.id);
  const unread = sorted.filter((item) => !item.acked).length;
  count.textContent = String(unread);
  count.hidden = unread === 0;
  toggle.title = t("notify.unread", { count: unread });
  none.hidden = sorted.length > 0;
  list.replaceChildren(...sorted.map(row));
}

function row(item) {
  const li = document.createElement("li");
  li.className = item.acked ? "notify-item" : "notify-item unread";
  li.dataset.notification = String(item.id);
  li.dataset.kind = item.kind;
  const when = new Date(item.updated_at * 1000).toLocaleTimeString();
  const head = document.createElement("strong");
  head.textContent = title(item);
  const text = document.createElement("span");
  text.className = "muted small";
  text.textContent = `${when} · ${details(item)}`;
  li.append(head, text);
  if (!item.acked) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = t("notify.ack");
    button.addEventListener("click", () => ack(item));
    li.append(button);
  }
  return li;
}

async function ack(item) {
  const response = await post(`/api/notifications/${item.id}/ack`);
  if (response.ok) {
    item.acked = true;
    render();
  }
}

async function ackAll() {
  const response = await post("/api/notifications/ack");
  if (response.ok) {
    for (const item of items.values()) item.acked = true;
    render();
  }
}

function arrived(frame) {
  const known = items.get(frame.id);
  items.set(frame.id, {
    id: frame.id, kind: frame.kind, queue: frame.queue, phase: frame.phase, facts: frame.facts,
    call_id: frame.call_id, created_at: known ? known.created_at : frame.at, updated_at: frame.at,
    acked: false,
  });
  render();
  if (frame.sound) {
    sound.currentTime = 0;
    sound.play().then(() => {
      sound.dataset.played = String(Number(sound.dataset.played || 0) + 1);
    }).catch(() => {
      // The browser refuses sound before the user touched the page: the count still shows.
    });
  }
}

// The user's choice of kinds: those shown (not muted) and those that play the sound.
async function loadPreferences() {
  const response = await fetch("/api/notifications/preferences", { credentials: "same-origin" });
  if (!response.ok) return;
  const preferences = await response.json();
  kinds.replaceChildren(...KINDS.map((kind) => kindRow(kind, preferences)));
}

function kindRow(kind, preferences) {
  const row = document.createElement("tr");
  row.dataset.kind = kind;
  const name = document.createElement("td");
  name.textContent = t(`notify.${kind}`);
  row.append(name);
  for (const [field, checked] of [["show", !preferences.muted.includes(kind)], ["sound", preferences.sound.includes(kind)]]) {
    const cell = document.createElement("td");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = checked;
    box.dataset.field = field;
    box.addEventListener("change", savePreferences);
    cell.append(box);
    row.append(cell);
  }
  return row;
}

async function savePreferences() {
  const chosen = (field) => [...kinds.querySelectorAll(`input[data-field="${field}"]`)];
  const kindOf = (box) => box.closest("tr").dataset.kind;
  const body = {
    muted: chosen("show").filter((box) => !box.checked).map(kindOf),
    sound: chosen("sound").filter((box) => box.checked).map(kindOf),
  };
  const response = await put("/api/notifications/preferences", body);
  if (response.ok) {
    for (const [id, item] of items) if (body.muted.includes(item.kind)) items.delete(id);
    render();
    load(); // the kinds shown again come back; the checkboxes already show what was saved
  }
}

toggle.addEventListener("click", () => {
  panel.hidden = !panel.hidden;
  toggle.setAttribute("aria-expanded", String(!panel.hidden));
});
root.querySelector("[data-notify-ack-all]").addEventListener("click", ackAll);
window.addEventListener("hotline:notification", (event) => arrived(event.detail));
load();
loadPreferences();
