// The supervisor console: the queues in the supervisor's scope live from /ws/events (figures,
// callers waiting, agents, calls in progress), and actions on the agents through the API.
import { failure, post } from "./api.js";
import { pauseLabel, t } from "./i18n.js";
import { element, follow, say } from "./page-live.js";
import { duration, percent, unavailableNote } from "./wallboard-live.js";

const settings = JSON.parse(document.getElementById("page-settings").textContent);
const names = Object.fromEntries(settings.queues.map((queue) => [queue.number, queue.name]));
const reasons = document.getElementById("pause-reasons");
const find = (selector) => document.querySelector(selector);
const error = find("[data-error]");
const rows = new Map(); // agent number -> its row, kept so a chosen reason survives frames

let frame = null;
const now = follow(settings.events, { render, tick: renderClocks });

function render(next) {
  frame = next;
  renderQueues();
  renderWaiting();
  renderAgents();
  renderCalls();
  renderClocks();
  for (const table of document.querySelectorAll("table.grid")) label(table);
}

// Each cell carries its column's name, which a phone's narrow layout shows above it.
function label(table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  for (const row of table.tBodies[0].rows) {
    [...row.cells].forEach((cell, at) => {
      cell.dataset.label = names[at] || "";
    });
  }
}

function renderQueues() {
  for (const card of document.querySelectorAll("[data-queue]")) {
    const queue = frame.queues.find((item) => item.number === card.dataset.queue);
    if (!queue) continue;
    const level = percent(queue.service_level);
    card.querySelector("[data-waiting]").textContent = queue.waiting;
    card.querySelector("[data-available]").textContent = `${queue.available} / ${queue.logged_in}`;
    card.querySelector("[data-sla]").textContent = level === null ? t("time.none") : `${level} %`;
    card.querySelector("[data-answered]").textContent = queue.answered;
    card.querySelector("[data-abandoned]").textContent = queue.abandoned;
    card.classList.toggle("hot", queue.waiting > 0 && queue.available === 0);
  }
}

const queueName = (number) => (number ? `${number} ${names[number] || ""}`.trim() : t("time.none"));
const caller = (call) => (call.caller_name ? `${call.caller} · ${call.caller_name}` : call.caller);

function renderWaiting() {
  const waiting = frame.calls
    .filter((call) => call.state === "queued" && call.position !== null)
    .sort((a, b) => a.queue.localeCompare(b.queue) || a.position - b.position);
  find("[data-waiting-callers]").replaceChildren(
    ...waiting.map((call) => {
      const row = element("tr");
      row.dataset.call = call.id;
      row.dataset.since = call.queued_at ?? call.started_at;
      row.append(element("td", call.position), element("td", caller(call), "caller"), element("td", queueName(call.queue)));
      row.append(element("td", "", "clock"));
      return row;
    }),
  );
  find("[data-nobody-waiting]").hidden = waiting.length > 0;
}

function renderAgents() {
  const body = find("[data-agents]");
  const agents = [...frame.agents].sort((a, b) => a.name.localeCompare(b.name));
  body.replaceChildren(...agents.map(agentRow));
}

function agentRow(agent) {
  let row = rows.get(agent.number);
  if (!row) {
    row = element("tr");
    row.dataset.agent = agent.number;
    const name = element("td");
    name.append(element("strong", agent.name), " ", element("span", agent.number, "muted"));
    row.append(name, element("td", "", "state-cell"), element("td", "", "clock"), element("td"), element("td", "", "actions-cell"));
    rows.set(agent.number, row);
  }
  const [, state, since, current, actions] = row.children;
  const label = t(`state.${agent.state}`) + unavailableNote(agent) + (agent.pause_reason ? ` · ${pauseLabel(agent.pause_reason)}` : "");
  const badge = element("span", label, "state-badge");
  badge.dataset.state = agent.state;
  state.replaceChildren(badge);
  row.dataset.since = agent.state_since;
  const call = frame.calls.find((item) => item.agent === agent.number);
  current.textContent = call ? caller(call) : "";
  const key = `${agent.state}|${agent.pause_reason}`;
  if (row.dataset.actions !== key) {
    row.dataset.actions = key;
    actions.replaceChildren(...buttons(agent));
  }
  return row;
}

function buttons(agent) {
  const out = agent.state === "logged_out";
  const made = [];
  const button = (label, action, body) => {
    const item = element("button", t(label));
    item.type = "button";
    item.dataset.action = action;
    item.addEventListener("click", () => act(agent.number, action, body && body()));
    made.push(item);
  };
  if (out) {
    button("supervisor.log_in", "login");
    return made;
  }
  button("supervisor.log_out", "logout");
  if (agent.pause_reason) {
    button("supervisor.unpause", "unpause");
    return made;
  }
  const select = element("select");
  select.setAttribute("aria-label", t("supervisor.pause_reason", { agent: agent.name }));
  select.append(reasons.content.cloneNode(true));
  made.push(select);
  button("supervisor.pause", "pause", () => ({ reason: select.value }));
  return made;
}

function renderCalls() {
  const calls = [...frame.calls].sort((a, b) => a.started_at - b.started_at);
  find("[data-calls]").replaceChildren(
    ...calls.map((call) => {
      const row = element("tr");
      row.dataset.call = call.id;
      row.dataset.since = call.answered_at ?? call.started_at;
      const state = element("span", t(`call.${call.state}`), "call-state");
      state.dataset.state = call.state;
      const stateCell = element("td");
      stateCell.append(state);
      row.append(element("td", caller(call), "caller"), element("td", call.destination), element("td", queueName(call.queue)));
      row.append(element("td", call.agent || ""), stateCell, element("td", "", "clock"));
      return row;
    }),
  );
  find("[data-no-calls]").hidden = calls.length > 0;
}

// Every "for how long" cell counts on between frames.
function renderClocks() {
  const at = now();
  for (const row of document.querySelectorAll("tr[data-since]")) {
    row.querySelector(".clock").textContent = duration(at - Number(row.dataset.since));
  }
  if (!frame) return;
  for (const card of document.querySelectorAll("[data-queue]")) {
    const queue = frame.queues.find((item) => item.number === card.dataset.queue);
    const longest = queue && queue.waiting ? queue.longest_wait_seconds + (at - frame.at) : null;
    card.querySelector("[data-longest]").textContent = longest === null ? t("time.none") : duration(longest);
  }
}

async function act(number, action, body) {
  say(error, "");
  const response = await post(`/api/agents/${encodeURIComponent(number)}/${action}`, body);
  if (!response.ok) say(error, await failure(response));
}
