// live.js - reports, acks, announcements and status in scope as they arrive
// (and those of the last day, from history), newest first; a report can be
// acknowledged from here. An announcement withdrawn by a later Update or
// Cancel, or already expired, is not shown (main.js: take, catchUp).
import { getLang, t } from '../i18n.js';
import { placeName, repTopic } from '../places.js';
import { clear, el, fmtTime } from '../util.js';
import { bodyText, sendAck, senderText } from './common.js';

let list = null;

function item(m, app) {
	const r = repTopic(m.topic);
	const where = r ? placeName(r.village) : m.topic.split('/')[2] ? placeName(m.topic.split('/')[2]) : '';
	const kind = r && m.env.body === 'report' ? t(`k_${r.kind}`) : t(`m_${m.env.body}`);
	const li = el('li', { 'data-id': m.id, 'data-topic': m.topic },
		el('div', {}, el('strong', {}, kind), ' · ', where, ' · ', bodyText(m.env)),
		el('div', { class: 'meta' }, fmtTime(m.at, getLang()), ' · ', senderText(m.env), ' · ', m.topic));
	if (m.env.body === 'report' && app.session.holder.role !== app.np.Role.VOLUNTEER) {
		const b = el('button', {
			type: 'button', class: 'secondary ack-btn', 'aria-label': `${t('acknowledge')}: ${m.env.report.title}`,
			onclick: async () => {
				b.disabled = true;
				try {
					await sendAck(app, m.topic, m.env, app.np.AckState.RECEIVED, '', '');
					app.toast(t('ack_sent', m.env.report.title));
				} catch (e) {
					app.toast(t('refused', e.message), true);
					b.disabled = false;
				}
			},
		}, t('acknowledge'));
		li.append(b);
	}
	return li;
}

export const liveView = {
	id: 'live',
	render(main, app) {
		list = el('ul', { id: 'live-list', 'aria-label': t('v_live') });
		for (const m of app.messages.slice(0, 200))
			list.append(item(m, app));
		const empty = el('p', { class: 'note', id: 'live-empty', hidden: app.messages.length > 0 }, t('live_empty'));
		clear(main, el('section', { class: 'card live', 'aria-labelledby': 'live-h' },
			el('h2', { id: 'live-h' }, t('v_live'), ' ',
				el('span', { class: 'note' }, app.granted.join('  '))),
			empty, list));
	},
	onMessage(m, app) {
		if (!list)
			return;
		document.getElementById('live-empty').hidden = true;
		const li = item(m, app);
		// newest first, as app.messages (a catch-up page holds older ones)
		const i = app.messages.indexOf(m);
		if (i < 0 || i >= 200)
			return;
		list.insertBefore(li, list.children[i] || null);
		while (list.children.length > 200)
			list.lastChild.remove();
	},
	// app.messages no longer holds message id (an Update or Cancel withdrew
	// the announcement, or it expired): off the list, as the hub no longer
	// delivers it
	onDrop(id) {
		if (!list)
			return;
		for (const li of list.querySelectorAll('li'))
			if (li.dataset.id === id)
				li.remove();
	},
	hide() {
		list = null;
	},
	reset() {
		list = null;
	},
};
