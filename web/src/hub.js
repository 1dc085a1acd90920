// hub.js - the console's one MQTT connection to the hub, over the websockets
// listener that served this page. Logs in with the password once, takes a
// token (TokenRequest on $CONTROL/np/v1/token) and reconnects with the token
// only; logout revokes it (TokenRequest.revoke). Requests ($CONTROL/np/v1/...)
// are answered on np/reply/<user>/<what>, matched by correlation id; refusals
// come on np/reply/<user>/error. Events: 'message' {topic, env}, 'lost',
// 'back', 'ended' (the token no longer logs in), 'refusal' {reason, topic}.
import mqtt from 'mqtt';
import { np } from '../gen/np.js';
import { hex, newId } from './util.js';

export { np };

const REFUSED_LOGIN = new Set([134, 135, 4, 5]);     // v5 bad credentials / not authorized; v3 4, 5

function brokerUrl() {
	return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/mqtt`;
}

function clientId(user) {
	const r = new Uint8Array(6);
	crypto.getRandomValues(r);
	return `np-${user}-web-${hex(r)}`;
}

function mqttOptions(user, password, reconnect) {
	return {
		protocolVersion: 5,
		clientId: clientId(user),
		username: user,
		password,
		clean: true,
		keepalive: 30,
		connectTimeout: 8000,
		reconnectPeriod: reconnect ? 2000 : 0,
		resubscribe: true,
	};
}

// Why a connection failed: the CONNACK code when there was one.
function loginError(err) {
	const code = err && (err.code ?? err.reasonCode);
	const e = new Error(err && err.message ? err.message : String(err));
	e.refused = REFUSED_LOGIN.has(code);
	e.code = code;
	return e;
}

// Logs in with the password and returns the session to keep: {user, token,
// tokenId, holder {username, role, area}, expires}. Throws an Error whose
// .refused says the hub refused the credentials, .token the grant's error.
export function login(user, password, timeoutMs = 10000) {
	return new Promise((resolve, reject) => {
		const c = mqtt.connect(brokerUrl(), mqttOptions(user, password, false));
		const corr = hex(newId());
		let done = false;
		const finish = (err, v) => {
			if (done)
				return;
			done = true;
			clearTimeout(timer);
			c.end(true);
			err ? reject(err) : resolve(v);
		};
		const timer = setTimeout(() => finish(new Error('no answer from the hub')), timeoutMs);
		c.on('error', (err) => finish(loginError(err)));
		c.on('close', () => finish(new Error('the connection closed')));
		c.on('connect', () => {
			c.subscribe(`np/reply/${user}/token`, { qos: 1 }, (err) => {
				if (err)
					return finish(err);
				const req = np.TokenRequest.encode({ label: 'web console', days: 1, correlationId: corr }).finish();
				c.publish('$CONTROL/np/v1/token', req, { qos: 1 });
			});
		});
		c.on('message', (topic, payload) => {
			let env;
			try {
				env = np.Envelope.decode(payload);
			} catch {
				return;
			}
			const g = env.tokenGrant;
			if (!g || g.correlationId !== corr)
				return;
			if (g.error) {
				const e = new Error(g.error);
				e.token = true;
				return finish(e);
			}
			const h = g.holder || {};
			finish(null, {
				user, token: g.token, tokenId: hex(g.tokenId), expires: Number(g.expiresAtMs || 0),
				holder: { username: h.username || user, role: h.role || 0, area: h.area || '' },
			});
		});
	});
}

export class Hub extends EventTarget {
	constructor(session) {
		super();
		this.s = session;
		this.pending = new Map();      // correlation id -> {resolve, reject, timer, what}
		this.published = new Map();    // id hex -> reject, waiting for a Refusal
		this.everConnected = false;
		this.lost = false;
	}

	emit(type, detail) {
		this.dispatchEvent(new CustomEvent(type, { detail }));
	}

	// Connects with the token; resolves once connected, rejects when the
	// token is refused (then 'ended' is not emitted: the caller shows login).
	connect() {
		return new Promise((resolve, reject) => {
			const c = mqtt.connect(brokerUrl(), mqttOptions(this.s.user, this.s.token, true));
			this.c = c;
			c.on('connect', () => {
				const first = !this.everConnected;
				this.everConnected = true;
				if (first)
					resolve();
				else if (this.lost) {
					this.lost = false;
					this.emit('back');
				}
			});
			c.on('error', (err) => {
				const e = loginError(err);
				if (!e.refused)
					return;
				c.end(true);
				if (!this.everConnected)
					reject(e);
				else
					this.emit('ended', e);
			});
			c.on('close', () => {
				if (this.everConnected && !this.lost && !this.closing) {
					this.lost = true;
					this.emit('lost');
				}
			});
			c.on('message', (topic, payload) => this.onMessage(topic, payload));
		});
	}

	onMessage(topic, payload) {
		let env;
		try {
			env = np.Envelope.decode(payload);
		} catch (e) {
			console.warn(`np: undecodable message on ${topic}: ${e.message}`);
			return;
		}
		if (topic.startsWith(`np/reply/${this.s.user}/`))
			return this.onReply(topic, env);
		this.emit('message', { topic, env });
	}

	onReply(topic, env) {
		if (env.refusal) {
			const r = env.refusal;
			const id = hex(r.id);
			const waiting = this.published.get(id);
			const what = (r.topic || '').startsWith('$CONTROL/np/v1/') ? r.topic.slice(15) : null;
			if (waiting) {
				this.published.delete(id);
				waiting(r.reason);
			} else if (what && this.refuseRequests(what, r.reason)) {
				// a request this hub does not take (an older hub: cases)
			} else {
				this.emit('refusal', { reason: r.reason, topic: r.topic });
			}
			return;
		}
		const body = env[env.body];
		const corr = body && body.correlationId;
		const p = corr != null && this.pending.get(corr);
		if (!p)
			return;
		this.pending.delete(corr);
		clearTimeout(p.timer);
		if (body.error)
			p.reject(Object.assign(new Error(body.error), { refused: true }));
		else
			p.resolve(body);
	}

	// Rejects the pending requests on $CONTROL/np/v1/<what>: the hub refused
	// the topic itself (.unsupported). Returns whether there were any.
	refuseRequests(what, reason) {
		let any = false;
		for (const [corr, p] of this.pending) {
			if (p.what !== what)
				continue;
			this.pending.delete(corr);
			clearTimeout(p.timer);
			p.reject(Object.assign(new Error(reason), { unsupported: what }));
			any = true;
		}
		return any;
	}

	// Subscribes; resolves with {granted: [filters], refused: [filters]}.
	subscribe(filters) {
		return new Promise((resolve) => {
			this.c.subscribe(filters, { qos: 1 }, (err, granted) => {
				const ok = [], bad = [];
				(granted || []).forEach((g) => (g.qos < 128 ? ok : bad).push(g.topic));
				if (err && !granted)
					bad.push(...filters);
				resolve({ granted: ok, refused: bad });
			});
		});
	}

	// A request on $CONTROL/np/v1/<what> (msg: a plain object of type Type);
	// resolves with the reply's body, rejects with .timeout when the hub
	// does not answer in timeoutMs, .unsupported when it refuses the request
	// topic, .refused when it says why not.
	request(what, Type, msg, timeoutMs = 5000) {
		const corr = hex(newId());
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(corr);
				reject(Object.assign(new Error(`no answer to ${what}`), { timeout: timeoutMs }));
			}, timeoutMs);
			this.pending.set(corr, { resolve, reject, timer, what });
			const buf = Type.encode({ ...msg, correlationId: corr }).finish();
			this.c.publish(`$CONTROL/np/v1/${what}`, buf, { qos: 1 });
		});
	}

	history(q, timeoutMs) {
		return this.request('history', np.HistoryRequest, q, timeoutMs);
	}

	// Publishes an Envelope with body {report|ack|announcement...}; resolves
	// with its id (hex), rejects with the hub's reason when refused.
	publish(topic, body) {
		const id = newId();
		const key = hex(id);
		const buf = np.Envelope.encode({ id, sentAtMs: Date.now(), ...body }).finish();
		return new Promise((resolve, reject) => {
			let settled = false;
			const refuse = (reason) => {
				if (settled)
					return;
				settled = true;
				reject(Object.assign(new Error(reason), { refused: true }));
			};
			this.published.set(key, refuse);
			this.c.publish(topic, buf, { qos: 1 }, (err) => {
				if (!err) {
					this.published.delete(key);
					settled = true;
					return resolve(key);
				}
				// refused in the PUBACK: the reason follows on np/reply/<user>/error
				setTimeout(() => {
					this.published.delete(key);
					refuse(err.message);
				}, 1500);
			});
		});
	}

	// Revokes this session's token and closes; never throws.
	async logout() {
		try {
			await this.request('token', np.TokenRequest, { revoke: true }, 3000);
		} catch (e) {
			console.warn(`np: logout: ${e.message}`);
		}
		this.close();
	}

	close() {
		this.closing = true;
		for (const p of this.pending.values())
			clearTimeout(p.timer);
		this.pending.clear();
		if (this.c)
			this.c.end(true);
	}
}
