/* refusal.c - the one table of the hub's refusal sentences (see refusal.h).
 * These are the words of the log and of Refusal.reason and HistoryPage.error:
 * change one here and it changes everywhere, for users and logs alike. */
#include <stddef.h>

#include "refusal.h"

static const char *const texts[HUB_R_COUNT] = {
	[HUB_OK] = "granted",
	[HUB_R_EMPTY_TOPIC] = "empty topic",
	[HUB_R_TOPIC_TOO_DEEP] = "topic has too many levels",
	[HUB_R_WILDCARD_IN_TOPIC] = "a topic may not hold wildcards",
	[HUB_R_NOT_NP] = "topic is not under np/",
	[HUB_R_NOT_VALID_NP] = "not a valid np topic",
	[HUB_R_UNKNOWN_KIND] = "unknown topic kind",
	[HUB_R_WRONG_DEPTH] = "wrong number of levels for this topic kind",
	[HUB_R_BAD_AREA] = "bad area code",
	[HUB_R_BAD_PROVINCE] = "bad province code",
	[HUB_R_BAD_DISTRICT] = "bad district code",
	[HUB_R_BAD_VILLAGE] = "bad village code",
	[HUB_R_PLACES_DISAGREE] = "province, district and village codes do not agree",
	[HUB_R_UNKNOWN_CATEGORY] = "unknown category",
	[HUB_R_UNKNOWN_SHOW_KIND] = "unknown showcase kind",
	[HUB_R_UNKNOWN_REPORT_KIND] = "unknown report kind",
	[HUB_R_BAD_INBOX] = "bad inbox address (a village code or an official's username)",
	[HUB_R_BAD_REPLY_USER] = "bad username in reply topic",
	[HUB_R_FILTER_MATCHES_NOTHING] = "filter matches no valid np topic",

	[HUB_R_NOT_AUTHENTICATED] = "not authenticated",
	[HUB_R_HUB_OWN] = "$np/ is the hub's own",
	[HUB_R_SYS_ADMIN] = "$SYS is for the admin",
	[HUB_R_BAD_SHARE] = "bad shared subscription",
	[HUB_R_SHARE_NOT_OWN] = "a shared subscription group must be named after its user "
				"($share/<username>/... or $share/<username>~<name>/...)",
	[HUB_R_NO_PLACE] = "place is not in the registry",
	[HUB_R_NO_INBOX_VILLAGE] = "inbox village is not in the registry",
	[HUB_R_NO_INBOX_OFFICIAL] = "inbox user is not an official",
	[HUB_R_READ_ANN] = "may not read announcements of that area",
	[HUB_R_READ_REP] = "may not read reports of that area or kind",
	[HUB_R_READ_STATUS] = "may not read status of that area",
	[HUB_R_READ_SHOW] = "may not read showcase of that area",
	[HUB_R_READ_DM] = "may not read another inbox",
	[HUB_R_READ_REPLY] = "may not read another user's replies",
	[HUB_R_WRITE_ANN] = "may not announce to that area or category",
	[HUB_R_WRITE_ACK] = "may not acknowledge reports of that area",
	[HUB_R_WRITE_REP] = "may report only for one's own village",
	[HUB_R_WRITE_OWN_VILLAGE] = "may publish status and showcase only for one's own village",
	[HUB_R_WRITE_DM] = "role may not send direct messages",
	[HUB_R_WRITE_REPLY] = "reply topics are written by the hub only",

	[HUB_R_PAYLOAD_TOO_BIG] = "payload is over the size limit",
	[HUB_R_PAYLOAD_EMPTY] = "payload is empty (want an np.Envelope)",
	[HUB_R_NOT_ENVELOPE] = "payload is not an np.Envelope",
	[HUB_R_NOT_CANONICAL] = "text holds a NUL byte or the envelope is not canonically encoded",
	[HUB_R_ENVELOPE_UNKNOWN_FIELDS] = "envelope has unknown fields",
	[HUB_R_BODY_UNKNOWN_FIELDS] = "body has unknown fields",
	[HUB_R_ID_LENGTH] = "id is not 16 bytes",
	[HUB_R_ID_ZERO] = "id is all zeros (want 16 random or time-ordered bytes)",
	[HUB_R_SEAL_SET] = "the seal is set by the hub only",
	[HUB_R_NO_BODY] = "envelope has no body",
	[HUB_R_BODY_HUB_ONLY] = "body is written by the hub only",
	[HUB_R_BODY_MISFIT] = "body does not fit the topic",
	[HUB_R_TEXT_TOO_LONG] = "text field is too long",
	[HUB_R_TEXT_UTF8] = "text is not valid UTF-8",
	[HUB_R_REPORT_NO_TITLE] = "report has no title",
	[HUB_R_ANN_NO_TITLE] = "announcement has no title",
	[HUB_R_SHOW_NO_TITLE] = "showcase has no title",
	[HUB_R_DM_EMPTY] = "direct message is empty",
	[HUB_R_ACK_REPORT_ID] = "ack report_id is not 16 bytes",
	[HUB_R_ACK_STATE] = "ack state is not one of received, in_progress, resolved, rejected, "
			     "assigned",
	[HUB_R_ANN_EXPIRY_NEGATIVE] = "announcement expires_at_ms is negative (want ms since 1970, "
				      "or 0: never expires)",

	[HUB_R_UNKNOWN_USER] = "unknown user",
	[HUB_R_PROPERTIES] = "MQTT 5 properties (user properties, correlation data, response "
			     "topic, content type) are not accepted on np/: everything travels "
			     "in the envelope",
	[HUB_R_QOS2] = "QoS 2 is not accepted on np/: publish with QoS 1 (the hub "
		       "deduplicates by id, so a resend is delivered once)",
	[HUB_R_ID_OTHER_SENDER] = "the id belongs to another sender's message",
	[HUB_R_ID_REUSED] = "the id is already used for a different message of yours "
			    "(a resend must be byte for byte the same; a new message needs a new id)",
	[HUB_R_ACK_UNKNOWN_REPORT] = "ack of a report the hub does not hold",
	[HUB_R_ACK_OTHER_VILLAGE] = "ack of a report of another village",
	[HUB_R_ACK_OPERATOR_OUTAGE] = "operators acknowledge outage reports only",
	[HUB_R_STORE_FAILED] = "history store failed",
	[HUB_R_CANNOT_STORE] = "the hub cannot store messages now (see its log)",
	[HUB_R_WILL_NOT_NP] = "a will may only go to an np/ topic",
	[HUB_R_WILL_PROPERTIES] = "MQTT 5 properties are not accepted on np/",
	[HUB_R_ANN_EXPIRED] = "the announcement has already expired (its expires_at_ms is not after "
			      "the hub's clock)",

	[HUB_R_LOGIN_PAIR_LOCKED] = "too many failed logins for this user from this address",
	[HUB_R_LOGIN_ADDRS_FULL] = "too many failed logins from too many addresses",
	[HUB_R_LOGIN_ADDR] = "too many failed logins from this address",
	[HUB_R_LOGIN_HUB] = "too many failed logins at the hub",
	[HUB_R_RATE_NOMEM] = "the hub is out of memory for rate limits",
	[HUB_R_RATE_MSGS] = "over the rate limit of %u messages/s (burst %u)",
	[HUB_R_RATE_BYTES] = "over the rate limit of %zu bytes/s",
	[HUB_R_HISTORY_RATE] = "over the limit of %u history requests/s; wait and ask again",
	[HUB_R_HISTORY_BYTES] = "over the limit of %zu bytes of history/s; wait and ask again",

	[HUB_R_REQUEST_TOO_BIG] = "the request is over 4096 bytes",
	[HUB_R_REQUEST_PROPERTIES] = "MQTT 5 properties are not accepted on requests",
	[HUB_R_NOT_REQUEST] = "the request is not an np.HistoryRequest",
	[HUB_R_REQUEST_UNKNOWN_FIELDS] = "the request has unknown fields",
	[HUB_R_REQUEST_NOT_CANONICAL] = "the request holds a NUL byte or is not canonically encoded",
	[HUB_R_NEGATIVE_TIME] = "since and until must not be negative",
	[HUB_R_UNTIL_BEFORE_SINCE] = "until must be after since",
	[HUB_R_BAD_CURSOR] = "the cursor is not one this hub gave",
	[HUB_R_LIMIT_TOO_BIG] = "limit is over 1000 (the hub's page size cap)",
	[HUB_R_FILTER_TOO_LONG] = "the filter is over 512 bytes",
	[HUB_R_FILTER_UTF8] = "the filter is not UTF-8",
	[HUB_R_CORRELATION_ID] = "the correlation id is over 128 bytes or not UTF-8",
	[HUB_R_HISTORY_FAILED] = "the history store failed; try again",
	[HUB_R_FILTER_EMPTY] = "the filter is empty",
	[HUB_R_FILTER_TOO_DEEP] = "the filter has too many levels",
	[HUB_R_HASH_NOT_LAST] = "'#' must be the last level of a filter",
	[HUB_R_WILDCARD_PART] = "a wildcard must fill a whole level",
	[HUB_R_FILTER_NOT_NP] = "the filter must be under np/",
	[HUB_R_FILTER_UNKNOWN_KIND] = "unknown topic kind in the filter (ann, rep, status, show, dm)",

	[HUB_R_TOKEN_MALFORMED] = "malformed token (want npt_ and 64 base64url characters)",
	[HUB_R_TOKEN_UNKNOWN] = "unknown or revoked token",
	[HUB_R_TOKEN_WRONG_SECRET] = "wrong token secret",
	[HUB_R_TOKEN_OTHER_USER] = "the token belongs to another user",
	[HUB_R_TOKEN_EXPIRED] = "the token has expired",
	[HUB_R_TOKEN_BY_TOKEN] = "a session logged in with a token may not ask for tokens "
				 "(log in with the password)",
	[HUB_R_NOT_TOKEN_REQUEST] = "the request is not an np.TokenRequest",
	[HUB_R_TOKEN_LABEL] = "the label is over 64 bytes or not UTF-8",
	[HUB_R_TOKEN_DAYS] = "days is over 3650 (ten years)",
	[HUB_R_TOKEN_RATE] = "over the limit of %u token requests a minute; wait and ask again",
	[HUB_R_TOKEN_STORE] = "the hub could not store the token; try again",
	[HUB_R_TOKEN_REVOKE_PASSWORD] = "a session logged in with its password has no token to "
					"revoke",

	[HUB_R_ADMIN_ONLY] = "only an admin may send admin requests",
	[HUB_R_NOT_ADMIN_REQUEST] = "the request is not an np.AdminRequest",
	[HUB_R_ADMIN_WORDS] = "the request has no command words, over 256 of them, or one over "
			      "4096 bytes or not UTF-8",
	[HUB_R_ADMIN_HASHES] = "the request carries over 100000 password hashes or one that is "
			       "not a hash",
	[HUB_R_ADMIN_STORE] = "the hub could not write its history before the change; try again",

	[HUB_R_NO_USERNAME] = "no username (anonymous logins are refused)",
	[HUB_R_NO_PASSWORD] = "no password",
	[HUB_R_USER_DB] = "user database error",
	[HUB_R_WRONG_PASSWORD] = "wrong password",
	[HUB_R_CLIENT_ID_OTHER_USER] = "the client id names another user",
	[HUB_R_CLIENT_ID_TAKEN] = "the client id belongs to another user",
	[HUB_R_CLIENT_ID_TOO_LONG] = "the client id is over 128 bytes",
	[HUB_R_TOO_MANY_CONNECTIONS] = "too many connections for this user",

	[HUB_R_RECEIPT_TOO_BIG] = "the receipt is over 2048 bytes",
	[HUB_R_RECEIPT_RATE] = "over the limit of %u receipts/s; the receipt is not counted",
	[HUB_R_NOT_RECEIPT] = "the receipt is not an np.Receipt",
	[HUB_R_RECEIPT_STATE] = "the receipt's state is neither DELIVERED nor READ",
	[HUB_R_RECEIPT_NO_IDS] = "the receipt holds no announcement ids",
	[HUB_R_RECEIPT_TOO_MANY] = "the receipt holds over 100 ids (send several)",
	[HUB_R_RECEIPT_ID_LENGTH] = "an id of the receipt is not 16 bytes",
	[HUB_R_RECEIPT_UNKNOWN_ID] = "receipt for an id the hub does not hold",
	[HUB_R_RECEIPT_NOT_ANN] = "receipt for a message that is not an announcement",
	[HUB_R_RECEIPT_UNREADABLE] = "receipt for an announcement this user may not read",
	[HUB_R_RECEIPT_STORE] = "the hub could not record the receipt (see its log)",
	[HUB_R_NOT_REACH_REQUEST] = "the request is not an np.ReachRequest",
	[HUB_R_REACH_ID] = "the announcement id is not 16 bytes",
	[HUB_R_REACH_UNKNOWN] = "the hub holds no message with that id",
	[HUB_R_REACH_NOT_ANN] = "that id is not an announcement's",
	[HUB_R_REACH_SCOPE] = "only the announcement's sender, and officials and admins whose "
			      "scope covers its area, may ask its reach",
	[HUB_R_REACH_FAILED] = "the hub could not count the reach; try again",
	[HUB_R_PHOTO_TOO_BIG] = "the photo is over the hub's limit of %zu bytes",
	[HUB_R_PHOTO_NOT_IMAGE] = "the photo is not a JPEG, PNG or WebP image (by its first bytes)",
	[HUB_R_PHOTO_BAD_JPEG] = "the photo is not a whole JPEG (broken markers, or it does not end "
				 "with FF D9: cut short?)",
	[HUB_R_PHOTO_BAD_PNG] = "the photo is not a whole PNG (its chunks must run from IHDR to IEND "
				"at the end: cut short?)",
	[HUB_R_PHOTO_BAD_WEBP] = "the photo is not a whole WebP (its RIFF size must match its "
				 "length and its chunks hold an image: cut short?)",
	[HUB_R_PHOTO_NOT_HERE] = "only a report or a showcase may carry a photo",
	[HUB_R_SHOW_PRICE] = "showcase price_thb must be 0 to 10000000 (whole baht; 0: no price)",
	[HUB_R_SHOW_CONTACT] = "showcase contact is over 200 bytes",
	[HUB_R_ACK_ASSIGNEE_STATE] = "an ack names an assignee only with the state assigned",
	[HUB_R_ACK_NO_ASSIGNEE] = "an ack with the state assigned must name its assignee",
	[HUB_R_CASE_ASSIGN_ROLE] = "only officials assign cases",
	[HUB_R_CASE_ASSIGNEE_UNKNOWN] = "the assignee is no user of the hub",
	[HUB_R_CASE_ASSIGNEE_ROLE] = "the assignee is neither an operator nor an agency, which "
				     "alone can be assigned cases",
	[HUB_R_CASE_ASSIGNEE_AREA] = "the assignee's scope does not cover the report's village",
	[HUB_R_CASE_NOT_ASSIGNED] = "agencies acknowledge only the cases assigned to them",
	[HUB_R_CASE_REOPEN_NOTE] = "a resolved or rejected case is reopened only with a note "
				   "saying why",
	[HUB_R_CASE_STORE] = "the hub could not read the case (see its log)",
	[HUB_R_NOT_CASE_REQUEST] = "the request is not an np.CaseRequest",
	[HUB_R_NOT_CASE_STATS_REQUEST] = "the request is not an np.CaseStatsRequest",
	[HUB_R_CASE_AREA] = "the area is neither TH nor a province, district or village code",
	[HUB_R_CASE_SCOPE] = "the area is outside the cases this user may read",
	[HUB_R_CASE_READER] = "residents read no reports, so no cases",
	[HUB_R_CASE_KIND] = "unknown report kind (outage, need, incident, feedback)",
	[HUB_R_CASE_STATE] = "unknown case state",
	[HUB_R_CASE_STATS_TOO_MANY] = "over 200000 cases: narrow the area, kinds or time range",
	[HUB_R_CASE_FAILED] = "the hub could not read the cases; try again",
	[HUB_R_CAP_SEVERITY] = "announcement severity is not one of CAP's (Extreme, Severe, "
			       "Moderate, Minor, Unknown)",
	[HUB_R_CAP_URGENCY] = "announcement urgency is not one of CAP's (Immediate, Expected, "
			      "Future, Past, Unknown)",
	[HUB_R_CAP_CERTAINTY] = "announcement certainty is not one of CAP's (Observed, Likely, "
				"Possible, Unlikely, Unknown)",
	[HUB_R_CAP_STATUS] = "announcement cap_status is not one of CAP's (Actual, Exercise, "
			     "System, Test, Draft)",
	[HUB_R_CAP_MSG_TYPE] = "announcement msg_type is not one of CAP's (Alert, Update, Cancel, "
			       "Ack, Error)",
	[HUB_R_CAP_REF_LENGTH] = "an announcement reference is not a 16-byte id",
	[HUB_R_CAP_REF_TOO_MANY] = "an announcement has over 1024 references",
	[HUB_R_CAP_REF_MSG_TYPE] = "only an Update or a Cancel (msg_type) may carry references",
	[HUB_R_CAP_REF_UNKNOWN] = "a reference names no stored announcement (an Update or Cancel "
				  "of an unknown alert)",
	[HUB_R_CAP_REF_OTHER_SENDER] = "a reference names another sender's announcement",
	[HUB_R_CAP_REF_NOT_ANN] = "a reference names a message that is no announcement",
	[HUB_R_CAP_REF_STATUS] = "a reference names an announcement of another cap_status (a Test "
				 "may not withdraw an Actual alert)",
	[HUB_R_SHOW_WITHDRAWS] = "showcase withdraws must be the 16-byte id of an earlier showcase",
	[HUB_R_SHOW_WITHDRAW_UNKNOWN] = "showcase withdraws names no stored showcase",
	[HUB_R_SHOW_WITHDRAW_VILLAGE] = "showcase withdraws a showcase of another village",
	[HUB_R_SHOW_OFFICIAL_WITHDRAW] = "an official may only withdraw a showcase (withdraws set), "
					 "not show one",
	[HUB_R_NOMEM] = "out of memory",
};

const char *
hub_refusal_text(enum hub_refusal r)
{
	if ((unsigned)r >= HUB_R_COUNT || texts[r] == NULL)
		return "unknown refusal";
	return texts[r];
}
