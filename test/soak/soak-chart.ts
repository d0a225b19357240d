/** One series of a soak chart: values over time (seconds since start). */
export interface ChartSeries {
  label: string;
  unit: string;
  points: { t: number; v: number }[];
}

const PANEL_W = 720;
const PANEL_H = 150;
const MARGIN = { left: 70, right: 20, top: 28, bottom: 26 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function format(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

/**
 * A stacked line chart, one panel per group of series (series in a group share a y axis), as standalone SVG
 * text: no dependency, readable in any browser.
 */
export function renderChart(title: string, panels: ChartSeries[][]): string {
  const height = MARGIN.top + panels.length * (PANEL_H + MARGIN.top + MARGIN.bottom);
  const width = PANEL_W + MARGIN.left + MARGIN.right;
  const maxT = Math.max(1, ...panels.flatMap((p) => p.flatMap((s) => s.points.map((pt) => pt.t))));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  panels.forEach((series, i) => {
    const top = MARGIN.top + i * (PANEL_H + MARGIN.top + MARGIN.bottom) + MARGIN.top;
    const maxV = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.v))));
    const x = (t: number): number => MARGIN.left + (t / maxT) * PANEL_W;
    const y = (v: number): number => top + PANEL_H - (v / maxV) * PANEL_H;
    out.push(`<rect x="${MARGIN.left}" y="${top}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#ccc"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (maxV * k) / 4;
      out.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + PANEL_W}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`,
        `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${format(v)}</text>`,
      );
    }
    for (let k = 0; k <= 6; k++) {
      const t = (maxT * k) / 6;
      out.push(`<text x="${x(t)}" y="${top + PANEL_H + 16}" text-anchor="middle">${(t / 60).toFixed(1)} min</text>`);
    }
    let legendX = MARGIN.left;
    series.forEach((s, j) => {
      const color = COLORS[j % COLORS.length]!;
      const path = s.points.map((p, n) => `${n === 0 ? 'M' : 'L'}${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      if (path) out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
      const label = `${s.label} (${s.unit})`;
      out.push(`<text x="${legendX}" y="${top - 6}" fill="${color}">${escape(label)}</text>`);
      legendX += label.length * 6.5 + 16;
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
