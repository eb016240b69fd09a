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
		const links = [link('#/', 'Engagements'), link('#/campaigns', 'Campaigns')];
		if (me.org.kind === 'coordinator')
			links.push(link('#/orgs', 'Organisations'));
		else if (me.user.role === 'admin')
			links.push(link('#/orgs/' + me.org.id, 'My organisation'));
		$('nav').replaceChildren(...links);
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

	onSubmit($('login-form'), async (fd) => {
		const body = { email: fd.get('email'), password: fd.get('password') };
		/* 503 "busy": too many log-ins are waiting (e.g. during an attack);
		 * the server asks to retry after a second. A few retries, then the
		 * problem is shown. (The browser's device cookie from an earlier
		 * log-in puts this account's log-ins first anyway.) */
		for (let attempt = 1; ; attempt++) {
			try {
				await api('POST', '/session', body);
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
		notice('Logged out.');
		if (location.hash)
			history.replaceState(null, '', location.pathname);
	});

	$('problem-close').addEventListener('click', clearProblem);

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
				['Lead assessors', fmtList(e.lead_assessors)], ['State', e.state], ['Created', e.created_at]]));
		if (typeof e.scope === 'string')
			out.append(el('h3', null, 'Scope'), el('pre', { class: 'text' }, e.scope));
		if (kind === 'coordinator')
			return out;

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
				table(['Title', 'Threat model', 'Severity', 'Status', 'Version', 'Updated'], findings.map((f) => [
					link('#/findings/' + f.id, f.title), f.threat_model,
					el('span', { class: 'sev sev-' + f.severity }, f.severity), f.status, String(f.version), f.updated_at]),
				{ id: 'findings-table' }));
		out.append(el('p', { class: 'export' },
			el('a', { href: API + '/engagements/' + id + '/findings.csv', download: 'findings-' + id + '.csv', id: 'findings-export' },
				'Download all findings as CSV'), ' · ',
			el('a', { href: API + '/engagements/' + id + '/oscal', download: 'assessment-results-' + id + '.json', id: 'oscal-export' },
				'OSCAL assessment results (JSON)'), ' · ',
			el('a', { href: API + '/engagements/' + id + '/report', target: '_blank', rel: 'noopener', id: 'report-link' },
				'Printable report')));
		if (kind === 'assessor') {
			out.append(findingCreateForm(id, tms));
			out.append(findingImportForm(id, tms));
		}

		out.append(evidenceSection(id, evidence, findings, orgUsers));

		const byTm = new Map((claims && claims.items || []).map((c) => [c.threat_model, c]));
		out.append(el('h3', null, 'Claims'),
			table(['Threat model', 'Robust up to', 'Public summary', 'Updated'], tms.map((tm) => {
				const c = byTm.get(tm);
				return [tm, c ? c.level : '—', c ? c.summary : '—', c ? c.updated_at : '—'];
			}), { id: 'claims-table' }));
		if (kind === 'assessor')
			out.append(el('div', { class: 'claims' }, tms.map((tm) => claimForm(id, tm, byTm.get(tm)))));

		out.append(el('h3', null, 'Company statement'),
			statement ? el('pre', { class: 'text' }, statement.text) : el('p', { class: 'empty' }, 'No statement yet.'));
		if (kind === 'company') {
			out.append(onSubmit(el('form', { class: 'card' },
				checkedText(id, 'Public statement', { name: 'text', rows: 5, maxlength: 5000, value: statement ? statement.text : '' }),
				el('button', { type: 'submit' }, 'Save statement')), async (fd) => {
				await api('PUT', '/engagements/' + id + '/statement', { text: fd.get('text') });
				await route();
				notice('Statement saved.');
			}));
		}
		return out;
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
				link('/.well-known/lockstep/signing-key', '/.well-known/lockstep/signing-key'), ' · ',
				el('a', { href: API + '/evidence/' + encodeURIComponent(r.id) + '/receipt',
					download: 'receipt-' + r.id + '.json' }, 'save the receipt as JSON')));
	}

	/* The receipt to show once the engagement view is drawn again. */
	let pendingReceipt = null;  /* {engagement, signed} */

	function evidenceSection(engagementId, items, findings, orgUsers) {
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
			slot, form);
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
			el('button', { type: 'submit' }, 'Create finding')), async (fd) => {
			const body = { threat_model: fd.get('threat_model'), title: fd.get('title'),
				detail: fd.get('detail'), severity: fd.get('severity') };
			if (words(fd.get('atlas')).length)
				body.atlas = words(fd.get('atlas'));
			if (words(fd.get('cwe')).length)
				body.cwe = words(fd.get('cwe'));
			if (String(fd.get('cvss')).trim() !== '')
				body.cvss = String(fd.get('cvss')).trim();
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
				'title, detail, severity and optionally threat_model, cwe, atlas, cvss, location. Nothing is imported if any row has an error; ' +
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

	function claimForm(engagementId, tm, c) {
		return onSubmit(el('form', { class: 'card claim' },
			el('h4', null, 'Claim · ' + tm),
			field('Robust up to', select('level', enumOf('capability_level'), c ? c.level : 'not-assessed')),
			checkedText(engagementId, 'Public summary', { name: 'summary', rows: 3, value: c ? c.summary : '' }),
			el('button', { type: 'submit' }, 'Save claim')), async (fd) => {
			await api('PUT', '/engagements/' + engagementId + '/claims/' + encodeURIComponent(tm),
				{ level: fd.get('level'), summary: fd.get('summary') });
			await route();
			notice('Claim for ' + tm + ' saved.');
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
				['CVSS', orDash(f.cvss)], ['Version', String(f.version)],
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

		const items = hist && Array.isArray(hist.items) ? hist.items : [];
		out.append(el('h3', null, 'History'),
			table(['Version', 'When', 'By', 'Status', 'Severity', 'Title', 'Response'], items.map((v) => [
				String(v.version), orDash(v.changed_at), orDash(v.changed_by), v.status, v.severity,
				orDash(v.title), orDash(v.response)]), { id: 'history-table' }));
		return out;
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

	async function viewOrg(id) {
		let org = me.org.id === id ? me.org : null;
		if (!org && me.org.kind === 'coordinator')
			org = (await listAll('/orgs')).find((o) => o.id === id) || null;
		const users = await listAll('/orgs/' + id + '/users');
		return el('div', null,
			el('h2', null, 'Organisation · ' + (org ? org.name : id)),
			org ? el('p', null, 'Kind: ' + org.kind) : null,
			el('h3', null, 'Users'),
			table(['E-mail', 'Name', 'Role', 'Created', ''], users.map((u) => [
				u.email, u.name, u.role, u.created_at,
				el('button', { type: 'button', class: 'small', onclick: async () => {
					clearProblem();
					try {
						await api('DELETE', '/users/' + u.id + '/sessions');
						notice('Sessions of ' + u.email + ' revoked.');
					} catch (e) {
						showProblem(e);
					}
				} }, 'Revoke sessions')]), { id: 'users-table' }),
			onSubmit(el('form', { class: 'card', id: 'user-create' },
				el('h4', null, 'Add user'),
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

	async function viewCampaign(id) {
		const c = await api('GET', '/campaigns/' + id);
		const out = el('div', null,
			el('h2', null, 'Campaign · ' + c.title),
			dl([['Slug', c.slug], ['State', c.state], ['Threat models', fmtList(c.threat_models)],
				['Release', c.release_at], ['Planned release', orDash(c.planned_release_at)],
				['Disclosure', c.disclosure], ['Minimum cohort', String(c.min_cohort)]]));
		if (me.org.kind !== 'coordinator' || !Array.isArray(c.engagements))
			return out;
		if (c.release) {
			/* scheduled | due | held | published; a held release says why */
			const r = c.release;
			const rows = [['Status', r.status]];
			if (r.publication)
				rows.push(['Publication', link('/p/' + encodeURIComponent(r.publication.slug), '/p/' + r.publication.slug)],
					['Sequence', String(r.publication.sequence)], ['Hash', r.publication.hash]);
			out.append(el('h3', null, 'Release'), el('div', { id: 'release-status' }, dl(rows)));
			if (r.hold)
				out.append(el('p', { class: 'error', id: 'release-hold' },
					'The release is held until the published text is fixed (checked ' + orDash(r.hold.checked_at) + '):'),
				el('pre', null, JSON.stringify(r.hold.reasons, null, 2)));
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
				table(['Company', 'Assessor', 'State', 'Findings', 'Open', 'Claims', 'Statement'], c.engagements.map((e) => {
					const p = e.progress || {};
					return [link('#/engagements/' + e.id, e.company_org.name), e.assessor_org.name, e.state,
						String(p.findings_total ?? 0), String(p.findings_open ?? 0), String(p.claims ?? 0),
						p.statement ? 'yes' : 'no'];
				}), { id: 'progress-table' }));

		if (!c.released) {
			out.append(onSubmit(el('form', { class: 'card', id: 'campaign-edit' },
				el('h4', null, 'Change campaign'),
				field('State', select('state', enumOf('campaign_state').filter((v) => v !== 'published'), c.state)),
				field('Move release to (your local time; blank keeps it)', el('input', { name: 'release_at', type: 'datetime-local' })),
				field('Reason (required when moving the release)', el('input', { name: 'reason', maxlength: 1000 })),
				el('button', { type: 'submit' }, 'Save')), async (fd) => {
				const body = {};
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
			}));
		}

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

	/* ---- routing on the URL fragment ---- */

	const routes = [
		[new RegExp('^#/engagements/' + UUID + '$'), viewEngagement],
		[new RegExp('^#/findings/' + UUID + '$'), viewFinding],
		[/^#\/orgs$/, viewOrgs],
		[new RegExp('^#/orgs/' + UUID + '$'), viewOrg],
		[/^#\/campaigns$/, viewCampaigns],
		[new RegExp('^#/campaigns/' + UUID + '$'), viewCampaign],
	];

	async function route() {
		if (me === null)
			return;
		const seq = ++renderSeq;
		let fn = viewEngagements;
		let args = [];
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

	/* Start: are we already logged in? (The cookie is invisible to us.) */
	loadMe().catch((e) => {
		setSession(null);
		if (e.status !== 401)
			showProblem(e);
	});
}());
