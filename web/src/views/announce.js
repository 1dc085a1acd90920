// announce.js - compose an announcement to an area and category with an
// expiry, publish it on np/ann/<area>/<category>; then its reach
// ($CONTROL/np/v1/reach): delivered, read and not reached, by province,
// asked again every 5 s while the view is open.
import { CATEGORIES, getLang, t } from '../i18n.js';
import { districtsOf, placeName, provinces } from '../places.js';
import { clear, el, fmtTime, unhex } from '../util.js';
import { timeoutBox } from './common.js';

const HOURS = [1, 2, 6, 12, 24, 48, 72];
const mine = [];       // {id, title, area, category, at} sent this session
let current = null;    // id (hex) whose reach is shown
let timer = null;
let reachBox = null;

function areaChoices(h) {
	if (h.area === 'TH')
		return ['TH', ...provinces()];
	if (h.area.length === 2)
		return [h.area, ...districtsOf(h.area)];
	return [h.area];
}

function bar(n, of) {
	const pct = of ? Math.round((100 * n) / of) : 0;
	return el('div', { class: 'bar', role: 'img', 'aria-label': `${pct}%` }, el('span', { style: `width:${pct}%` }));
}

async function showReach(app) {
	if (!reachBox || !current)
		return;
	let r;
	try {
		r = await app.hub.request('reach', app.np.ReachRequest, { id: unhex(current), limit: 20 }, 5000);
	} catch (e) {
		if (reachBox)
			clear(reachBox, timeoutBox(app, e));
		return;
	}
	if (!reachBox)
		return;
	const a = mine.find((m) => m.id === current);
	clear(reachBox,
		el('h3', {}, t('reach'), ': ', a ? a.title : current, ' ', el('span', { class: 'note' }, `(${t('reach_live')})`)),
		el('div', { class: 'stats', id: 'reach-stats' },
			el('div', {}, el('b', { id: 'reach-targeted' }, r.targeted), t('targeted')),
			el('div', {}, el('b', { id: 'reach-delivered' }, r.delivered), t('delivered')),
			el('div', {}, el('b', { id: 'reach-read' }, r.read), t('read')),
			el('div', {}, el('b', {}, r.targeted - r.delivered), t('not_reached'))),
		el('div', { class: 'table-wrap' }, el('table', { id: 'reach-provinces' },
			el('thead', {}, el('tr', {}, [t('province'), t('targeted'), t('delivered'), '', t('read')].map((x) => el('th', { scope: 'col' }, x)))),
			el('tbody', {}, r.provinces.map((p) => el('tr', {},
				el('td', {}, placeName(p.province)), el('td', {}, p.targeted), el('td', {}, p.delivered),
				el('td', {}, bar(p.delivered, p.targeted)), el('td', {}, p.read)))))),
		r.notReached.length ? el('p', { class: 'note' }, `${t('not_reached')}: `,
			r.notReached.map(placeName).join(', '), r.nextCursor && r.nextCursor.length ? ' …' : '') : null);
}

function watch(app, id) {
	current = id;
	clearInterval(timer);
	showReach(app);
	timer = setInterval(() => showReach(app), 5000);
}

export const announceView = {
	id: 'announce',
	render(main, app) {
		const h = app.session.holder;
		const area = el('input', { id: 'ann-area', list: 'ann-areas', value: h.area, required: true, size: 10 });
		const areas = el('datalist', { id: 'ann-areas' }, areaChoices(h).map((c) => el('option', { value: c }, placeName(c))));
		const cat = el('select', { id: 'ann-category' }, CATEGORIES.map((c) => el('option', { value: c }, t(`c_${c}`))));
		const title = el('input', { id: 'ann-title', required: true, maxlength: 200, size: 40 });
		const body = el('textarea', { id: 'ann-body', rows: 3, cols: 40 });
		const exp = el('select', { id: 'ann-expiry' }, el('option', { value: '0' }, t('never')),
			HOURS.map((x) => el('option', { value: String(x), selected: x === 2 }, t('hours', x))));
		const status = el('p', { id: 'ann-status', role: 'status' });
		const send = el('button', { type: 'submit', id: 'ann-send' }, t('send'));
		const list = el('ul', { id: 'ann-mine' }, mine.map((m) => el('li', {},
			el('button', { type: 'button', class: 'secondary', onclick: () => watch(app, m.id) },
				`${fmtTime(m.at, getLang())} · ${placeName(m.area)} · ${t(`c_${m.category}`)} · ${m.title}`))));
		const form = el('form', {
			id: 'ann-form',
			onsubmit: async (ev) => {
				ev.preventDefault();
				send.disabled = true;
				status.className = 'note';
				status.textContent = t('loading');
				const hours = Number(exp.value);
				const a = area.value.trim();
				try {
					const id = await app.hub.publish(`np/ann/${a}/${cat.value}`, {
						announcement: { title: title.value, body: body.value,
							expiresAtMs: hours ? Date.now() + hours * 3600000 : 0 },
					});
					mine.unshift({ id, title: title.value, area: a, category: cat.value, at: Date.now() });
					status.textContent = `${t('sent')}: ${title.value}`;
					list.prepend(el('li', {}, el('button', { type: 'button', class: 'secondary', onclick: () => watch(app, id) },
						`${placeName(a)} · ${t(`c_${cat.value}`)} · ${title.value}`)));
					title.value = '';
					body.value = '';
					watch(app, id);
				} catch (e) {
					status.className = 'error';
					status.textContent = t('refused', e.message);
				}
				send.disabled = false;
			},
		},
		el('div', { class: 'toolbar' },
			el('label', { for: 'ann-area' }, t('area'), area), areas,
			el('label', { for: 'ann-category' }, t('category'), cat),
			el('label', { for: 'ann-expiry' }, t('expiry'), exp)),
		el('div', { class: 'toolbar' }, el('label', { for: 'ann-title' }, t('title_col'), title)),
		el('div', { class: 'toolbar' }, el('label', { for: 'ann-body' }, t('body'), body)),
		send, status);
		reachBox = el('div', { id: 'reach-box', 'aria-live': 'polite' });
		clear(main, el('div', { class: 'grid2' },
			el('section', { class: 'card', 'aria-labelledby': 'ann-h' }, el('h2', { id: 'ann-h' }, t('v_announce')), form,
				el('h3', {}, t('my_announcements')), list),
			el('section', { class: 'card', 'aria-label': t('reach') }, reachBox)));
		if (current)
			watch(app, current);
	},
	hide() {
		clearInterval(timer);
		reachBox = null;
	},
	reset() {
		clearInterval(timer);
		reachBox = null;
		current = null;
		mine.length = 0;
	},
};
