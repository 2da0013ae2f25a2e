import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Stats, Status } from '@sluice/client';
import { describeError, session, sluice } from './api.js';
import { minuteSeries } from './minute-series.js';

type Worker = Status['workers'][number];

const inProgress = ['queued', 'parsing', 'chunking', 'embedding', 'indexing'];
/** Samples of the work in progress the page keeps: an hour at one every five seconds. */
const maxSamples = 720;
const pollMs = 5_000;

const sum = (record: Record<string, number>, keys?: string[]): number =>
  Object.entries(record).reduce((n, [k, v]) => n + (!keys || keys.includes(k) ? v : 0), 0);

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** A uPlot chart that follows its data; sized to its box. */
function Chart({
  label,
  series,
  data,
  axes = [{}, { size: 50 }],
  scales,
}: {
  label: string;
  series: uPlot.Series[];
  data: uPlot.AlignedData;
  axes?: uPlot.Axis[];
  scales?: uPlot.Scales;
}) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  useEffect(() => {
    const element = box.current;
    if (!element) {
      return undefined;
    }
    chart.current = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 180,
        series: [{}, ...series],
        axes,
        ...(scales ? { scales } : {}),
        legend: { show: true },
      },
      data,
      element,
    );
    return () => chart.current?.destroy();
  }, []);
  useEffect(() => {
    chart.current?.setData(data);
  }, [data]);
  return html`<figure class="chart" aria-label=${label}>
    <figcaption>${label}</figcaption>
    <div ref=${box} data-testid="chart"></div>
  </figure>`;
}

/**
 * The tenant at a glance, updated every five seconds: documents by state, work in progress (sampled
 * while the page is open), documents and chunks completed per minute over the last hour, failures by
 * code, what each collection holds, and live workers for admin keys.
 */
export function DashboardView() {
  const [stats, setStats] = useState<Stats | null>(null);
  const [samples, setSamples] = useState<[number[], (number | null)[]]>([[], []]);
  const [workers, setWorkers] = useState<Worker[] | null>(null);
  const [message, setMessage] = useState('');
  useEffect(() => {
    let stopped = false;
    // One request at a time: a slow answer is not joined by the next tick's.
    let loading = false;
    const load = async (): Promise<void> => {
      if (loading) {
        return;
      }
      loading = true;
      try {
        const next = await sluice().stats();
        if (stopped) {
          return;
        }
        setStats(next);
        // The first sample comes with an empty one five minutes before, so the axis spans minutes from the start.
        const now = Date.now() / 1000;
        setSamples(([times, values]) => [
          [...(times.length === 0 ? [now - 300] : times), now].slice(-maxSamples),
          [...(values.length === 0 ? [null] : values), sum(next.documents_by_state, inProgress)].slice(-maxSamples),
        ]);
        setMessage('');
      } catch (error) {
        setMessage(describeError(error, false));
      }
      // Workers are the whole service's: only admin keys see them.
      try {
        const status = await sluice().status();
        setWorkers(status.workers);
      } catch {
        setWorkers(null);
      }
      loading = false;
    };
    void load();
    const timer = setInterval(() => void load(), pollMs);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  if (!stats) {
    return html`<section class="dashboard"><p>Loading…</p>${message && html`<p class="bad" role="alert">${message}</p>`}</section>`;
  }
  const failures = Object.entries(stats.failures_by_code).sort((a, b) => b[1] - a[1]);
  const showFailed = (): void => {
    session.set('jobsState', 'failed');
    location.hash = '#jobs';
  };
  return html`<section class="dashboard">
    ${message && html`<p class="bad" role="alert">${message}</p>`}
    <div class="tiles">
      ${Object.entries(stats.documents_by_state).map(
        ([state, n]) => html`<div class="tile"><span class="value">${n}</span><span class="name">${state}</span></div>`,
      )}
      <div class="tile"><span class="value">${stats.chunks}</span><span class="name">chunks</span></div>
      <div class="tile"><span class="value">${formatBytes(stats.stored_bytes)}</span><span class="name">stored</span></div>
      <div class="tile">
        <span class="value">${stats.throughput.last_hour.documents}</span><span class="name">documents in the last hour</span>
      </div>
    </div>
    <div class="charts">
      <${Chart}
        label="Completed per minute, last hour"
        series=${[
          { label: 'documents', stroke: '#1f6feb', width: 2 },
          { label: 'chunks', stroke: '#2da44e', width: 2, scale: 'chunks' },
        ]}
        data=${minuteSeries(stats.throughput_per_minute)}
        axes=${[{}, { size: 50 }, { scale: 'chunks', side: 1, size: 60, grid: { show: false } }]}
      />
      <${Chart}
        label="Queued or running, since this page opened"
        series=${[{ label: 'documents', stroke: '#bf8700', width: 2, fill: 'rgba(191, 135, 0, 0.15)' }]}
        data=${samples}
      />
    </div>
    <h2>Failures by code</h2>
    ${
      failures.length === 0
        ? html`<p>No failed documents.</p>`
        : html`<ul class="failures">
            ${failures.map(
              ([code, n]) =>
                html`<li><code>${code}</code> ${n} document${n === 1 ? '' : 's'}
                  <button class="link" onClick=${showFailed}>show failed documents</button></li>`,
            )}
          </ul>`
    }
    <h2>Collections</h2>
    <table>
      <thead><tr><th>Collection</th><th>Documents</th><th>Chunks</th><th>Stored</th></tr></thead>
      <tbody>
        ${stats.collections.map(
          (c) =>
            html`<tr><td class="name">${c.name}</td><td>${sum(c.documents_by_state)}</td><td>${c.chunks}</td><td>${formatBytes(c.stored_bytes)}</td></tr>`,
        )}
      </tbody>
    </table>
    ${
      workers &&
      html`<h2>Workers</h2>
        <ul class="workers">
          ${workers.map((w) => html`<li>${w.host} (pid ${w.pid}), last seen ${new Date(w.last_seen_at).toLocaleTimeString()}</li>`)}
        </ul>`
    }
  </section>`;
}
