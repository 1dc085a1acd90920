// common.js - what several views show: a message's one-line summary, the
// state pill, and the ack a console sends (np/rep/P/D/V/ack).
import { t } from '../i18n.js';
import { areaPath, placeName, repTopic } from '../places.js';
import { el, hex, num } from '../util.js';

export function bodyText(env) {
	const b = env[env.body] || {};
	switch (env.body) {
	case 'report': return b.title + (b.detail ? ` — ${b.detail}` : '');
	case 'ack': return `${t(`s_${b.state || 0}`)}${b.assignee ? ` → ${b.assignee}` : ''}${b.note ? `: ${b.note}` : ''}`;
	case 'announcement': return b.title + (b.body ? ` — ${b.body}` : '');
	case 'status': return b.online ? t('online') : t('offline');
	case 'dm': return b.text;
	case 'showcase': return b.title;
	default: return '';
	}
}

export function statePill(state, late) {
	return el('span', { class: `pill s${state || 0}${late ? ' late' : ''}` },
		t(`s_${state || 0}`), late ? ` · ${t('overdue')}` : '');
}

export function senderText(env) {
	const s = env.sender || {};
	return s.username ? `${s.username} (${t(`role_${s.role}`)}, ${placeName(s.area)})` : '';
}

// Sends an ack of the report (its stored envelope and topic); resolves with
// the ack's id, rejects with the hub's reason.
export function sendAck(app, reportTopic, reportEnv, state, note, assignee) {
	const r = repTopic(reportTopic);
	const ack = { reportId: reportEnv.id, state, note: note || '' };
	if (assignee)
		ack.assignee = assignee;
	return app.hub.publish(`np/rep/${areaPath(r.village)}/ack`, { ack });
}

export function timeoutBox(app, e) {
	const absent = e.timeout || e.unsupported;
	return el('p', { class: absent ? 'note no-answer' : 'error', role: 'status' }, app.explain(e));
}

// An announcement whose expiry has passed (expires_at_ms set and not after
// nowMs): the hub hands it to no app, libnpclient's catch-up skips it, and
// so does the console's; History still shows it, marked.
export function expired(env, nowMs) {
	if (env.body !== 'announcement' || !env.announcement)
		return false;
	const x = num(env.announcement.expiresAtMs);
	return x !== 0 && x <= nowMs;
}

// The ids (hex) of the earlier announcements an Update or Cancel withdraws.
export function withdraws(env) {
	if (env.body !== 'announcement' || !env.announcement)
		return [];
	return (env.announcement.references || []).map(hex).filter((h) => h !== '');
}

export function receivedAt(env) {
	return num(env.receivedAtMs);
}
