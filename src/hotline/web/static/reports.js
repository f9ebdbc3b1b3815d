// The reports page: runs the chosen report through /api/reports/{id}, fills the table (each
// header's tooltip is the metric's formula from the dictionary) and draws its chart as SVG.
// A list report comes a page at a time, with Previous and Next; its downloads have every row.
import { failure } from "./api.js";
import { language, t } from "./i18n.js";

const settings = JSON.parse(document.getElementById("page-settings").textContent);
const form = document.querySelector("[data-report-form]");
const select = document.querySelector("[data-report-select]");
const byId = new Map(settings.reports.map((report) => [report.id, report]));
const SVG = "http://www.w3.org/2000/svg";
const PAGE = 100; // rows of a list report a page
let offset = 0; // rows of the list before the page shown

for (const report of settings.reports) {
  select.append(new Option(report.title[language] || report.title.en, report.id));
}
// The address may carry the form's fields (a shared link, or the form sent before this
// script ran): they win over the defaults.
const asked = new URLSearchParams(location.search);
const today = siteToday();
document.querySelector("[data-from]").value = asked.get("from") || today;
document.querySelector("[data-to]").value = asked.get("to") || today;
if (asked.get("interval")) document.querySelector("[data-interval]").value = asked.get("interval");
if (asked.has("queues")) {
  const chosen = new Set(asked.getAll("queues").flatMap((value) => value.split(",")));
  for (const box of form.querySelectorAll('input[name="queues"]')) box.checked = chosen.has(box.value);
}
const wanted = asked.get("report");
if (wanted && byId.has(wanted)) select.value = wanted;

// Today in the site's time zone, the day the server's reports default to (not UTC's date,
// nor the browser's).
function siteToday() {
  const parts = new Intl.DateTimeFormat("en", {
    timeZone: settings.timezone, year: "numeric", month: "2-digit", day: "2-digit",
  }).formatToParts(new Date());
  const part = (type) => parts.find((found) => found.type === type).value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

function query(format) {
  const data = new FormData(form);
  const params = new URLSearchParams({
    from: data.get("from"), to: data.get("to"), interval: data.get("interval"), lang: language,
  });
  const queues = data.getAll("queues");
  if (queues.length) params.set("queues", queues.join(","));
  if (format) params.set("format", format);
  else if (byId.get(data.get("report")).shape === "list") {
    params.set("limit", PAGE);
    params.set("offset", offset);
  }
  return `/api/reports/${encodeURIComponent(data.get("report"))}?${params}`;
}

function shown(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value === "number") {
    return value.toLocaleString(language, { maximumFractionDigits: Number.isInteger(value) ? 0 : 1 });
  }
  return String(value);
}

// A coded cell (a pause reason's name) as a person reads it: the run's label for it, if any.
const labelled = (result, id, value) => result.labels?.[id]?.[value] ?? value;

function cell(tag, text, title) {
  const element = document.createElement(tag);
  element.textContent = text;
  if (title) element.title = title;
  return element;
}

// A figure past its metric's thresholds: "warning" (amber) or "critical" (red).
function level(metric, value) {
  const limits = metric.thresholds;
  if (!limits || typeof value !== "number") return null;
  const past = (limit) => (limits.higher_is_better ? value < limit : value > limit);
  return past(limits.critical) ? "critical" : past(limits.warning) ? "warning" : null;
}

function explanation(metric) {
  const formula = metric.formula[language] || metric.formula.en;
  const limits = metric.thresholds;
  if (!limits) return formula;
  return `${formula} ${t("reports.thresholds", { warning: limits.warning, critical: limits.critical })}`;
}

function fillTable(report, result) {
  const metrics = new Map(report.columns.map((column) => [column.id, column]));
  const head = document.querySelector("[data-report-head]");
  const headRow = document.createElement("tr");
  for (const id of result.columns) {
    const metric = metrics.get(id);
    const th = cell("th", metric.title[language] || metric.title.en, explanation(metric));
    th.scope = "col";
    th.dataset.column = id;
    headRow.append(th);
  }
  head.replaceChildren(headRow);
  const body = document.querySelector("[data-report-rows]");
  body.replaceChildren(...result.rows.map((row) => {
    const tr = document.createElement("tr");
    for (const id of result.columns) {
      const td = cell("td", shown(labelled(result, id, row[id])));
      const past = level(metrics.get(id), row[id]);
      if (past) td.dataset.level = past;
      tr.append(td);
    }
    return tr;
  }));
  const foot = document.querySelector("[data-report-totals]");
  foot.replaceChildren();
  if (result.totals && report.shape !== "list" && result.rows.length) {
    const tr = document.createElement("tr");
    result.columns.forEach((id, index) => {
      const unit = metrics.get(id).unit;
      const text = index === 0 ? t("reports.total") : unit === "text" || unit === "time" ? "" : shown(result.totals[id]);
      tr.append(cell("td", text));
    });
    foot.append(tr);
  }
  document.querySelector("[data-no-rows]").hidden = result.rows.length > 0;
}

function showPages(report, result) {
  const pages = document.querySelector("[data-pages]");
  pages.hidden = report.shape !== "list" || (result.offset === 0 && result.total <= result.rows.length);
  if (pages.hidden) return;
  const first = Math.min(result.offset + 1, result.total);
  const last = result.offset + result.rows.length;
  document.querySelector("[data-page-rows]").textContent = t("reports.page_rows", {
    first: shown(first), last: shown(last), total: shown(result.total) + (result.total_exact ? "" : "+"),
  });
  document.querySelector("[data-previous]").disabled = result.offset === 0;
  document.querySelector("[data-next]").disabled = last >= result.total && result.total_exact;
}

function drawChart(report, result) {
  const figure = document.querySelector("[data-chart]");
  const metric = report.chart_metric;
  const label = result.columns[0];
  const rows = result.rows.filter((row) => typeof row[metric] === "number");
  figure.hidden = !metric || report.chart === "none" || rows.length === 0;
  if (figure.hidden) return figure.replaceChildren();
  const width = 720, height = 220, pad = 28;
  const top = Math.max(...rows.map((row) => row[metric]), 1);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height + pad}`);
  svg.setAttribute("role", "img");
  const name = report.columns.find((column) => column.id === metric);
  svg.setAttribute("aria-label", t("reports.chart", { metric: name.title[language] }));
  const step = (width - pad) / rows.length;
  const points = [];
  rows.forEach((row, index) => {
    const x = pad + index * step, h = (row[metric] / top) * (height - pad);
    if (report.chart === "line") {
      points.push(`${x + step / 2},${height - h}`);
    } else {
      const bar = document.createElementNS(SVG, "rect");
      Object.entries({ x: x + 1, y: height - h, width: Math.max(step - 2, 1), height: h, class: "bar" })
        .forEach(([key, value]) => bar.setAttribute(key, value));
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${labelled(result, label, row[label])}: ${shown(row[metric])}`;
      bar.append(title);
      svg.append(bar);
    }
  });
  if (points.length) {
    const line = document.createElementNS(SVG, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", "line");
    svg.append(line);
  }
  const axis = document.createElementNS(SVG, "text");
  axis.setAttribute("x", 0);
  axis.setAttribute("y", 12);
  axis.textContent = shown(top);
  svg.append(axis);
  figure.replaceChildren(svg);
}

let latest = 0; // answers to an older request than the last one are dropped

async function run(event) {
  event?.preventDefault();
  const asked = ++latest;
  const report = byId.get(select.value);
  const error = document.querySelector("[data-error]");
  error.hidden = true;
  for (const link of document.querySelectorAll("[data-download]")) link.href = query(link.dataset.download);
  document.querySelector("[data-report-title]").textContent = report.title[language] || report.title.en;
  document.querySelector("[data-report-answers]").textContent = report.answers[language] || report.answers.en;
  const response = await fetch(query(), { credentials: "same-origin" });
  if (asked !== latest) return;
  if (!response.ok) {
    error.textContent = await failure(response);
    error.hidden = false;
    return;
  }
  const result = await response.json();
  if (asked !== latest) return;
  document.querySelector("[data-report-zone]").textContent = t("reports.timezone", { zone: result.period.timezone });
  fillTable(report, result);
  showPages(report, result);
  drawChart(report, result);
  document.body.dataset.reportShown = report.id;
}

// Another report, period or queue starts at the list's first page.
function runFromStart(event) {
  offset = 0;
  run(event);
}

function turn(rows) {
  offset = Math.max(0, offset + rows);
  run();
}

form.addEventListener("submit", runFromStart);
select.addEventListener("change", runFromStart);
document.querySelector("[data-previous]").addEventListener("click", () => turn(-PAGE));
document.querySelector("[data-next]").addEventListener("click", () => turn(PAGE));
run();
