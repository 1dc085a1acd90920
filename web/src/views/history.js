// history.js - search the history ($CONTROL/np/v1/history) by topic filter
// and date range, one page at a time (never all at once), and export the
// whole result as CSV, paged, up to EXPORT_CAP messages. It is the record:
// withdrawn and expired announcements are shown too, marked, and the CSV
// ends with withdrawn,expired columns (true/false).
import { getLang, t } from '../i18n.js';
import { clear, csvField, download, el, fmtTime, hex, num } from '../util.js';
import { bodyText, expired, timeoutBox } from './common.js';

const PAGE = 100;
const EXPORT_CAP = 100000;
let q = null;          // {filter, since, until}
let cursors = [];      // the cursor of each page shown so far
let box = null;

function toMs(v) {
	return v ? new Date(v).getTime() : 0;
}

// withdrawn: the hub marked it (an Update or Cancel withdrew it; only
// officials', agencies' and admins' pages hold such items); expired: an
// announcement past its expiry. History is the record: it shows both, marked.
function rowOf(app, it, now) {
	const e = app.np.Envelope.decode(it.envelope);
	const b = e[e.body] || {};
	return { topic: it.topic, e, b, withdrawn: !!it.withdrawn, expired: expired(e, now) };
}

function marks(r) {
	return [
		r.withdrawn ? el('span', { class: 'pill withdrawn', title: t('withdrawn_hint') }, t('withdrawn')) : null,
		r.expired ? el('span', { class: 'pill expired', title: t('expired_hint') }, t('expired')) : null,
	];
}

function csvRow(r) {
	const s = r.e.sender || {};
	return [new Date(num(r.e.receivedAtMs)).toISOString(), r.topic, hex(r.e.id), s.username, s.role, s.area,
		r.e.body, r.b.title ?? r.b.text ?? '', r.b.detail ?? r.b.body ?? '', r.b.state ?? '', r.b.note ?? '',
		r.b.reportId ? hex(r.b.reportId) : '', String(r.withdrawn), String(r.expired)].map(csvField).join(',');
}

async function page(app) {
	clear(box, el('p', { class: 'note' }, t('loading')));
	let p;
	try {
		p = await app.hub.history({ filter: q.filter, sinceMs: q.since, untilMs: q.until, limit: PAGE,
			cursor: cursors[cursors.length - 1] }, 8000);
	} catch (e) {
		return clear(box, timeoutBox(app, e));
	}
	const now = Date.now();
	const rows = p.items.map((it) => rowOf(app, it, now));
	const next = p.nextCursor && p.nextCursor.length ? p.nextCursor : null;
	clear(box,
		el('p', { class: 'note', id: 'history-count' }, t('page_n', cursors.length, rows.length)),
		rows.length ? el('div', { class: 'table-wrap' }, el('table', { id: 'history-table' },
			el('thead', {}, el('tr', {}, [t('received_at'), t('topic'), t('sender'), t('text')].map((h) => el('th', { scope: 'col' }, h)))),
			el('tbody', {}, rows.map((r) => el('tr', { 'data-id': hex(r.e.id),
				class: r.withdrawn || r.expired ? 'inactive' : null },
				el('td', {}, fmtTime(num(r.e.receivedAtMs), getLang())), el('td', {}, r.topic),
				el('td', {}, (r.e.sender || {}).username || ''), el('td', {}, marks(r), bodyText(r.e)))))))
			: el('p', { class: 'note' }, t('no_items')),
		el('div', { class: 'toolbar' },
			cursors.length > 1 ? el('button', { type: 'button', class: 'secondary', id: 'history-prev',
				onclick: () => { cursors.pop(); page(app); } }, t('prev')) : null,
			next ? el('button', { type: 'button', class: 'secondary', id: 'history-next',
				onclick: () => { cursors.push(next); page(app); } }, t('more')) : null));
}

async function exportCsv(app, status) {
	const lines = ['received_at,topic,id,sender,role,area,body,title,detail,state,note,report_id,withdrawn,expired'];
	let cursor = new Uint8Array(0);
	do {
		let p;
		try {
			p = await app.hub.history({ filter: q.filter, sinceMs: q.since, untilMs: q.until, limit: 1000, cursor }, 10000);
		} catch (e) {
			status.textContent = app.explain(e);
			return;
		}
		const now = Date.now();
		for (const it of p.items)
			lines.push(csvRow(rowOf(app, it, now)));
		status.textContent = t('exporting', lines.length - 1);
		cursor = p.nextCursor;
	} while (cursor && cursor.length && lines.length <= EXPORT_CAP);
	const n = Math.min(lines.length - 1, EXPORT_CAP);
	download(`np-history-${new Date().toISOString().slice(0, 10)}.csv`, `${lines.slice(0, n + 1).join('\r\n')}\r\n`);
	status.textContent = lines.length - 1 > EXPORT_CAP ? t('export_capped', n) : t('exported', n);
}

export const historyView = {
	id: 'history',
	render(main, app) {
		const first = app.granted.find((f) => f.startsWith('np/rep/')) || app.granted[0] || '';
		q = q || { filter: first, since: Date.now() - 7 * 86400000, until: 0 };
		const local = (ms) => (ms ? new Date(ms - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : '');
		const filter = el('input', { id: 'history-filter', value: q.filter, list: 'history-filters', size: 28, required: true });
		const since = el('input', { id: 'history-since', type: 'datetime-local', value: local(q.since) });
		const until = el('input', { id: 'history-until', type: 'datetime-local', value: local(q.until) });
		const status = el('p', { class: 'note', id: 'history-export-status', role: 'status' });
		box = el('div', { id: 'history-box' });
		clear(main, el('section', { class: 'card', 'aria-labelledby': 'history-h' },
			el('h2', { id: 'history-h' }, t('v_history')),
			el('form', {
				class: 'toolbar', id: 'history-form',
				onsubmit: (ev) => {
					ev.preventDefault();
					q = { filter: filter.value.trim(), since: toMs(since.value), until: toMs(until.value) };
					cursors = [new Uint8Array(0)];
					page(app);
				},
			},
			el('label', { for: 'history-filter' }, t('filter'), filter),
			el('datalist', { id: 'history-filters' }, app.granted.map((f) => el('option', { value: f }))),
			el('label', { for: 'history-since' }, t('since'), since),
			el('label', { for: 'history-until' }, t('until'), until),
			el('button', { type: 'submit', id: 'history-search' }, t('search')),
			el('button', { type: 'button', class: 'secondary', id: 'history-export',
				onclick: () => exportCsv(app, status) }, t('export_csv'))),
			status, box));
		cursors = [new Uint8Array(0)];
		page(app);
	},
	hide() {
		box = null;
	},
	reset() {
		q = null;
		box = null;
	},
};
