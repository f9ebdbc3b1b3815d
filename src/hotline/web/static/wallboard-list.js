// The list of wallboards: one live summary line per queue.
import { t } from "./i18n.js";
import { duration, live, percent } from "./wallboard-live.js";

const rows = new Map([...document.querySelectorAll("[data-queue]")].map((row) => [row.dataset.queue, row]));
const statusPill = document.querySelector("[data-status]");

// The same line as hotline.web.wallboard.queue_summary writes into the page.
function summary(queue) {
  const count = queue.waiting;
  const parts = [
    count ? t("summary.longest", { count, duration: duration(queue.longest_wait_seconds) }) : t("summary.waiting", { count }),
    t("summary.available", queue),
  ];
  const level = percent(queue.service_level);
  if (level !== null) parts.push(t("summary.service_level", { percent: level }));
  parts.push(t("summary.today", queue));
  return parts.join(" · ");
}

function onFrame(frame) {
  for (const queue of frame.queues) {
    const row = rows.get(queue.number);
    if (!row) continue;
    const cell = row.querySelector("[data-summary]");
    cell.textContent = summary(queue);
    cell.classList.toggle("hot", queue.waiting > 0 && queue.available === 0);
  }
}

function onStatus({ live: connected, retryAt }) {
  statusPill.classList.toggle("live", connected);
  statusPill.classList.toggle("offline", !connected && Boolean(retryAt));
  statusPill.textContent = t(connected ? "status.live" : retryAt ? "status.reconnecting" : "status.connecting");
}

if (rows.size) live("/ws/events", { onFrame, onStatus });
