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
			/* the invalid field (problem+json "field"), if the server named one */
			this.field = typeof b.field === 'string' ? b.field : null;
			this.retryAfter = null; /* seconds, from a Retry-After header */
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

	/* ---- times: the viewer's zone, the UTC instant in a title ---- */

	const tz = (() => {
		try {
			return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
		} catch (e) {
			return 'local time';
		}
	})();
	const dtf = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
	const utcText = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ').replace('Z', ' UTC');

	/* <time> in the viewer's zone; the UTC instant in datetime and title. */
	function when(iso) {
		if (iso === null || iso === undefined || iso === '')
			return '—';
		const d = new Date(iso);
		if (isNaN(d.getTime()))
			return String(iso);
		return el('time', { datetime: d.toISOString(), title: utcText(d), class: 'nowrap' }, dtf.format(d));
	}

	/* "in 3 d 4 h", "in 5 min 3 s", "passed": the time left until iso. */
	function leftText(iso) {
		let s = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
		if (!Number.isFinite(s))
			return '';
		if (s <= 0)
			return 'passed';
		const d = Math.floor(s / 86400);
		s -= d * 86400;
		const h = Math.floor(s / 3600);
		s -= h * 3600;
		const m = Math.floor(s / 60);
		s -= m * 60;
		if (d > 0)
			return 'in ' + d + ' d ' + h + ' h ' + m + ' min';
		if (h > 0)
			return 'in ' + h + ' h ' + m + ' min';
		return 'in ' + m + ' min ' + s + ' s';
	}

	/* A release instant: local time, the UTC instant beside it, a live countdown. */
	function releaseWhen(iso) {
		if (!iso)
			return '—';
		const d = new Date(iso);
		if (isNaN(d.getTime()))
			return String(iso);
		return el('span', { class: 'release-when' }, when(iso), ' ',
			el('span', { class: 'muted nowrap' }, '(' + utcText(d) + ')'), ' ',
			el('span', { class: 'countdown nowrap', 'data-until': d.toISOString() }, leftText(iso)));
	}

	setInterval(() => {
		for (const c of document.querySelectorAll('.countdown[data-until]'))
			c.textContent = leftText(c.getAttribute('data-until'));
	}, 1000);

	/* A datetime-local input's value for an instant (the viewer's zone). */
	function localInput(iso) {
		if (!iso)
			return '';
		const d = new Date(iso);
		if (isNaN(d.getTime()))
			return '';
		const two = (n) => String(n).padStart(2, '0');
		return d.getFullYear() + '-' + two(d.getMonth() + 1) + '-' + two(d.getDate()) + 'T' +
			two(d.getHours()) + ':' + two(d.getMinutes());
	}

	/* The RFC 3339 instant of a datetime-local value (read in the viewer's zone), or null. */
	function fromLocal(v) {
		if (!v)
			return null;
		const d = new Date(String(v));
		return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
	}
	const localLabel = (s) => s + ' (your local time, ' + tz + ')';

	/* ---- names: a person or org by name; the id only in a title ---- */

	const shortId = (id) => (id ? 'user ' + String(id).slice(0, 8) : '—');

	/* obj[f + '_name'] when the server gives it, else a short id; the id in the title. */
	function nameOf(obj, f, fallback) {
		const id = obj ? obj[f] : null;
		if (id === null || id === undefined || id === '')
			return '—';
		if (me && id === me.user.id)
			return el('span', { title: String(id) }, 'you');
		const n = obj[f + '_name'];
		if (typeof n === 'string' && n !== '')
			return el('span', { title: String(id) }, n);
		return el('span', { title: String(id), class: 'muted' }, fallback ? fallback(id) : shortId(id));
	}
	const fmtList = (a) => (Array.isArray(a) && a.length ? a.join(', ') : '—');
	const orDash = (s) => (s === null || s === undefined || s === '' ? '—' : s);

	/* A table in its own scrolling container (the page never scrolls
	 * sideways); an empty head is an actions column, named for screen readers. */
	function table(heads, rows, attrs) {
		const t = el('table', attrs,
			el('thead', null, el('tr', null, heads.map((h) => el('th', { scope: 'col' },
				h === '' ? el('span', { class: 'visually-hidden' }, 'Actions') : h)))),
			el('tbody', null, rows.map((r) => el('tr', null, r.map((c) => el('td', null, c))))));
		return wrapTable(t, attrs && attrs.id ? attrs.id : 'table of ' + heads.filter((h) => typeof h === 'string' && h).join(', '));
	}

	/* The scrolling container, a focusable region named by the table's id (or its columns). */
	function wrapTable(t, label) {
		return el('div', { class: 'table-wrap', tabindex: '0', role: 'region',
			'aria-label': String(label || 'table').replace(/-/g, ' ') }, t);
	}

	/* Replace the table with id by node (its scrolling container with it). */
	function replaceTable(id, node) {
		const old = $(id);
		if (!old)
			return;
		const box = old.parentElement && old.parentElement.classList.contains('table-wrap') ? old.parentElement : old;
		box.replaceWith(node);
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
		$('problem-detail').textContent = p.detail +
			(p.status === 429 && p.retryAfter !== null ? ' ' + retryText(p.retryAfter) : '');
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

	/* Tell screen readers (the polite live region). */
	function announce(msg) {
		const live = $('live');
		live.textContent = '';
		setTimeout(() => { live.textContent = msg; }, 50);
	}

	/* "try again in 4 minutes (at 14:05)" from a Retry-After in seconds. */
	function retryText(sec) {
		const s = Math.max(1, Math.ceil(Number(sec)));
		const at = new Date(Date.now() + s * 1000);
		const hm = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(at);
		const n = s < 90 ? s + ' seconds' : Math.ceil(s / 60) + ' minutes';
		return 'Try again in ' + n + ' (at ' + hm + ').';
	}

	/* ---- field-level errors ---- */

	let errorSeq = 0;

	function clearFieldErrors(form) {
		for (const n of form.querySelectorAll('.field-error, .form-error'))
			n.remove();
		for (const n of form.querySelectorAll('[aria-invalid]')) {
			n.removeAttribute('aria-invalid');
			const d = (n.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.startsWith('err-'));
			if (d.length)
				n.setAttribute('aria-describedby', d.join(' '));
			else
				n.removeAttribute('aria-describedby');
		}
	}

	/* The control a problem's "field" names: data-field first, then name. */
	function fieldControl(form, name) {
		if (!name)
			return null;
		const base = String(name).replace(/^\//, '').split(/[/.[]/)[0];
		for (const n of form.querySelectorAll('[data-field], [name]'))
			if (n.getAttribute('data-field') === base || (!n.hasAttribute('data-field') && n.getAttribute('name') === base))
				return n;
		return null;
	}

	/* Show err at its field (aria-invalid, aria-describedby, focus) and at
	 * the form's end; announce it. */
	function showFormError(form, err) {
		const p = err instanceof Problem ? err : new Problem(0, { title: 'Unexpected error', detail: String(err && err.message || err) });
		clearFieldErrors(form);
		const ctl = fieldControl(form, p.field);
		let text = p.detail || p.title;
		if (p.status === 429 && p.retryAfter !== null)
			text = (p.detail ? p.detail + ' ' : '') + retryText(p.retryAfter);
		if (ctl) {
			const id = 'err-' + (++errorSeq);
			const msg = el('p', { class: 'field-error', id }, text);
			const holder = ctl.closest('label') || ctl;
			holder.after(msg);
			ctl.setAttribute('aria-invalid', 'true');
			ctl.setAttribute('aria-describedby', ((ctl.getAttribute('aria-describedby') || '') + ' ' + id).trim());
			const target = ctl.matches('fieldset') ? ctl.querySelector('input, select, textarea') : ctl;
			if (target)
				target.focus();
		}
		const box = el('p', { class: 'form-error', tabindex: '-1' }, el('strong', null, p.title), p.detail || p.status === 429 ? ' ' + text : '');
		const btn = form.querySelector('button[type=submit]');
		if (btn && btn.parentElement === form)
			btn.before(box);
		else
			form.append(box);
		if (!ctl)
			box.focus();
		announce(p.title + '. ' + text);
	}

	/* ---- confirmation of destructive actions: a modal <dialog> ---- */

	function confirmAction(question, okLabel) {
		return new Promise((resolve) => {
			const prev = document.activeElement;
			const dlg = el('dialog', { id: 'confirm', 'aria-labelledby': 'confirm-q' },
				el('p', { id: 'confirm-q' }, question),
				el('div', { class: 'actions' },
					el('button', { type: 'button', id: 'confirm-ok', class: 'danger-solid' }, okLabel || 'Confirm'),
					el('button', { type: 'button', id: 'confirm-cancel', class: 'small' }, 'Cancel')));
			const done = (v) => {
				dlg.close();
				dlg.remove();
				if (prev && prev.isConnected)
					prev.focus();
				resolve(v);
			};
			dlg.querySelector('#confirm-ok').addEventListener('click', () => done(true));
			dlg.querySelector('#confirm-cancel').addEventListener('click', () => done(false));
			dlg.addEventListener('cancel', (e) => {
				e.preventDefault();
				done(false);
			});
			document.body.append(dlg);
			dlg.showModal();
			dlg.querySelector('#confirm-cancel').focus();
		});
	}

	/* ---- connection state: reconnecting with back-off ---- */

	let offline = false;
	let probing = false;
	let viewFailed = false;

	function setOffline(on) {
		offline = on;
		$('conn').hidden = !on;
	}

	/* After a network failure: probe /healthz with back-off until the
	 * server answers, then redraw a view that could not be loaded. */
	async function reconnect() {
		if (probing)
			return;
		probing = true;
		setOffline(true);
		let delay = 500;
		for (;;) {
			await new Promise((r) => setTimeout(r, delay));
			try {
				const res = await fetch('/healthz', { cache: 'no-store' });
				if (res.ok)
					break;
			} catch (e) {
				/* still down */
			}
			delay = Math.min(delay * 2, 15000);
		}
		probing = false;
		setOffline(false);
		announce('Connection restored.');
		if (me === null)
			loadMe().catch(() => {});
		else if (viewFailed)
			route();
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
		/* a read is retried with back-off (1, 2 s); a write is never sent twice */
		for (let attempt = 0; ; attempt++) {
			try {
				res = await fetch(API + path, opts);
				break;
			} catch (e) {
				if (method === 'GET' && attempt < 2) {
					setOffline(true);
					await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
					continue;
				}
				reconnect();
				throw new Problem(0, { title: 'Connection lost', detail: method === 'GET' ?
					'The server could not be reached; reconnecting (the page reloads itself when it is back).' :
					'The server could not be reached, so this was probably not saved. Reconnecting; send it again once the connection is back.' });
			}
		}
		if (!probing)
			setOffline(false);
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
			const p = new Problem(res.status, data);
			const ra = res.headers.get('Retry-After');
			if (ra !== null && /^\d+$/.test(ra.trim()))
				p.retryAfter = Number(ra.trim());
			throw p;
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
			const buttons = form.querySelectorAll('button:not([data-live])');
			buttons.forEach((b) => { b.disabled = true; });
			clearProblem();
			clearFieldErrors(form);
			notice('');
			try {
				await fn(new FormData(form));
			} catch (e) {
				showProblem(e);
				if (form.isConnected)
					showFormError(form, e);
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
		$('me-org').textContent = me.org.name + ' · ' + me.org.kind;
		$('me-org').title = me.user.name + ' · ' + me.user.role + ' · ' + me.org.name + ' (' + me.org.kind + ')';
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
		lastHash = null;
		if (location.hash)
			history.replaceState(null, '', location.pathname);
		$('login-heading').setAttribute('tabindex', '-1');
		$('login-heading').focus();
	});

	$('problem-close').addEventListener('click', clearProblem);

	/* The skip link moves focus to the page's heading (the fragment is the router's). */
	document.querySelector('a.skip').addEventListener('click', (ev) => {
		ev.preventDefault();
		const h = document.querySelector('main section:not([hidden]) h2');
		if (h) {
			h.setAttribute('tabindex', '-1');
			h.focus();
		} else {
			$('main').focus();
		}
	});

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
			throw new Problem(422, { title: 'The passwords differ', detail: 'Type the same password twice.', field: 'repeat' });
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
			items.length === 0 ? el('p', { class: 'empty' }, me.org.kind === 'coordinator' ?
				'No engagements yet: create a campaign under Campaigns, then add engagements on its page.' :
				'No engagements yet: they appear here once the coordinator adds your organisation to a campaign.') :
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

	const TABS = [['overview', 'Overview'], ['findings', 'Findings'], ['evidence', 'Evidence'],
		['claims', 'Claims'], ['levels', 'Levels'], ['statement', 'Statement'], ['history', 'History']];

	/* The tab bar of an engagement: links, so the address names the tab. */
	function tabBar(id, tab, tabs) {
		return el('nav', { class: 'tabs', 'aria-label': 'Engagement sections' },
			el('ul', null, tabs.map(([t, label]) => el('li', null,
				el('a', { href: '#/engagements/' + id + '/' + t, id: 'tab-' + t,
					'aria-current': t === tab ? 'page' : null }, label)))));
	}

	async function viewEngagement(id, tab) {
		tab = tab || 'overview';
		const e = await api('GET', '/engagements/' + id);
		const kind = me.org.kind;
		const tabs = kind === 'coordinator' ? TABS.filter(([t]) => t === 'overview' || t === 'levels' || t === 'history') : TABS;
		if (!tabs.some(([t]) => t === tab))
			tab = 'overview';
		const label = TABS.find(([t]) => t === tab)[1];
		const out = el('div', null,
			el('h2', null, 'Engagement · ' + e.campaign_title,
				el('span', { class: 'h-sub' }, ' · ' + e.company_org.name + ' × ' + e.assessor_org.name)),
			tabBar(id, tab, tabs),
			el('h3', { class: 'visually-hidden' }, label));
		const working = e.state === 'fieldwork' || e.state === 'reporting';

		if (tab === 'overview') {
			out.append(dl([['Campaign', link('#/campaigns/' + e.campaign_id, e.campaign_title)],
				['Company', e.company_org.name], ['Assessor', e.assessor_org.name],
				['Lead assessors', fmtList(e.lead_assessors)],
				['Stage', el('span', { id: 'engagement-stage' }, e.state)], ['Stage since', when(e.stage_changed_at)],
				['Created', when(e.created_at)]]));
			out.append(stageSection(e, false));
			if (typeof e.scope === 'string')
				out.append(el('h4', null, 'Scope'), el('pre', { class: 'text' }, e.scope));
			if (kind === 'coordinator')
				return out;
			if (!working)
				out.append(el('p', { class: 'hint', id: 'stage-closed-note' },
					'Findings and evidence are added while the engagement is in fieldwork or reporting (now: ' + e.state + ').'));
			out.append(await reviewSection(id, kind));
			const hold = await holdSection(id);
			if (hold)
				out.insertBefore(hold, out.children[2]);
			return out;
		}
		if (tab === 'history') {
			out.append(await historyTab(e, kind));
			return out;
		}
		if (tab === 'levels') {
			out.append(await levelsSection(id, kind, e));
			return out;
		}

		let tms = threatModels.map((t) => t.code);
		const camp = await getOrNull('/campaigns/' + e.campaign_id);
		if (camp && Array.isArray(camp.threat_models))
			tms = camp.threat_models;

		if (tab === 'findings') {
			const findings = await listAll('/engagements/' + id + '/findings');
			out.append(findingsPanel(id, findings, tms));
			out.append(el('p', { class: 'export' }, 'Export: ',
				el('a', { href: API + '/engagements/' + id + '/findings.csv', download: 'findings-' + id + '.csv', id: 'findings-export' },
					'all findings as CSV'), ' · ',
				el('a', { href: API + '/engagements/' + id + '/oscal', download: 'assessment-results-' + id + '.json', id: 'oscal-export' },
					'OSCAL assessment results (JSON)'), ' · ',
				el('a', { href: API + '/engagements/' + id + '/report', target: '_blank', rel: 'noopener', id: 'report-link' },
					'printable report (new tab)')));
			if (kind === 'assessor' && working) {
				out.append(findingCreateForm(id, tms));
				out.append(findingImportForm(id, tms));
			} else if (!working) {
				out.append(el('p', { class: 'hint', id: 'stage-closed-note' },
					'Findings are added while the engagement is in fieldwork or reporting (now: ' + e.state + ').'));
			}
			return out;
		}
		if (tab === 'evidence') {
			const [evidence, findings, orgUsers] = await Promise.all([
				listAll('/engagements/' + id + '/evidence'),
				listAll('/engagements/' + id + '/findings'),
				/* An admin may delete what colleagues uploaded: know who they are. */
				me.user.role === 'admin' ? listAll('/orgs/' + me.org.id + '/users').catch(() => []) : []]);
			out.append(evidenceSection(id, evidence, findings, orgUsers, working, null));
			return out;
		}
		if (tab === 'claims') {
			const claims = await api('GET', '/engagements/' + id + '/claims');
			out.append(claimsPanel(id, tms, claims && claims.items || [], kind));
			if (claims && Array.isArray(claims.contradictions) && claims.contradictions.length > 0)
				out.append(contradictionBox(claims.contradictions));
			return out;
		}
		/* statement */
		const statement = await getOrNull('/engagements/' + id + '/statement');
		out.append(el('p', { class: 'hint' }, 'The company\u2019s optional public response, published with the release.'),
			statement ? el('div', null, el('pre', { class: 'text', id: 'statement-text' }, statement.text),
				el('p', { class: 'muted' }, 'Saved ', when(statement.updated_at),
					statement.updated_by ? [' by ', nameOf(statement, 'updated_by')] : null)) :
				el('p', { class: 'empty' }, kind === 'company' ? 'No statement yet: write one below if you want the public to read your side.' :
					'No statement yet: the company may write one until the release.'));
		if (kind === 'company') {
			out.append(onSubmit(el('form', { class: 'card', id: 'statement-form' },
				checkedText(id, 'Public statement (up to 5000 characters)', { name: 'text', rows: 5, maxlength: 5000, value: statement ? statement.text : '' }),
				el('button', { type: 'submit' }, 'Save statement')), async (fd) => {
				const saved = await api('PUT', '/engagements/' + id + '/statement', { text: fd.get('text') });
				await route();
				notice('Statement saved.' + nameCheckNote(saved));
			}));
		}
		return out;
	}

	/* ---- the findings table: severity summary, filters, search, sorting ---- */

	const findingView = new Map(); /* engagement id -> {tm, sev, status, q, sort, dir} */

	function findingsPanel(id, findings, tms) {
		const st = findingView.get(id) || { tm: '', sev: '', status: '', q: '', sort: 'severity', dir: 1 };
		findingView.set(id, st);
		const sevs = enumOf('severity');
		const sevRank = (s) => { const i = sevs.indexOf(s); return i < 0 ? 99 : i; };
		const box = el('div', { id: 'findings-panel' });
		if (findings.length === 0) {
			box.append(el('p', { class: 'empty' }, me.org.kind === 'assessor' ?
				'No findings yet. Record one with the form below, or import a SARIF or CSV file.' :
				'No findings yet. The assessor\u2019s findings appear here as they are recorded.'));
			return box;
		}
		const open = (f) => f.status === 'open' || f.status === 'remediating';
		const summary = el('ul', { class: 'sev-summary', id: 'severity-summary', 'aria-label': 'Findings by severity' },
			sevs.map((sv) => {
				const all = findings.filter((f) => f.severity === sv);
				return el('li', null, el('button', { type: 'button', class: 'chip sev-bg-' + sv, 'aria-pressed': st.sev === sv ? 'true' : 'false',
					onclick: () => { st.sev = st.sev === sv ? '' : sv; sevSel.value = st.sev; draw(); } },
				el('span', { class: 'chip-n' }, String(all.length)), ' ' + sv,
				el('span', { class: 'muted' }, ' (' + all.filter(open).length + ' open)')));
			}));
		const tmSel = select('tm', [['', 'All threat models']].concat(tms.map((t) => [t, t])), st.tm, { id: 'filter-tm' });
		const sevSel = select('sev', [['', 'All severities']].concat(sevs.map((x) => [x, x])), st.sev, { id: 'filter-severity' });
		const statSel = select('status', [['', 'All statuses']].concat(enumOf('finding_status').map((x) => [x, x])), st.status, { id: 'filter-status' });
		const q = el('input', { type: 'search', id: 'filter-q', value: st.q, placeholder: 'title, CWE, ATLAS…', maxlength: 200 });
		const filters = el('div', { class: 'filters', role: 'search' },
			el('label', null, el('span', null, 'Threat model'), tmSel),
			el('label', null, el('span', null, 'Severity'), sevSel),
			el('label', null, el('span', null, 'Status'), statSel),
			el('label', null, el('span', null, 'Search'), q));
		const count = el('p', { class: 'muted', id: 'findings-count', 'aria-live': 'polite' });
		const cols = [['title', 'Title'], ['threat_model', 'Threat model'], ['severity', 'Severity'], ['status', 'Status'],
			['remediation_due', 'Remediation due'], ['updated_at', 'Updated']];
		const ths = cols.map(([k, t]) => el('th', { scope: 'col', 'data-col': k },
			el('button', { type: 'button', class: 'sort', onclick: () => {
				st.dir = st.sort === k ? -st.dir : 1;
				st.sort = k;
				draw();
			} }, t)));
		const tbody = el('tbody');
		const tbl = el('table', { id: 'findings-table' }, el('thead', null, el('tr', null, ths)), tbody);
		const key = (f, k) => (k === 'severity' ? sevRank(f.severity) : k === 'status' ? enumOf('finding_status').indexOf(f.status) :
			String(f[k] || '').toLowerCase());
		function draw() {
			const needle = st.q.trim().toLowerCase();
			const rows = findings.filter((f) => (!st.tm || f.threat_model === st.tm) && (!st.sev || f.severity === st.sev) &&
				(!st.status || f.status === st.status) &&
				(!needle || [f.title, f.threat_model, f.cvss].concat(f.cwe || [], f.atlas || []).some((x) =>
					String(x || '').toLowerCase().includes(needle))));
			rows.sort((a, b) => {
				const x = key(a, st.sort);
				const y = key(b, st.sort);
				return (x < y ? -1 : x > y ? 1 : 0) * st.dir || sevRank(a.severity) - sevRank(b.severity);
			});
			for (const th of ths)
				th.setAttribute('aria-sort', th.getAttribute('data-col') === st.sort ? (st.dir > 0 ? 'ascending' : 'descending') : 'none');
			for (const b of summary.querySelectorAll('button'))
				b.setAttribute('aria-pressed', b.classList.contains('sev-bg-' + st.sev) ? 'true' : 'false');
			tbody.replaceChildren(...rows.map((f) => el('tr', null,
				el('td', null, link('#/findings/' + f.id, f.title)), el('td', { class: 'nowrap' }, f.threat_model),
				el('td', null, el('span', { class: 'sev sev-' + f.severity }, f.severity)), el('td', null, f.status),
				el('td', null, f.remediation_due ? el('span', { class: f.overdue ? 'error' : null }, when(f.remediation_due),
					f.overdue ? ' (overdue)' : '') : '—'),
				el('td', null, when(f.updated_at)))));
			count.textContent = rows.length === findings.length ? findings.length + ' findings' :
				rows.length + ' of ' + findings.length + ' findings match the filters';
		}
		tmSel.addEventListener('change', () => { st.tm = tmSel.value; draw(); });
		sevSel.addEventListener('change', () => { st.sev = sevSel.value; draw(); });
		statSel.addEventListener('change', () => { st.status = statSel.value; draw(); });
		q.addEventListener('input', () => { st.q = q.value; draw(); });
		draw();
		box.append(summary, filters, count, wrapTable(tbl, 'findings-table'));
		return box;
	}

	/* ---- claims: one place to read and (assessor) edit them ---- */

	function claimsPanel(id, tms, items, kind) {
		const byTm = new Map(items.map((c) => [c.threat_model, c]));
		const box = el('div', { id: 'claims' },
			el('p', { class: 'hint' }, 'Per threat model, the assessor\u2019s public, high-level result: the attacker capability ' +
				'(OC1 amateur … OC5 top-priority state operation) the company was found robust up to.'));
		if (kind !== 'assessor') {
			box.append(table(['Threat model', 'Robust up to', 'Not met from', 'Public summary', 'Updated'], tms.map((tm) => {
				const c = byTm.get(tm);
				return [tm, c ? c.level : '—',
					c && c.not_met_from ? el('span', { class: c.contradiction ? 'error' : null },
						c.not_met_from + (c.contradiction ? ' (contradicts the claim)' : '')) : '—',
					c ? orDash(c.summary) : 'no claim yet', c ? when(c.updated_at) : '—'];
			}), { id: 'claims-table' }));
			return box;
		}
		box.append(el('div', { class: 'claims' }, tms.map((tm) => claimForm(id, tm, byTm.get(tm)))));
		return box;
	}

	/* ---- the engagement's history: stages, findings, evidence, claims ---- */

	async function historyTab(e, kind) {
		const box = el('div', { id: 'history' });
		box.append(stageSection(e, true));
		if (kind === 'coordinator')
			return box;
		const [findings, evidence, claims] = await Promise.all([
			listAll('/engagements/' + e.id + '/findings'), listAll('/engagements/' + e.id + '/evidence'),
			api('GET', '/engagements/' + e.id + '/claims')]);
		const ev = [];
		for (const f of findings) {
			ev.push([f.created_at, 'Finding recorded', link('#/findings/' + f.id, f.title)]);
			if (f.updated_at && f.updated_at !== f.created_at)
				ev.push([f.updated_at, 'Finding changed (now version ' + f.version + ', ' + f.status + ')', link('#/findings/' + f.id, f.title)]);
		}
		for (const x of evidence)
			ev.push([x.uploaded_at, 'Evidence uploaded', [x.name, ' by ', nameOf(x, 'uploaded_by')]]);
		for (const c of (claims && claims.items) || [])
			ev.push([c.updated_at, 'Claim set', c.threat_model + ': ' + c.level]);
		ev.sort((a, b) => (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0));
		box.append(el('h4', null, 'Recent changes'),
			ev.length === 0 ? el('p', { class: 'empty' }, 'Nothing recorded yet.') :
				table(['When', 'What', 'Which'], ev.map((x) => [when(x[0]), x[1], x[2]]), { id: 'engagement-history' }),
			el('p', { class: 'hint' }, 'Each finding\u2019s page lists every version of it.'));
		return box;
	}

	/* ---- stages ---- */

	/* The engagement's stages with their dates, and buttons for the moves the caller may make. */
	function stageSection(e, full) {
		const box = el('div', { id: 'stage-section' }, el('h4', null, 'Stages'));
		if (full)
			box.append(table(['Stage', 'Entered', 'From'], (e.stages || []).map((st) => [st.stage, when(st.at), orDash(st.from)]),
				{ id: 'stages-table' }));
		else
			box.append(el('ol', { class: 'stages', id: 'stages-list' }, (e.stages || []).map((st) =>
				el('li', { 'aria-current': st.stage === e.state ? 'step' : null }, st.stage, ' ', when(st.at)))));
		const next = Array.isArray(e.next_stages) ? e.next_stages : [];
		if (next.length > 0 && !full)
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
			row.assessor ? el('p', null, 'Assessor: ' + row.assessor.firm + ' (' + fmtList(row.assessor.lead_assessors) + ')') : null,
			draftLevelsView(row.levels));
	}

	/* The draft's security levels as the public page shows them: what was
	 * emulated, the levels not met, the commitments and their verdicts. */
	function draftLevelsView(lv) {
		if (!lv)
			return null;
		const em = lv.emulation;
		const claims = lv.claims || {};
		const commitments = lv.commitments || [];
		return el('div', { id: 'review-draft-levels' },
			el('h4', null, 'Security levels'),
			dl([['Capability emulated', em ? em.capability : 'not recorded'],
				['Access granted', em && em.access ? fmtList(em.access) : '—'],
				['Person-days', em && em.person_days !== undefined && em.person_days !== null ? String(em.person_days) : '—']]),
			table(['Threat model', 'Claim', 'Not met from', 'Contradiction'], Object.keys(claims).map((tm) =>
				[tm, claims[tm].level, orDash(claims[tm].not_met_from), claims[tm].contradiction ? 'yes: the claim says more' : 'no'])),
			commitments.length === 0 ? el('p', { class: 'empty' }, 'No commitments declared.') :
				table(['Framework', 'Level', 'Commitment', 'Verdict', 'Summary'], commitments.map((k) =>
					[k.framework + ' ' + k.version, k.level, k.text, k.verdict, orDash(k.summary)])));
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
			el('p', null, 'Held since ', when(h.held_at), '. The texts are frozen at the release instant; ' +
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
				'The review opens ', releaseWhen(v.opens_at), ': the row the public will read is then frozen here for the company to sign off or answer.'));
			return box;
		}
		const d = v.draft;
		box.append(dl([['State', el('strong', { id: 'review-state' }, v.state + (v.reopened ? ' (reopened: the draft changed)' : ''))],
			['Draft', ['version ' + d.version + ', frozen ', when(d.frozen_at)]],
			['Draft SHA-256', el('code', { class: 'hash', id: 'review-draft-hash' }, d.hash)],
			['Release', releaseWhen(v.release_at)]]));
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

	/* ---- resumable uploads (tus 1.0: creation, HEAD, PATCH, termination) ----
	 * The upload URL is kept in localStorage under the engagement, the
	 * file's name, size and mtime, the chosen name and finding, so that
	 * after a dropped connection (retried with back-off) or a page reload
	 * choosing the same file again continues where the server stopped. */

	const TUS = '1.0.0';
	const tusPrefix = 'lockstep.upload:';

	function tusChunk() {
		/* tests shrink it to interrupt an upload half-way; bounded */
		const n = Number(localStorage.getItem('lockstep.uploadChunk'));
		return Number.isInteger(n) && n >= 65536 && n <= 64 * 1048576 ? n : 16 * 1048576;
	}

	const b64 = (str) => btoa(Array.from(new TextEncoder().encode(str), (c) => String.fromCharCode(c)).join(''));
	const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

	/* Unfinished uploads of an engagement: [{key, url, name, size, finding}]. */
	function unfinishedUploads(engagementId) {
		const out = [];
		for (let i = 0; i < localStorage.length; i++) {
			const k = localStorage.key(i);
			if (!k || !k.startsWith(tusPrefix + engagementId + ':'))
				continue;
			try {
				const v = JSON.parse(localStorage.getItem(k));
				if (v && typeof v.url === 'string')
					out.push(Object.assign({ key: k }, v));
			} catch (e) {
				localStorage.removeItem(k);
			}
		}
		return out;
	}

	class TusUpload {
		constructor(engagementId, file, name, finding, onProgress, onState) {
			this.eng = engagementId;
			this.file = file;
			this.name = name;
			this.finding = finding || '';
			this.onProgress = onProgress;
			this.onState = onState;
			this.key = tusPrefix + engagementId + ':' + JSON.stringify([file.name, file.size, file.lastModified, name, this.finding]);
			this.xhr = null;
			this.paused = false;
		}

		headers(extra) {
			return Object.assign({ 'Tus-Resumable': TUS, 'X-Lockstep-CSRF': '1', Accept: 'application/json' }, extra || {});
		}

		async problemOf(res) {
			let data = null;
			try {
				data = await res.json();
			} catch (e) {
				data = null;
			}
			if (res.status === 401 && me !== null)
				setSession(null);
			return new Problem(res.status, data);
		}

		/* The server's offset, or null when the upload is gone (404). Throws on network loss. */
		async head(url) {
			const res = await fetch(url, { method: 'HEAD', headers: this.headers(), credentials: 'same-origin', cache: 'no-store' });
			if (res.status === 404)
				return null;
			if (!res.ok)
				throw await this.problemOf(res);
			return Number(res.headers.get('Upload-Offset'));
		}

		async create() {
			const meta = ['filename ' + b64(this.name)];
			if (this.file.type)
				meta.push('filetype ' + b64(this.file.type));
			if (this.finding)
				meta.push('finding ' + b64(this.finding));
			const res = await fetch(API + '/engagements/' + encodeURIComponent(this.eng) + '/uploads', {
				method: 'POST', credentials: 'same-origin', cache: 'no-store',
				headers: this.headers({ 'Upload-Length': String(this.file.size), 'Upload-Metadata': meta.join(',') }) });
			if (res.status !== 201)
				throw await this.problemOf(res);
			const loc = res.headers.get('Location') || '';
			if (!/^\/api\/v1\/uploads\/[0-9a-f-]{36}$/.test(loc))
				throw new Problem(0, { title: 'Upload failed', detail: 'The server answered without an upload address.' });
			localStorage.setItem(this.key, JSON.stringify({ url: loc, name: this.name, size: this.file.size, finding: this.finding }));
			return loc;
		}

		/* Send file bytes [offset, end) with progress; resolves to the new offset. */
		patch(url, offset, end) {
			return new Promise((resolve, reject) => {
				const xhr = new XMLHttpRequest();
				this.xhr = xhr;
				xhr.open('PATCH', url);
				const h = this.headers({ 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' });
				for (const [k, v] of Object.entries(h))
					xhr.setRequestHeader(k, v);
				xhr.upload.addEventListener('progress', (e) => this.onProgress(offset + e.loaded));
				xhr.addEventListener('load', () => {
					this.xhr = null;
					if (xhr.status === 204) {
						resolve(Number(xhr.getResponseHeader('Upload-Offset')));
						return;
					}
					let data = null;
					try {
						data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
					} catch (e) {
						data = null;
					}
					const p = new Problem(xhr.status, data);
					p.offset = xhr.getResponseHeader('Upload-Offset');
					reject(p);
				});
				const lost = () => {
					this.xhr = null;
					reject(new Problem(0, { title: 'Connection lost' }));
				};
				xhr.addEventListener('error', lost);
				xhr.addEventListener('abort', lost);
				xhr.send(this.file.slice(offset, end));
			});
		}

		pause() {
			this.paused = true;
			if (this.xhr)
				this.xhr.abort();
		}

		/* Run until done (the signed receipt), paused (null) or refused (throws a Problem). */
		async run() {
			this.paused = false;
			let url = null;
			let offset = 0;
			let delay = 1000;
			const saved = localStorage.getItem(this.key);
			for (;;) {
				if (this.paused)
					return null;
				try {
					if (url === null && saved) {
						url = JSON.parse(saved).url;
						const o = await this.head(url);
						if (o === null) {
							localStorage.removeItem(this.key);
							url = null;
						} else {
							offset = o;
							this.onState('Resuming at ' + fmtSize(offset) + ' of ' + fmtSize(this.file.size) + '.');
						}
					}
					if (url === null) {
						url = await this.create();
						offset = 0;
					}
					this.onProgress(offset);
					while (offset < this.file.size && !this.paused)
						offset = await this.patch(url, offset, Math.min(this.file.size, offset + tusChunk()));
					if (this.paused)
						return null;
					if (this.file.size === 0)
						offset = await this.patch(url, 0, 0);
					localStorage.removeItem(this.key);
					this.onState('Sent; fetching the signed receipt…');
					return await api('GET', '/evidence/' + url.split('/').pop() + '/receipt');
				} catch (e) {
					if (this.paused)
						return null;
					if (!(e instanceof Problem))
						throw e;
					if (e.status === 409 && e.offset !== null && /^\d+$/.test(String(e.offset))) {
						offset = Number(e.offset);
						continue;
					}
					if (e.status === 404 && url !== null) {
						/* expired or removed on the server: start again */
						localStorage.removeItem(this.key);
						url = null;
						continue;
					}
					if (e.status !== 0 && e.status < 500 && e.status !== 429)
						throw e;
					/* a dropped connection or a busy server: wait, ask the offset, go on */
					this.onState('Connection lost; retrying in ' + Math.round(delay / 1000) + ' s…');
					await sleep(delay);
					delay = Math.min(delay * 2, 30000);
					if (url !== null) {
						try {
							const o = await this.head(url);
							if (o === null) {
								localStorage.removeItem(this.key);
								url = null;
							} else {
								offset = o;
								delay = 1000;
								this.onState('Reconnected; resuming at ' + fmtSize(offset) + '.');
							}
						} catch (e2) {
							/* still down: the loop waits again */
						}
					}
				}
			}
		}
	}

	/* The signed receipt of an upload, with where to check it. */
	function receiptBox(signed) {
		const r = signed && signed.receipt ? signed.receipt : {};
		return el('div', { class: 'receipt', id: 'evidence-receipt' },
			el('h4', null, 'Signed receipt · ' + r.name),
			dl([['Evidence id', el('code', { id: 'receipt-id' }, r.id)],
				['Name', r.name], ['Size', fmtSize(r.size) + ' (' + r.size + ' bytes)'],
				['SHA-256', el('code', { class: 'hash', id: 'receipt-sha256' }, r.sha256)],
				['Media type', r.media_type], ['Uploaded by', nameOf(r, 'uploaded_by')], ['Uploaded at', when(r.uploaded_at)],
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

	function evidenceSection(engagementId, items, findings, orgUsers, working, fixedFinding) {
		const findingTitles = new Map(findings.map((f) => [f.id, f.title]));
		const colleagues = new Map(orgUsers.map((u) => [u.id, u.email]));
		const slot = el('div', { id: 'evidence-receipt-slot' });
		if (pendingReceipt && pendingReceipt.engagement === engagementId)
			slot.append(receiptBox(pendingReceipt.signed));
		pendingReceipt = null;

		const who = (ev) => nameOf(ev, 'uploaded_by', (uid) => colleagues.has(uid) ? colleagues.get(uid) : shortId(uid));
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
			if (!await confirmAction('Delete "' + ev.name + '"? Its bytes cannot be recovered.', 'Delete'))
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
				ev.media_type, who(ev), when(ev.uploaded_at),
				ev.finding ? link('#/findings/' + ev.finding, findingTitles.get(ev.finding) || 'finding') : '—',
				el('span', { class: 'actions' }, actions)];
		});

		const progress = el('progress', { id: 'evidence-progress', max: '1', value: '0', hidden: true, 'aria-label': 'Upload progress' });
		const progressText = el('span', { id: 'evidence-progress-text', class: 'muted', 'aria-live': 'polite' });
		const stateText = el('p', { id: 'evidence-upload-state', class: 'muted', 'aria-live': 'polite' });
		let current = null;
		const pauseBtn = el('button', { type: 'button', id: 'evidence-pause', class: 'small', hidden: true, 'data-live': true, onclick: () => {
			if (current) {
				current.pause();
				stateText.textContent = 'Paused. Choose Resume (or, after a reload, the same file) to continue.';
				pauseBtn.hidden = true;
			}
		} }, 'Pause');
		const submitBtn = el('button', { type: 'submit', id: 'evidence-submit' }, 'Upload');
		const fileInput = el('input', { type: 'file', name: 'file', required: true, id: 'evidence-file' });
		const unfinished = unfinishedUploads(engagementId).filter((u) => !fixedFinding || u.finding === fixedFinding);
		const form = onSubmit(el('form', { class: 'card', id: 'evidence-upload' },
			el('h4', null, fixedFinding ? 'Upload evidence for this finding' : 'Upload evidence'),
			el('p', { class: 'hint' }, 'Resumable: pause at any time; after a dropped connection the upload goes on by itself, ' +
				'and after a reload choose the same file again to continue where it stopped.'),
			unfinished.length === 0 ? null : el('div', { id: 'evidence-unfinished' },
				el('p', null, 'Unfinished uploads in this browser (choose the same file again to resume):'),
				el('ul', null, unfinished.map((u) => el('li', null, u.name + ' (' + fmtSize(u.size) + ') ',
					action('Discard', async () => {
						if (!await confirmAction('Discard the unfinished upload of "' + u.name + '"? Its bytes on the server are deleted.', 'Discard'))
							return;
						await fetch(u.url, { method: 'DELETE', credentials: 'same-origin',
							headers: { 'Tus-Resumable': TUS, 'X-Lockstep-CSRF': '1' } }).catch(() => null);
						localStorage.removeItem(u.key);
						await route();
						notice('Unfinished upload discarded.');
					}))))),
			field('File', fileInput),
			field('Name (blank: the file\u2019s own name; up to 255 bytes, no / or \\)', el('input', { name: 'name', maxlength: 255 })),
			fixedFinding || findings.length === 0 ? null : field('Finding (optional)',
				select('finding', [['', '(none)']].concat(findings.map((f) => [f.id, f.title])), '')),
			el('div', { class: 'progress' }, progress, progressText),
			stateText,
			el('div', { class: 'actions' }, submitBtn, pauseBtn)), async (fd) => {
			const file = fd.get('file');
			if (!(file instanceof File) || file.name === '')
				throw new Problem(0, { title: 'No file chosen', detail: 'Pick a file to upload.', field: 'file' });
			const typed = String(fd.get('name') || '');
			const name = typed.trim() !== '' ? typed : file.name;
			const finding = fixedFinding || String(fd.get('finding') || '');
			progress.hidden = false;
			progress.max = Math.max(file.size, 1);
			progress.value = 0;
			stateText.textContent = '';
			let first = null;
			let t0 = 0;
			const up = new TusUpload(engagementId, file, name, finding, (sent) => {
				const now = performance.now();
				if (first === null) {
					first = sent;
					t0 = now;
				}
				progress.value = sent;
				const dt = (now - t0) / 1000;
				const rate = dt > 0.5 ? (sent - first) / dt : 0;
				let t = fmtSize(sent) + ' of ' + fmtSize(file.size) + ' (' + Math.floor(100 * sent / Math.max(file.size, 1)) + '%)';
				if (rate > 0 && sent < file.size) {
					const left = Math.ceil((file.size - sent) / rate);
					t += ' · ' + fmtSize(rate) + '/s · about ' + (left < 90 ? left + ' s' : Math.ceil(left / 60) + ' min') + ' left';
				}
				progressText.textContent = t;
			}, (msg) => { stateText.textContent = msg; });
			current = up;
			pauseBtn.hidden = false;
			submitBtn.textContent = 'Resume';
			let signed;
			try {
				signed = await up.run();
			} finally {
				pauseBtn.hidden = true;
			}
			if (signed === null)
				return; /* paused: the button says Resume */
			current = null;
			submitBtn.textContent = 'Upload';
			pendingReceipt = { engagement: engagementId, signed };
			await route();
			notice('Uploaded ' + signed.receipt.name + ' (' + fmtSize(signed.receipt.size) + ').');
		});

		return el('div', { id: 'evidence' },
			fixedFinding ? el('h3', null, 'Evidence') : null,
			items.length === 0 ? el('p', { class: 'empty' }, working ? (fixedFinding ? 'No evidence for this finding yet: upload a file below.' :
				'No evidence yet: upload a file below (it is encrypted at rest and only this engagement\u2019s company and assessor can read it).') :
				'No evidence.') :
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
		const box = el('div', { id: 'levels-section' }, el('h3', null, 'What was emulated, and the company\u2019s commitments'));
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
		return onSubmit(el('form', { class: 'card claim', id: 'claim-' + tm },
			el('h4', null, 'Claim · ' + tm),
			el('p', { class: 'claim-state' + (c ? '' : ' muted') }, c ? ['Saved: ', el('strong', { class: 'claim-level' }, c.level), ' · ', when(c.updated_at)] :
				'No claim yet: choose a level and write the public summary.'),
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
		const [hist, eng, evidence, orgUsers] = await Promise.all([api('GET', '/findings/' + id + '/history'),
			getOrNull('/engagements/' + f.engagement_id),
			listAll('/engagements/' + f.engagement_id + '/evidence').catch(() => []),
			me.user.role === 'admin' ? listAll('/orgs/' + me.org.id + '/users').catch(() => []) : []]);
		const kind = me.org.kind;
		const working = eng && (eng.state === 'fieldwork' || eng.state === 'reporting');
		const out = el('div', null,
			el('nav', { 'aria-label': 'Breadcrumb', class: 'crumbs' },
				el('a', { href: '#/engagements/' + f.engagement_id + '/findings', id: 'back-engagement' },
					'← ' + (eng ? eng.campaign_title + ' · findings' : 'engagement'))),
			el('h2', { id: 'finding-title' }, f.title),
			dl([['Threat model', f.threat_model], ['Severity', el('span', { class: 'sev sev-' + f.severity }, f.severity)],
				['Status', f.status], ['MITRE ATLAS', fmtList(f.atlas)], ['CWE', fmtList(f.cwe)],
				['CVSS', orDash(f.cvss)],
				['Exploitable from', el('span', { id: 'finding-oc' }, orDash(f.oc_required))], ['Version', String(f.version)],
				['Remediation due', f.remediation_due ? el('span', { id: 'finding-due', class: f.overdue ? 'error' : null },
					when(f.remediation_due), f.overdue ? ' (overdue)' : '') : '—'],
				['Created', when(f.created_at)], ['Updated', when(f.updated_at)]]),
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
				field(localLabel('Remediation due') + ', blank: none', el('input', { name: 'remediation_due', type: 'datetime-local',
					value: localInput(f.remediation_due) })),
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
				if (String(fd.get('remediation_due') || '') !== localInput(f.remediation_due))
					body.remediation_due = fromLocal(fd.get('remediation_due')) || '';
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

		out.append(evidenceSection(f.engagement_id, evidence.filter((x) => x.finding === f.id), [f], orgUsers, working, f.id));

		out.append(await conversationSection(f, hist));

		const items = hist && Array.isArray(hist.items) ? hist.items : [];
		out.append(el('h3', null, 'History'),
			table(['Version', 'When', 'By', 'Status', 'Severity', 'Title', 'Response'], items.map((v) => [
				String(v.version), when(v.changed_at), nameOf(v, 'changed_by'), v.status, v.severity,
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
				' · ', when(c.created_at), el('pre', { class: 'text' }, c.body))]);
		/* "by Name (Org)": the names the server put beside the ids */
		const by = (name, org) => (name || org ? ' · by ' + (name || org) + (name && org ? ' (' + org + ')' : '') : '');
		for (const k of risks) {
			events.push([k.requested_at, el('li', { class: 'risk' },
				el('strong', null, 'Risk acceptance asked'), by(k.requested_by_name, k.requested_org_name),
				' · ', when(k.requested_at), ' · until ', when(k.expires_at),
				(k.expired ? ' (expired)' : '') + ' · ' + k.state,
				el('pre', { class: 'text' }, k.justification))]);
			if (k.decided_at)
				events.push([k.decided_at, el('li', { class: 'risk' },
					el('strong', null, 'Risk acceptance ' + k.state), by(k.decided_by_name, k.decided_org_name),
					' · ', when(k.decided_at),
					k.decision_note ? el('pre', { class: 'text' }, k.decision_note) : null)]);
		}
		for (const t of arr('retests'))
			events.push([t.created_at, el('li', { class: 'retest' },
				el('strong', null, 'Retest ' + t.result), by(t.performed_by_name, t.performed_org_name), ' · ', when(t.created_at),
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
				field(localLabel('Accepted until'), el('input', { name: 'expires_at', type: 'datetime-local', required: true })),
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
				el('p', null, 'Asked ', when(pending.requested_at), ', until ', when(pending.expires_at), '.'),
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
		'commitment.declared': 'Commitment declared', 'commitment.verdict': 'Verdict on a commitment',
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
			items.length === 0 ? el('p', { class: 'empty' }, 'No notifications: changes to your engagements are announced here.') :
				table([el('span', { class: 'visually-hidden' }, 'Unread'), 'What', 'Campaign', 'When', ''], items.map((n) => [
					n.read ? '' : el('span', { class: 'badge' }, 'new'),
					el('a', { href: notificationTarget(n), onclick: () => {
						if (!n.read)
							api('POST', '/inbox/' + n.id + '/read').catch(() => {});
					} }, eventText[n.type] || n.type),
					orDash(n.campaign_title), when(n.created_at),
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
		'release.published', 'commitment.declared', 'commitment.verdict'];

	async function webhooksSection(orgId) {
		const hooks = await api('GET', '/orgs/' + orgId + '/webhooks');
		const items = hooks && Array.isArray(hooks.items) ? hooks.items : [];
		const secretBox = el('div', { id: 'webhook-secret' });
		return el('section', { id: 'webhooks' },
			el('h3', null, 'Webhooks'),
			el('p', null, 'Signed JSON notifications (event type and ids only) POSTed to your URL; see the API documentation for the signature.'),
			items.length === 0 ? el('p', { class: 'empty' }, 'No webhooks: add one below to be told of changes by your own systems.') :
				table(['URL', 'Events', 'Created', '', ''], items.map((w) => [
					w.url, fmtList(w.events), when(w.created_at), link('#/webhooks/' + w.id, 'Delivery log'),
					el('button', { type: 'button', class: 'small danger', onclick: async () => {
						clearProblem();
						try {
							if (!await confirmAction('Remove the webhook to ' + w.url + ' and its delivery log?', 'Remove'))
								return;
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
			items.length === 0 ? el('p', { class: 'empty' }, 'No deliveries yet: they are listed here as events happen.') :
				table(['Event', 'State', 'Attempts', 'Last status', 'Last error', 'Created', 'Next attempt', 'Delivered'],
					items.map((x) => [x.event_type, x.state, String(x.attempts), orDash(x.last_status === null ? '' : String(x.last_status)),
						orDash(x.last_error), when(x.created_at), x.state === 'pending' ? when(x.next_attempt_at) : '—', when(x.delivered_at)]),
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
				link('#/orgs/' + o.id, o.name), o.kind, fmtList(o.aliases), when(o.created_at)]), { id: 'orgs-table' }));
	}

	/* A link to pass on (invitation or reset), shown once. */
	function linkCard(title, answer) {
		const input = el('input', { readonly: true, value: answer.link, class: 'link', id: 'link-value', size: 60 });
		return el('div', { class: 'card', id: 'link-card' },
			el('h4', null, title),
			el('p', null, answer.mailed ? 'It was also mailed to ' + answer.email + '.' :
				'Pass this link on to ' + answer.email + ' yourself (it is shown only now); it works once, until ', when(answer.expires_at), '.'),
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
					if (!await confirmAction('Disable ' + org.name + '? Every user of it is logged out at once and cannot log in until you enable it again.', 'Disable organisation'))
						return;
					await api('POST', '/orgs/' + id + '/disable');
					await route();
					notice(org.name + ' disabled; all its sessions and API tokens were revoked.');
				}, { id: 'org-disable' }));
		out.append(el('h3', null, 'Users'),
			table(['E-mail', 'Name', 'Role', 'Status', 'Created', ''], users.map((u) => [
				u.email, u.name, u.role, u.disabled ? 'disabled' : 'active', when(u.created_at),
				el('span', { class: 'actions' },
					action('Revoke sessions', async () => {
						if (!await confirmAction('Log ' + u.email + ' out everywhere? Every session of theirs ends now.', 'Revoke sessions'))
							return;
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
							if (!await confirmAction('Disable ' + u.email + '? Their sessions and API tokens stop at once.', 'Disable user'))
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
			links.length === 0 ? el('p', { class: 'empty' }, 'No links yet: invite someone above.') :
				table(['Kind', 'E-mail', 'Name', 'Role', 'Status', 'Expires', ''], links.slice().reverse().map((l) => [
					l.kind, l.email, orDash(l.name), orDash(l.role), l.status, when(l.expires_at),
					l.status === 'pending' ? action('Revoke', async () => {
						if (!await confirmAction('Revoke the link for ' + l.email + '? It stops working at once.', 'Revoke link'))
							return;
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
			el('h4', null, 'E-mail notifications'),
			el('p', null, st.mail_configured
				? 'Besides the inbox, lockstep can mail you when something happens in your engagements: the kind of event and a link, never a title or a text. Several events close together come as one message.'
				: 'This server has no mail relay configured (LOCKSTEP_SMTP_URL), so nothing is mailed; your choice applies once one is.'),
			el('label', { class: 'inline' }, box, ' Mail me my notifications'),
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
				field('Current password', el('input', { name: 'current', 'data-field': 'current_password', type: 'password', autocomplete: 'current-password', required: true, maxlength: 1024 })),
				field('New password', el('input', { name: 'fresh', 'data-field': 'new_password', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 })),
				field('Repeat the new password', el('input', { name: 'repeat', type: 'password', autocomplete: 'new-password', required: true, minlength: 12, maxlength: 1024 })),
				el('button', { type: 'submit' }, 'Change password')), async (fd) => {
				if (fd.get('fresh') !== fd.get('repeat'))
					throw new Problem(422, { title: 'The new passwords differ', detail: 'Type the same new password twice.', field: 'repeat' });
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
			items.length === 0 ? el('p', { class: 'empty' }, me.org.kind === 'coordinator' ?
				'No campaigns yet: create the first one below.' : 'No campaigns yet: your organisation takes part in none.') :
				table(['Title', 'Slug', 'State', 'Disclosure', 'Release'], items.map((c) => [
					link('#/campaigns/' + c.id, c.title), c.slug, c.state, c.disclosure, releaseWhen(c.release_at)]),
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
			field(localLabel('Release'), el('input', { name: 'release_at', type: 'datetime-local', required: true })),
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
				['Release', el('span', { id: 'campaign-release' }, releaseWhen(c.release_at))], ['Planned release', when(c.planned_release_at)],
				['Disclosure', c.disclosure], ['Minimum cohort', String(c.min_cohort)],
				['Review opens', [when(c.review_opens_at), c.review_opens_default ? ' (72 h before the release)' : '']],
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
					'The release is held: these texts name a participating company (checked ' + (r.hold.checked_at ? dtf.format(new Date(r.hold.checked_at)) : '—') +
					'). The participants who wrote them see the spans. Decide:'),
				table(['Text', 'Engagement', 'Name found'], r.hold.reasons.map((h) =>
					[h.field, h.engagement ? orDash(byEng.get(h.engagement)) : '(campaign)', h.name]), { id: 'hold-reasons' }),
				onSubmit(el('form', { class: 'card', id: 'hold-decision' },
					el('h4', null, 'Decision'),
					field('Decision', select('decision', [['extend', 'Extend the release (the texts open again until then)'],
						['withhold', 'Publish now with these texts withheld']], 'extend')),
					field('Extend by (minutes, for "extend")', el('input', { name: 'minutes', 'data-field': 'seconds', type: 'number', min: '1', max: '43200', value: '60' })),
					field('Reason (audited; published with withheld texts)', el('input', { name: 'reason', maxlength: 1000, required: true })),
					el('button', { type: 'submit' }, 'Decide')), async (fd) => {
					const body = { decision: fd.get('decision'), reason: fd.get('reason') };
					if (body.decision === 'withhold' && !await confirmAction('Publish now with the held texts withheld? ' +
						'This cannot be undone.', 'Withhold and publish'))
						return;
					if (body.decision === 'extend')
						body.seconds = Math.round(Number(fd.get('minutes')) * 60);
					const d = await api('POST', '/campaigns/' + id + '/hold/decision', body);
					await route();
					notice(d.decision === 'extend' ? 'Release extended to ' + dtf.format(new Date(d.release_at)) + ' (' + tz + ').' :
						'The texts will be published withheld.');
				}));
			}
		}
		if (Array.isArray(c.warnings) && c.warnings.length > 0)
			out.append(el('h3', null, 'Anonymity warnings'),
				el('ul', { id: 'campaign-warnings', class: 'error' }, c.warnings.map((w) =>
					el('li', null, (w.assessor_org ? w.assessor_org.name + ' → ' : '') +
						(w.company_org ? w.company_org.name + ': ' : '') +
						(w.field ? 'the ' + w.field + ' “' + w.text + '” names it. ' : '') + w.detail))));
		if (Array.isArray(c.release_history) && c.release_history.length > 0)
			out.append(el('h3', null, 'Release-date history'),
				table(['Release instant', 'Announced'], c.release_history.map((h) => [when(h.release_at), when(h.announced_at)]),
					{ id: 'release-history' }));
		out.append(el('h3', null, 'Progress'),
			c.engagements.length === 0 ? el('p', { class: 'empty' }, 'No engagements yet: add one with the form below.') :
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
				el('h4', null, 'Campaign settings'),
				field('Title (up to 200 characters)', el('input', { name: 'title', required: true, maxlength: 200, value: c.title })),
				field('Slug: the publication\'s address /p/… (lower-case letters, digits and hyphens; fixed once released)',
					el('input', { name: 'slug', required: true, maxlength: 63, pattern: '[a-z0-9][a-z0-9\\-]{0,62}', value: c.slug })),
				field('State', select('state', enumOf('campaign_state').filter((v) => v !== 'published'), c.state)),
				field('Disclosure', select('disclosure', enumOf('disclosure'), c.disclosure)),
				field('Minimum cohort k (aggregate cells under k companies are suppressed; 1–1000)',
					el('input', { name: 'min_cohort', type: 'number', min: 1, max: 1000, value: String(c.min_cohort) })),
				el('fieldset', null, el('legend', null, 'Threat models'),
					threatModels.map((t) => el('label', { class: 'check' },
						el('input', { type: 'checkbox', name: 'threat_models', value: t.code,
							checked: (c.threat_models || []).includes(t.code) }), ' ' + t.code))),
				field(localLabel('Move release to') + '; blank keeps it', el('input', { name: 'release_at', type: 'datetime-local' })),
				field('Reason (required when moving the release)', el('input', { name: 'reason', maxlength: 1000 })),
				field(localLabel('Open the company review at') + '; blank keeps it',
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
				if (fd.get('title') !== c.title)
					body.title = fd.get('title');
				if (fd.get('slug') !== c.slug)
					body.slug = fd.get('slug');
				if (fd.get('disclosure') !== c.disclosure)
					body.disclosure = fd.get('disclosure');
				if (Number(fd.get('min_cohort')) !== c.min_cohort)
					body.min_cohort = Number(fd.get('min_cohort'));
				const tmsNow = fd.getAll('threat_models').map(String);
				if (tmsNow.slice().sort().join(',') !== (c.threat_models || []).slice().sort().join(','))
					body.threat_models = tmsNow;
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
			dl([['Authenticator app (TOTP)', ['on since ', when(t.confirmed_at)]],
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
				orDash(t.name), t.scopes ? fmtList(t.scopes) : 'all', when(t.created_at), when(t.last_used_at),
				orDash(t.addr), when(t.expires_at),
				el('button', { type: 'button', class: 'small danger', onclick: async () => {
					clearProblem();
					try {
						if (!await confirmAction('Revoke this ' + (t.kind === 'api' ? 'API token' : 'session') +
							(t.current ? ' (the one you are using: you will be logged out)' : '') + '?', 'Revoke'))
							return;
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
				el('p', { class: 'empty' }, 'No sessions or tokens: create a token below.'),
			onSubmit(el('form', { class: 'card', id: 'token-create' },
				el('h4', null, 'New API token'),
				field('Name', el('input', { name: 'name', required: true, maxlength: 100 })),
				field('Valid for (days, 1–365)', el('input', { name: 'days', 'data-field': 'ttl_days', type: 'number', min: 1, max: 365, value: '30', required: true })),
				el('fieldset', { 'data-field': 'scopes' }, el('legend', null, 'Scopes (what the token may do)'),
					scopes.map((sc) => el('label', { class: 'check' },
						el('input', { type: 'checkbox', name: 'scope', value: sc, checked: sc === 'read' }), ' ' + sc))),
				el('button', { type: 'submit' }, 'Create token'),
				created), async (fd) => {
				const body = { name: fd.get('name'), ttl_days: Number(fd.get('days')), scopes: fd.getAll('scope') };
				const tok = await api('POST', '/tokens', body);
				const table2 = await api('GET', '/tokens');
				if (table2 && Array.isArray(table2.items))
					replaceTable('tokens-table', tokensTable(table2.items, (x) => '/tokens/' + x.id, 'tokens-table'));
				created.replaceChildren(el('p', { class: 'ok' }, 'Token ' + tok.name + ' (shown only now; send it as ',
					el('code', null, 'Authorization: Bearer …'), '):'), el('code', { class: 'wrap', id: 'token-secret' }, tok.token));
			}));
	}

	const routes = [
		[/^#\/security$/, viewSecurity],
		[new RegExp('^#/engagements/' + UUID + '(?:/(overview|findings|evidence|claims|levels|statement|history))?$'), viewEngagement],
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
		viewFailed = false;
		try {
			node = await fn(...args);
		} catch (e) {
			if (seq !== renderSeq || me === null)
				return;
			viewFailed = e instanceof Problem && (e.status === 0 || e.status >= 500);
			node = el('div', null, el('h2', null, 'This page could not be loaded'),
				el('p', { class: 'empty' }, viewFailed ? 'The server could not be reached; this page reloads itself once it is back.' :
					(e.title || 'Error') + (e.detail ? ': ' + e.detail : '')));
			showProblem(e);
		}
		if (seq === renderSeq && me !== null) {
			fixHeadings(node);
			const keep = document.activeElement;
			const same = lastHash === location.hash;
			$('view').replaceChildren(node);
			$('view').setAttribute('data-shown', location.hash);
			lastHash = location.hash;
			document.title = titleOf(node);
			for (const a of $('nav').querySelectorAll('a')) {
				const h = a.getAttribute('href');
				const cur = h === '#/' ? (location.hash === '' || location.hash === '#/' || location.hash.startsWith('#/engagements')) :
					location.hash === h || location.hash.startsWith(h + '/');
				if (cur)
					a.setAttribute('aria-current', 'page');
				else
					a.removeAttribute('aria-current');
			}
			/* a new page: focus its heading; the same page redrawn keeps its place */
			if (!same || !keep || !keep.isConnected || keep === document.body)
				focusHeading(node);
		}
		refreshUnread();
	}

	let lastHash = null;

	function titleOf(node) {
		const h = node.querySelector && node.querySelector('h2');
		return (h ? h.textContent + ' · ' : '') + 'lockstep';
	}

	function focusHeading(node) {
		const h = node.querySelector && node.querySelector('h2');
		if (!h)
			return;
		h.setAttribute('tabindex', '-1');
		h.focus({ preventScroll: false });
	}

	/* No heading level is skipped: a heading deeper than one below the
	 * previous one becomes that level (views use h2 … h4 under the h1). */
	function fixHeadings(root) {
		let prev = 1;
		for (const h of Array.from(root.querySelectorAll('h2, h3, h4, h5, h6'))) {
			const lv = Number(h.tagName[1]);
			if (lv > prev + 1) {
				const n = document.createElement('h' + (prev + 1));
				for (const a of Array.from(h.attributes))
					n.setAttribute(a.name, a.value);
				while (h.firstChild)
					n.appendChild(h.firstChild);
				h.replaceWith(n);
				prev = prev + 1;
			} else {
				prev = lv;
			}
		}
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
