// map.js - Thailand's provinces (data/provinces.geojson, drawn as SVG with
// d3-geo; no tiles, nothing fetched from elsewhere) coloured by open cases
// in scope, or, from a hub without the case index, by the reports of the
// last 7 days in its history; click or Enter on a province for its
// districts, on a district for its villages.
import { geoArea, geoMercator, geoPath } from 'd3-geo';
import { t } from '../i18n.js';
import { districtsOf, placeName, repTopic } from '../places.js';
import { clear, el } from '../util.js';

const SVGNS = 'http://www.w3.org/2000/svg';
const COLOURS = ['#e8edf3', '#fde0c5', '#fbb07c', '#f27c3a', '#c94c14', '#7f2704'];
const STEPS = [0, 1, 3, 10, 30, 100];
let geo = null;
let counts = null;     // village code -> count
let source = '';
let sel = { province: null, district: null };

// d3-geo takes a ring's winding as the side it encloses (clockwise); a
// GeoJSON file may wind the other way (RFC 7946), which d3 reads as the rest
// of the globe: such features are turned round.
function rewind(fc) {
	for (const f of fc.features) {
		if (geoArea(f) <= 2 * Math.PI)
			continue;
		const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
		for (const poly of polys)
			for (const ring of poly)
				ring.reverse();
	}
	return fc;
}

function colour(n) {
	let i = 0;
	while (i + 1 < STEPS.length && n >= STEPS[i + 1])
		i++;
	return n > 0 ? COLOURS[Math.max(i, 1)] : COLOURS[0];
}

function sum(prefix) {
	let n = 0;
	for (const [v, c] of counts || [])
		if (v.startsWith(prefix))
			n += c;
	return n;
}

// open cases per village, from $CONTROL/np/v1/cases (10 pages at most)
async function fromCases(app) {
	const h = app.session.holder, m = new Map();
	let cursor = new Uint8Array(0);
	for (let i = 0; i < 10; i++) {
		const page = await app.hub.request('cases', app.np.CaseRequest,
			{ area: h.area === 'TH' ? '' : h.area, states: [0, 1, 2, 5], limit: 500, cursor }, 4000);
		for (const c of page.cases) {
			const r = repTopic(c.topic);
			if (r)
				m.set(r.village, (m.get(r.village) || 0) + 1);
		}
		cursor = page.nextCursor;
		if (!cursor || !cursor.length)
			break;
	}
	return m;
}

// reports of the last 7 days per village, from the history of the granted
// report filters (10 pages of 1000 at most each)
async function fromHistory(app) {
	const m = new Map(), since = Date.now() - 7 * 86400000;
	for (const f of app.granted.filter((g) => g.startsWith('np/rep/'))) {
		let cursor = new Uint8Array(0);
		for (let i = 0; i < 10; i++) {
			const page = await app.hub.history({ filter: f, sinceMs: since, limit: 1000, cursor }, 8000);
			for (const it of page.items) {
				const r = repTopic(it.topic);
				if (r && r.kind !== 'ack')
					m.set(r.village, (m.get(r.village) || 0) + 1);
			}
			cursor = page.nextCursor;
			if (!cursor || !cursor.length)
				break;
		}
	}
	return m;
}

async function loadCounts(app) {
	try {
		counts = await fromCases(app);
		source = t('open_cases');
	} catch (e) {
		if (!e.timeout && !e.unsupported)
			throw e;
		counts = await fromHistory(app);
		source = t('reports_7d');
	}
}

function drawMap(app, svgBox, side) {
	const w = 600, h = 1000;
	const proj = geoMercator().fitSize([w, h], geo);
	const path = geoPath(proj);
	const svg = document.createElementNS(SVGNS, 'svg');
	svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
	svg.setAttribute('role', 'group');
	svg.setAttribute('aria-label', t('v_map'));
	for (const f of geo.features) {
		const code = f.properties.code, n = sum(code);
		const p = document.createElementNS(SVGNS, 'path');
		p.setAttribute('d', path(f));
		p.setAttribute('fill', colour(n));
		p.setAttribute('tabindex', '0');
		p.setAttribute('role', 'button');
		p.setAttribute('data-code', code);
		p.setAttribute('aria-label', `${placeName(code)}: ${n}`);
		if (sel.province === code)
			p.classList.add('sel');
		const title = document.createElementNS(SVGNS, 'title');
		title.textContent = `${placeName(code)}: ${n}`;
		p.append(title);
		const pick = () => {
			sel = { province: code, district: null };
			drawSide(app, side);
			svg.querySelectorAll('path.sel').forEach((x) => x.classList.remove('sel'));
			p.classList.add('sel');
		};
		p.addEventListener('click', pick);
		p.addEventListener('keydown', (e) => {
			if (e.key === 'Enter' || e.key === ' ') {
				e.preventDefault();
				pick();
			}
		});
		svg.append(p);
	}
	clear(svgBox, svg);
}

function listTable(id, caption, rows, onpick) {
	return el('div', { class: 'table-wrap' }, el('table', { id },
		el('caption', { class: 'note' }, caption),
		el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, t('area')), el('th', { scope: 'col' }, t('count')))),
		el('tbody', {}, rows.map(([code, n]) => el('tr', onpick ? {
			class: 'clickable', tabindex: 0, 'data-code': code,
			onclick: () => onpick(code),
			onkeydown: (e) => { if (e.key === 'Enter') onpick(code); },
		} : { 'data-code': code }, el('td', {}, placeName(code)), el('td', {}, n))))));
}

function drawSide(app, side) {
	if (!sel.province)
		return clear(side, el('p', { class: 'note' }, `${placeName(app.session.holder.area)} · ${t('map_caption', source)}`));
	if (!sel.district) {
		const rows = districtsOf(sel.province).map((d) => [d, sum(d)]).sort((a, b) => b[1] - a[1]);
		return clear(side, el('h3', {}, placeName(sel.province), ': ', sum(sel.province)),
			listTable('map-districts', t('districts_of', placeName(sel.province)), rows,
				(d) => { sel.district = d; drawSide(app, side); }));
	}
	const rows = [...(counts || [])].filter(([v]) => v.startsWith(sel.district)).sort((a, b) => b[1] - a[1]);
	clear(side, el('button', { type: 'button', class: 'secondary', onclick: () => { sel.district = null; drawSide(app, side); } }, t('up')),
		el('h3', {}, placeName(sel.district), ': ', sum(sel.district)),
		rows.length ? listTable('map-villages', t('villages_of', placeName(sel.district)), rows, null)
			: el('p', { class: 'note' }, t('no_villages')));
}

export const mapView = {
	id: 'map',
	async render(main, app) {
		const svgBox = el('div', { class: 'map', id: 'map-svg' }, el('p', { class: 'note' }, t('loading')));
		const side = el('div', { id: 'map-side', 'aria-live': 'polite' });
		const legend = el('div', { class: 'legend', 'aria-hidden': 'true' },
			STEPS.map((s, i) => [el('span', { class: 'sw', style: `background:${COLOURS[i]}` }), i === 0 ? '0' : `${s}+`]));
		const caption = el('p', { class: 'note', id: 'map-caption' });
		clear(main, el('section', { class: 'card', 'aria-labelledby': 'map-h' },
			el('h2', { id: 'map-h' }, t('v_map'), ' · ', placeName(app.session.holder.area)),
			caption,
			el('div', { class: 'grid2' }, el('div', {}, svgBox, legend), side),
			el('p', { class: 'credit', id: 'map-credit' }, t('geo_credit'), ' ',
				el('a', { href: 'data/LICENSE.txt' }, t('licenses')))));
		try {
			if (!geo) {
				const r = await fetch('data/provinces.geojson');
				geo = rewind(await r.json());
			}
			await loadCounts(app);
		} catch (e) {
			clear(svgBox, el('p', { class: 'error' }, app.explain(e)));
			return;
		}
		if (!svgBox.isConnected)
			return;
		caption.textContent = t('map_caption', source);
		drawMap(app, svgBox, side);
		drawSide(app, side);
	},
	reset() {
		counts = null;
		sel = { province: null, district: null };
	},
};
