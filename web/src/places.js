// places.js - place names from data/registry.json (built by make from
// ../shared/data/geo: provinces, districts, subdistricts); a village is its
// subdistrict's name and its number (the hub has no registry query over MQTT).
import { getLang, t } from './i18n.js';

let reg = { p: {}, d: {}, s: {} };

export async function loadPlaces() {
	const r = await fetch('data/registry.json');
	if (!r.ok)
		throw new Error(`data/registry.json: HTTP ${r.status}`);
	reg = await r.json();
}

function pick(pair) {
	return pair ? pair[getLang() === 'th' ? 0 : 1] : null;
}

export function placeName(code) {
	if (!code || code === 'TH')
		return t('nation');
	if (code.length === 2)
		return pick(reg.p[code]) || code;
	if (code.length === 4)
		return pick(reg.d[code]) || code;
	if (code.length === 6)
		return pick(reg.s[code]) || code;
	if (code.length === 8) {
		const n = Number(code.slice(6));
		const s = pick(reg.s[code.slice(0, 6)]) || code.slice(0, 6);
		return getLang() === 'th' ? `หมู่ ${n} ${s}` : `Mu ${n}, ${s}`;
	}
	return code;
}

export function provinces() {
	return Object.keys(reg.p);
}

export function districtsOf(p) {
	return Object.keys(reg.d).filter((d) => d.startsWith(p));
}

// "a within s": s is TH or a starts with s (DESIGN.md)
export function within(a, s) {
	return s === 'TH' || a.startsWith(s);
}

// np/rep/P/D/V/kind -> {village, kind}
export function repTopic(topic) {
	const m = /^np\/rep\/(\d{2})\/(\d{4})\/(\d{8})\/([a-z]+)$/.exec(topic);
	return m ? { village: m[3], kind: m[4] } : null;
}

// the topic levels of an area: 50010101 -> 50/5001/50010101
export function areaPath(a) {
	if (a === 'TH')
		return '';
	const parts = [a.slice(0, 2)];
	if (a.length >= 4)
		parts.push(a.slice(0, 4));
	if (a.length === 8)
		parts.push(a);
	return parts.join('/');
}

// the areas on a place's branch: TH, its province, district, village
export function branch(a) {
	const out = ['TH'];
	if (a !== 'TH') {
		out.push(a.slice(0, 2));
		if (a.length >= 4)
			out.push(a.slice(0, 4));
		if (a.length === 8)
			out.push(a);
	}
	return out;
}
