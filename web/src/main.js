// main.js - the console's shell: login, the header, the views' tabs, the
// connection banner and toasts. The session (token, holder) lives in
// sessionStorage only: it ends with the browser tab.
import { Hub, login, np } from './hub.js';
import { getLang, setLang, t } from './i18n.js';
import { areaPath, branch, loadPlaces, placeName } from './places.js';
import { clear, el, hex, num } from './util.js';
import { casesView } from './views/cases.js';
import { mapView } from './views/map.js';
import { liveView } from './views/live.js';
import { announceView } from './views/announce.js';
import { historyView } from './views/history.js';
import { expired, withdraws } from './views/common.js';
import { figuresView } from './views/figures.js';

const KEY = 'np-console-session';
const root = document.getElementById('app');
const views = [casesView, mapView, liveView, announceView, historyView, figuresView];

// The filters a user's role reads (DESIGN.md, Roles): the console asks for
// them, the hub grants or refuses each; only what it grants is shown.
function filtersFor(h) {
	const u = h.username, a = h.area, p = areaPath(a);
	const under = (kind) => (p ? `np/${kind}/${p}/#` : `np/${kind}/#`);
	const ann = a === 'TH' ? ['np/ann/#'] : branch(a).map((b) => `np/ann/${b}/#`);
	switch (h.role) {
	case np.Role.VOLUNTEER:
		return [under('rep'), ...ann, `np/dm/${a}`];
	case np.Role.RESIDENT:
		return ann;
	case np.Role.OFFICIAL:
		return [under('rep'), under('status'), ...ann, `np/dm/${u}`];
	case np.Role.AGENCY:
		return ann;
	case np.Role.OPERATOR: {
		const w = p ? `np/rep/${p}/` + '+/'.repeat(3 - p.split('/').length) : 'np/rep/+/+/+/';
		return [`${w}outage`, `${w}ack`, under('status')];
	}
	case np.Role.ADMIN:
		return ['np/rep/#', 'np/status/#', 'np/ann/#'];
	default:
		return ann;
	}
}

const app = {
	hub: null,
	session: null,
	granted: [],
	messages: [],          // what arrived live or by catch-up, newest first (capped)
	seen: new Set(),       // ids (hex) of those
	withdrawn: new Set(),  // ids (hex) an Update or Cancel withdrew: never taken
	lastSeenMs: 0,         // received_at_ms of the newest: the catch-up starts there
	current: null,
	sweep: null,           // the interval of sweepExpired while logged in
	t, np,
	toast(msg, error = false) {
		const box = document.querySelector('.toasts');
		if (!box)
			return;
		const n = el('div', { class: `toast${error ? ' error' : ''}`, role: error ? 'alert' : 'status' }, msg);
		box.append(n);
		setTimeout(() => n.remove(), error ? 9000 : 5000);
	},
	banner(msg, ok = false) {
		const b = document.getElementById('banner');
		if (!b)
			return;
		b.hidden = !msg;
		b.className = `banner${ok ? ' ok' : ''}`;
		b.textContent = msg || '';
	},
	// a request the hub may not know (cases, case-stats): a clear message
	explain(e) {
		if (e.timeout)
			return t('no_answer', e.timeout / 1000);
		if (e.unsupported)
			return t('unsupported', e.unsupported, e.message);
		return e.refused ? t('refused', e.message) : e.message;
	},
	// one stored or live message, once
	take(topic, env, live) {
		const id = hex(env.id);
		if (this.seen.has(id) || this.withdrawn.has(id))
			return false;
		this.seen.add(id);
		// an Update or Cancel: the announcements it names are withdrawn, as
		// the hub withholds them from every live delivery; Live never shows
		// one beside its correction (History, the record, still does)
		for (const w of withdraws(env))
			this.withdraw(w);
		const m = { topic, env, id, at: num(env.receivedAtMs), live };
		let i = 0;           // newest first, by the hub's time
		while (i < this.messages.length && this.messages[i].at > m.at)
			i++;
		this.messages.splice(i, 0, m);
		if (this.messages.length > 500)
			this.seen.delete(this.messages.pop().id);
		this.lastSeenMs = Math.max(this.lastSeenMs, m.at);
		if (this.current && this.current.onMessage)
			this.current.onMessage(m, this);
		return true;
	},
	withdraw(id) {
		this.withdrawn.add(id);
		if (this.withdrawn.size > 1000)
			this.withdrawn.delete(this.withdrawn.values().next().value);
		this.drop(id);
	},
	// takes message id off the list and the current view (it may come again)
	drop(id) {
		const i = this.messages.findIndex((m) => m.id === id);
		if (i < 0)
			return;
		this.messages.splice(i, 1);
		this.seen.delete(id);
		if (this.current && this.current.onDrop)
			this.current.onDrop(id, this);
	},
	// an announcement that expires while shown leaves Live then, as the hub
	// hands it to no app from then on (called every second while logged in)
	sweepExpired() {
		const now = Date.now();
		for (const m of this.messages.filter((x) => expired(x.env, now)))
			this.drop(m.id);
	},
};

function save(s) {
	sessionStorage.setItem(KEY, JSON.stringify(s));
}

function forget() {
	sessionStorage.removeItem(KEY);
}

function langButton() {
	return el('button', {
		class: 'secondary', type: 'button', lang: getLang() === 'th' ? 'en' : 'th',
		'aria-label': t('lang_switch_label'),
		onclick: () => {
			setLang(getLang() === 'th' ? 'en' : 'th');
			app.session ? shell() : showLogin();
		},
	}, t('lang_switch'));
}

function showLogin(message, isError = true) {
	app.session = null;
	const msg = el('p', { id: 'login-msg', class: isError ? 'error' : 'note', role: 'alert' }, message || '');
	const user = el('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
	const pass = el('input', { id: 'login-pass', name: 'password', type: 'password',
		autocomplete: 'current-password', required: true });
	const btn = el('button', { type: 'submit', id: 'login-submit' }, t('login'));
	const form = el('form', {
		onsubmit: async (ev) => {
			ev.preventDefault();
			btn.disabled = true;
			msg.className = 'note';
			msg.textContent = t('logging_in');
			try {
				const s = await login(user.value.trim(), pass.value);
				save(s);
				await start(s);
			} catch (e) {
				msg.className = 'error';
				msg.textContent = e.refused ? t('login_refused', e.message)
					: e.token ? t('token_refused', e.message) : t('login_unreachable', e.message);
				btn.disabled = false;
			}
		},
	},
	el('label', { for: 'login-user' }, t('username'), user),
	el('label', { for: 'login-pass' }, t('password'), pass),
	btn, msg);
	clear(root,
		el('header', {}, el('h1', {}, t('title')), langButton()),
		el('main', {}, el('section', { class: 'card login', 'aria-labelledby': 'login-h' },
			el('h2', { id: 'login-h' }, t('login')), form)));
	user.focus();
}

function shell() {
	const s = app.session, h = s.holder;
	const nav = el('nav', { 'aria-label': t('nav') });
	const main = el('main', { id: 'view' });
	for (const v of views) {
		nav.append(el('button', {
			type: 'button', id: `tab-${v.id}`, 'aria-controls': 'view',
			'aria-current': app.current === v ? 'page' : null,
			onclick: () => show(v),
		}, t(`v_${v.id}`)));
	}
	clear(root,
		el('header', {},
			el('h1', {}, t('title')),
			el('span', { class: 'who', id: 'who' }, t('signed_in_as', h.username, t(`role_${h.role}`), placeName(h.area))),
			langButton(),
			el('button', { type: 'button', id: 'logout', onclick: logout }, t('logout'))),
		el('div', { id: 'banner', class: 'banner', hidden: true, role: 'status' }),
		nav, main,
		el('div', { class: 'toasts', 'aria-live': 'assertive' }));
	if (app.refusedFilters && app.refusedFilters.length)
		app.toast(t('sub_refused', app.refusedFilters.join(', ')), true);
	show(app.current || views[0]);
}

function show(v) {
	if (app.current && app.current !== v && app.current.hide)
		app.current.hide();
	app.current = v;
	for (const b of document.querySelectorAll('nav button'))
		b.setAttribute('aria-current', b.id === `tab-${v.id}` ? 'page' : 'false');
	const main = document.getElementById('view');
	clear(main);
	v.render(main, app);
	location.hash = v.id;
}

// Catch-up: each granted filter's history since the newest message seen.
// As libnpclient's feed catch-up (client-lib/feed.c), it skips what a live
// feed would never have delivered: an announcement the hub marked withdrawn
// (an Update or Cancel withdrew it; officials', agencies' and admins' pages
// hold such items) and one already expired.
async function catchUp(since) {
	let n = 0;
	for (const f of app.granted) {
		let cursor = new Uint8Array(0), pages = 0;
		do {
			let page;
			try {
				page = await app.hub.history({ filter: f, sinceMs: since, limit: 200, cursor }, 8000);
			} catch (e) {
				app.toast(`${f}: ${app.explain(e)}`, true);
				break;
			}
			const now = Date.now();
			for (const it of page.items) {
				let env;
				try {
					env = np.Envelope.decode(it.envelope);
				} catch {
					continue;       // a stored message we cannot decode: skip it
				}
				if (it.withdrawn || expired(env, now))
					continue;
				if (app.take(it.topic, env, false))
					n++;
			}
			cursor = page.nextCursor;
		} while (cursor && cursor.length && ++pages < 10);
	}
	return n;
}

async function start(s) {
	app.session = s;
	const hub = new Hub(s);
	try {
		await hub.connect();
	} catch (e) {
		forget();
		return showLogin(t('session_ended'));
	}
	app.hub = hub;
	app.sweep = setInterval(() => app.sweepExpired(), 1000);
	hub.addEventListener('message', (ev) => app.take(ev.detail.topic, ev.detail.env, true));
	hub.addEventListener('refusal', (ev) => app.toast(t('refused', ev.detail.reason), true));
	hub.addEventListener('lost', () => app.banner(t('lost')));
	hub.addEventListener('back', async () => {
		const n = await catchUp(app.lastSeenMs);
		app.banner(t('back', n), true);
		setTimeout(() => app.banner(''), 4000);
	});
	hub.addEventListener('ended', () => {
		hub.close();
		forget();
		reset();
		showLogin(t('session_ended'));
	});
	const want = [`np/reply/${s.user}/#`, ...filtersFor(s.holder)];
	const r = await hub.subscribe(want);
	app.granted = r.granted.filter((f) => !f.startsWith('np/reply/'));
	app.refusedFilters = r.refused;
	const wanted = views.find((v) => `#${v.id}` === location.hash);
	app.current = wanted || null;
	shell();
	await catchUp(Date.now() - 24 * 3600 * 1000);
}

function reset() {
	clearInterval(app.sweep);
	app.sweep = null;
	app.hub = null;
	app.session = null;
	app.messages = [];
	app.seen.clear();
	app.withdrawn.clear();
	app.lastSeenMs = 0;
	app.current = null;
	for (const v of views)
		v.reset && v.reset();
}

async function logout() {
	const hub = app.hub;
	forget();
	reset();
	if (hub)
		await hub.logout();
	showLogin(t('logged_out'), false);
}

async function boot() {
	setLang(getLang());
	try {
		await loadPlaces();
	} catch (e) {
		clear(root, el('p', { class: 'error' }, e.message));
		return;
	}
	const saved = sessionStorage.getItem(KEY);
	if (saved)
		await start(JSON.parse(saved));
	else
		showLogin();
}

window.npConsole = app;     // for the browser tests and the curious
boot();
