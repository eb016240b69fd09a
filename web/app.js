/*
 * lockstep web client: plain JavaScript, no build step, no external
 * resources. The session lives in an HttpOnly cookie that this script
 * never sees; every write carries X-Lockstep-CSRF: 1. All text that comes
 * from the server is put into the page with textContent (through el()),
 * never parsed as markup.
 */
'use strict';

(function () {
	const API = '/api/v1';
	/* Every enumeration comes from GET /api/v1/vocabulary (loadVocabulary):
	 * the server's vocabulary table is their one source. */
	let vocab = null; /* {severity:[...], finding_status:[...], ...} */
	const enumOf = (name) => (vocab && Array.isArray(vocab[name]) ? vocab[name] : []);
	const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';

	const $ = (id) => document.getElementById(id);
	let me = null;          /* {user:{id,email,name,role}, org:{id,kind,name}} */
	let threatModels = [];  /* [{code,name,description}] */
	let renderSeq = 0;
	let pendingNotice = null;

	/* A refused request: the problem+json title and detail, or a stand-in. */
	class Problem extends Error {
		constructor(status, body) {
			const b = body && typeof body === 'object' ? body : {};
			const title = typeof b.title === 'string' ? b.title :
				status ? 'Request failed (HTTP ' + status + ')' : 'Network error';
			super(title);
			this.status = status;
			this.title = title;
			this.detail = typeof b.detail === 'string' ? b.detail : '';
		}
	}

	/* ---- DOM helpers: strings always become text nodes ---- */

	function append(node, kids) {
		for (const k of kids) {
			if (k === null || k === undefined || k === false)
				continue;
			if (Array.isArray(k))
				append(node, k);
			else if (k instanceof Node)
				node.appendChild(k);
			else
				node.appendChild(document.createTextNode(String(k)));
		}
	}

	function el(tag, attrs, ...kids) {
		const n = document.createElement(tag);
		append(n, kids);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === undefined || v === null || v === false)
				continue;
			if (k.startsWith('on'))
				n.addEventListener(k.slice(2), v);
			else if (k === 'value')
				n.value = v;
			else
				n.setAttribute(k, v === true ? '' : String(v));
		}
		return n;
	}

	const link = (href, text) => el('a', { href }, text);
	const fmtList = (a) => (Array.isArray(a) && a.length ? a.join(', ') : '—');
	const orDash = (s) => (s === null || s === undefined || s === '' ? '—' : s);

	function table(heads, rows, attrs) {
		return el('table', attrs,
			el('thead', null, el('tr', null, heads.map((h) => el('th', null, h)))),
			el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => el('td', null, c))))));
	}

	function dl(pairs) {
		return el('dl', null, pairs.map(([k, v]) => [el('dt', null, k), el('dd', null, v)]));
	}

	function field(label, control) {
		return el('label', null, el('span', null, label), control);
	}

	function select(name, options, selected, attrs) {
		return el('select', Object.assign({ name }, attrs),
			options.map((o) => {
				const [v, t] = Array.isArray(o) ? o : [o, o];
				return el('option', { value: v, selected: v === selected }, t);
			}));
	}

	/* Split "a, b c" into ["a","b","c"]. */
	function words(s) {
		return String(s || '').split(/[\s,]+/).filter((w) => w !== '');
	}

	/* ---- problems and notices ---- */

	function showProblem(err) {
		const p = err instanceof Problem ? err : new Problem(0, { title: 'Unexpected error', detail: String(err && err.message || err) });
		$('problem-title').textContent = p.title;
		$('problem-detail').textContent = p.detail;
		$('problem').hidden = false;
	}

	function clearProblem() {
		$('problem').hidden = true;
		$('problem-title').textContent = '';
		$('problem-detail').textContent = '';
	}

	function notice(msg) {
		$('notice').textContent = msg;
		$('notice').hidden = !msg;
	}

	/* ---- HTTP ---- */

	async function api(method, path, body) {
		const headers = { Accept: 'application/json' };
		const opts = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
		if (method !== 'GET')
			headers['X-Lockstep-CSRF'] = '1';
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			opts.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await fetch(API + path, opts);
		} catch (e) {
			throw new Problem(0, { title: 'Network error', detail: 'The server could not be reached.' });
		}
		let data = null;
		if (res.status !== 204) {
			const text = await res.text();
			try {
				data = text ? JSON.parse(text) : null;
			} catch (e) {
				data = null;
			}
		}
		if (!res.ok) {
			if (res.status === 401 && path !== '/session' && me !== null)
				setSession(null);
			throw new Problem(res.status, data);
		}
		return data;
	}

	/* Every item of a list, following "next" (bounded). */
	async function listAll(path) {
		const items = [];
		let after = null;
		for (let i = 0; i < 50; i++) {
			const q = '?limit=200' + (after ? '&after=' + encodeURIComponent(after) : '');
			const page = await api('GET', path + q);
			items.push(...(page && Array.isArray(page.items) ? page.items : []));
			if (!page || !page.next)
				break;
			after = page.next;
		}
		return items;
	}

	/* A form whose submission runs fn(FormData); errors show as problems. */
	function onSubmit(form, fn) {
		form.addEventListener('submit', async (ev) => {
			ev.preventDefault();
			const buttons = form.querySelectorAll('button');
			buttons.forEach((b) => { b.disabled = true; });
			clearProblem();
			notice('');
			try {
				await fn(new FormData(form));
			} catch (e) {
				showProblem(e);
			} finally {
				buttons.forEach((b) => { b.disabled = false; });
			}
		});
		return form;
	}

	/* ---- session ---- */

	function setSession(m) {
		me = m;
		const on = me !== null;
		$('login').hidden = on;
		$('view').hidden = !on;
		$('me').hidden = !on;
		$('nav').hidden = !on;
		if (!on) {
			$('view').replaceChildren();
			$('nav').replaceChildren();
			$('me-email').textContent = '';
			$('me-org').textContent = '';
			return;
		}
		$('me-email').textContent = me.user.email;
		$('me-org').textContent = me.user.name + ' · ' + me.user.role + ' · ' + me.org.name + ' (' + me.org.kind + ')';
		if (me.second_factor_required) {
			/* a session limited to setting up a second factor (a campaign requires one) */
			$('nav').replaceChildren(link('#/security', 'Security'));
			return;
		}
		const links = [link('#/', 'Engagements'), link('#/campaigns', 'Campaigns')];
		if (me.org.kind === 'coordinator')
			links.push(link('#/orgs', 'Organisations'));
		else if (me.user.role === 'admin')
			links.push(link('#/orgs/' + me.org.id, 'My organisation'));
		links.push(link('#/security', 'Security'));
		links.push(link('#/account', 'My account'));
		links.push(el('a', { href: '#/inbox', id: 'inbox-link' }, 'Inbox ',
			el('span', { id: 'inbox-count', class: 'badge', hidden: true }, '')));
		$('nav').replaceChildren(...links);
	}

	/* The unread count in the header (GET /inbox/unread), refreshed on every view. */
	async function refreshUnread() {
		const badge = $('inbox-count');
		if (!badge || me === null)
			return;
		try {
			const u = await api('GET', '/inbox/unread');
			const n = u && Number.isInteger(u.unread) ? u.unread : 0;
			badge.textContent = String(n);
			badge.hidden = n === 0;
			badge.setAttribute('aria-label', n + ' unread');
		} catch (e) {
			/* the count is a convenience; the page itself reports problems */
		}
	}

	async function loadVocabulary() {
		if (vocab === null)
			vocab = await api('GET', '/vocabulary');
	}

	async function loadMe() {
		setSession(await api('GET', '/me'));
		try {
			await loadVocabulary();
		} catch (e) {
			showProblem(e);
		}
		if (threatModels.length === 0) {
			try {
				const t = await api('GET', '/threat-models');
				threatModels = t && Array.isArray(t.items) ? t.items : [];
			} catch (e) {
				showProblem(e);
			}
		}
		await route();
	}

	/* Two-step log-in: the challenge of a first step whose password matched. */
	let loginChallenge = null;

	function showLoginStep(second) {
		$('login-form').hidden = second;
		$('login-factor-form').hidden = !second;
		if (second)
			$('login-code').focus();
		else
			loginChallenge = null;
		$('login-code').value = '';
	}

	onSubmit($('login-factor-form'), async (fd) => {
		const code = String(fd.get('code') || '').trim();
		try {
			await api('POST', '/session/second-factor', { challenge: loginChallenge, code });
		} catch (e) {
			/* a burnt or expired challenge: back to the password */
			$('login-code').value = '';
			throw e;
		}
		showLoginStep(false);
		await loadMe();
	});
	$('login-factor-cancel').addEventListener('click', () => {
		clearProblem();
		showLoginStep(false);
	});

	onSubmit($('login-form'), async (fd) => {
		const body = { email: fd.get('email'), password: fd.get('password') };
		let answer = null;
		/* 503 "busy": too many log-ins are waiting (e.g. during an attack);
		 * the server asks to retry after a second. A few retries, then the
		 * problem is shown. (The browser's device cookie from an earlier
		 * log-in puts this account's log-ins first anyway.) */
		for (let attempt = 1; ; attempt++) {
			try {
				answer = await api('POST', '/session', body);
				break;
			} catch (e) {
				if (!(e instanceof Problem) || e.status !== 503 || attempt >= 5)
					throw e;
				notice('The server is busy; retrying (' + attempt + ' of 4)…');
				await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
			}
		}
		notice('');
		$('login-password').value = '';
		if (answer && typeof answer.challenge === 'string') {
			loginChallenge = answer.challenge;
			showLoginStep(true);
			return;
		}
		await loadMe();
	});

	$('logout').addEventListener('click', async () => {
		clearProblem();
		try {
			await api('DELETE', '/session');
		} catch (e) {
			if (e.status !== 401)
				showProblem(e);
		}
		setSession(null);
		showLoginStep(false);
		notice('Logged out.');
		if (location.hash)
			history.replaceState(null, '', location.pathname);
	});

	$('problem-close').addEventListener('click', clearProblem);

	/* ---- invitation and reset links: #link=<token> ----
	 * The token is in the fragment, which the browser never sends; it is
	 * taken out of the address bar at once (history, screen sharing) and
	 * kept only in this closure until the password is set. */
	let linkToken = null;

	function takeLinkToken() {
		const m = /^#link=([A-Za-z0-9_-]{43})$/.exec(location.hash);
		if (!m)
			return false;
		linkToken = m[1];
		history.replaceState(null, '', location.pathname);
		$('login').hidden = true;
		$('accept').hidden = false;
		return true;
	}

	onSubmit($('accept-form'), async (fd) => {
		const password = String(fd.get('password') || '');
		if (password !== String(fd.get('repeat') || ''))
			throw new Problem(422, { title: 'The passwords differ', detail: 'Type the same password twice.' });
		try {
			await api('POST', '/account/accept', { token: linkToken, password });
		} catch (e) {
			if (e.status === 404)
				e.detail = 'This link is unknown, expired, revoked or already used. Ask your organisation\'s admin for a new one.';
			throw e;
		}
		linkToken = null;
		$('accept-form').reset();
		$('accept').hidden = true;
		$('login').hidden = false;
		notice('Password set. Log in with your e-mail address and your new password.');
	});

	/* ---- views: each returns a node for #view ---- */

	async function viewEngagements() {
		const items = await listAll('/engagements');
		return el('div', null,
			el('h2', null, 'Engagements'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No engagements yet.') :
				table(['Campaign', 'Company', 'Assessor', 'Lead assessors', 'State'], items.map((e) => [
					link('#/engagements/' + e.id, e.campaign_title), e.company_org.name,
					e.assessor_org.name, fmtList(e.lead_assessors), e.state]), { id: 'engagements-table' }));
	}

	async function getOrNull(path) {
		try {
			return await api('GET', path);
		} catch (e) {
			if (e.status === 404)
				return null;
			throw e;
		}
	}

	async function viewEngagement(id) {
		const e = await api('GET', '/engagements/' + id);
		const kind = me.org.kind;
		const out = el('div', null,
			el('h2', null, 'Engagement · ' + e.campaign_title),
			dl([['Campaign', link('#/campaigns/' + e.campaign_id, e.campaign_title)],
				['Company', e.company_org.name], ['Assessor', e.assessor_org.name],
				['Lead assessors', fmtList(e.lead_assessors)],
				['Stage', el('span', { id: 'engagement-stage' }, e.state)], ['Stage since', orDash(e.stage_changed_at)],
				['Created', e.created_at]]));
		out.append(stageSection(e));
		if (typeof e.scope === 'string')
			out.append(el('h3', null, 'Scope'), el('pre', { class: 'text' }, e.scope));
		if (kind === 'coordinator') {
			out.append(await levelsSection(id, kind, e));
			return out;
		}
		const working = e.state === 'fieldwork' || e.state === 'reporting';

		let tms = threatModels.map((t) => t.code);
		const camp = await getOrNull('/campaigns/' + e.campaign_id);
		if (camp && Array.isArray(camp.threat_models))
			tms = camp.threat_models;
		const [findings, claims, statement, evidence, orgUsers] = await Promise.all([
			listAll('/engagements/' + id + '/findings'),
			api('GET', '/engagements/' + id + '/claims'),
			getOrNull('/engagements/' + id + '/statement'),
			listAll('/engagements/' + id + '/evidence'),
			/* An admin may delete what colleagues uploaded: know who they are. */
			me.user.role === 'admin' ? listAll('/orgs/' + me.org.id + '/users').catch(() => []) : []]);

		out.append(el('h3', null, 'Findings'),
			findings.length === 0 ? el('p', { class: 'empty' }, 'No findings yet.') :
				table(['Title', 'Threat model', 'Severity', 'Status', 'Remediation due', 'Version', 'Updated'], findings.map((f) => [
					link('#/findings/' + f.id, f.title), f.threat_model,
					el('span', { class: 'sev sev-' + f.severity }, f.severity), f.status,
					f.remediation_due ? el('span', { class: f.overdue ? 'error' : null }, f.remediation_due + (f.overdue ? ' (overdue)' : '')) : '—',
					String(f.version), f.updated_at]),
				{ id: 'findings-table' }));
		if (kind === 'assessor' && working) {
			out.append(findingCreateForm(id, tms));
			out.append(findingImportForm(id, tms));
		}
		if (!working)
			out.append(el('p', { class: 'hint', id: 'stage-closed-note' },
				'Findings and evidence are added while the engagement is in fieldwork or reporting (now: ' + e.state + ').'));

		out.append(evidenceSection(id, evidence, findings, orgUsers, working));

		const byTm = new Map((claims && claims.items || []).map((c) => [c.threat_model, c]));
		out.append(el('h3', null, 'Claims'),
			table(['Threat model', 'Robust up to', 'Not met from', 'Public summary', 'Updated'], tms.map((tm) => {
				const c = byTm.get(tm);
				return [tm, c ? c.level : '—',
					c && c.not_met_from ? el('span', { class: c.contradiction ? 'error' : null },
						c.not_met_from + (c.contradiction ? ' (contradicts the claim)' : '')) : '—',
					c ? c.summary : '—', c ? c.updated_at : '—'];
			}), { id: 'claims-table' }));
		if (claims && Array.isArray(claims.contradictions) && claims.contradictions.length > 0)
			out.append(contradictionBox(claims.contradictions));
		out.append(el('p', { class: 'export' },
			el('a', { href: API + '/engagements/' + id + '/findings.csv', download: 'findings-' + id + '.csv', id: 'findings-export' },
				'Download all findings as CSV'), ' · ',
			el('a', { href: API + '/engagements/' + id + '/oscal', download: 'assessment-results-' + id + '.json', id: 'oscal-export' },
				'OSCAL assessment results (JSON)'), ' · ',
			el('a', { href: API + '/engagements/' + id + '/report', target: '_blank', rel: 'noopener', id: 'report-link' },
				'Printable report')));
		if (kind === 'assessor')
			out.append(el('div', { class: 'claims' }, tms.map((tm) => claimForm(id, tm, byTm.get(tm)))));
		out.append(await levelsSection(id, kind, e));

		out.append(el('h3', null, 'Company statement'),
			statement ? el('pre', { class: 'text', id: 'statement-text' }, statement.text) : el('p', { class: 'empty' }, 'No statement yet.'));
		if (kind === 'company') {
			out.append(onSubmit(el('form', { class: 'card', id: 'statement-form' },
				checkedText(id, 'Public statement', { name: 'text', rows: 5, maxlength: 5000, value: statement ? statement.text : '' }),
				el('button', { type: 'submit' }, 'Save statement')), async (fd) => {
				const saved = await api('PUT', '/engagements/' + id + '/statement', { text: fd.get('text') });
				await route();
				notice('Statement saved.' + nameCheckNote(saved));
			}));
		}
		out.append(await reviewSection(id, kind));
		const hold = await holdSection(id);
		if (hold)
			out.prepend(hold);
		return out;
	}

	/* ---- stages ---- */

	/* The engagement's stages with their dates, and buttons for the moves the caller may make. */
	function stageSection(e) {
		const box = el('div', { id: 'stage-section' }, el('h3', null, 'Stages'),
			table(['Stage', 'Entered', 'From'], (e.stages || []).map((st) => [st.stage, st.at, orDash(st.from)]),
				{ id: 'stages-table' }));
		const next = Array.isArray(e.next_stages) ? e.next_stages : [];
		if (next.length > 0)
			box.append(el('p', { class: 'actions' }, next.map((to) =>
				el('button', { type: 'button', class: 'stage-move', 'data-stage': to, onclick: async () => {
					clearProblem();
					try {
						await api('POST', '/engagements/' + e.id + '/stage', { stage: to });
						await route();
						notice('The engagement is now in ' + to + '.');
					} catch (err) {
						showProblem(err);
					}
				} }, 'Move to ' + to))));
		return box;
	}

	/* ---- the company review ---- */

	/* A draft row as the public page shows it: claims, finding counts, statement. */
	function draftRowView(row) {
		const claims = row && row.claims ? row.claims : {};
		const findings = row && row.findings ? row.findings : {};
		const sev = enumOf('severity');
		return el('div', { class: 'draft-row', id: 'review-draft-row' },
			table(['Threat model', 'Robust up to', 'Public summary'], Object.keys(claims).map((tm) =>
				[tm, claims[tm].level, orDash(claims[tm].summary)])),
			table(['Threat model'].concat(sev), Object.keys(findings).map((tm) =>
				[tm].concat(sev.map((s) => {
					const cell = findings[tm][s] || {};
					const n = Object.values(cell).reduce((a, b) => a + Number(b || 0), 0);
					return String(n);
				})))),
			el('h4', null, 'Company statement'),
			typeof row.statement === 'string' ? el('pre', { class: 'text' }, row.statement) : el('p', { class: 'empty' }, 'No statement.'),
			row.assessor ? el('p', null, 'Assessor: ' + row.assessor.firm + ' (' + fmtList(row.assessor.lead_assessors) + ')') : null);
	}

	/* A saved text's name check, as a notice suffix: '' when nothing would hold. */
	function nameCheckNote(r) {
		const nc = r && r.name_check;
		if (!nc || !nc.hold)
			return '';
		return ' Warning: it names a company (' + nc.spans.map((sp) => '"' + sp.text + '"').join(', ') +
			') and would hold the release.';
	}

	/* When the release is held by this engagement's texts: which, and the exact spans. */
	async function holdSection(id) {
		let h;
		try {
			h = await api('GET', '/engagements/' + id + '/hold');
		} catch (err) {
			return null;
		}
		if (!h || !h.held)
			return null;
		const box = el('div', { class: 'error', id: 'hold-notice' },
			el('h3', null, 'The release is held by a text of this engagement'),
			el('p', null, 'Held since ' + orDash(h.held_at) + '. The texts are frozen at the release instant; ' +
				'the coordinator will extend the release (the texts open again until then) or publish them withheld.'));
		for (const t of h.texts || []) {
			const parts = [];
			let at = 0;
			for (const sp of t.spans) {
				parts.push(t.text.slice(at, sp.start), el('mark', null, t.text.slice(sp.start, sp.end)));
				at = sp.end;
			}
			parts.push(t.text.slice(at));
			box.append(el('h4', null, t.field + ' (' + t.part + ')'), el('pre', { class: 'text hold-text' }, parts));
		}
		return box;
	}

	async function reviewSection(id, kind) {
		const box = el('div', { id: 'review-section' }, el('h3', null, 'Review before release'));
		let v = null;
		try {
			v = await api('GET', '/engagements/' + id + '/review');
		} catch (err) {
			box.append(el('p', { class: 'error' }, err.title));
			return box;
		}
		if (!v.draft) {
			box.append(el('p', { class: 'empty', id: 'review-state' },
				'The review opens at ' + v.opens_at + ': the row the public will read is then frozen here for the company to sign off or answer.'));
			return box;
		}
		const d = v.draft;
		box.append(dl([['State', el('strong', { id: 'review-state' }, v.state + (v.reopened ? ' (reopened: the draft changed)' : ''))],
			['Draft', 'version ' + d.version + ', frozen ' + d.frozen_at],
			['Draft SHA-256', el('code', { class: 'hash', id: 'review-draft-hash' }, d.hash)],
			['Release', v.release_at]]));
		if (Array.isArray(d.changes) && d.changes.length > 0)
			box.append(el('p', { class: 'error', id: 'review-changes' }, 'Changed since the previous draft: ' + d.changes.join(', ')));
		box.append(el('h4', null, 'As the public page will show it'),
			el('p', null, el('a', { href: API + '/engagements/' + encodeURIComponent(id) + '/review/page',
				target: '_blank', rel: 'noopener', id: 'review-page-link' }, 'Open the draft as the public page (new tab)')),
			draftRowView(d.row),
			el('details', null, el('summary', null, 'The draft as JSON'),
				el('pre', { class: 'text', id: 'review-draft-json' }, JSON.stringify(d.row, null, 2))));
		if (typeof v.response === 'string')
			box.append(el('h4', null, 'Company response (public)'), el('pre', { class: 'text', id: 'review-response' }, v.response));
		if (typeof v.addendum === 'string')
			box.append(el('h4', null, 'Assessor addendum (public)'), el('pre', { class: 'text', id: 'review-addendum' }, v.addendum));
		if (!v.open)
			return box;
		if (kind === 'company') {
			box.append(el('p', { class: 'actions' }, el('button', { type: 'button', id: 'review-sign-off', onclick: async () => {
				clearProblem();
				try {
					await api('POST', '/engagements/' + id + '/review/sign-off', { draft_hash: d.hash });
					await route();
					notice('Signed off draft version ' + d.version + '.');
				} catch (err) {
					showProblem(err);
				}
			} }, 'Sign off this draft')));
			box.append(onSubmit(el('form', { class: 'card', id: 'review-response-form' },
				checkedText(id, 'Public response to this draft', { name: 'text', rows: 4, maxlength: 20000 }),
				el('button', { type: 'submit' }, 'Publish response with the release')), async (fd) => {
				const saved = await api('POST', '/engagements/' + id + '/review/response', { draft_hash: d.hash, text: fd.get('text') });
				await route();
				notice('Response saved.' + nameCheckNote(saved));
			}));
		}
		if (kind === 'assessor' && v.state === 'responded') {
			box.append(onSubmit(el('form', { class: 'card', id: 'review-addendum-form' },
				checkedText(id, 'Public addendum to the response', { name: 'text', rows: 3, maxlength: 20000,
					value: typeof v.addendum === 'string' ? v.addendum : '' }),
				el('button', { type: 'submit' }, 'Save addendum')), async (fd) => {
				const saved = await api('PUT', '/engagements/' + id + '/review/addendum', { draft_hash: d.hash, text: fd.get('text') });
				await route();
				notice('Addendum saved.' + nameCheckNote(saved));
			}));
		}
		return box;
	}

	/* ---- evidence ---- */

	/* "1.5 MiB" for a byte count (the exact count goes in a title). */
	function fmtSize(n) {
		const v = Number(n);
		if (!Number.isFinite(v) || v < 0)
			return String(n);
		if (v < 1024)
			return v + ' B';
		const units = ['KiB', 'MiB', 'GiB', 'TiB'];
		let x = v / 1024;
		let i = 0;
		while (x >= 1024 && i < units.length - 1) {
			x /= 1024;
			i++;
		}
		return x.toFixed(x < 10 ? 2 : 1) + ' ' + units[i];
	}

	/*
	 * Stream file as the raw body of POST API + path with XMLHttpRequest
	 * (fetch reports no upload progress). Resolves to the signed receipt;
	 * rejects with a Problem. onProgress(loaded, total) follows the upload.
	 */
	function uploadFile(path, file, onProgress) {
		return new Promise((resolve, reject) => {
			const xhr = new XMLHttpRequest();
			/* Same origin: the session cookie goes along, as with fetch's 'same-origin'. */
			xhr.open('POST', API + path);
			xhr.setRequestHeader('Accept', 'application/json');
			xhr.setRequestHeader('X-Lockstep-CSRF', '1');
			xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
			xhr.upload.addEventListener('progress', (e) => {
				if (e.lengthComputable)
					onProgress(e.loaded, e.total);
			});
			xhr.addEventListener('load', () => {
				let data = null;
				try {
					data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
				} catch (e) {
					data = null;
				}
				if (xhr.status >= 200 && xhr.status < 300 && data && data.receipt) {
					resolve(data);
					return;
				}
				if (xhr.status === 401 && me !== null)
					setSession(null);
				reject(new Problem(xhr.status, data));
			});
			const lost = () => reject(new Problem(0, { title: 'Upload failed',
				detail: 'The connection was closed before the server answered (the file may be over a limit).' }));
			xhr.addEventListener('error', lost);
			xhr.addEventListener('abort', lost);
			xhr.send(file);
		});
	}

	/* The signed receipt of an upload, with where to check it. */
	function receiptBox(signed) {
		const r = signed && signed.receipt ? signed.receipt : {};
		return el('div', { class: 'receipt', id: 'evidence-receipt' },
			el('h4', null, 'Signed receipt · ' + r.name),
			dl([['Evidence id', el('code', { id: 'receipt-id' }, r.id)],
				['Name', r.name], ['Size', fmtSize(r.size) + ' (' + r.size + ' bytes)'],
				['SHA-256', el('code', { class: 'hash', id: 'receipt-sha256' }, r.sha256)],
				['Media type', r.media_type], ['Uploaded by', r.uploaded_by], ['Uploaded at', r.uploaded_at],
				['Algorithm', signed.algorithm], ['Key id', el('code', { class: 'hash' }, signed.key_id)],
				['Signature', el('code', { class: 'hash', id: 'receipt-signature' }, signed.signature)]]),
			el('p', { class: 'hint' }, 'The signature covers the canonical JSON of the receipt; check it with the key at ',
				link('/.well-known/lockstep/signing-key', '/.well-known/lockstep/signing-key'),
				'; its SHA-256 is recorded in the transparency log (',
				link('/log/checkpoint', '/log/checkpoint'), ') · ',
				el('a', { href: API + '/evidence/' + encodeURIComponent(r.id) + '/receipt',
					download: 'receipt-' + r.id + '.json' }, 'save the receipt as JSON')));
	}

	/* The receipt to show once the engagement view is drawn again. */
	let pendingReceipt = null;  /* {engagement, signed} */

	function evidenceSection(engagementId, items, findings, orgUsers, working) {
		const findingTitles = new Map(findings.map((f) => [f.id, f.title]));
		const colleagues = new Map(orgUsers.map((u) => [u.id, u.email]));
		const slot = el('div', { id: 'evidence-receipt-slot' });
		if (pendingReceipt && pendingReceipt.engagement === engagementId)
			slot.append(receiptBox(pendingReceipt.signed));
		pendingReceipt = null;

		const who = (uid) => uid === me.user.id ? 'you' : colleagues.has(uid) ? colleagues.get(uid) :
			el('code', { title: uid }, 'user ' + String(uid).slice(0, 8));
		const mayDelete = (ev) => ev.uploaded_by === me.user.id ||
			(me.user.role === 'admin' && colleagues.has(ev.uploaded_by));

		const showReceipt = async (ev) => {
			clearProblem();
			try {
				slot.replaceChildren(receiptBox(await api('GET', '/evidence/' + ev.id + '/receipt')));
				slot.scrollIntoView({ block: 'nearest' });
			} catch (e) {
				showProblem(e);
			}
		};
		const remove = async (ev, button) => {
			if (!window.confirm('Delete "' + ev.name + '"? Its bytes cannot be recovered.'))
				return;
			clearProblem();
			button.disabled = true;
			try {
				await api('DELETE', '/evidence/' + ev.id);
				await route();
				notice('Evidence ' + ev.name + ' deleted.');
			} catch (e) {
				button.disabled = false;
				showProblem(e);
			}
		};

		const rows = items.map((ev) => {
			const actions = [el('button', { type: 'button', class: 'small', onclick: () => showReceipt(ev) }, 'Receipt')];
			if (mayDelete(ev)) {
				const del = el('button', { type: 'button', class: 'small danger' }, 'Delete');
				del.addEventListener('click', () => remove(ev, del));
				actions.push(del);
			}
			return [
				el('a', { href: API + '/evidence/' + encodeURIComponent(ev.id), class: 'download' }, ev.name),
				el('span', { class: 'size', title: ev.size + ' bytes' }, fmtSize(ev.size)),
				el('code', { class: 'hash', title: ev.sha256 }, String(ev.sha256).slice(0, 12) + '…'),
				ev.media_type, who(ev.uploaded_by), ev.uploaded_at,
				ev.finding ? link('#/findings/' + ev.finding, findingTitles.get(ev.finding) || 'finding') : '—',
				el('span', { class: 'actions' }, actions)];
		});

		const progress = el('progress', { id: 'evidence-progress', max: '1', value: '0', hidden: true });
		const progressText = el('span', { id: 'evidence-progress-text', class: 'muted' });
		const form = onSubmit(el('form', { class: 'card', id: 'evidence-upload' },
			el('h4', null, 'Upload evidence'),
			field('File', el('input', { type: 'file', name: 'file', required: true })),
			field('Name (blank: the file\u2019s own name)', el('input', { name: 'name', maxlength: 255 })),
			findings.length === 0 ? null : field('Finding (optional)',
				select('finding', [['', '(none)']].concat(findings.map((f) => [f.id, f.title])), '')),
			el('div', { class: 'progress' }, progress, progressText),
			el('button', { type: 'submit' }, 'Upload')), async (fd) => {
			const file = fd.get('file');
			if (!(file instanceof File) || file.name === '')
				throw new Problem(0, { title: 'No file chosen', detail: 'Pick a file to upload.' });
			const typed = String(fd.get('name') || '');
			let q = '?name=' + encodeURIComponent(typed.trim() !== '' ? typed : file.name);
			if (fd.get('finding'))
				q += '&finding=' + encodeURIComponent(String(fd.get('finding')));
			progress.hidden = false;
			progress.max = Math.max(file.size, 1);
			progress.value = 0;
			progressText.textContent = 'Uploading ' + fmtSize(file.size) + '…';
			let signed;
			try {
				signed = await uploadFile('/engagements/' + engagementId + '/evidence' + q, file, (loaded, total) => {
					progress.max = Math.max(total, 1);
					progress.value = loaded;
					progressText.textContent = loaded >= total ? 'Sent ' + fmtSize(total) + '; the server is finishing…' :
						fmtSize(loaded) + ' of ' + fmtSize(total) + ' (' + Math.floor(100 * loaded / Math.max(total, 1)) + '%)';
				});
			} catch (e) {
				progress.hidden = true;
				progressText.textContent = '';
				throw e;
			}
			pendingReceipt = { engagement: engagementId, signed };
			await route();
			notice('Uploaded ' + signed.receipt.name + ' (' + fmtSize(signed.receipt.size) + ').');
		});

		return el('div', { id: 'evidence' },
			el('h3', null, 'Evidence'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No evidence yet.') :
				table(['Name', 'Size', 'SHA-256', 'Media type', 'Uploaded by', 'Uploaded', 'Finding', ''], rows,
					{ id: 'evidence-table' }),
			el('p', { class: 'hint' }, 'Files are downloaded as attachments and never opened in the page.'),
			slot, working ? form : null);
	}

	function findingCreateForm(engagementId, tms) {
		return onSubmit(el('form', { class: 'card', id: 'finding-create' },
			el('h4', null, 'New finding'),
			field('Threat model', select('threat_model', tms)),
			field('Title', el('input', { name: 'title', required: true, maxlength: 300 })),
			field('Severity', select('severity', enumOf('severity'), 'medium')),
			field('Detail', el('textarea', { name: 'detail', rows: 6, required: true })),
			field('MITRE ATLAS ids', el('input', { name: 'atlas', placeholder: 'AML.T0024, AML.T0044' })),
			field('CWE ids', el('input', { name: 'cwe', placeholder: 'CWE-284' })),
			field('CVSS vector', el('input', { name: 'cvss', placeholder: 'CVSS:3.1/AV:N/…' })),
			ocRequiredField(''),
			el('button', { type: 'submit' }, 'Create finding')), async (fd) => {
			const body = { threat_model: fd.get('threat_model'), title: fd.get('title'),
				detail: fd.get('detail'), severity: fd.get('severity') };
			if (words(fd.get('atlas')).length)
				body.atlas = words(fd.get('atlas'));
			if (words(fd.get('cwe')).length)
				body.cwe = words(fd.get('cwe'));
			if (String(fd.get('cvss')).trim() !== '')
				body.cvss = String(fd.get('cvss')).trim();
			if (fd.get('oc_required'))
				body.oc_required = fd.get('oc_required');
			const f = await api('POST', '/engagements/' + engagementId + '/findings', body);
			go('#/findings/' + f.id, 'Finding created.');
		});
	}

	/* One error of an invalid-import problem as text: where, then why. */
	function importErrorText(e) {
		let where = '';
		if (typeof e.pointer === 'string')
			where = e.pointer === '' ? 'the document' : e.pointer;
		else if (e.row !== undefined)
			where = 'row ' + e.row + (e.line !== undefined && e.line !== e.row ? ' (line ' + e.line + ')' : '');
		else if (e.line !== undefined)
			where = 'line ' + e.line;
		return where + (e.field ? ' · ' + e.field : '') + ': ' + (e.reason || 'invalid');
	}

	/*
	 * Import findings from a SARIF 2.1.0 log or a CSV file (all or nothing):
	 * the file goes as the raw body of POST .../findings:import; per-row or
	 * per-pointer errors are listed under the form.
	 */
	function findingImportForm(engagementId, tms) {
		const errors = el('ul', { class: 'import-errors', id: 'import-errors', hidden: true });
		const form = el('form', { class: 'card', id: 'finding-import' },
			el('h4', null, 'Import findings (SARIF or CSV)'),
			el('p', { class: 'hint' }, 'A SARIF 2.1.0 log (*.sarif, *.json) from a scanner, or a CSV file whose first row names the columns ' +
				'title, detail, severity and optionally threat_model, cwe, atlas, cvss, location, oc_required. Nothing is imported if any row has an error; ' +
				'importing the same file again creates nothing new.'),
			field('File', el('input', { type: 'file', name: 'file', required: true, accept: '.sarif,.json,.csv,application/sarif+json,application/json,text/csv' })),
			field('Format', select('format', [['auto', 'by the file name'], ['sarif', 'SARIF 2.1.0'], ['csv', 'CSV']], 'auto')),
			field('Threat model (where the file names none)', select('threat_model', [['', '(from the file)']].concat(tms.map((t) => [t, t])), tms.length === 1 ? tms[0] : '')),
			el('button', { type: 'submit' }, 'Import'),
			errors);
		return onSubmit(form, async (fd) => {
			errors.hidden = true;
			errors.replaceChildren();
			const file = fd.get('file');
			if (!file || typeof file === 'string' || file.size === 0)
				throw new Problem(0, { title: 'No file', detail: 'Choose a SARIF or CSV file.' });
			let format = fd.get('format');
			if (format === 'auto')
				format = /\.csv$/i.test(file.name) ? 'csv' : /\.(sarif|json)$/i.test(file.name) ? 'sarif' : '';
			if (!format)
				throw new Problem(0, { title: 'Unknown format', detail: 'Name the file *.sarif, *.json or *.csv, or choose the format.' });
			const tm = fd.get('threat_model');
			const q = tm ? '?threat_model=' + encodeURIComponent(tm) : '';
			let res;
			try {
				res = await fetch(API + '/engagements/' + engagementId + '/findings:import' + q, {
					method: 'POST', credentials: 'same-origin', cache: 'no-store', redirect: 'error',
					headers: { Accept: 'application/json', 'X-Lockstep-CSRF': '1',
						'Content-Type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/sarif+json' },
					body: file });
			} catch (e) {
				throw new Problem(0, { title: 'Network error', detail: 'The server could not be reached.' });
			}
			let data = null;
			try {
				data = await res.json();
			} catch (e) {
				data = null;
			}
			if (!res.ok) {
				if (res.status === 401 && me !== null)
					setSession(null);
				if (data && Array.isArray(data.errors)) {
					errors.replaceChildren(...data.errors.map((e) => el('li', null, importErrorText(e))));
					if (data.error_count > data.errors.length)
						errors.append(el('li', null, '… and ' + (data.error_count - data.errors.length) + ' more'));
					errors.hidden = false;
				}
				throw new Problem(res.status, data);
			}
			await route();
			notice('Imported: ' + data.created + ' new finding' + (data.created === 1 ? '' : 's') + ', ' +
				data.already_present + ' already present' + (data.skipped ? ', ' + data.skipped + ' skipped (not failures)' : '') + '.');
		});
	}

	/*
	 * While a public text is typed, ask the server which spans would hold a
	 * pseudonymous or aggregate release (POST .../name-check) and say so
	 * under the text area. Debounced; the latest answer wins; a failed check
	 * says nothing (the release itself still checks).
	 */
	function nameCheck(engagementId, textarea) {
		const box = el('p', { class: 'name-check error', hidden: true, 'aria-live': 'polite' });
		let timer = null;
		let seq = 0;
		const run = async () => {
			const mine = ++seq;
			let r;
			try {
				r = await api('POST', '/engagements/' + engagementId + '/name-check', { text: textarea.value });
			} catch (e) {
				return;
			}
			if (mine !== seq)
				return;
			const spans = r && Array.isArray(r.spans) ? r.spans : [];
			box.hidden = spans.length === 0;
			box.textContent = spans.length === 0 ? '' :
				'This text names a company, which holds a pseudonymous release: ' +
				spans.map((sp) => '“' + sp.text + '” (characters ' + (sp.start + 1) + '–' + sp.end + ')').join(', ') + '.';
		};
		textarea.addEventListener('input', () => {
			clearTimeout(timer);
			timer = setTimeout(run, 600);
		});
		if (textarea.value)
			run();
		return box;
	}

	/* A text area with the name pre-check under it. */
	function checkedText(engagementId, label, attrs) {
		const ta = el('textarea', attrs);
		return el('div', null, field(label, ta), nameCheck(engagementId, ta));
	}

	/* ---- security levels (issue 14): emulation, oc_required, commitments ---- */

	/* The lowest attacker capability that can exploit a finding ("" : not rated). */
	function ocRequiredField(value) {
		const levels = enumOf('capability_level').filter((l) => l !== 'not-assessed');
		return field('Exploitable from (lowest attacker capability)',
			select('oc_required', [['', '(not rated)']].concat(levels.map((l) => [l, l])), value));
	}

	/* Claims that say more than the open findings allow: a warning, not a hold. */
	function contradictionBox(list) {
		return el('div', { class: 'error', id: 'contradictions' },
			el('h4', null, 'Claims contradicted by open findings'),
			el('ul', null, list.map((w) => el('li', null,
				w.threat_model + ': the claim says robust up to ' + w.claim + ', but an open finding is exploitable from ' +
				w.not_met_from + '. Lower the claim, or retest or re-rate the finding. (This does not hold the release; ' +
				'the published claim shows it.)'))));
	}

	/*
	 * What the engagement emulated (its assessor sets it; the coordinator
	 * sees it without the rules of engagement) and the company's commitments
	 * with the assessor's verdicts.
	 */
	async function levelsSection(id, kind, e) {
		const box = el('div', { id: 'levels-section' }, el('h3', null, 'Security levels'));
		const em = await getOrNull('/engagements/' + id + '/emulation');
		const open = !e.released;
		if (em)
			box.append(dl([['Capability emulated', el('span', { id: 'emulation-capability' }, orDash(em.capability))],
				['Access granted', fmtList(em.access)], ['Person-days', em.person_days === null ? '—' : String(em.person_days)],
				['Fieldwork', em.fieldwork_from || em.fieldwork_to ? orDash(em.fieldwork_from) + ' – ' + orDash(em.fieldwork_to) : '—']]),
			typeof em.rules_of_engagement === 'string' && em.rules_of_engagement !== '' ?
				el('div', null, el('h4', null, 'Rules of engagement (confidential, never published)'),
					el('pre', { class: 'text', id: 'emulation-rules' }, em.rules_of_engagement)) : '');
		if (kind === 'coordinator')
			return box;
		if (kind === 'assessor' && open) {
			const access = new Set(em && em.access ? em.access : []);
			const levels = enumOf('capability_level').filter((l) => l !== 'not-assessed');
			box.append(onSubmit(el('form', { class: 'card', id: 'emulation-form' },
				el('h4', null, 'What this engagement emulated'),
				field('Attacker capability emulated', select('capability', levels, em && em.capability ? em.capability : 'OC3')),
				el('fieldset', null, el('legend', null, 'Access granted'),
					enumOf('access_kind').map((k) => el('label', { class: 'inline' },
						el('input', { type: 'checkbox', name: 'access', value: k, checked: access.has(k) }), ' ' + k))),
				field('Person-days', el('input', { name: 'person_days', type: 'number', min: 0, max: 100000,
					value: em && em.person_days !== null ? String(em.person_days) : '' })),
				field('Fieldwork from', el('input', { name: 'fieldwork_from', type: 'date', value: em && em.fieldwork_from || '' })),
				field('Fieldwork to', el('input', { name: 'fieldwork_to', type: 'date', value: em && em.fieldwork_to || '' })),
				field('Rules of engagement (confidential)', el('textarea', { name: 'rules_of_engagement', rows: 4, maxlength: 20000,
					value: em && em.rules_of_engagement || '' })),
				el('button', { type: 'submit' }, 'Save emulation')), async (fd) => {
				const body = { capability: fd.get('capability'), access: fd.getAll('access') };
				if (String(fd.get('person_days')).trim() !== '')
					body.person_days = Number(fd.get('person_days'));
				for (const k of ['fieldwork_from', 'fieldwork_to', 'rules_of_engagement'])
					if (String(fd.get(k)).trim() !== '')
						body[k] = String(fd.get(k));
				await api('PUT', '/engagements/' + id + '/emulation', body);
				await route();
				notice('Emulation saved.');
			}));
		}
		const list = await getOrNull('/engagements/' + id + '/commitments');
		const items = list && Array.isArray(list.items) ? list.items : [];
		const frameworks = vocab && Array.isArray(vocab.framework) ? vocab.framework : [];
		box.append(el('h4', null, 'The company\'s commitments'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No commitments yet.') :
				table(['Framework', 'Version', 'Level or control', 'Commitment', 'Verdict', 'Assessor\'s summary'], items.map((k) => [
					k.framework, k.version, k.level,
					el('span', null, k.text, k.link ? [' ', el('a', { href: k.link, rel: 'noopener noreferrer', target: '_blank' }, 'source')] : null),
					el('strong', null, k.verdict), orDash(k.verdict_summary)]), { id: 'commitments-table' }));
		if (kind === 'company' && open) {
			box.append(onSubmit(el('form', { class: 'card', id: 'commitment-form' },
				el('h4', null, 'Declare a commitment'),
				field('Framework', select('framework', frameworks.map((f) => [f.code, f.name + ' (' + f.publisher + ')']))),
				field('Version', el('input', { name: 'version', required: true, maxlength: 40, list: 'framework-versions' })),
				el('datalist', { id: 'framework-versions' }, frameworks.flatMap((f) => f.versions).map((v) => el('option', { value: v }))),
				field('Level or control', el('input', { name: 'level', required: true, maxlength: 200, list: 'framework-levels' })),
				el('datalist', { id: 'framework-levels' }, frameworks.flatMap((f) => f.levels).map((v) => el('option', { value: v }))),
				checkedText(id, 'Public text', { name: 'text', rows: 3, maxlength: 2000, required: true }),
				field('Link (https, optional)', el('input', { name: 'link', type: 'url', pattern: 'https://.*', maxlength: 2000 })),
				el('p', { class: 'hint' }, 'Sources: ', frameworks.map((f, i) => [i ? ' · ' : '', el('a', { href: f.url, rel: 'noopener noreferrer', target: '_blank' }, f.code)])),
				el('button', { type: 'submit' }, 'Declare')), async (fd) => {
				const body = { framework: fd.get('framework'), version: fd.get('version'), level: fd.get('level'), text: fd.get('text') };
				if (String(fd.get('link')).trim() !== '')
					body.link = String(fd.get('link')).trim();
				const saved = await api('POST', '/engagements/' + id + '/commitments', body);
				await route();
				notice('Commitment declared.' + nameCheckNote(saved));
			}));
		}
		if (kind === 'assessor' && open) {
			for (const k of items)
				box.append(onSubmit(el('form', { class: 'card verdict-form' },
					el('h4', null, 'Verdict · ' + k.framework + ' ' + k.level),
					field('Verdict', select('verdict', enumOf('verdict'), k.verdict)),
					checkedText(id, 'Public summary', { name: 'summary', rows: 2, maxlength: 2000, value: k.verdict_summary || '' }),
					el('button', { type: 'submit' }, 'Save verdict')), async (fd) => {
					const saved = await api('PUT', '/commitments/' + k.id + '/verdict', { verdict: fd.get('verdict'), summary: fd.get('summary') });
					await route();
					notice('Verdict saved.' + nameCheckNote(saved));
				}));
		}
		return box;
	}

	function claimForm(engagementId, tm, c) {
		return onSubmit(el('form', { class: 'card claim' },
			el('h4', null, 'Claim · ' + tm),
			field('Robust up to', select('level', enumOf('capability_level'), c ? c.level : 'not-assessed')),
			checkedText(engagementId, 'Public summary', { name: 'summary', rows: 3, value: c ? c.summary : '' }),
			el('button', { type: 'submit' }, 'Save claim')), async (fd) => {
			const saved = await api('PUT', '/engagements/' + engagementId + '/claims/' + encodeURIComponent(tm),
				{ level: fd.get('level'), summary: fd.get('summary') });
			await route();
			notice('Claim for ' + tm + ' saved.' + nameCheckNote(saved));
		});
	}

	async function viewFinding(id) {
		const f = await api('GET', '/findings/' + id);
		const hist = await api('GET', '/findings/' + id + '/history');
		const kind = me.org.kind;
		const out = el('div', null,
			el('p', null, el('a', { href: '#/engagements/' + f.engagement_id, id: 'back-engagement' }, '← engagement')),
			el('h2', { id: 'finding-title' }, f.title),
			dl([['Threat model', f.threat_model], ['Severity', el('span', { class: 'sev sev-' + f.severity }, f.severity)],
				['Status', f.status], ['MITRE ATLAS', fmtList(f.atlas)], ['CWE', fmtList(f.cwe)],
				['CVSS', orDash(f.cvss)],
				['Exploitable from', el('span', { id: 'finding-oc' }, orDash(f.oc_required))], ['Version', String(f.version)],
				['Remediation due', f.remediation_due ? el('span', { id: 'finding-due', class: f.overdue ? 'error' : null },
					f.remediation_due + (f.overdue ? ' (overdue)' : '')) : '—'],
				['Created', f.created_at], ['Updated', f.updated_at]]),
			el('h3', null, 'Detail'), el('pre', { class: 'text' }, f.detail),
			el('h3', null, 'Company response'),
			f.response ? el('pre', { class: 'text' }, f.response) : el('p', { class: 'empty' }, 'No response yet.'));

		if (kind === 'assessor') {
			const tms = threatModels.map((t) => t.code);
			out.append(onSubmit(el('form', { class: 'card', id: 'finding-edit' },
				el('h4', null, 'Edit finding'),
				field('Threat model', select('threat_model', tms, f.threat_model)),
				field('Title', el('input', { name: 'title', required: true, maxlength: 300, value: f.title })),
				field('Severity', select('severity', enumOf('severity'), f.severity)),
				field('Status', select('status', enumOf('finding_status'), f.status)),
				field('Detail', el('textarea', { name: 'detail', rows: 8, required: true, value: f.detail })),
				field('MITRE ATLAS ids', el('input', { name: 'atlas', value: (f.atlas || []).join(', ') })),
				field('CWE ids', el('input', { name: 'cwe', value: (f.cwe || []).join(', ') })),
				field('CVSS vector', el('input', { name: 'cvss', value: f.cvss || '' })),
				field('Remediation due (RFC 3339, blank: none)', el('input', { name: 'remediation_due', value: f.remediation_due || '' })),
				ocRequiredField(f.oc_required || ''),
				el('button', { type: 'submit' }, 'Save changes')), async (fd) => {
				const body = {};
				for (const k of ['threat_model', 'title', 'severity', 'status', 'detail'])
					if (fd.get(k) !== f[k])
						body[k] = fd.get(k);
				for (const k of ['atlas', 'cwe'])
					if (words(fd.get(k)).join(',') !== (f[k] || []).join(','))
						body[k] = words(fd.get(k));
				if (String(fd.get('cvss')).trim() !== (f.cvss || ''))
					body.cvss = String(fd.get('cvss')).trim();
				if (String(fd.get('remediation_due')).trim() !== (f.remediation_due || ''))
					body.remediation_due = String(fd.get('remediation_due')).trim();
				if (fd.get('oc_required') !== (f.oc_required || ''))
					body.oc_required = fd.get('oc_required');
				await patchFinding(id, body);
			}));
		} else if (kind === 'company') {
			out.append(onSubmit(el('form', { class: 'card', id: 'finding-answer' },
				el('h4', null, 'Answer'),
				field('Status', select('status', [['', '(unchanged: ' + f.status + ')']].concat(enumOf('company_finding_status')), '')),
				field('Response', el('textarea', { name: 'response', rows: 6, value: f.response || '' })),
				el('button', { type: 'submit' }, 'Send answer')), async (fd) => {
				const body = {};
				if (fd.get('status'))
					body.status = fd.get('status');
				if (fd.get('response') !== (f.response || ''))
					body.response = fd.get('response');
				await patchFinding(id, body);
			}));
		}

		out.append(await conversationSection(f, hist));

		const items = hist && Array.isArray(hist.items) ? hist.items : [];
		out.append(el('h3', null, 'History'),
			table(['Version', 'When', 'By', 'Status', 'Severity', 'Title', 'Response'], items.map((v) => [
				String(v.version), orDash(v.changed_at), orDash(v.changed_by), v.status, v.severity,
				orDash(v.title), orDash(v.response)]), { id: 'history-table' }));
		return out;
	}

	/* ---- a finding's conversation: comments, risk acceptance, retests ---- */

	async function conversationSection(f, hist) {
		const id = f.id;
		const kind = me.org.kind;
		const arr = (k) => (hist && Array.isArray(hist[k]) ? hist[k] : []);
		const risks = arr('risk_acceptances');
		const pending = risks.find((k) => k.state === 'pending');
		/* one timeline, oldest first */
		const events = [];
		for (const c of arr('comments'))
			events.push([c.created_at, el('li', { class: 'comment' },
				el('strong', null, (c.author.name || c.author.org_name || c.author.kind) + ' (' + c.author.kind + ')'),
				' · ' + c.created_at, el('pre', { class: 'text' }, c.body))]);
		for (const k of risks) {
			events.push([k.requested_at, el('li', { class: 'risk' },
				el('strong', null, 'Risk acceptance asked'), ' · ' + k.requested_at + ' · until ' + k.expires_at +
				(k.expired ? ' (expired)' : '') + ' · ' + k.state,
				el('pre', { class: 'text' }, k.justification))]);
			if (k.decided_at)
				events.push([k.decided_at, el('li', { class: 'risk' },
					el('strong', null, 'Risk acceptance ' + k.state), ' · ' + k.decided_at,
					k.decision_note ? el('pre', { class: 'text' }, k.decision_note) : null)]);
		}
		for (const t of arr('retests'))
			events.push([t.created_at, el('li', { class: 'retest' },
				el('strong', null, 'Retest ' + t.result), ' · ' + t.created_at +
				(t.evidence && t.evidence.length ? ' · evidence: ' + t.evidence.join(', ') : ''),
				el('pre', { class: 'text' }, t.note))]);
		events.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
		const out = el('section', { id: 'conversation' }, el('h3', null, 'Conversation'),
			events.length ? el('ol', { id: 'conversation-list' }, events.map((e) => e[1])) :
				el('p', { class: 'empty' }, 'Nothing said yet.'));

		out.append(onSubmit(el('form', { class: 'card', id: 'comment-form' },
			el('h4', null, 'Comment'),
			field('Comment (confidential: only your engagement\u2019s company and assessor see it)',
				el('textarea', { name: 'body', rows: 4, required: true, maxlength: 20000 })),
			el('button', { type: 'submit' }, 'Add comment')), async (fd) => {
			await api('POST', '/findings/' + id + '/comments', { body: fd.get('body') });
			await route();
			notice('Comment added.');
		}));

		if (kind === 'company' && !pending && (f.status === 'open' || f.status === 'remediating'))
			out.append(onSubmit(el('form', { class: 'card', id: 'risk-form' },
				el('h4', null, 'Ask for risk acceptance'),
				field('Justification', el('textarea', { name: 'justification', rows: 4, required: true, maxlength: 20000 })),
				field('Accepted until (your local time)', el('input', { name: 'expires_at', type: 'datetime-local', required: true })),
				el('button', { type: 'submit' }, 'Ask the assessor')), async (fd) => {
				const t = new Date(String(fd.get('expires_at')));
				if (isNaN(t.getTime()))
					throw new Problem(422, { title: 'A field has an invalid value', detail: 'expires_at: not a date' });
				await api('POST', '/findings/' + id + '/risk-acceptances', { justification: fd.get('justification'),
					expires_at: t.toISOString().replace(/\.\d{3}Z$/, 'Z') });
				await route();
				notice('Risk acceptance asked.');
			}));
		if (kind === 'assessor' && pending)
			out.append(onSubmit(el('form', { class: 'card', id: 'risk-decision' },
				el('h4', null, 'Decide the risk-acceptance request'),
				el('p', null, 'Asked ' + pending.requested_at + ', until ' + pending.expires_at + '.'),
				field('Decision', select('decision', [['accept', 'Accept the risk'], ['refuse', 'Refuse']], 'accept')),
				field('Note (optional)', el('textarea', { name: 'note', rows: 3, maxlength: 20000 })),
				el('button', { type: 'submit' }, 'Decide')), async (fd) => {
				const body = { decision: fd.get('decision') };
				if (fd.get('note'))
					body.note = fd.get('note');
				await api('POST', '/findings/' + id + '/risk-acceptances/' + pending.id + '/decision', body);
				await route();
				notice('Decision recorded.');
			}));
		if (kind === 'assessor' && f.status === 'remediated') {
			let evidence = [];
			try {
				evidence = await listAll('/engagements/' + f.engagement_id + '/evidence');
			} catch (e) {
				evidence = [];
			}
			out.append(onSubmit(el('form', { class: 'card', id: 'retest-form' },
				el('h4', null, 'Retest'),
				field('Result', select('result', [['passed', 'Passed: the fix works (verified)'], ['failed', 'Failed: reopen']], 'passed')),
				field('Note', el('textarea', { name: 'note', rows: 3, required: true, maxlength: 20000 })),
				field('Evidence', el('select', { name: 'evidence', multiple: true, size: Math.min(5, Math.max(2, evidence.length)) },
					evidence.map((e) => el('option', { value: e.id }, e.name)))),
				el('button', { type: 'submit' }, 'Record retest')), async (fd) => {
				await api('POST', '/findings/' + id + '/retests', { result: fd.get('result'), note: fd.get('note'),
					evidence: fd.getAll('evidence').map(String) });
				await route();
				notice('Retest recorded.');
			}));
		}
		return out;
	}

	/* ---- inbox ---- */

	const eventText = {
		'finding.created': 'New finding', 'finding.changed': 'Finding changed', 'finding.comment': 'New comment',
		'finding.retested': 'Finding retested', 'finding.deadline_near': 'Remediation deadline near',
		'risk.requested': 'Risk acceptance asked', 'risk.decided': 'Risk acceptance decided',
		'risk.expired': 'Accepted risk expired',
		'stage.changed': 'Engagement stage changed', 'review.opened': 'Review opened',
		'draft.changed': 'Review draft changed', 'review.answered': 'Review signed off or answered',
		'release.held': 'Release held',
		'release.decision': 'Release decision', 'release.published': 'Release published',
	};

	function notificationTarget(n) {
		if (n.object && n.object.type === 'finding')
			return '#/findings/' + n.object.id;
		if (n.engagement_id)
			return '#/engagements/' + n.engagement_id;
		if (n.campaign_id)
			return '#/campaigns/' + n.campaign_id;
		return '#/';
	}

	async function viewInbox() {
		const page = await api('GET', '/inbox?limit=100');
		const items = page && Array.isArray(page.items) ? page.items : [];
		return el('div', null,
			el('h2', null, 'Inbox'),
			el('p', null, String(page.unread || 0) + ' unread. Notifications name what happened, never its text; follow a link to read it.'),
			el('button', { type: 'button', id: 'inbox-read-all', onclick: async () => {
				clearProblem();
				try {
					await api('POST', '/inbox/read-all');
					await route();
				} catch (e) {
					showProblem(e);
				}
			} }, 'Mark all read'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No notifications.') :
				table(['', 'What', 'Campaign', 'When', ''], items.map((n) => [
					n.read ? '' : el('span', { class: 'badge' }, 'new'),
					el('a', { href: notificationTarget(n), onclick: () => {
						if (!n.read)
							api('POST', '/inbox/' + n.id + '/read').catch(() => {});
					} }, eventText[n.type] || n.type),
					orDash(n.campaign_title), n.created_at,
					n.read ? '' : el('button', { type: 'button', class: 'small', onclick: async () => {
						clearProblem();
						try {
							await api('POST', '/inbox/' + n.id + '/read');
							await route();
						} catch (e) {
							showProblem(e);
						}
					} }, 'Mark read')]), { id: 'inbox-table' }));
	}

	/* ---- webhooks (org admins) ---- */

	const eventTypes = ['finding.created', 'finding.changed', 'finding.comment', 'finding.retested',
		'finding.deadline_near', 'risk.requested', 'risk.decided', 'risk.expired', 'stage.changed', 'review.opened',
		'draft.changed', 'review.answered', 'release.held', 'release.decision',
		'release.published'];

	async function webhooksSection(orgId) {
		const hooks = await api('GET', '/orgs/' + orgId + '/webhooks');
		const items = hooks && Array.isArray(hooks.items) ? hooks.items : [];
		const secretBox = el('div', { id: 'webhook-secret' });
		return el('section', { id: 'webhooks' },
			el('h3', null, 'Webhooks'),
			el('p', null, 'Signed JSON notifications (event type and ids only) POSTed to your URL; see the API documentation for the signature.'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No webhooks.') :
				table(['URL', 'Events', 'Created', '', ''], items.map((w) => [
					w.url, fmtList(w.events), w.created_at, link('#/webhooks/' + w.id, 'Delivery log'),
					el('button', { type: 'button', class: 'small', onclick: async () => {
						clearProblem();
						try {
							await api('DELETE', '/webhooks/' + w.id);
							await route();
							notice('Webhook removed.');
						} catch (e) {
							showProblem(e);
						}
					} }, 'Remove')]), { id: 'webhooks-table' }),
			secretBox,
			onSubmit(el('form', { class: 'card', id: 'webhook-create' },
				el('h4', null, 'Add webhook'),
				field('URL (http or https)', el('input', { name: 'url', type: 'url', required: true, maxlength: 2000 })),
				field('Secret (blank: generated)', el('input', { name: 'secret', minlength: 24, maxlength: 256, autocomplete: 'off' })),
				field('Events (none selected: all)', el('select', { name: 'events', multiple: true, size: 6 },
					eventTypes.map((t) => el('option', { value: t }, t)))),
				el('button', { type: 'submit' }, 'Add webhook')), async (fd) => {
				const body = { url: fd.get('url') };
				if (fd.get('secret'))
					body.secret = fd.get('secret');
				const ev = fd.getAll('events').map(String);
				if (ev.length)
					body.events = ev;
				const w = await api('POST', '/orgs/' + orgId + '/webhooks', body);
				await route();
				/* the secret is answered once: show it after the re-render */
				const box = $('webhook-secret');
				if (box)
					box.replaceChildren(el('p', { class: 'card' }, 'Secret of the new webhook (shown once, keep it): ',
						el('code', { id: 'webhook-secret-value' }, w.secret)));
				notice('Webhook added.');
			}));
	}

	async function viewWebhook(id) {
		const d = await api('GET', '/webhooks/' + id + '/deliveries?limit=100');
		const items = d && Array.isArray(d.items) ? d.items : [];
		return el('div', null,
			el('p', null, el('a', { href: '#/orgs/' + me.org.id }, '← organisation')),
			el('h2', null, 'Webhook delivery log'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No deliveries yet.') :
				table(['Event', 'State', 'Attempts', 'Last status', 'Last error', 'Created', 'Next attempt', 'Delivered'],
					items.map((x) => [x.event_type, x.state, String(x.attempts), orDash(x.last_status === null ? '' : String(x.last_status)),
						orDash(x.last_error), x.created_at, x.state === 'pending' ? x.next_attempt_at : '—', orDash(x.delivered_at)]),
					{ id: 'deliveries-table' }));
	}

	/* ---- remediation defaults (coordinator, on the campaign) ---- */

	async function remediationForm(campaignId) {
		const days = await api('GET', '/campaigns/' + campaignId + '/remediation-days');
		return onSubmit(el('form', { class: 'card', id: 'remediation-days' },
			el('h4', null, 'Default remediation deadlines (days after a finding is recorded; blank: none)'),
			enumOf('severity').map((s) => field(s, el('input', { name: s, type: 'number', min: 1, max: 3650,
				value: days && Number.isInteger(days[s]) ? String(days[s]) : '' }))),
			el('button', { type: 'submit' }, 'Save deadlines')), async (fd) => {
			const body = {};
			for (const s of enumOf('severity'))
				if (fd.get(s))
					body[s] = Number(fd.get(s));
			await api('PUT', '/campaigns/' + campaignId + '/remediation-days', body);
			await route();
			notice('Remediation deadlines saved.');
		});
	}

	async function patchFinding(id, body) {
		if (Object.keys(body).length === 0) {
			notice('Nothing changed.');
			return;
		}
		await api('PATCH', '/findings/' + id, body);
		await route();
		notice('Finding saved.');
	}

	async function viewOrgs() {
		const orgs = await listAll('/orgs');
		return el('div', null,
			el('h2', null, 'Organisations'),
			onSubmit(el('form', { class: 'card', id: 'org-create' },
				el('h4', null, 'New organisation'),
				field('Name', el('input', { name: 'name', id: 'org-name', required: true, maxlength: 200 })),
				field('Kind', select('kind', enumOf('org_kind').filter((k) => k !== 'coordinator'), 'company', { id: 'org-kind' })),
				field('Aliases (comma-separated)', el('input', { name: 'aliases', id: 'org-aliases' })),
				el('button', { type: 'submit' }, 'Create organisation')), async (fd) => {
				const aliases = String(fd.get('aliases') || '').split(',').map((s) => s.trim()).filter((s) => s);
				const o = await api('POST', '/orgs', { name: fd.get('name'), kind: fd.get('kind'), aliases });
				await route();
				notice('Organisation ' + o.name + ' created.');
			}),
			table(['Name', 'Kind', 'Aliases', 'Created'], orgs.map((o) => [
				link('#/orgs/' + o.id, o.name), o.kind, fmtList(o.aliases), o.created_at]), { id: 'orgs-table' }));
	}

	/* A link to pass on (invitation or reset), shown once. */
	function linkCard(title, answer) {
		const input = el('input', { readonly: true, value: answer.link, class: 'link', id: 'link-value', size: 60 });
		return el('div', { class: 'card', id: 'link-card' },
			el('h4', null, title),
			el('p', null, answer.mailed ? 'It was also mailed to ' + answer.email + '.' :
				'Pass this link on to ' + answer.email + ' yourself (it is shown only now); it works once, until ' + answer.expires_at + '.'),
			input,
			el('button', { type: 'button', class: 'small', onclick: async () => {
				input.select();
				try {
					await navigator.clipboard.writeText(answer.link);
					notice('Link copied.');
				} catch (e) {
					notice('Select the link and copy it.');
				}
			} }, 'Copy'));
	}

	/* A button that runs fn, then re-renders with a notice; errors show as problems. */
	function action(label, fn, attrs) {
		return el('button', Object.assign({ type: 'button', class: 'small', onclick: async (ev) => {
			clearProblem();
			notice('');
			ev.target.disabled = true;
			try {
				await fn();
			} catch (e) {
				showProblem(e);
			} finally {
				ev.target.disabled = false;
			}
		} }, attrs || {}), label);
	}

	async function viewOrg(id) {
		let org = me.org.id === id ? me.org : null;
		const coordinator = me.org.kind === 'coordinator';
		if (coordinator)
			org = (await listAll('/orgs')).find((o) => o.id === id) || org;
		const [users, links] = await Promise.all([listAll('/orgs/' + id + '/users'),
			listAll('/orgs/' + id + '/invitations')]);
		const shown = el('div', { id: 'link-slot' });
		const out = el('div', null,
			el('h2', null, 'Organisation · ' + (org ? org.name : id)),
			org ? el('p', null, 'Kind: ' + org.kind + (org.disabled ? ' · disabled: none of its users can log in' : '')) : null);
		if (coordinator && org && org.kind !== 'coordinator')
			out.append(org.disabled ?
				action('Enable organisation', async () => {
					await api('POST', '/orgs/' + id + '/enable');
					await route();
					notice(org.name + ' enabled: its users can log in again.');
				}, { id: 'org-enable' }) :
				action('Disable organisation', async () => {
					if (!window.confirm('Disable ' + org.name + '? Every user of it is logged out at once and cannot log in until you enable it again.'))
						return;
					await api('POST', '/orgs/' + id + '/disable');
					await route();
					notice(org.name + ' disabled; all its sessions and API tokens were revoked.');
				}, { id: 'org-disable' }));
		out.append(el('h3', null, 'Users'),
			table(['E-mail', 'Name', 'Role', 'Status', 'Created', ''], users.map((u) => [
				u.email, u.name, u.role, u.disabled ? 'disabled' : 'active', u.created_at,
				el('span', { class: 'actions' },
					action('Revoke sessions', async () => {
						await api('DELETE', '/users/' + u.id + '/sessions');
						notice('Sessions of ' + u.email + ' revoked.');
					}),
					u.id === me.user.id ? null : u.disabled ?
						action('Enable', async () => {
							await api('POST', '/users/' + u.id + '/enable');
							await route();
							notice(u.email + ' enabled.');
						}, { 'data-user': u.email, 'data-action': 'enable' }) :
						action('Disable', async () => {
							if (!window.confirm('Disable ' + u.email + '? Their sessions and API tokens stop at once.'))
								return;
							await api('POST', '/users/' + u.id + '/disable');
							await route();
							notice(u.email + ' disabled; their sessions and API tokens were revoked.');
						}, { 'data-user': u.email, 'data-action': 'disable' }),
					u.disabled ? null : action('Reset password', async () => {
						const a = await api('POST', '/users/' + u.id + '/password-reset');
						shown.replaceChildren(linkCard('Password-reset link for ' + u.email, a));
						notice('Reset link made for ' + u.email + '.');
					}, { 'data-user': u.email, 'data-action': 'reset' }))]), { id: 'users-table' }),
			shown,
			onSubmit(el('form', { class: 'card', id: 'invite-create' },
				el('h4', null, 'Invite someone'),
				el('p', null, 'They get a link to choose their own password.'),
				field('E-mail', el('input', { name: 'email', type: 'email', required: true, maxlength: 254 })),
				field('Name', el('input', { name: 'name', required: true, maxlength: 200 })),
				field('Role', select('role', enumOf('user_role'), 'member')),
				el('button', { type: 'submit' }, 'Invite')), async (fd) => {
				const a = await api('POST', '/orgs/' + id + '/invitations', { email: fd.get('email'),
					name: fd.get('name'), role: fd.get('role') });
				await route();
				$('link-slot').replaceChildren(linkCard('Invitation for ' + a.email, a));
				notice('Invitation for ' + a.email + ' made.');
			}),
			el('h3', null, 'Invitations and reset links'),
			links.length === 0 ? el('p', { class: 'empty' }, 'None yet.') :
				table(['Kind', 'E-mail', 'Name', 'Role', 'Status', 'Expires', ''], links.slice().reverse().map((l) => [
					l.kind, l.email, orDash(l.name), orDash(l.role), l.status, l.expires_at,
					l.status === 'pending' ? action('Revoke', async () => {
						await api('DELETE', '/invitations/' + l.id);
						await route();
						notice('Link for ' + l.email + ' revoked.');
					}) : '']), { id: 'invitations-table' }));
		if (coordinator)
			out.append(onSubmit(el('form', { class: 'card', id: 'user-create' },
				el('h4', null, 'Add user with a password you choose'),
				el('p', null, 'For scripted set-ups; people should rather be invited.'),
				field('E-mail', el('input', { name: 'email', type: 'email', required: true, maxlength: 254 })),
				field('Name', el('input', { name: 'name', required: true, maxlength: 200 })),
				field('Role', select('role', enumOf('user_role'), 'member')),
				field('Initial password (12+ characters)', el('input', { name: 'password', type: 'password',
					autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 })),
				el('button', { type: 'submit' }, 'Add user')), async (fd) => {
				const u = await api('POST', '/orgs/' + id + '/users', { email: fd.get('email'),
					name: fd.get('name'), role: fd.get('role'), password: fd.get('password') });
				await route();
				notice('User ' + u.email + ' added.');
			}));
		if (me.org.id === id && me.user.role === 'admin')
			out.append(await webhooksSection(id));
		return out;
	}

	/* e-mail notifications: the caller's choice (GET/PUT /me/notifications) */
	async function mailSection() {
		const st = await api('GET', '/me/notifications');
		const box = el('input', { type: 'checkbox', name: 'email', id: 'mail-email' });
		box.checked = st.email;
		return onSubmit(el('form', { class: 'card', id: 'mail-settings' },
			el('h3', null, 'E-mail notifications'),
			el('p', null, st.mail_configured
				? 'Besides the inbox, lockstep can mail you when something happens in your engagements: the kind of event and a link, never a title or a text. Several events close together come as one message.'
				: 'This server has no mail relay configured (LOCKSTEP_SMTP_URL), so nothing is mailed; your choice applies once one is.'),
			el('label', null, box, ' Mail me my notifications'),
			el('button', { type: 'submit' }, 'Save')), async () => {
			const r = await api('PUT', '/me/notifications', { email: box.checked });
			notice(r.email ? 'E-mail notifications are on.' : 'E-mail notifications are off.');
		});
	}

	async function viewAccount() {
		return el('div', null,
			el('h2', null, 'My account'),
			dl([['E-mail', me.user.email], ['Name', me.user.name], ['Role', me.user.role],
				['Organisation', me.org.name + ' (' + me.org.kind + ')']]),
			await mailSection(),
			onSubmit(el('form', { class: 'card', id: 'password-change' },
				el('h4', null, 'Change password'),
				el('p', null, 'At least 12 characters, not a common password. Your other sessions and API tokens are logged out.'),
				field('Current password', el('input', { name: 'current', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 })),
				field('New password', el('input', { name: 'fresh', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 })),
				field('Repeat the new password', el('input', { name: 'repeat', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 })),
				el('button', { type: 'submit' }, 'Change password')), async (fd) => {
				if (fd.get('fresh') !== fd.get('repeat'))
					throw new Problem(422, { title: 'The new passwords differ', detail: 'Type the same new password twice.' });
				try {
					await api('PUT', '/me/password', { current_password: fd.get('current'), new_password: fd.get('fresh') });
				} catch (e) {
					if (e.status === 422 && /current_password/.test(e.detail))
						e.detail = 'The current password is not right.';
					throw e;
				}
				$('password-change').reset();
				notice('Password changed. Your other sessions and API tokens were logged out.');
			}));
	}

	async function viewCampaigns() {
		const items = await listAll('/campaigns');
		const out = el('div', null, el('h2', null, 'Campaigns'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No campaigns yet.') :
				table(['Title', 'Slug', 'State', 'Disclosure', 'Release'], items.map((c) => [
					link('#/campaigns/' + c.id, c.title), c.slug, c.state, c.disclosure, c.release_at]),
				{ id: 'campaigns-table' }));
		if (me.org.kind !== 'coordinator')
			return out;
		out.append(onSubmit(el('form', { class: 'card', id: 'campaign-create' },
			el('h4', null, 'New campaign'),
			field('Title', el('input', { name: 'title', required: true, maxlength: 200 })),
			field('Slug', el('input', { name: 'slug', required: true, maxlength: 63, pattern: '[a-z0-9][a-z0-9\\-]*' })),
			el('fieldset', null, el('legend', null, 'Threat models'),
				threatModels.map((t) => el('label', { class: 'check' },
					el('input', { type: 'checkbox', name: 'threat_models', value: t.code, checked: true }),
					t.code + ' — ' + t.name))),
			field('Release (your local time)', el('input', { name: 'release_at', type: 'datetime-local', required: true })),
			field('Disclosure', select('disclosure', enumOf('disclosure'), 'named')),
			field('Minimum cohort (aggregate)', el('input', { name: 'min_cohort', type: 'number', min: 1, max: 1000, value: '3' })),
			el('button', { type: 'submit' }, 'Create campaign')), async (fd) => {
			const at = new Date(String(fd.get('release_at')));
			if (isNaN(at.getTime()))
				throw new Problem(0, { title: 'Invalid release time', detail: 'Pick a date and time.' });
			const body = { title: fd.get('title'), slug: fd.get('slug'), threat_models: fd.getAll('threat_models'),
				release_at: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), disclosure: fd.get('disclosure') };
			if (fd.get('min_cohort'))
				body.min_cohort = Number(fd.get('min_cohort'));
			const c = await api('POST', '/campaigns', body);
			go('#/campaigns/' + c.id, 'Campaign ' + c.title + ' created.');
		}));
		return out;
	}

	/*
	 * A series (issue 14): the earlier, published campaign this one follows;
	 * the coordinator picks it among the campaigns released before this one.
	 */
	async function seriesSection(id, c) {
		const s = await getOrNull('/campaigns/' + id + '/follows');
		const box = el('div', { id: 'series-section' }, el('h3', null, 'Series'),
			el('p', { id: 'series-follows' }, s && s.follows ?
				['Follows ', link('/p/' + encodeURIComponent(s.follows.slug), s.follows.title), ' (released ' + s.follows.release_at + ').'] :
				'Follows no earlier campaign.'));
		if (me.org.kind !== 'coordinator' || c.released)
			return box;
		const all = await listAll('/campaigns');
		const earlier = all.filter((x) => x.id !== id && x.state === 'published' && x.release_at < c.release_at);
		box.append(onSubmit(el('form', { class: 'card', id: 'series-form' },
			field('Follows', select('follows', [['', '(none)']].concat(earlier.map((x) => [x.id, x.title + ' (' + x.slug + ')'])),
				s && s.follows ? s.follows.id : '')),
			el('button', { type: 'submit' }, 'Save')), async (fd) => {
			await api('PUT', '/campaigns/' + id + '/follows', { follows: fd.get('follows') });
			await route();
			notice('Series saved.');
		}));
		return box;
	}

	async function viewCampaign(id) {
		const c = await api('GET', '/campaigns/' + id);
		const out = el('div', null,
			el('h2', null, 'Campaign · ' + c.title),
			dl([['Slug', c.slug], ['State', c.state], ['Threat models', fmtList(c.threat_models)],
				['Release', c.release_at], ['Planned release', orDash(c.planned_release_at)],
				['Disclosure', c.disclosure], ['Minimum cohort', String(c.min_cohort)],
				['Review opens', c.review_opens_at + (c.review_opens_default ? ' (72 h before the release)' : '')],
				['Second factor', c.require_second_factor ? 'required of every user of its organisations' : 'not required']]));
		if (me.org.kind !== 'coordinator' || !Array.isArray(c.engagements))
			return out;
		if (c.release) {
			/* scheduled | due | held | published; a held release says why */
			const r = c.release;
			const rows = [['Status', r.status]];
			if (r.publication)
				rows.push(['Publication', link('/p/' + encodeURIComponent(r.publication.slug), '/p/' + r.publication.slug)],
					['Sequence', String(r.publication.sequence)], ['Hash', r.publication.hash],
					/* the transparency log: where readers check it was logged, and unchanged */
					['Transparency log', el('span', { id: 'release-log' },
						link('/log/checkpoint', 'checkpoint'), ' · ',
						link(API + '/publications/' + encodeURIComponent(r.publication.slug) + '/attestation',
							'in-toto attestation'), ' · ',
						link('/.well-known/lockstep/log-key', 'log key'))]);
			out.append(el('h3', null, 'Release'), el('div', { id: 'release-status' }, dl(rows)));
			if (r.hold && r.status === 'held') {
				const byEng = new Map(c.engagements.map((e) => [e.id, e.company_org.name + ' × ' + e.assessor_org.name]));
				out.append(el('p', { class: 'error', id: 'release-hold' },
					'The release is held: these texts name a participating company (checked ' + orDash(r.hold.checked_at) +
					'). The participants who wrote them see the spans. Decide:'),
				table(['Text', 'Engagement', 'Name found'], r.hold.reasons.map((h) =>
					[h.field, h.engagement ? orDash(byEng.get(h.engagement)) : '(campaign)', h.name]), { id: 'hold-reasons' }),
				onSubmit(el('form', { class: 'card', id: 'hold-decision' },
					el('h4', null, 'Decision'),
					field('Decision', select('decision', [['extend', 'Extend the release (the texts open again until then)'],
						['withhold', 'Publish now with these texts withheld']], 'extend')),
					field('Extend by (minutes, for "extend")', el('input', { name: 'minutes', type: 'number', min: '1', max: '43200', value: '60' })),
					field('Reason (audited; published with withheld texts)', el('input', { name: 'reason', maxlength: 1000, required: true })),
					el('button', { type: 'submit' }, 'Decide')), async (fd) => {
					const body = { decision: fd.get('decision'), reason: fd.get('reason') };
					if (body.decision === 'extend')
						body.seconds = Math.round(Number(fd.get('minutes')) * 60);
					const d = await api('POST', '/campaigns/' + id + '/hold/decision', body);
					await route();
					notice(d.decision === 'extend' ? 'Release extended to ' + d.release_at + '.' :
						'The texts will be published withheld.');
				}));
			}
		}
		if (Array.isArray(c.warnings) && c.warnings.length > 0)
			out.append(el('h3', null, 'Anonymity warnings'),
				el('ul', { id: 'campaign-warnings', class: 'error' }, c.warnings.map((w) =>
					el('li', null, (w.assessor_org ? w.assessor_org.name + ' → ' : '') +
						(w.company_org ? w.company_org.name + ': ' : '') + w.detail))));
		if (Array.isArray(c.release_history) && c.release_history.length > 0)
			out.append(el('h3', null, 'Release-date history'),
				table(['Release instant', 'Announced'], c.release_history.map((h) => [h.release_at, h.announced_at]),
					{ id: 'release-history' }));
		out.append(el('h3', null, 'Progress'),
			c.engagements.length === 0 ? el('p', { class: 'empty' }, 'No engagements yet.') :
				table(['Company', 'Assessor', 'Stage', 'Findings', 'Open', 'Claims', 'Statement', 'Review'], c.engagements.map((e) => {
					const p = e.progress || {};
					const rv = e.review || { state: 'not-open' };
					return [link('#/engagements/' + e.id, e.company_org.name), e.assessor_org.name, e.state,
						String(p.findings_total ?? 0), String(p.findings_open ?? 0), String(p.claims ?? 0),
						p.statement ? 'yes' : 'no',
						rv.state === 'pending' ? 'no answer yet' + (rv.reopened ? ' (reopened)' : '') : rv.state];
				}), { id: 'progress-table' }));
		out.append(await dashboardSection(id));
		out.append(await seriesSection(id, c));

		if (!c.released) {
			out.append(onSubmit(el('form', { class: 'card', id: 'campaign-edit' },
				el('h4', null, 'Change campaign'),
				field('State', select('state', enumOf('campaign_state').filter((v) => v !== 'published'), c.state)),
				field('Move release to (your local time; blank keeps it)', el('input', { name: 'release_at', type: 'datetime-local' })),
				field('Reason (required when moving the release)', el('input', { name: 'reason', maxlength: 1000 })),
				field('Open the company review at (your local time; blank keeps it)',
					el('input', { name: 'review_opens_at', type: 'datetime-local' })),
				el('label', null, el('input', { type: 'checkbox', name: 'review_default' }),
					el('span', null, 'Review opens 72 h before the release (default)')),
				el('button', { type: 'submit' }, 'Save')), async (fd) => {
				const body = {};
				if (fd.get('review_opens_at'))
					body.review_opens_at = new Date(String(fd.get('review_opens_at'))).toISOString().replace(/\.\d{3}Z$/, 'Z');
				else if (fd.get('review_default'))
					body.review_opens_at = 'default';
				if (fd.get('state') !== c.state)
					body.state = fd.get('state');
				if (fd.get('release_at')) {
					body.release_at = new Date(String(fd.get('release_at'))).toISOString().replace(/\.\d{3}Z$/, 'Z');
					body.reason = fd.get('reason');
				}
				if (Object.keys(body).length === 0) {
					notice('Nothing changed.');
					return;
				}
				await api('PATCH', '/campaigns/' + id, body);
				await route();
				notice('Campaign saved.');
			}), await remediationForm(id));
		}

		/* issue 9: the coordinator's second-factor requirement */
		out.append(onSubmit(el('form', { class: 'card', id: 'campaign-second-factor' },
			el('h4', null, 'Second factor'),
			el('p', null, 'When required, every user of the campaign\'s companies and assessor firms who has no ' +
				'second factor can, from their next log-in, only set one up; sessions already open are not touched.'),
			el('label', { class: 'check' }, el('input', { type: 'checkbox', name: 'required', id: 'campaign-2fa',
				checked: !!c.require_second_factor }), ' Require a second factor'),
			el('button', { type: 'submit' }, 'Save')), async (fd) => {
			const required = fd.get('required') !== null;
			await api('PUT', '/campaigns/' + id + '/second-factor', { required });
			await route();
			notice(required ? 'A second factor is now required.' : 'A second factor is no longer required.');
		}));

		const orgs = await listAll('/orgs');
		const opts = (k) => orgs.filter((o) => o.kind === k).map((o) => [o.id, o.name]);
		out.append(onSubmit(el('form', { class: 'card', id: 'engagement-create' },
			el('h4', null, 'New engagement'),
			field('Company', select('company_org', opts('company'))),
			field('Assessor', select('assessor_org', opts('assessor'))),
			field('Scope (confidential)', el('textarea', { name: 'scope', rows: 4, required: true })),
			field('Lead assessors (comma-separated)', el('input', { name: 'lead_assessors', required: true })),
			el('button', { type: 'submit' }, 'Create engagement')), async (fd) => {
			const e = await api('POST', '/campaigns/' + id + '/engagements', {
				company_org: fd.get('company_org'), assessor_org: fd.get('assessor_org'), scope: fd.get('scope'),
				lead_assessors: String(fd.get('lead_assessors')).split(',').map((s) => s.trim()).filter((s) => s) });
			await route();
			const n = e && Array.isArray(e.warnings) ? e.warnings.length : 0;
			notice(n === 0 ? 'Engagement created.' :
				'Engagement created. Warning: ' + n + ' firm–company pairing(s) would identify companies despite ' +
				c.disclosure + ' disclosure (see Anonymity warnings).');
		}));
		return out;
	}

	/* The coordinator's grid: engagement x threat model, counts and flags only. */
	async function dashboardSection(id) {
		const box = el('div', { id: 'dashboard' }, el('h3', null, 'Dashboard'));
		let d;
		try {
			d = await api('GET', '/campaigns/' + id + '/dashboard');
		} catch (err) {
			box.append(el('p', { class: 'error' }, err.title));
			return box;
		}
		const sev = enumOf('severity');
		const tms = Array.isArray(d.threat_models) ? d.threat_models : [];
		box.append(table(['Company', 'Assessor', 'Stage', 'Review'].concat(tms), d.rows.map((r) =>
			[r.company.name, r.assessor.name, r.stage, r.review.state].concat(tms.map((tm) => {
				const cell = r.cells[tm] || { claim_made: false, findings: {} };
				return el('span', { class: 'cell' }, (cell.claim_made ? 'claim' : 'no claim') + ' · ' +
					sev.map((s) => s[0].toUpperCase() + (cell.findings[s] || 0)).join(' '));
			}))), { id: 'dashboard-table' }),
		el('p', { class: 'hint' }, 'Per threat model: whether a claim was made, and findings by severity (' +
			sev.map((s) => s[0].toUpperCase() + ' ' + s).join(', ') + '). Never titles or texts.'));
		return box;
	}

	/* ---- routing on the URL fragment ---- */

	/* ---- security: second factor, sessions and API tokens ---- */

	/* A QR code (SVG text from the server) as an image: an <img> never runs script. */
	function qrImage(svg) {
		return el('img', { class: 'qr', alt: 'QR code of the otpauth:// URI', width: 228, height: 228,
			src: 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(String(svg)) });
	}

	function recoveryBox(codes) {
		return el('div', { class: 'card', id: 'recovery-codes' },
			el('h4', null, 'Recovery codes'),
			el('p', null, 'Each code works once, instead of a code from the app, if you lose it. ' +
				'They are shown only now: keep them somewhere safe.'),
			el('ul', { class: 'codes' }, codes.map((c) => el('li', null, el('code', null, c)))));
	}

	function totpSection(t) {
		const box = el('div', { id: 'totp' });
		const render = (node) => box.replaceChildren(node);
		const startForm = () => el('button', { type: 'button', id: 'totp-start', onclick: async (ev) => {
			clearProblem();
			ev.target.disabled = true;
			try {
				const e = await api('POST', '/me/totp');
				render(el('div', { class: 'card' },
					el('h4', null, 'Set up your authenticator app'),
					el('p', null, 'Scan this QR code with the app, or type the secret in by hand.'),
					qrImage(e.qr_svg),
					dl([['Secret', el('code', { id: 'totp-secret' }, e.secret)],
						['URI', el('code', { class: 'wrap' }, e.uri)]]),
					onSubmit(el('form', { id: 'totp-confirm' },
						field('Code from the app', el('input', { name: 'code', id: 'totp-code', required: true,
							autocomplete: 'one-time-code', inputmode: 'numeric', pattern: '[0-9]{6}', minlength: 6, maxlength: 6 })),
						el('button', { type: 'submit' }, 'Turn on')), async (fd) => {
						const c = await api('POST', '/me/totp/confirm', { code: String(fd.get('code') || '').trim() });
						render(el('div', null,
							el('p', { class: 'ok' }, 'The second factor is on: log-in now asks for a code after the password.' +
								(me.second_factor_required ? ' Log out and log in again with it to use lockstep.' : '')),
							recoveryBox(c.recovery_codes || [])));
					})));
			} catch (e2) {
				ev.target.disabled = false;
				showProblem(e2);
			}
		} }, t.pending ? 'Start again' : 'Set up a second factor');
		if (!t.enabled) {
			render(el('div', null,
				el('p', null, t.pending ? 'Set-up was started but not confirmed.' :
					'No second factor: log-in takes your password only.'),
				startForm()));
			return box;
		}
		render(el('div', null,
			dl([['Authenticator app (TOTP)', 'on since ' + t.confirmed_at],
				['Recovery codes left', String(t.recovery_codes_left)]]),
			onSubmit(el('form', { class: 'card', id: 'totp-recovery' },
				el('h4', null, 'New recovery codes'),
				el('p', null, 'Replaces every recovery code you have, used or not.'),
				field('Code from the app', el('input', { name: 'code', required: true, autocomplete: 'one-time-code',
					inputmode: 'numeric', pattern: '[0-9]{6}', minlength: 6, maxlength: 6 })),
				el('button', { type: 'submit' }, 'Make new codes')), async (fd) => {
				const c = await api('POST', '/me/totp/recovery-codes', { code: String(fd.get('code') || '').trim() });
				render(el('div', null, el('p', { class: 'ok' }, 'New recovery codes: the old ones no longer work.'),
					recoveryBox(c.recovery_codes || [])));
			}),
			onSubmit(el('form', { class: 'card', id: 'totp-disable' },
				el('h4', null, 'Turn the second factor off'),
				field('A code from the app, or a recovery code', el('input', { name: 'code',
					autocomplete: 'one-time-code', minlength: 6, maxlength: 32 })),
				field('… or your password', el('input', { name: 'password', type: 'password',
					autocomplete: 'current-password', maxlength: 1024 })),
				el('button', { type: 'submit' }, 'Turn off')), async (fd) => {
				const code = String(fd.get('code') || '').trim();
				const pw = String(fd.get('password') || '');
				await api('POST', '/me/totp/disable', code !== '' ? { code } : { password: pw });
				await route();
				notice('The second factor is off.');
			})));
		return box;
	}

	/* Sessions and tokens (of the caller, or of user `uid` for an admin), with revoke buttons. */
	function tokensTable(items, revokePath, id) {
		return table(['Kind', 'Name', 'Scopes', 'Created', 'Last used', 'Address', 'Expires', ''],
			items.map((t) => [
				t.kind === 'api' ? 'API token' : 'browser session' + (t.current ? ' (this one)' : ''),
				orDash(t.name), t.scopes ? fmtList(t.scopes) : 'all', t.created_at, orDash(t.last_used_at),
				orDash(t.addr), t.expires_at,
				el('button', { type: 'button', class: 'small', onclick: async () => {
					clearProblem();
					try {
						await api('DELETE', revokePath(t));
						if (t.current) {
							setSession(null);
							notice('This session was revoked: log in again.');
							return;
						}
						await route();
						notice((t.kind === 'api' ? 'Token ' : 'Session ') + 'revoked.');
					} catch (e) {
						showProblem(e);
					}
				} }, 'Revoke')]), { id });
	}

	async function viewSecurity() {
		if (me.second_factor_required) {
			const t = await api('GET', '/me/totp');
			return el('div', null,
				el('h2', null, 'Security'),
				el('p', { class: 'error', id: 'factor-required' }, 'A campaign your organisation takes part in requires ' +
					'a second factor. Set one up here, then log out and log in again with it to use lockstep.'),
				totpSection(t || {}));
		}
		const [t, tokens] = await Promise.all([api('GET', '/me/totp'), api('GET', '/tokens')]);
		const items = tokens && Array.isArray(tokens.items) ? tokens.items : [];
		const created = el('div', { id: 'token-created' });
		const scopes = enumOf('token_scope');
		return el('div', null,
			el('h2', null, 'Security'),
			el('h3', null, 'Second factor'),
			totpSection(t || {}),
			el('h3', null, 'Sessions and API tokens'),
			items.length ? tokensTable(items, (x) => '/tokens/' + x.id, 'tokens-table') :
				el('p', { class: 'empty' }, 'None.'),
			onSubmit(el('form', { class: 'card', id: 'token-create' },
				el('h4', null, 'New API token'),
				field('Name', el('input', { name: 'name', required: true, maxlength: 100 })),
				field('Valid for (days)', el('input', { name: 'days', type: 'number', min: 1, max: 365, value: '30', required: true })),
				el('fieldset', null, el('legend', null, 'Scopes (what the token may do)'),
					scopes.map((sc) => el('label', { class: 'check' },
						el('input', { type: 'checkbox', name: 'scope', value: sc, checked: sc === 'read' }), ' ' + sc))),
				el('button', { type: 'submit' }, 'Create token'),
				created), async (fd) => {
				const body = { name: fd.get('name'), ttl_days: Number(fd.get('days')), scopes: fd.getAll('scope') };
				const tok = await api('POST', '/tokens', body);
				const table2 = await api('GET', '/tokens');
				const list = $('tokens-table');
				if (list && table2 && Array.isArray(table2.items))
					list.replaceWith(tokensTable(table2.items, (x) => '/tokens/' + x.id, 'tokens-table'));
				created.replaceChildren(el('p', { class: 'ok' }, 'Token ' + tok.name + ' (shown only now; send it as ',
					el('code', null, 'Authorization: Bearer …'), '):'), el('code', { class: 'wrap', id: 'token-secret' }, tok.token));
			}));
	}

	const routes = [
		[/^#\/security$/, viewSecurity],
		[new RegExp('^#/engagements/' + UUID + '$'), viewEngagement],
		[new RegExp('^#/findings/' + UUID + '$'), viewFinding],
		[/^#\/orgs$/, viewOrgs],
		[new RegExp('^#/orgs/' + UUID + '$'), viewOrg],
		[/^#\/campaigns$/, viewCampaigns],
		[/^#\/account$/, viewAccount],
		[new RegExp('^#/campaigns/' + UUID + '$'), viewCampaign],
		[/^#\/inbox$/, viewInbox],
		[new RegExp('^#/webhooks/' + UUID + '$'), viewWebhook],
	];

	async function route() {
		if (me === null)
			return;
		const seq = ++renderSeq;
		let fn = viewEngagements;
		let args = [];
		if (me.second_factor_required && location.hash !== '#/security') {
			location.replace('#/security');
			return;
		}
		for (const [re, f] of routes) {
			const m = re.exec(location.hash);
			if (m) {
				fn = f;
				args = m.slice(1);
				break;
			}
		}
		let node;
		try {
			node = await fn(...args);
		} catch (e) {
			if (seq !== renderSeq || me === null)
				return;
			node = el('p', { class: 'empty' }, 'This page could not be loaded.');
			showProblem(e);
		}
		if (seq === renderSeq && me !== null)
			$('view').replaceChildren(node);
		refreshUnread();
	}

	/* Navigate, then show msg once the new view is there. */
	function go(hash, msg) {
		pendingNotice = msg;
		location.hash = hash;
	}

	window.addEventListener('hashchange', () => {
		clearProblem();
		notice(pendingNotice || '');
		pendingNotice = null;
		route();
	});

	/* The unread count stays current while a page is open (once a minute). */
	setInterval(() => {
		if (me !== null && !document.hidden)
			refreshUnread();
	}, 60000);

	/* Start: a link to use, or are we already logged in? (The cookie is
	 * invisible to us.) */
	if (takeLinkToken())
		return;
	loadMe().catch((e) => {
		setSession(null);
		if (e.status !== 401)
			showProblem(e);
	});
}());
