// util.js - small helpers: ids, hex, numbers from int64 fields, times, DOM, CSV.

let counter = 0;

// A 16-byte id as libnpclient makes them (client-lib/codec.c): 48-bit ms,
// version 7, a counter, variant bits, random: time-ordered and unique.
export function newId() {
	const id = new Uint8Array(16);
	crypto.getRandomValues(id);
	let ms = Date.now();
	for (let i = 5; i >= 0; i--) {
		id[i] = ms % 256;
		ms = Math.floor(ms / 256);
	}
	counter = (counter + 1) & 0xfff;
	id[6] = 0x70 | (counter >> 8);
	id[7] = counter & 0xff;
	id[8] = 0x80 | (id[8] & 0x3f);
	return id;
}

export function hex(bytes) {
	return Array.from(bytes || [], (b) => b.toString(16).padStart(2, '0')).join('');
}

export function unhex(s) {
	if (!/^([0-9a-f]{2})*$/i.test(s))
		return null;
	return Uint8Array.from(s.match(/../g) || [], (h) => parseInt(h, 16));
}

// int64 fields arrive as number, string, Long or BigInt depending on the runtime
export function num(v) {
	if (v == null)
		return 0;
	if (typeof v === 'object' && typeof v.toNumber === 'function')
		return v.toNumber();
	return Number(v);
}

export function el(tag, attrs = {}, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs)) {
		if (v == null || v === false)
			continue;
		if (k.startsWith('on'))
			e.addEventListener(k.slice(2), v);
		else if (k === 'text')
			e.textContent = v;
		else
			e.setAttribute(k, v === true ? '' : v);
	}
	for (const k of kids.flat(Infinity))
		if (k != null && k !== false)
			e.append(k instanceof Node ? k : String(k));
	return e;
}

export function clear(e, ...kids) {
	e.replaceChildren(...kids.flat(Infinity).filter((k) => k != null && k !== false));
	return e;
}

export function fmtTime(ms, lang) {
	ms = num(ms);   // an int64 of a decoded message may be a Long
	if (!ms)
		return '';
	return new Date(ms).toLocaleString(lang === 'th' ? 'th-TH' : 'en-GB',
		{ dateStyle: 'short', timeStyle: 'short' });
}

export function fmtDuration(ms) {
	ms = num(ms);
	if (!ms)
		return '–';
	const h = ms / 3600000;
	return h < 1 ? `${Math.round(ms / 60000)} min` : h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`;
}

export function csvField(v) {
	const s = v == null ? '' : String(v);
	return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function download(name, text, type = 'text/csv') {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const a = el('a', { href: url, download: name });
	document.body.append(a);
	a.click();
	a.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// a photo's type from its magic bytes (as the hub checks them)
export function photoType(b) {
	if (!b || b.length < 12)
		return null;
	if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff)
		return 'image/jpeg';
	if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47)
		return 'image/png';
	if (String.fromCharCode(...b.slice(0, 4)) === 'RIFF' && String.fromCharCode(...b.slice(8, 12)) === 'WEBP')
		return 'image/webp';
	return null;
}
