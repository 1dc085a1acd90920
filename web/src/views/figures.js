// figures.js - reports per day by kind (counted from the history of the
// granted report filters, paged, up to CAP messages) and time to first ack
// and to resolution by province ($CONTROL/np/v1/case-stats), as charts.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { KINDS, t } from '../i18n.js';
import { placeName, repTopic } from '../places.js';
import { clear, el, num } from '../util.js';
import { timeoutBox } from './common.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const CAP = 20000;
const KIND_COLOURS = { outage: '#c94c14', need: '#0b5fa5', incident: '#8a2be2', feedback: '#1e7b34' };
let days = 30;
const charts = [];

function dayKey(ms) {
	const d = new Date(ms);
	return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function chart(canvas, config) {
	charts.push(new Chart(canvas, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } }));
}

async function perDay(app, box) {
	const since = Date.now() - days * 86400000;
	const byDay = new Map();
	let n = 0;
	for (let d = 0; d < days; d++)
		byDay.set(dayKey(since + (d + 1) * 86400000), Object.fromEntries(KINDS.map((k) => [k, 0])));
	for (const f of app.granted.filter((g) => g.startsWith('np/rep/'))) {
		let cursor = new Uint8Array(0);
		do {
			let p;
			try {
				p = await app.hub.history({ filter: f, sinceMs: since, limit: 1000, cursor }, 10000);
			} catch (e) {
				return clear(box, timeoutBox(app, e));
			}
			for (const it of p.items) {
				const r = repTopic(it.topic);
				if (!r || r.kind === 'ack')
					continue;
				const at = num(app.np.Envelope.decode(it.envelope).receivedAtMs);
				const row = byDay.get(dayKey(at));
				if (row && row[r.kind] != null) {
					row[r.kind]++;
					n++;
				}
			}
			cursor = p.nextCursor;
		} while (cursor && cursor.length && n < CAP);
	}
	const canvas = el('canvas', { role: 'img', 'aria-label': `${t('per_day')}: ${n}` });
	clear(box, el('div', { class: 'chart-box' }, canvas), n >= CAP ? el('p', { class: 'note' }, t('capped', CAP)) : null);
	const labels = [...byDay.keys()];
	chart(canvas, {
		type: 'bar',
		data: { labels, datasets: KINDS.map((k) => ({ label: t(`k_${k}`), data: labels.map((d) => byDay.get(d)[k]), backgroundColor: KIND_COLOURS[k] })) },
		options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
	});
}

async function times(app, box) {
	let page;
	try {
		const h = app.session.holder;
		page = await app.hub.request('case-stats', app.np.CaseStatsRequest, { area: h.area === 'TH' ? '' : h.area }, 4000);
	} catch (e) {
		return clear(box, timeoutBox(app, e));
	}
	// per province: the p50s of its rows (kind, month), weighted by count
	const by = new Map();
	for (const r of page.rows) {
		const a = by.get(r.province) || { n: 0, ack: 0, acked: 0, res: 0, resolved: 0 };
		a.n += r.count;
		a.ack += num(r.ackP50Ms) * r.acked;
		a.acked += r.acked;
		a.res += num(r.resolveP50Ms) * r.resolved;
		a.resolved += r.resolved;
		by.set(r.province, a);
	}
	if (!by.size)
		return clear(box, el('p', { class: 'note' }, t('no_cases')));
	const codes = [...by.keys()].sort();
	const hours = (x, n) => (n ? +(x / n / 3600000).toFixed(2) : 0);
	const canvas = el('canvas', { role: 'img', 'aria-label': `${t('ack_time')}; ${t('resolve_time')}` });
	clear(box, el('div', { class: 'chart-box' }, canvas));
	chart(canvas, {
		type: 'bar',
		data: {
			labels: codes.map(placeName),
			datasets: [
				{ label: t('ack_time'), data: codes.map((c) => hours(by.get(c).ack, by.get(c).acked)), backgroundColor: '#0b5fa5' },
				{ label: t('resolve_time'), data: codes.map((c) => hours(by.get(c).res, by.get(c).resolved)), backgroundColor: '#1e7b34' },
			],
		},
		options: { indexAxis: codes.length > 8 ? 'y' : 'x', scales: { x: { beginAtZero: true } } },
	});
}

export const figuresView = {
	id: 'figures',
	render(main, app) {
		this.hide();
		const dayBox = el('div', { id: 'figures-days' }, el('p', { class: 'note' }, t('loading')));
		const timeBox = el('div', { id: 'figures-times' }, el('p', { class: 'note' }, t('loading')));
		const period = el('select', {
			id: 'figures-period',
			onchange: (e) => { days = Number(e.target.value); this.render(main, app); },
		}, [7, 30, 90].map((d) => el('option', { value: String(d), selected: d === days }, t('last_days', d))));
		clear(main,
			el('section', { class: 'card', 'aria-labelledby': 'fig-days-h' },
				el('div', { class: 'toolbar' }, el('h2', { id: 'fig-days-h' }, t('per_day'), ' · ', placeName(app.session.holder.area)),
					el('label', { for: 'figures-period' }, t('days_back'), period)),
				dayBox),
			el('section', { class: 'card', 'aria-labelledby': 'fig-times-h' },
				el('h2', { id: 'fig-times-h' }, `${t('ack_time')} · ${t('resolve_time')}`), timeBox));
		perDay(app, dayBox);
		times(app, timeBox);
	},
	hide() {
		while (charts.length)
			charts.pop().destroy();
	},
};
