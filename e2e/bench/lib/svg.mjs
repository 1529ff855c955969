/**
 * A latency-by-percentile chart as a standalone SVG, written by hand (no browser, no library). The x axis
 * counts "nines" (50%, 90%, 99%, 99.9%, 99.99%) so the tail gets as much room as the body; y is milliseconds.
 */

const WIDTH = 720;
const HEIGHT = 420;
const PAD = { left: 64, right: 180, top: 48, bottom: 56 };
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];
const MAX_NINES = 4;

/** Where percentile p sits on the x axis, in nines: 90 → 1, 99 → 2; capped at 99.99 → 4. */
export function ninesOf(p) {
  if (p >= 100) return MAX_NINES;
  return Math.min(MAX_NINES, -Math.log10(1 - p / 100));
}

/** A "nice" axis maximum at or above v: 1, 2 or 5 times a power of ten. */
export function niceCeiling(v) {
  if (!Number.isFinite(v) || v <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}

/** Escapes text for SVG character data and attribute values. */
export function escapeXml(text) {
  return String(text)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}

/**
 * The chart: `series` is `[{ name, curve: [{p, ms}] }]`; points that are not finite are skipped, as are
 * percentiles above 99.99 (the max of a short run is one sample and says little).
 */
export function renderLatencyChart({ title, subtitle = '', series }) {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const points = series.map((s) => s.curve.filter((pt) => Number.isFinite(pt.ms) && pt.p <= 99.99));
  const yMax = niceCeiling(Math.max(0, ...points.flat().map((pt) => pt.ms)));
  const x = (p) => PAD.left + (ninesOf(p) / MAX_NINES) * plotW;
  const y = (ms) => PAD.top + plotH - (ms / yMax) * plotH;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${PAD.left}" y="20" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${PAD.left}" y="36" fill="#555555">${escapeXml(subtitle)}</text>`,
  );
  for (const [label, p] of [
    ['0%', 0],
    ['90%', 90],
    ['99%', 99],
    ['99.9%', 99.9],
    ['99.99%', 99.99],
  ]) {
    const px = x(p).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${PAD.top}" x2="${px}" y2="${PAD.top + plotH}" stroke="#e0e0e0"/>`,
      `<text x="${px}" y="${PAD.top + plotH + 18}" text-anchor="middle">${label}</text>`,
    );
  }
  for (let i = 0; i <= 5; i++) {
    const ms = (yMax * i) / 5;
    const py = y(ms).toFixed(1);
    out.push(
      `<line x1="${PAD.left}" y1="${py}" x2="${PAD.left + plotW}" y2="${py}" stroke="#e0e0e0"/>`,
      `<text x="${PAD.left - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${formatMs(ms)}</text>`,
    );
  }
  out.push(
    `<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888888"/>`,
    `<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 14}" text-anchor="middle">percentile</text>`,
    `<text x="16" y="${PAD.top + plotH / 2}" text-anchor="middle" transform="rotate(-90 16 ${PAD.top + plotH / 2})">latency (ms)</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const pts = points[i] ?? [];
    if (pts.length > 0) {
      const path = pts.map((pt) => `${x(pt.p).toFixed(1)},${y(pt.ms).toFixed(1)}`).join(' ');
      out.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    }
    const ly = PAD.top + 10 + i * 18;
    out.push(
      `<line x1="${PAD.left + plotW + 12}" y1="${ly}" x2="${PAD.left + plotW + 32}" y2="${ly}" stroke="${colour}" stroke-width="3"/>`,
      `<text x="${PAD.left + plotW + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function formatMs(ms) {
  return ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2);
}
