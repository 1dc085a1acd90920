// cases.js - the report cases in scope ($CONTROL/np/v1/cases): open and
// overdue, newest or oldest first, by district, kind and state; assign,
// acknowledge, resolve with a note; the report's photo. A hub without the
// case index does not answer: the view says so.
import { getLang, KINDS, t } from '../i18n.js';
import { districtsOf, placeName, repTopic } from '../places.js';
import { clear, el, fmtTime, photoType } from '../util.js';
import { bodyText, sendAck, statePill, timeoutBox } from './common.js';

const STATES = [0, 1, 5, 2, 3, 4];
let q = { district: '', kind: '', state: 'open', overdue: false, oldest: false };
let pages = [];        // cursors of the pages shown: [empty, next, ...]
let box = null;
let unavailable = false;   // the hub did not answer: no reload on each message

function decodeCase(app, c) {
	const np = app.np;
	const report = np.Envelope.decode(c.report);
	const last = c.lastAck && c.lastAck.length ? np.Envelope.decode(c.lastAck) : null;
	return { c, report, last, r: repTopic(c.topic) };
}

function request(app) {
	const h = app.session.holder;
	const msg = {
		area: q.district || (h.area === 'TH' ? '' : h.area),
		kinds: q.kind ? [q.kind] : [],
		states: q.state === 'open' ? [0, 1, 2, 5] : q.state === '' ? [] : [Number(q.state)],
		overdueOnly: q.overdue, limit: 50, oldestFirst: q.oldest,
		cursor: pages[pages.length - 1] || new Uint8Array(0),
	};
	return app.hub.request('cases', app.np.CaseRequest, msg, 4000);
}

function detail(app, d) {
	const rep = d.report.report;
	const type = photoType(rep.photo);
	const dlg = el('dialog', { 'aria-labelledby': 'case-h', id: 'case-detail' },
		el('h2', { id: 'case-h' }, rep.title),
		el('p', {}, placeName(d.r.village), ' · ', t(`k_${d.r.kind}`), ' · ', fmtTime(d.report.receivedAtMs, getLang())),
		rep.detail ? el('p', {}, rep.detail) : null,
		type ? el('img', { src: URL.createObjectURL(new Blob([rep.photo], { type })), alt: `${t('photo')}: ${rep.title}` }) : null,
		d.last ? el('p', {}, el('strong', {}, t('last_ack'), ': '), bodyText(d.last), ' · ', d.last.sender.username) : null,
		el('form', { method: 'dialog' }, el('button', { type: 'submit' }, t('close'))));
	document.body.append(dlg);
	dlg.addEventListener('close', () => dlg.remove());
	dlg.showModal();
}

function actions(app, d) {
	const S = app.np.AckState;
	const note = el('input', { 'aria-label': `${t('note')}: ${d.report.report.title}`, placeholder: t('note'), class: 'case-note', size: 12 });
	const who = el('input', { 'aria-label': `${t('assignee_name')}: ${d.report.report.title}`, placeholder: t('assignee'), class: 'case-assignee', size: 10 });
	const act = (state, label, cls) => el('button', {
		type: 'button', class: `secondary ${cls}`, 'aria-label': `${label}: ${d.report.report.title}`,
		onclick: async (ev) => {
			ev.stopPropagation();
			ev.target.disabled = true;
			try {
				await sendAck(app, d.c.topic, d.report, state, note.value, state === S.ASSIGNED ? who.value.trim() : '');
				app.toast(t('ack_sent', `${t(`s_${state}`)} · ${d.report.report.title}`));
				setTimeout(() => load(app), 300);
			} catch (e) {
				app.toast(t('refused', e.message), true);
				ev.target.disabled = false;
			}
		},
	}, label);
	const stop = (e) => e.stopPropagation();
	note.addEventListener('click', stop);
	who.addEventListener('click', stop);
	return el('td', { class: 'actions' }, who, act(S.ASSIGNED, t('assign'), 'assign-btn'), ' ',
		act(S.RECEIVED, t('acknowledge'), 'ack-btn'), ' ', note, act(S.RESOLVED, t('resolve'), 'resolve-btn'));
}

function table(app, page) {
	const rows = page.cases.map((c) => decodeCase(app, c));
	if (!rows.length)
		return el('p', { class: 'note', id: 'cases-empty' }, t('no_cases'));
	const officer = app.session.holder.role !== app.np.Role.VOLUNTEER;
	return el('div', { class: 'table-wrap' }, el('table', { id: 'cases-table' },
		el('thead', {}, el('tr', {}, [t('received_at'), t('village'), t('kind'), t('title_col'), t('state'), t('assignee'),
			officer ? t('actions') : null].filter(Boolean).map((h) => el('th', { scope: 'col' }, h)))),
		el('tbody', {}, rows.map((d) => el('tr', {
			class: 'clickable', tabindex: 0, 'data-topic': d.c.topic,
			onclick: () => detail(app, d),
			onkeydown: (e) => { if (e.key === 'Enter' && e.target === e.currentTarget) detail(app, d); },
		},
		el('td', {}, fmtTime(d.report.receivedAtMs, getLang())),
		el('td', {}, placeName(d.r.village)),
		el('td', {}, t(`k_${d.r.kind}`)),
		el('td', {}, d.report.report.title, d.report.report.photo && d.report.report.photo.length ? ' 📷' : ''),
		el('td', {}, statePill(d.c.state, d.c.ackOverdue || d.c.resolveOverdue)),
		el('td', {}, d.c.assignee || ''),
		officer ? actions(app, d) : null)))));
}

async function load(app) {
	if (!box)
		return;
	clear(box, el('p', { class: 'note' }, t('loading')));
	let page;
	try {
		page = await request(app);
	} catch (e) {
		unavailable = !!(e.timeout || e.unsupported);
		if (box)
			clear(box, timeoutBox(app, e));
		return;
	}
	unavailable = false;
	if (!box)
		return;
	const next = page.nextCursor && page.nextCursor.length ? page.nextCursor : null;
	clear(box, table(app, page), el('div', { class: 'toolbar' },
		pages.length > 1 ? el('button', { type: 'button', class: 'secondary', onclick: () => { pages.pop(); load(app); } }, t('prev')) : null,
		next ? el('button', { type: 'button', class: 'secondary', onclick: () => { pages.push(next); load(app); } }, t('more')) : null));
}

function select(id, label, value, options, onchange) {
	const s = el('select', { id, onchange: (e) => onchange(e.target.value) },
		options.map(([v, text]) => el('option', { value: v, selected: v === value }, text)));
	return el('label', { for: id }, label, s);
}

export const casesView = {
	id: 'cases',
	render(main, app) {
		const h = app.session.holder;
		const districts = h.area.length === 2 ? districtsOf(h.area) : [];
		const set = (k) => (v) => { q[k] = v; pages = []; load(app); };
		box = el('div', { id: 'cases-box' });
		clear(main, el('section', { class: 'card', 'aria-labelledby': 'cases-h' },
			el('h2', { id: 'cases-h' }, t('v_cases'), ' · ', placeName(h.area)),
			el('div', { class: 'toolbar', role: 'group', 'aria-label': t('filter') },
				districts.length ? select('cases-district', t('district'), q.district,
					[['', t('all')], ...districts.map((d) => [d, placeName(d)])], set('district')) : null,
				select('cases-kind', t('kind'), q.kind, [['', t('all')], ...KINDS.map((k) => [k, t(`k_${k}`)])], set('kind')),
				select('cases-state', t('state'), q.state,
					[['open', `${t('s_0')} + ${t('s_1')} + ${t('s_5')} + ${t('s_2')}`], ['', t('all')],
						...STATES.map((s) => [String(s), t(`s_${s}`)])], set('state')),
				select('cases-order', t('order'), q.oldest ? '1' : '', [['', t('newest_first')], ['1', t('oldest_first')]],
					(v) => set('oldest')(v === '1')),
				el('label', { class: 'check', for: 'cases-overdue' },
					el('input', { type: 'checkbox', id: 'cases-overdue', checked: q.overdue,
						onchange: (e) => set('overdue')(e.target.checked) }), t('overdue_only')),
				el('button', { type: 'button', id: 'cases-refresh', onclick: () => load(app) }, t('refresh'))),
			box));
		pages = [];
		load(app);
	},
	onMessage(m, app) {
		// a new report or ack in scope: the page may have changed
		if (m.live && !unavailable && /^np\/rep\//.test(m.topic)) {
			clearTimeout(this.timer);
			this.timer = setTimeout(() => load(app), 500);
		}
	},
	hide() {
		box = null;
	},
	reset() {
		box = null;
		q = { district: '', kind: '', state: 'open', overdue: false, oldest: false };
	},
};
