// console.test.mjs - the web console in headless Chromium (puppeteer-core)
// against a real hub, which tests/console/test_console.sh starts: official
// login, a report from np-report in Live (and in Cases when the hub answers
// case requests), acks reaching the volunteer's np-feed, an announcement and
// its reach, a refusal with the hub's reason, history paging and CSV export,
// the map, a lost WebSocket and the catch-up, logout revoking the token, a
// revoked token sending the console back to login, an Update and a Cancel
// made while logged out (Live shows the Update only, History marks the
// withdrawn and the expired announcements), a volunteer's narrow
// view, a wrong password; a screenshot of each view into $NP_SHOTS. Prints TAP.
//
// Environment: NP_WEB_URL (the console), NP_PORT (the hub's MQTT port),
// NP_BIN (np-report, np-feed), NP_ADMIN and NP_DB (np-admin on the hub's
// database), NP_LOG (the broker's log), NP_SHOTS, CHROMIUM, NP_TMP.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (k) => {
	if (!process.env[k])
		throw new Error(`${k} is not set`);
	return process.env[k];
};
const URL = env('NP_WEB_URL'), PORT = env('NP_PORT'), BIN = env('NP_BIN'), SHOTS = env('NP_SHOTS');
const TMP = env('NP_TMP');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stamp = Date.now().toString(36);

let n = 0, failed = 0;
async function test(name, fn) {
	n++;
	try {
		const skip = await fn();
		if (typeof skip === 'string')
			console.log(`ok ${n} - ${name} # SKIP ${skip}`);
		else
			console.log(`ok ${n} - ${name}`);
	} catch (e) {
		failed++;
		console.log(`not ok ${n} - ${name}`);
		for (const l of String(e && e.stack || e).split("\n").slice(0, 3))
			console.log(`# ${l}`);
	}
}
function assert(cond, what) {
	if (!cond)
		throw new Error(`assertion failed: ${what}`);
}

function run(prog, args, input) {
	return runAt(path.join(BIN, prog), args, input);
}
function runAt(file, args, input) {
	return new Promise((resolve) => {
		const c = execFile(file, args, { timeout: 20000 }, (err, stdout, stderr) =>
			resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
		if (input != null)
			c.stdin.end(input);
	});
}
const hubArgs = (user, pass) => ['-h', '127.0.0.1', '-p', PORT, '-u', user, '-P', pass];

// np-feed FILTER as user in the background; .done() resolves with its JSON lines
function feed(user, pass, filter, count) {
	const c = spawn(path.join(BIN, 'np-feed'), [...hubArgs(user, pass), '--json', '--count', String(count),
		'--timeout', '30', filter]);
	let out = '', err = '';
	c.stdout.on('data', (d) => { out += d; });
	c.stderr.on('data', (d) => { err += d; });
	const done = new Promise((resolve) => c.on('exit', () => resolve({
		lines: out.split('\n').filter(Boolean).map((l) => JSON.parse(l)), err,
	})));
	return { done, kill: () => c.kill() };
}

async function report(user, village, kind, title) {
	const r = await run('np-report', [...hubArgs(user, `${user}-demo`), '--village', village, '--kind', kind, '--title', title]);
	assert(r.code === 0, `np-report exits 0 (${r.code}: ${r.stderr})`);
	return r.stdout.trim().split(' ').pop();
}

async function textOf(page, sel) {
	return page.$eval(sel, (e) => e.innerText);
}

async function waitText(page, sel, text, timeout = 8000) {
	await page.waitForFunction((s, t) => {
		const e = document.querySelector(s);
		return e && e.innerText.includes(t);
	}, { timeout }, sel, text);
}

async function shot(page, name) {
	await sleep(300);
	await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function login(page, user, pass) {
	await page.goto(URL, { waitUntil: 'load' });
	await page.waitForSelector('#login-user');
	await page.type('#login-user', user);
	await page.type('#login-pass', pass);
	await page.click('#login-submit');
}

async function tab(page, id) {
	await page.click(`#tab-${id}`);
	await page.waitForSelector(`#tab-${id}[aria-current="page"]`);
}

fs.mkdirSync(SHOTS, { recursive: true });
const browser = await puppeteer.launch({
	executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=th-TH'],
});
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
await page.setViewport({ width: 1366, height: 768 });
const cdp = await page.createCDPSession();
await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: TMP });
console.log('1..17');

let casesAnswered = false;
let reportTitle = `ไฟดับทั้งหมู่บ้าน ${stamp}`;
let reportId = '';

await test('a wrong password shows the hub\'s refusal on the login page', async () => {
	await login(page, 'cm_official', 'not-the-password');
	await page.waitForFunction(() => /ไม่ถูกต้อง/.test(document.querySelector('#login-msg').innerText), { timeout: 8000 });
	const msg = await textOf(page, '#login-msg');
	assert(/ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง/.test(msg), `login error shown: ${msg}`);
	assert(await page.$('#logout') === null, 'not logged in');
	await shot(page, 'login');
});

await test('cm_official logs in; the token is kept in sessionStorage only', async () => {
	await login(page, 'cm_official', 'cm_official-demo');
	await page.waitForSelector('#logout', { timeout: 10000 });
	const who = await textOf(page, '#who');
	assert(who.includes('cm_official') && who.includes('เชียงใหม่') && who.includes('เจ้าหน้าที่'), `header: ${who}`);
	const s = await page.evaluate(() => [sessionStorage.getItem('np-console-session'), JSON.stringify(localStorage)]);
	assert(/"token":"npt_[A-Za-z0-9_-]{64}"/.test(s[0]), 'a token in sessionStorage');
	assert(!s[1].includes('npt_') && !s[1].includes('cm_official-demo'), 'nothing secret in localStorage');
	const granted = await page.evaluate(() => window.npConsole.granted);
	assert(granted.includes('np/rep/50/#'), `granted np/rep/50/#: ${granted}`);
});

let ackFeed;
await test('a report published by np-report appears in Live within seconds', async () => {
	ackFeed = feed('somchai', 'somchai-demo', 'np/rep/50/5001/50010101/ack', 1);
	await tab(page, 'live');
	await sleep(800);          // np-feed subscribed
	reportId = await report('somchai', '50010101', 'outage', reportTitle);
	await waitText(page, '#live-list', reportTitle, 8000);
	const li = await page.$eval(`#live-list li[data-id="${reportId}"]`, (e) => e.innerText);
	assert(li.includes('หมู่ 1 ศรีภูมิ') && li.includes('somchai'), `the item names village and sender: ${li}`);
	await shot(page, 'live');
});

await test('an ack from Live reaches the volunteer\'s np-feed', async () => {
	await page.click(`#live-list li[data-id="${reportId}"] .ack-btn`);
	const r = await ackFeed.done;
	assert(r.lines.length === 1, `np-feed got one ack (${r.err})`);
	const a = r.lines[0];
	assert(a.sender.username === 'cm_official', `sent by cm_official: ${JSON.stringify(a)}`);
	assert(a.ack.report_id === reportId, `acks the report: ${JSON.stringify(a.ack)}`);
});

await test('Cases lists the report; assign and resolve reach np-feed', async () => {
	await tab(page, 'cases');
	await page.waitForFunction(() => document.querySelector('#cases-table, #cases-empty, #cases-box .no-answer, #cases-box .error'), { timeout: 8000 });
	await shot(page, 'cases');
	if (await page.$('#cases-box .no-answer')) {
		const why = await textOf(page, '#cases-box .no-answer');
		return `the hub does not answer $CONTROL/np/v1/cases (${why.replace(/#/g, '')})`;
	}
	casesAnswered = true;
	await waitText(page, '#cases-table', reportTitle, 8000);
	const f = feed('somchai', 'somchai-demo', 'np/rep/50/5001/50010101/ack', 2);
	await sleep(800);
	const row = `#cases-table tr[data-topic="np/rep/50/5001/50010101/outage"]`;
	await page.type(`${row} .case-assignee`, 'nt_operator');
	await page.click(`${row} .assign-btn`);
	await sleep(1000);
	await page.type(`${row} .case-note`, 'ซ่อมแล้ว');
	await page.click(`${row} .resolve-btn`);
	const r = await f.done;
	assert(r.lines.length === 2, `np-feed got two acks (${r.err})`);
	assert(r.lines[0].ack.assignee === 'nt_operator', `assigned: ${JSON.stringify(r.lines[0].ack)}`);
	assert(r.lines[1].ack.note === 'ซ่อมแล้ว', `resolved with the note: ${JSON.stringify(r.lines[1].ack)}`);
});

await test('an announcement with a 2-hour expiry is sent and its reach shown', async () => {
	await tab(page, 'announce');
	await page.$eval('#ann-area', (e) => { e.value = '50'; });
	await page.select('#ann-category', 'weather');
	await page.select('#ann-expiry', '2');
	await page.type('#ann-title', `พายุฤดูร้อน ${stamp}`);
	await page.type('#ann-body', 'งดออกนอกบ้านช่วงบ่าย');
	await page.click('#ann-send');
	await waitText(page, '#ann-status', 'ส่งประกาศแล้ว');
	await page.waitForSelector('#reach-targeted', { timeout: 8000 });
	const targeted = Number(await textOf(page, '#reach-targeted'));
	assert(targeted > 0, `reach: targeted ${targeted}`);
	assert((await textOf(page, '#reach-provinces')).includes('เชียงใหม่'), 'reach by province');
	await shot(page, 'announce');
});

await test('a refused announcement shows the hub\'s reason', async () => {
	await page.$eval('#ann-area', (e) => { e.value = '10'; });     // Bangkok: outside Chiang Mai
	await page.$eval('#ann-title', (e) => { e.value = ''; });
	await page.type('#ann-title', 'outside the scope');
	await page.click('#ann-send');
	await page.waitForFunction(() => document.querySelector('#ann-status').className === 'error', { timeout: 8000 });
	const msg = await textOf(page, '#ann-status');
	assert(/^ฮับปฏิเสธ: .{8,}/.test(msg) && !/Publish error/.test(msg), `the hub's reason: ${msg}`);
});

await test('History pages the reports and exports them as CSV', async () => {
	await tab(page, 'history');
	await page.waitForSelector('#history-table', { timeout: 8000 });
	assert((await textOf(page, '#history-table')).includes(reportTitle), 'the report is in the first page');
	await shot(page, 'history');
	await page.click('#history-export');
	await waitText(page, '#history-export-status', 'ส่งออก', 10000);
	let file;
	for (let i = 0; i < 50 && !file; i++) {
		file = fs.readdirSync(TMP).find((f) => /^np-history-.*\.csv$/.test(f));
		await sleep(100);
	}
	assert(file, 'a CSV was downloaded');
	const csv = fs.readFileSync(path.join(TMP, file), 'utf8');
	const header = 'received_at,topic,id,sender,role,area,body,title,detail,state,note,report_id,withdrawn,expired';
	assert(csv.startsWith(`${header}\r\n`), `the CSV header: ${csv.split('\r\n')[0]}`);
	assert(csv.includes(reportId) && csv.includes(reportTitle), 'the report in the CSV');
});

await test('the map shows 77 provinces with the attribution; Chiang Mai drills into districts', async () => {
	// an open report (the one above may be resolved by now, and with cases the
	// map counts open cases)
	await report('somchai', '50010101', 'need', `แผนที่ ${stamp}`);
	await tab(page, 'map');
	await page.waitForSelector('#map-svg path[data-code="50"]', { timeout: 10000 });
	const paths = await page.$$eval('#map-svg path', (p) => p.length);
	assert(paths === 77, `77 provinces drawn (${paths})`);
	assert((await textOf(page, '#map-credit')).includes('Natural Earth'), 'the attribution line');
	await page.$eval('#map-svg path[data-code="50"]', (p) => p.focus());   // by keyboard
	await page.keyboard.press('Enter');
	await page.waitForSelector('#map-districts tr[data-code="5001"]');
	const n = await page.$eval('#map-districts tr[data-code="5001"] td:last-child', (e) => Number(e.innerText));
	assert(n >= 1, `Mueang Chiang Mai counts the report (${n})`);
	await page.click('#map-districts tr[data-code="5001"]');
	await page.waitForSelector('#map-villages tr[data-code="50010101"]');
	await shot(page, 'map');
});

await test('Figures draws reports per day; case times or the hub\'s silence', async () => {
	await tab(page, 'figures');
	await page.waitForSelector('#figures-days canvas', { timeout: 10000 });
	await page.waitForFunction(() => document.querySelector('#figures-times canvas, #figures-times .no-answer, #figures-times .note:not(:empty)'), { timeout: 8000 });
	await sleep(500);
	await shot(page, 'figures');
	if (!casesAnswered)
		assert(await page.$('#figures-times .no-answer'), 'says the hub does not answer case-stats');
});

await test('a lost WebSocket shows a banner, reconnects and catches up from history', async () => {
	await tab(page, 'live');
	await page.evaluate(() => window.npConsole.hub.c.stream.destroy());
	await page.waitForSelector('#banner:not([hidden])', { timeout: 5000 });
	assert((await textOf(page, '#banner')).includes('การเชื่อมต่อขาด'), 'the lost banner');
	const title = `ระหว่างขาดการเชื่อมต่อ ${stamp}`;
	await report('malee', '50010102', 'need', title);
	await waitText(page, '#banner', 'เชื่อมต่อใหม่แล้ว', 10000);
	await waitText(page, '#live-list', title, 5000);
});

let token;
await test('logout revokes the session\'s token and forgets it', async () => {
	token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('np-console-session')).token);
	await page.click('#logout');
	await page.waitForSelector('#login-user');
	assert(await page.evaluate(() => sessionStorage.getItem('np-console-session')) === null, 'forgotten');
	await sleep(300);
	const log = fs.readFileSync(env('NP_LOG'), 'utf8');
	assert(/revoked by its holder 'cm_official'/.test(log), 'the hub logged the revoke');
	const r = await run('np-feed', [...hubArgs('cm_official', token), '--count', '1', '--timeout', '1', 'np/ann/TH/#']);
	assert(r.code !== 0, `the token no longer logs in (${r.code})`);
});

await test('a revoked token sends the console back to login with a message', async () => {
	await login(page, 'cm_official', 'cm_official-demo');
	await page.waitForSelector('#logout', { timeout: 10000 });
	const r = await runAt(env('NP_ADMIN'), ['--db', env('NP_DB'), 'token', 'revoke', '--user', 'cm_official']);
	assert(r.code === 0, `np-admin token revoke (${r.stderr})`);
	await page.waitForSelector('#login-msg', { timeout: 10000 });
	assert((await textOf(page, '#login-msg')).includes('เซสชันสิ้นสุดแล้ว'), 'session ended message');
});

// An official's announcements corrected while the console is logged out:
// OLD replaced by NEW (an Update), GONE withdrawn by CAN (a Cancel that has
// itself expired by the time of the login). The login's catch-up must show
// what a live feed would: NEW only. Then, logged in, SHOWN replaced by FIX
// live: FIX takes SHOWN off the Live list; SOON, expiring 4 s after it is
// sent, leaves the list when it expires.
const ann = { old: `ประกาศเดิม ${stamp}`, new: `ประกาศแก้ไข ${stamp}`,
	gone: `ประกาศที่ยกเลิก ${stamp}`, can: `ยกเลิกประกาศ ${stamp}`,
	shown: `ประกาศก่อนแก้ ${stamp}`, fix: `ประกาศแก้สด ${stamp}`, soon: `ประกาศหมดอายุเร็ว ${stamp}` };
const annId = {};
async function announce(key, ...more) {
	const r = await run('np-announce', [...hubArgs('cm_official', 'cm_official-demo'), '--area', '50',
		'--category', 'general', '--title', ann[key], ...more]);
	const m = /^accepted ([0-9a-f]{32})$/m.exec(r.stdout);
	assert(r.code === 0 && m, `np-announce ${key} (${r.code}: ${r.stdout} ${r.stderr})`);
	annId[key] = m[1];
}
await test('an Update or Cancel, made while logged out or live: Live shows the Update only', async () => {
	await announce('old');
	await announce('new', '--replaces', annId.old);
	await announce('gone');
	const t0 = Date.now();
	await announce('can', '--cancels', annId.gone, '--expires', '3s');
	await sleep(Math.max(0, t0 + 3500 - Date.now()));       // CAN has expired
	await login(page, 'cm_official', 'cm_official-demo');
	await page.waitForSelector('#logout', { timeout: 10000 });
	await tab(page, 'live');
	await waitText(page, '#live-list', ann.new, 10000);
	await sleep(500);           // the other filters' catch-up
	const live = await textOf(page, '#live-list');
	assert(!live.includes(ann.old), 'the replaced announcement is not in Live');
	assert(!live.includes(ann.gone), 'the cancelled announcement is not in Live');
	assert(!live.includes(ann.can), 'the expired Cancel is not in Live');
	const ids = await page.evaluate(() => window.npConsole.messages.map((m) => m.id));
	assert(ids.includes(annId.new) && !ids.includes(annId.old) && !ids.includes(annId.gone)
		&& !ids.includes(annId.can), 'app.messages holds NEW only of the four');
	// and live: an Update arriving takes the one it replaces off the list
	await announce('shown');
	await waitText(page, '#live-list', ann.shown, 8000);
	await announce('fix', '--replaces', annId.shown);
	await waitText(page, '#live-list', ann.fix, 8000);
	assert(!(await textOf(page, '#live-list')).includes(ann.shown), 'the replaced one left Live with the Update');
	assert(!(await page.evaluate(() => window.npConsole.messages.map((m) => m.id))).includes(annId.shown),
		'and app.messages');
	// and one that expires while shown leaves Live when it expires
	await announce('soon', '--expires', '4s');
	await waitText(page, '#live-list', ann.soon, 8000);
	await page.waitForFunction((t) => !document.querySelector('#live-list').innerText.includes(t),
		{ timeout: 10000 }, ann.soon);
});

await test('History marks the withdrawn and the expired announcements; the CSV says so', async () => {
	await tab(page, 'history');
	await page.waitForSelector('#history-count, #history-box .no-answer, #history-box .error', { timeout: 8000 });
	await page.$eval('#history-filter', (e) => { e.value = ''; });
	await page.type('#history-filter', 'np/ann/50/#');
	await page.click('#history-search');
	await waitText(page, '#history-table', ann.new, 8000);
	const row = (k) => `#history-table tr[data-id="${annId[k]}"]`;
	const pills = async (k) => page.$$eval(`${row(k)} .pill`, (ps) => ps.map((p) => p.className));
	for (const k of ['old', 'new', 'gone', 'can'])
		assert(await page.$(row(k)), `${k}'s row is in History`);
	assert((await textOf(page, row('old'))).includes('ถูกถอน'), 'OLD is marked withdrawn in Thai');
	assert(JSON.stringify(await pills('old')) === '["pill withdrawn"]', `OLD's marks: ${await pills('old')}`);
	assert(JSON.stringify(await pills('gone')) === '["pill withdrawn"]', `GONE's marks: ${await pills('gone')}`);
	assert(JSON.stringify(await pills('can')) === '["pill expired"]', `CAN's marks: ${await pills('can')}`);
	assert((await textOf(page, row('can'))).includes('หมดอายุ'), 'CAN is marked expired in Thai');
	assert((await pills('new')).length === 0, 'NEW carries no mark');
	await shot(page, 'history-withdrawn');
	for (const f of fs.readdirSync(TMP))
		fs.rmSync(path.join(TMP, f));
	await page.click('#history-export');
	await waitText(page, '#history-export-status', 'ส่งออก', 10000);
	let file;
	for (let i = 0; i < 50 && !file; i++) {
		file = fs.readdirSync(TMP).find((f) => /^np-history-.*\.csv$/.test(f));
		await sleep(100);
	}
	assert(file, 'a CSV was downloaded');
	const lines = fs.readFileSync(path.join(TMP, file), 'utf8').split('\r\n');
	assert(lines[0].endsWith(',report_id,withdrawn,expired'), `the CSV header: ${lines[0]}`);
	const tail = (k) => {
		const l = lines.find((x) => x.includes(annId[k]));
		assert(l, `${k} in the CSV`);
		return l.split(',').slice(-2).join(',');
	};
	assert(tail('old') === 'true,false', `OLD's row ends withdrawn: ${tail('old')}`);
	assert(tail('gone') === 'true,false', `GONE's row ends withdrawn: ${tail('gone')}`);
	assert(tail('can') === 'false,true', `CAN's row ends expired: ${tail('can')}`);
	assert(tail('new') === 'false,false', `NEW's row: ${tail('new')}`);
	await page.click('#logout');
	await page.waitForSelector('#login-user');
});

await test('somchai (volunteer) sees his village only: no province board', async () => {
	const other = `ของอีกหมู่บ้าน ${stamp}`;
	await report('vol_5002', '50020301', 'need', other).catch(() => {});
	await login(page, 'somchai', 'somchai-demo');
	await page.waitForSelector('#logout', { timeout: 10000 });
	const who = await textOf(page, '#who');
	assert(who.includes('อาสาสมัคร') && who.includes('หมู่ 1 ศรีภูมิ'), `header: ${who}`);
	const granted = await page.evaluate(() => window.npConsole.granted);
	assert(!granted.includes('np/rep/50/#') && granted.includes('np/rep/50/5001/50010101/#'), `granted: ${granted}`);
	await tab(page, 'live');
	await waitText(page, '#live-list', reportTitle, 8000);
	const live = await textOf(page, '#live-list');
	assert(!live.includes(other) && !live.includes('ระหว่างขาดการเชื่อมต่อ'), 'no other village\'s report');
	assert(await page.$('.ack-btn') === null, 'no ack buttons for a volunteer');
	await tab(page, 'cases');
	assert((await textOf(page, '#cases-h')).includes('หมู่ 1 ศรีภูมิ'), 'the board is his village\'s');
	await shot(page, 'volunteer');
});

await test('English is one click away; the console fits a phone', async () => {
	await page.click('header button[lang="en"]');
	await page.waitForFunction(() => document.querySelector('#logout').innerText === 'Log out');
	assert(await page.evaluate(() => document.documentElement.lang) === 'en', 'html lang en');
	await page.setViewport({ width: 390, height: 844, isMobile: true });   // reloads the page:
	await page.waitForSelector('#tab-live', { timeout: 10000 });           // the session stays
	await tab(page, 'live');
	const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
	assert(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
	await shot(page, 'phone-en');
	await page.click('#logout');
	await page.waitForSelector('#login-user');
	assert(errors.length === 0, `no page errors: ${errors.join('; ')}`);
});

await browser.close();
process.exit(failed ? 1 : 0);
