// Headless-browser smoke test of lockstep's web client.
//
// Drives Debian's Chromium (never a downloaded browser) through
// playwright-core against a running lockstepd:
//   LOCKSTEP_TEST_URL             e.g. http://127.0.0.1:18080
//   LOCKSTEP_TEST_ADMIN_EMAIL     the coordinator admin
//   LOCKSTEP_TEST_ADMIN_PASSWORD
//   LOCKSTEP_TEST_CHROMIUM        optional, default /usr/bin/chromium
// Prints one line per check and "N passed, N failed, 0 skipped"; exits 1 on failure.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const base = (process.env.LOCKSTEP_TEST_URL || '').replace(/\/+$/, '');
const email = process.env.LOCKSTEP_TEST_ADMIN_EMAIL || '';
const password = process.env.LOCKSTEP_TEST_ADMIN_PASSWORD || '';
const executablePath = process.env.LOCKSTEP_TEST_CHROMIUM || '/usr/bin/chromium';

if (!base || !email || !password) {
	console.error('smoke.mjs: set LOCKSTEP_TEST_URL, LOCKSTEP_TEST_ADMIN_EMAIL and LOCKSTEP_TEST_ADMIN_PASSWORD');
	process.exit(2);
}

let passed = 0;
let failed = 0;

let currentPage = null;

async function check(name, fn) {
	try {
		await fn();
		passed++;
		console.log('PASS ' + name);
	} catch (e) {
		failed++;
		console.log('FAIL ' + name + ': ' + (e && e.message ? e.message.split('\n')[0] : e));
		if (currentPage) {
			const where = await currentPage.evaluate(() => location.href + ' problem: ' +
				document.getElementById('problem-title').textContent + ' ' +
				document.getElementById('problem-detail').textContent).catch(() => '?');
			console.log('     at ' + where);
		}
	}
}

function assert(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

// Console errors and CSP violations seen by the page. Error responses the
// test provokes on purpose (or that the client uses as answers, like the
// 401 of the first GET /me, or the 404 of a statement not yet written) are
// listed in `expected` as [path regexp, status]; their "Failed to load
// resource" lines are not counted.
const consoleErrors = [];
const expected = [
	[/^\/api\/v1\/me$/, 401],
	[/^\/api\/v1\/engagements\/[0-9a-f-]{36}\/statement$/, 404],
];

function expectHttpError(path, status) {
	expected.push([new RegExp('^' + path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '$'), status]);
}

function isExpected(msg) {
	const m = /Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
	if (!m)
		return false;
	let path = '';
	try {
		path = new URL(msg.location().url || '').pathname;
	} catch (e) {
		return false;
	}
	return expected.some(([re, st]) => re.test(path) && st === Number(m[1]));
}

const browser = await chromium.launch({
	executablePath,
	headless: true,
	args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

// A fresh browser context (own cookie jar) whose page reports console
// errors and CSP violations into consoleErrors.
async function openPage() {
	const context = await browser.newContext();
	const page = await context.newPage();
	page.setDefaultTimeout(10000);
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
		});
	});
	page.on('console', (msg) => {
		if (msg.type() === 'error' && !isExpected(msg))
			consoleErrors.push(msg.text() + ' [' + (msg.location().url || '') + ']');
	});
	page.on('pageerror', (err) => consoleErrors.push('page error: ' + err.message));
	return { context, page };
}

async function login(page, who, pw) {
	await page.goto(base + '/', { waitUntil: 'load' });
	// Still logged in (an earlier check failed half-way)? Log out first.
	await page.waitForFunction(() => !document.getElementById('login').hidden ||
		!document.getElementById('me').hidden);
	if (await page.locator('#me').isVisible())
		await logout(page);
	await page.fill('#login-email', who);
	await page.fill('#login-password', pw);
	await page.click('#login-form button[type=submit]');
	await page.locator('#me-email').waitFor({ state: 'visible' });
	const shown = await page.textContent('#me-email');
	assert(shown === who, 'me shows "' + shown + '", expected ' + who);
}

async function logout(page) {
	await page.click('#logout');
	await page.locator('#login-form').waitFor({ state: 'visible' });
}

// Submit a form and wait for the confirmation it leads to.
async function submit(page, form, noticeRe) {
	await page.click(form + ' button[type=submit]');
	await page.locator('#notice', { hasText: noticeRe }).waitFor({ state: 'visible' });
}

const stamp = Date.now().toString(36) + Math.random().toString(36).slice(2, 6);

try {
	const { page } = await openPage();
	currentPage = page;
	// Markup in the name: it must come back as text, never as an element.
	const orgName = 'Smoke <b>Org</b> ' + stamp;

	await check('index page loads with the strict CSP and the login form', async () => {
		const res = await page.goto(base + '/', { waitUntil: 'load' });
		assert(res && res.status() === 200, 'GET / answered ' + (res && res.status()));
		const csp = res.headers()['content-security-policy'] || '';
		assert(/script-src 'self'/.test(csp) && /default-src 'none'/.test(csp), 'CSP header missing or loose: ' + csp);
		await page.locator('#login-form').waitFor({ state: 'visible' });
		assert(await page.title() === 'lockstep', 'unexpected title');
	});

	await check('coordinator logs in and the "me" area shows the admin e-mail', async () => {
		await login(page, email, password);
		assert(await page.locator('#login').isHidden(), 'login form still visible');
		assert(/coordinator/.test(await page.textContent('#me-org')), 'org kind not shown');
	});

	await check('coordinator creates an org through the UI and sees it listed', async () => {
		await page.click('#nav a[href="#/orgs"]');
		await page.locator('#org-create').waitFor({ state: 'visible' });
		await page.fill('#org-name', orgName);
		await page.selectOption('#org-kind', 'company');
		await page.fill('#org-aliases', 'Smoke ' + stamp);
		await submit(page, '#org-create', /created/);
		await page.locator('#orgs-table td a', { hasText: orgName }).waitFor({ state: 'visible' });
		assert(await page.locator('#orgs-table b').count() === 0, 'org name was rendered as markup');
	});

	await check('a refused request shows the problem title and detail', async () => {
		expectHttpError('/api/v1/orgs', 409);
		await page.fill('#org-name', orgName);
		await page.click('#org-create button[type=submit]');
		await page.locator('#problem').waitFor({ state: 'visible' });
		const title = (await page.textContent('#problem-title')) || '';
		assert(title.length > 0, 'problem title empty');
	});

	await check('the org page lists its users (none yet)', async () => {
		await page.locator('#orgs-table td a', { hasText: orgName }).click();
		await page.locator('#user-create').waitFor({ state: 'visible' });
		assert(await page.locator('#users-table tbody tr').count() === 0, 'new org has users');
	});

	await check('no element carries an inline style', async () => {
		const n = await page.evaluate(() => document.querySelectorAll('[style]').length);
		assert(n === 0, n + ' elements with style=""');
	});

	await check('coordinator logs out and the session is revoked', async () => {
		await logout(page);
		assert(await page.locator('#me').isHidden(), 'me area still visible');
		const status = await page.evaluate(async () =>
			(await fetch('/api/v1/me', { credentials: 'same-origin' })).status);
		assert(status === 401, 'GET /api/v1/me after logout answered ' + status);
	});

	// ---- a whole engagement, through the UI of each role ----
	const company = 'Smoke Company ' + stamp;
	const assessor = 'Smoke Assessor ' + stamp;
	const companyUser = 'company-' + stamp + '@smoke.test';
	const assessorUser = 'assessor-' + stamp + '@smoke.test';
	const userPassword = 'smoke-password-' + stamp;
	const findingTitle = 'Backup bucket readable <i>by</i> staff ' + stamp;

	await check('coordinator sets up two orgs with an admin each', async () => {
		await login(page, email, password);
		for (const [name, kind, user] of [[company, 'company', companyUser], [assessor, 'assessor', assessorUser]]) {
			await page.goto(base + '/#/orgs');
			await page.locator('#org-create').waitFor({ state: 'visible' });
			await page.fill('#org-name', name);
			await page.selectOption('#org-kind', kind);
			await submit(page, '#org-create', /created/);
			await page.locator('#orgs-table td a', { hasText: name }).click();
			await page.locator('#user-create').waitFor({ state: 'visible' });
			await page.fill('#user-create input[name=email]', user);
			await page.fill('#user-create input[name=name]', 'Smoke ' + kind);
			await page.selectOption('#user-create select[name=role]', 'admin');
			await page.fill('#user-create input[name=password]', userPassword);
			await submit(page, '#user-create', /added/);
			await page.locator('#users-table td', { hasText: user }).waitFor({ state: 'visible' });
		}
	});

	let campaignUrl = '';
	await check('coordinator creates a campaign and an engagement', async () => {
		await page.click('#nav a[href="#/campaigns"]');
		await page.locator('#campaign-create').waitFor({ state: 'visible' });
		await page.fill('#campaign-create input[name=title]', 'Smoke campaign ' + stamp);
		await page.fill('#campaign-create input[name=slug]', 'smoke-' + stamp);
		// released in two days: the company review (72 h before) is open at once
		const rel = new Date(Date.now() + 2 * 86400e3);
		const two = (n) => String(n).padStart(2, '0');
		await page.fill('#campaign-create input[name=release_at]', rel.getFullYear() + '-' + two(rel.getMonth() + 1) + '-' +
			two(rel.getDate()) + 'T' + two(rel.getHours()) + ':' + two(rel.getMinutes()));
		await page.selectOption('#campaign-create select[name=disclosure]', 'pseudonymous');
		await submit(page, '#campaign-create', /created/);
		campaignUrl = page.url();
		await page.locator('#engagement-create').waitFor({ state: 'visible' });
		await page.selectOption('#engagement-create select[name=company_org]', { label: company });
		await page.selectOption('#engagement-create select[name=assessor_org]', { label: assessor });
		await page.fill('#engagement-create textarea[name=scope]', 'Scope: production clusters ' + stamp);
		await page.fill('#engagement-create input[name=lead_assessors]', 'Ada Smoke, Bo Smoke');
		await submit(page, '#engagement-create', /created/);
		await page.locator('#progress-table td', { hasText: company }).waitFor({ state: 'visible' });
		await logout(page);
	});

	await check('assessor sees the scope, files a finding, edits it and sets a claim', async () => {
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table td', { hasText: company }).waitFor({ state: 'visible' });
		await page.locator('#engagements-table a').first().click();
		await page.locator('pre', { hasText: 'Scope: production clusters ' + stamp }).waitFor({ state: 'visible' });
		// a new engagement is planned: no finding form until fieldwork starts
		assert(await page.textContent('#engagement-stage') === 'planned', 'a new engagement is not planned');
		assert(await page.locator('#finding-create').count() === 0, 'a planned engagement offers the finding form');
		await page.click('#stage-section button[data-stage=fieldwork]');
		await page.locator('#engagement-stage', { hasText: /^fieldwork$/ }).waitFor({ state: 'visible' });
		assert(await page.locator('#stages-list li').count() === 2, 'stages list does not show planned and fieldwork');
		await page.click('#tab-findings');
		await page.locator('#finding-create').waitFor({ state: 'visible' });
		assert(/\/findings$/.test(page.url()), 'the address does not name the findings tab: ' + page.url());
		await page.fill('#finding-create input[name=title]', findingTitle);
		await page.selectOption('#finding-create select[name=severity]', 'high');
		await page.fill('#finding-create textarea[name=detail]', 'Any engineer can list the weights bucket.');
		await page.fill('#finding-create input[name=cwe]', 'CWE-284');
		await submit(page, '#finding-create', /created/);
		assert(await page.textContent('#finding-title') === findingTitle, 'finding title not shown as text');
		await page.selectOption('#finding-edit select[name=severity]', 'critical');
		await submit(page, '#finding-edit', /saved/);
		assert(await page.locator('#history-table tbody tr').count() === 2, 'history does not have 2 versions');
		await page.click('#back-engagement');
		await page.locator('#findings-table a', { hasText: findingTitle }).waitFor({ state: 'visible' });
		await page.click('#tab-claims');
		const claim = page.locator('form.claim').first();
		await claim.waitFor({ state: 'visible' });
		assert(await page.locator('#claims-table').count() === 0, 'the assessor sees the claims twice (table and forms)');
		await claim.locator('select[name=level]').selectOption('OC3');
		await claim.locator('textarea[name=summary]').fill('Held against OC3 attackers.');
		await claim.locator('button[type=submit]').click();
		await page.locator('form.claim .claim-level', { hasText: /^OC3$/ }).first().waitFor({ state: 'visible' });
		await logout(page);
	});

	await check('security levels: emulation, a rated finding contradicting the claim, a commitment and its verdict', async () => {
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-levels');
		await page.locator('#emulation-form').waitFor({ state: 'visible' });
		await page.selectOption('#emulation-form select[name=capability]', 'OC3');
		await page.check('#emulation-form input[name=access][value=external]');
		await page.check('#emulation-form input[name=access][value=ai-insider]');
		await page.fill('#emulation-form input[name=person_days]', '30');
		await page.fill('#emulation-form textarea[name=rules_of_engagement]', 'No social engineering of staff.');
		await submit(page, '#emulation-form', /Emulation saved/);
		assert(await page.textContent('#emulation-capability') === 'OC3', 'capability not shown');
		await page.locator('#emulation-rules', { hasText: 'No social engineering' }).waitFor({ state: 'visible' });
		// a finding exploitable from OC2 contradicts the claim OC3
		await page.click('#tab-findings');
		await page.fill('#finding-create input[name=title]', 'Rated ' + stamp);
		await page.fill('#finding-create textarea[name=detail]', 'Exploitable by a professional.');
		await page.selectOption('#finding-create select[name=oc_required]', 'OC2');
		await submit(page, '#finding-create', /created/);
		assert(await page.textContent('#finding-oc') === 'OC2', 'oc_required not shown on the finding');
		await page.click('#back-engagement');
		await page.click('#tab-claims');
		await page.locator('#contradictions', { hasText: 'robust up to OC3' }).waitFor({ state: 'visible' });
		await logout(page);
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-levels');
		await page.locator('#commitment-form').waitFor({ state: 'visible' });
		assert(await page.locator('#emulation-form').count() === 0, 'the company may edit the emulation');
		await page.selectOption('#commitment-form select[name=framework]', 'RAND-SL');
		await page.fill('#commitment-form input[name=version]', 'RR-A2849-1 (2024)');
		await page.fill('#commitment-form input[name=level]', 'SL3');
		await page.fill('#commitment-form textarea[name=text]', 'Weights are protected at SL3.');
		await submit(page, '#commitment-form', /Commitment declared/);
		await page.locator('#commitments-table td', { hasText: 'Weights are protected at SL3.' }).waitFor({ state: 'visible' });
		await logout(page);
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-levels');
		const verdict = page.locator('form.verdict-form').first();
		await verdict.waitFor({ state: 'visible' });
		await verdict.locator('select[name=verdict]').selectOption('refuted');
		await verdict.locator('textarea[name=summary]').fill('An OC2 path is open.');
		await verdict.locator('button[type=submit]').click();
		await page.locator('#commitments-table td', { hasText: /^refuted$/ }).waitFor({ state: 'visible' });
		await logout(page);
	});

	// A small binary file (every byte value, plus random ones) uploaded
	// through the UI must come back byte for byte.
	const evidenceName = 'capture ' + stamp + '.bin';
	const evidenceBytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(3000)]);
	const evidenceSha = createHash('sha256').update(evidenceBytes).digest('hex');
	let evidenceHref = '';

	await check('assessor uploads evidence through the UI and gets a signed receipt', async () => {
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-evidence');
		await page.locator('#evidence-upload').waitFor({ state: 'visible' });
		assert(await page.locator('#evidence-table').count() === 0, 'a new engagement lists evidence');
		await page.setInputFiles('#evidence-upload input[type=file]',
			{ name: evidenceName, mimeType: 'application/octet-stream', buffer: evidenceBytes });
		await submit(page, '#evidence-upload', /Uploaded/);
		await page.locator('#evidence-receipt').waitFor({ state: 'visible' });
		const sha = await page.textContent('#receipt-sha256');
		assert(sha === evidenceSha, 'receipt sha256 ' + sha + ', expected ' + evidenceSha);
		const sig = (await page.textContent('#receipt-signature')) || '';
		assert(/^[A-Za-z0-9+/]{86}==$/.test(sig), 'receipt signature is not 64 bytes of base64: ' + sig);
	});

	await check('the evidence is listed with its size and hash, and downloads as the same bytes', async () => {
		const row = page.locator('#evidence-table tbody tr', { hasText: evidenceName });
		await row.waitFor({ state: 'visible' });
		const cells = await row.locator('td').allTextContents();
		assert(cells[2] === evidenceSha.slice(0, 12) + '…', 'hash cell: ' + cells[2]);
		assert(await row.locator('td span[title]').first().getAttribute('title') === evidenceBytes.length + ' bytes',
			'size cell: ' + cells[1]);
		assert(cells[4] === 'you', 'uploader cell: ' + cells[4]);
		const styled = await page.evaluate(() => document.querySelectorAll('[style]').length);
		assert(styled === 0, styled + ' elements with style="" on the engagement page');
		evidenceHref = (await row.locator('a.download').getAttribute('href')) || '';
		assert(/^\/api\/v1\/evidence\/[0-9a-f-]{36}$/.test(evidenceHref), 'download href: ' + evidenceHref);
		assert(evidenceHref.endsWith(await page.textContent('#receipt-id')), 'receipt id and download link differ');
		const got = await page.evaluate(async (href) => {
			const res = await fetch(href, { credentials: 'same-origin' });
			const buf = new Uint8Array(await res.arrayBuffer());
			return { status: res.status, disposition: res.headers.get('content-disposition') || '',
				type: res.headers.get('content-type') || '', bytes: Array.from(buf) };
		}, evidenceHref);
		assert(got.status === 200, 'download answered ' + got.status);
		assert(/^attachment;/.test(got.disposition), 'Content-Disposition: ' + got.disposition);
		assert(got.type === 'application/octet-stream', 'Content-Type: ' + got.type);
		assert(Buffer.from(got.bytes).equals(evidenceBytes), 'downloaded ' + got.bytes.length +
			' bytes that differ from the ' + evidenceBytes.length + ' uploaded');
	});

	await check('a receipt is shown on demand, and the uploader deletes a second file', async () => {
		// Markup without "/" (which names may not hold) must stay text.
		const other = 'notes <img src=x> ' + stamp + '.txt';
		await page.setInputFiles('#evidence-upload input[type=file]',
			{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('delete me\n') });
		await page.fill('#evidence-upload input[name=name]', other);
		await submit(page, '#evidence-upload', /Uploaded/);
		const row = page.locator('#evidence-table tbody tr', { hasText: other });
		await row.waitFor({ state: 'visible' });
		assert(await page.locator('#evidence img').count() === 0, 'evidence name was rendered as markup');
		assert(await page.locator('#evidence-table tbody tr').count() === 2, 'not two files listed');
		await page.locator('#evidence-table tbody tr', { hasText: evidenceName }).locator('button', { hasText: 'Receipt' }).click();
		await page.locator('#receipt-sha256', { hasText: evidenceSha }).waitFor({ state: 'visible' });
		await row.locator('button', { hasText: 'Delete' }).click();
		await page.click('#confirm-ok');
		await page.locator('#notice', { hasText: /deleted/ }).waitFor({ state: 'visible' });
		assert(await page.locator('#evidence-table tbody tr').count() === 1, 'the deleted file is still listed');
		await logout(page);
	});

	await check('company answers the finding and writes its statement', async () => {
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-findings');
		await page.locator('#findings-table a', { hasText: findingTitle }).click();
		await page.locator('#finding-answer').waitFor({ state: 'visible' });
		assert(await page.locator('#finding-edit').count() === 0, 'company sees the assessor edit form');
		await page.selectOption('#finding-answer select[name=status]', 'remediating');
		await page.fill('#finding-answer textarea[name=response]', 'Bucket policy tightened; rotating keys.');
		await submit(page, '#finding-answer', /saved/);
		await page.locator('dd', { hasText: 'remediating' }).waitFor({ state: 'visible' });
		await page.click('#back-engagement');
		await page.click('#tab-statement');
		/* the name pre-check warns while the statement is typed (pseudonymous) */
		const text = page.locator('#statement-form textarea[name=text]');
		await text.fill('As ' + company.toUpperCase() + '\u2019s team we welcome it.');
		await page.locator('#statement-form p.name-check', { hasText: 'holds a pseudonymous release' }).waitFor({ state: 'visible' });
		await text.fill('We welcome the assessment.');
		await page.locator('#statement-form p.name-check').waitFor({ state: 'hidden' });
		await submit(page, '#statement-form', /saved/);
		await page.locator('#statement-text', { hasText: 'We welcome the assessment.' }).waitFor({ state: 'visible' });
		await logout(page);
	});

	await check('company reviews the frozen draft (as the public page shows it) and signs it off', async () => {
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.locator('#review-section').waitFor({ state: 'visible' });
		// the scheduler freezes the latest row within about a second: reload until the draft has the statement
		for (let i = 0; i < 30; i++) {
			if (await page.locator('#review-draft-row', { hasText: 'We welcome the assessment.' }).count() > 0)
				break;
			await page.waitForTimeout(500);
			await page.reload();
			await page.locator('#review-section').waitFor({ state: 'visible' });
		}
		const row = page.locator('#review-draft-row');
		await row.waitFor({ state: 'visible' });
		assert((await row.textContent()).includes('Held against OC3 attackers.'), 'the draft lacks the claim');
		assert(!(await row.textContent()).includes(findingTitle), 'the draft shows a finding title');
		assert(/^[0-9a-f]{64}$/.test(await page.textContent('#review-draft-hash')), 'no draft hash');
		await page.click('#review-sign-off');
		await page.locator('#notice', { hasText: /Signed off/ }).waitFor({ state: 'visible' });
		assert((await page.textContent('#review-state')).startsWith('signed-off'), 'review state after sign-off');
		await logout(page);
	});

	await check('assessor sees that the company signed the draft off', async () => {
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.locator('#review-state', { hasText: /^signed-off/ }).waitFor({ state: 'visible' });
		assert(await page.locator('#review-sign-off').count() === 0, 'the assessor may sign off');
		await logout(page);
	});

	await check('company comments and asks for risk acceptance; the assessor is told in the header and accepts', async () => {
		const comment = 'Compensating control: <b>network</b> isolation ' + stamp;
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-findings');
		await page.locator('#findings-table a', { hasText: findingTitle }).click();
		await page.locator('#comment-form').waitFor({ state: 'visible' });
		await page.fill('#comment-form textarea[name=body]', comment);
		await submit(page, '#comment-form', /Comment added/);
		await page.locator('#conversation-list li.comment', { hasText: comment }).waitFor({ state: 'visible' });
		assert(await page.locator('#conversation-list b').count() === 0, 'the comment was rendered as markup');
		assert(await page.locator('#risk-decision').count() === 0, 'the company sees the decision form');
		await page.fill('#risk-form textarea[name=justification]', 'Isolated network segment until the migration.');
		await page.fill('#risk-form input[name=expires_at]', '2099-01-01T12:00');
		await submit(page, '#risk-form', /Risk acceptance asked/);
		await page.locator('#conversation-list li.risk', { hasText: 'pending' }).waitFor({ state: 'visible' });
		const asked = await page.textContent('#conversation-list li.risk');
		assert(asked.includes('by Smoke company (' + company + ')'), 'the request does not name who asked: ' + asked);
		await logout(page);

		await login(page, assessorUser, userPassword);
		const badge = page.locator('#inbox-count');
		await badge.waitFor({ state: 'visible' });
		assert(Number(await badge.textContent()) >= 2, 'unread count: ' + await badge.textContent());
		await page.click('#inbox-link');
		await page.locator('#inbox-table a', { hasText: 'New comment' }).first().click();
		await page.locator('#finding-title', { hasText: findingTitle }).waitFor({ state: 'visible' });
		await page.locator('#conversation-list li.comment', { hasText: comment }).waitFor({ state: 'visible' });
		await page.selectOption('#risk-decision select[name=decision]', 'accept');
		await submit(page, '#risk-decision', /Decision recorded/);
		await page.locator('dd', { hasText: 'accepted' }).first().waitFor({ state: 'visible' });
		await page.locator('#conversation-list li.risk', { hasText: 'by Smoke assessor (' + assessor + ')' })
			.waitFor({ state: 'visible' });
		await page.click('#inbox-link');
		await page.click('#inbox-read-all');
		await page.locator('#inbox-count').waitFor({ state: 'hidden' });
		await logout(page);
	});

	await check('company sees the assessor\'s evidence, may download it but not delete it', async () => {
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-evidence');
		const row = page.locator('#evidence-table tbody tr', { hasText: evidenceName });
		await row.waitFor({ state: 'visible' });
		assert(await row.locator('a.download').getAttribute('href') === evidenceHref, 'another download link');
		assert(await row.locator('button', { hasText: 'Delete' }).count() === 0, 'company may delete the assessor\'s file');
		const status = await page.evaluate(async (href) =>
			(await fetch(href, { method: 'HEAD', credentials: 'same-origin' })).status, evidenceHref);
		assert(status === 200, 'HEAD of the download answered ' + status);
		await logout(page);
	});

	await check('coordinator sees progress counts but no finding content', async () => {
		await login(page, email, password);
		await page.goto(campaignUrl);
		const row = page.locator('#progress-table tbody tr', { hasText: company });
		await row.waitFor({ state: 'visible' });
		const cells = await row.locator('td').allTextContents();
		// two findings: the assessor's and the rated one of the security-levels check
		assert(cells[3] === '2' && cells[5] === '1' && cells[6] === 'yes', 'progress row: ' + cells.join(' | '));
		// signed off; the risk acceptance that followed changed the row's finding
		// counts, which reopens the review (the company sees what changed)
		assert(cells[2] === 'fieldwork' && (cells[7] === 'signed-off' || /reopened/.test(cells[7])),
			'stage and review: ' + cells.join(' | '));
		const grid = await page.textContent('#dashboard-table');
		assert(grid.includes('claim') && grid.includes('fieldwork') && !grid.includes(findingTitle) &&
			!grid.includes('Held against OC3'), 'dashboard: ' + grid);
		const release = await page.textContent('#release-status');
		assert(release.includes('scheduled'), 'release status: ' + release);
		/* one company in a pseudonymous campaign: its label names it */
		assert((await page.textContent('#campaign-warnings')).includes('Only one company'), 'no anonymity warning');
		assert((await page.locator('#release-history tbody tr').count()) === 1, 'release-date history');
		await row.locator('a').click();
		await page.locator('h2', { hasText: 'Engagement' }).waitFor({ state: 'visible' });
		assert(await page.locator('#findings-table').count() === 0, 'coordinator sees findings');
		assert(!(await page.textContent('#view')).includes(findingTitle), 'coordinator sees a finding title');
		await logout(page);
	});

	await check('assessor imports findings from CSV (errors per row, then all), both sides export CSV', async () => {
		await login(page, assessorUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-findings');
		await page.locator('#finding-import').waitFor({ state: 'visible' });
		await page.selectOption('#finding-import select[name=threat_model]', 'WEIGHTS-EXFIL');
		expectHttpError(new URL(page.url()).hash.replace('#', '/api/v1').replace(/\/findings$/, '') + '/findings:import', 422);
		const bad = 'title,detail,severity\r\nImported ' + stamp + ' one,first,low\r\nImported ' + stamp + ' two,second,severe\r\n';
		await page.setInputFiles('#finding-import input[type=file]',
			{ name: 'scan.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
		await page.click('#finding-import button[type=submit]');
		await page.locator('#import-errors li', { hasText: 'row 3' }).waitFor({ state: 'visible' });
		assert((await page.textContent('#import-errors')).includes('severity'), 'the error does not name the field');
		assert(await page.locator('#findings-table a', { hasText: 'Imported ' + stamp }).count() === 0, 'a refused import left findings');
		const good = '\ufefftitle,detail,severity,cwe\r\n"Imported ' + stamp + ', one","first\nline",low,CWE-79\r\n' +
			'=Imported ' + stamp + ' two,second,medium,\r\n';
		await page.setInputFiles('#finding-import input[type=file]',
			{ name: 'scan.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
		await submit(page, '#finding-import', /Imported: 2 new findings, 0 already present/);
		await page.locator('#findings-table a', { hasText: 'Imported ' + stamp + ', one' }).waitFor({ state: 'visible' });
		await page.selectOption('#finding-import select[name=threat_model]', 'WEIGHTS-EXFIL');
		await page.setInputFiles('#finding-import input[type=file]',
			{ name: 'scan.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
		await submit(page, '#finding-import', /Imported: 0 new findings, 2 already present/);
		const href = (await page.getAttribute('#findings-export', 'href')) || '';
		assert(/^\/api\/v1\/engagements\/[0-9a-f-]{36}\/findings\.csv$/.test(href), 'export href: ' + href);
		const csvOf = () => page.evaluate(async (h) => {
			const res = await fetch(h, { credentials: 'same-origin' });
			return { status: res.status, type: res.headers.get('content-type') || '', text: await res.text() };
		}, href);
		let got = await csvOf();
		assert(got.status === 200 && got.type.startsWith('text/csv'), 'export: ' + got.status + ' ' + got.type);
		assert(got.text.includes('"Imported ' + stamp + ', one"'), 'export lacks the imported finding');
		assert(got.text.includes('"\'=Imported ' + stamp + ' two"'), 'a formula cell was not neutralised');
		const oscalHref = (await page.getAttribute('#oscal-export', 'href')) || '';
		const oscal = await page.evaluate(async (h) => {
			const res = await fetch(h, { credentials: 'same-origin' });
			return { status: res.status, doc: await res.json() };
		}, oscalHref);
		assert(oscal.status === 200 && oscal.doc['assessment-results'] &&
			oscal.doc['assessment-results'].results[0].observations.length >= 3, 'OSCAL export: ' + oscal.status);
		const reportHref = (await page.getAttribute('#report-link', 'href')) || '';
		const report = await page.evaluate(async (h) => {
			const res = await fetch(h, { credentials: 'same-origin' });
			return { status: res.status, csp: res.headers.get('content-security-policy') || '', text: await res.text() };
		}, reportHref);
		assert(report.status === 200 && report.text.includes('Imported ' + stamp + ', one') &&
			!report.csp.includes('script-src'), 'report: ' + report.status + ' ' + report.csp);
		await logout(page);
		await login(page, companyUser, userPassword);
		await page.locator('#engagements-table a').first().click();
		await page.click('#tab-findings');
		await page.locator('#findings-export').waitFor({ state: 'visible' });
		assert(await page.locator('#finding-import').count() === 0, 'the company sees the import form');
		got = await csvOf();
		assert(got.status === 200 && got.text.includes(findingTitle), 'company export: ' + got.status);
		await logout(page);
	});

	await check('a campaign that requires a second factor limits its users to setting one up', async () => {
		await login(page, email, password);
		await page.goto(campaignUrl);
		await page.locator('#campaign-second-factor').waitFor({ state: 'visible' });
		await page.check('#campaign-2fa');
		await submit(page, '#campaign-second-factor', /now required/);
		await logout(page);
		await page.fill('#login-email', assessorUser);
		await page.fill('#login-password', userPassword);
		await page.click('#login-form button[type=submit]');
		await page.locator('#factor-required').waitFor({ state: 'visible' });
		assert(await page.locator('#nav a').count() === 1, 'a limited session shows more than the security page');
		assert(await page.locator('#totp-start').isVisible(), 'no way to set up the factor');
		await logout(page);
		await login(page, email, password);
		await page.goto(campaignUrl);
		await page.locator('#campaign-second-factor').waitFor({ state: 'visible' });
		await page.uncheck('#campaign-2fa');
		await submit(page, '#campaign-second-factor', /no longer required/);
		await logout(page);
	});

	/* RFC 6238 code of a base32 secret, now + offset seconds. */
	const totp = (secret, offset) => {
		const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
		let bits = '';
		for (const c of secret)
			bits += alpha.indexOf(c).toString(2).padStart(5, '0');
		const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
		const msg = Buffer.alloc(8);
		msg.writeBigUInt64BE(BigInt(Math.floor((Date.now() / 1000 + (offset || 0)) / 30)));
		const h = createHmac('sha1', key).update(msg).digest();
		const o = h[h.length - 1] & 15;
		return String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
	};

	let recovery = [];
	await check('company admin turns on a second factor on the security page (QR code shown)', async () => {
		await login(page, companyUser, userPassword);
		await page.click('#nav a[href="#/security"]');
		await page.locator('#totp-start').click();
		await page.locator('#totp-confirm').waitFor({ state: 'visible' });
		const loaded = await page.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0);
		assert(loaded, 'the QR code image did not render');
		const secret = (await page.textContent('#totp-secret')).trim();
		assert(/^[A-Z2-7]{32}$/.test(secret), 'secret: ' + secret);
		await page.fill('#totp-code', totp(secret));
		await page.click('#totp-confirm button[type=submit]');
		await page.locator('#recovery-codes').waitFor({ state: 'visible' });
		recovery = (await page.locator('#recovery-codes li').allTextContents()).map((c) => c.trim());
		assert(recovery.length === 10 && /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/.test(recovery[0]), 'codes: ' + recovery.join(' '));
		await logout(page);
	});

	await check('log-in asks for the second factor; a wrong code is refused, a recovery code works', async () => {
		await page.goto(base + '/', { waitUntil: 'load' });
		await page.fill('#login-email', companyUser);
		await page.fill('#login-password', userPassword);
		await page.click('#login-form button[type=submit]');
		await page.locator('#login-factor-form').waitFor({ state: 'visible' });
		assert(await page.locator('#me').isHidden(), 'logged in after the password alone');
		expectHttpError('/api/v1/session/second-factor', 401);
		await page.fill('#login-code', 'ZZZZ-ZZZZ-ZZZZ-ZZZZ');
		await page.click('#login-factor-form button[type=submit]');
		await page.locator('#problem', { hasText: 'second-factor' }).waitFor({ state: 'visible' });
		await page.fill('#login-code', recovery[0]);
		await page.click('#login-factor-form button[type=submit]');
		await page.locator('#me-email').waitFor({ state: 'visible' });
		assert((await page.textContent('#me-email')) === companyUser, 'wrong user');
	});

	await check('the security page lists this session, makes a scoped token, and turns the factor off', async () => {
		await page.click('#nav a[href="#/security"]');
		const row = page.locator('#tokens-table tbody tr', { hasText: '(this one)' });
		await row.waitFor({ state: 'visible' });
		await page.fill('#token-create input[name=name]', 'smoke ' + stamp);
		await page.check('#token-create input[value="findings:write"]');
		await page.click('#token-create button[type=submit]');
		await page.locator('#token-secret').waitFor({ state: 'visible' });
		assert(/^[A-Za-z0-9_-]{43}$/.test((await page.textContent('#token-secret')).trim()), 'token not shown');
		const tokRow = page.locator('#tokens-table tbody tr', { hasText: 'smoke ' + stamp });
		await tokRow.waitFor({ state: 'visible' });
		assert((await tokRow.textContent()).includes('read, findings:write'), 'scopes not listed');
		await page.fill('#totp-disable input[name=code]', recovery[1]);
		await submit(page, '#totp-disable', /off/);
		await page.locator('#totp-start').waitFor({ state: 'visible' });
		await logout(page);
	});

	// ---- accounts: invitation, own password, disabling, reset (issue 9) ----
	const member = 'member-' + stamp + '@smoke.test';
	const memberPassword = 'member chose this ' + stamp;
	const memberPassword2 = 'member changed it ' + stamp;
	let inviteLink = '';

	await check('company admin invites a member and gets a link to pass on', async () => {
		await login(page, companyUser, userPassword);
		await page.click('#nav a[href^="#/orgs/"]');
		await page.locator('#invite-create').waitFor({ state: 'visible' });
		assert(await page.locator('#user-create').count() === 0, 'an org admin sees the set-a-password form');
		await page.fill('#invite-create input[name=email]', member.toUpperCase());
		await page.fill('#invite-create input[name=name]', 'Smoke Member');
		await submit(page, '#invite-create', /Invitation/);
		inviteLink = await page.inputValue('#link-value');
		assert(/\/#link=[A-Za-z0-9_-]{43}$/.test(inviteLink), 'link: ' + inviteLink);
		await page.locator('#invitations-table td', { hasText: 'pending' }).waitFor({ state: 'visible' });
		await logout(page);
	});

	await check('the invitee opens the link, chooses a password and logs in', async () => {
		const { page: p2, context } = await openPage();
		await p2.goto(inviteLink, { waitUntil: 'load' });
		await p2.locator('#accept-form').waitFor({ state: 'visible' });
		assert(!(p2.url()).includes('link='), 'the token stays in the address bar');
		await p2.fill('#accept-password', 'short');
		await p2.fill('#accept-repeat', 'short');
		await p2.click('#accept-form button[type=submit]');
		assert(await p2.locator('#accept-form').isVisible(), 'a short password was taken');
		await p2.fill('#accept-password', memberPassword);
		await p2.fill('#accept-repeat', memberPassword);
		await p2.click('#accept-form button[type=submit]');
		await p2.locator('#notice', { hasText: /Password set/ }).waitFor({ state: 'visible' });
		await login(p2, member, memberPassword);
		await context.close();
	});

	await check('the member changes the password under My account', async () => {
		await login(page, member, memberPassword);
		await page.click('#nav a[href="#/account"]');
		await page.locator('#password-change').waitFor({ state: 'visible' });
		expectHttpError('/api/v1/me/password', 422);
		await page.fill('#password-change input[name=current]', 'not the password at all');
		await page.fill('#password-change input[name=fresh]', memberPassword2);
		await page.fill('#password-change input[name=repeat]', memberPassword2);
		await page.click('#password-change button[type=submit]');
		await page.locator('#problem-detail', { hasText: /current password/ }).waitFor({ state: 'visible' });
		await page.fill('#password-change input[name=current]', memberPassword);
		await page.fill('#password-change input[name=fresh]', memberPassword2);
		await page.fill('#password-change input[name=repeat]', memberPassword2);
		await submit(page, '#password-change', /Password changed/);
		await logout(page);
		await login(page, member, memberPassword2);
		await logout(page);
	});

	await check('company admin disables the member (log-in refused), enables them, makes a reset link', async () => {
		await login(page, companyUser, userPassword);
		await page.click('#nav a[href^="#/orgs/"]');
		await page.click('#users-table button[data-user="' + member + '"][data-action="disable"]');
		await page.click('#confirm-ok');
		await page.locator('#notice', { hasText: /disabled/ }).waitFor({ state: 'visible' });
		await page.locator('#users-table td', { hasText: /^disabled$/ }).waitFor({ state: 'visible' });
		await logout(page);
		expectHttpError('/api/v1/session', 401);
		await page.fill('#login-email', member);
		await page.fill('#login-password', memberPassword2);
		await page.click('#login-form button[type=submit]');
		await page.locator('#problem', { hasText: /./ }).waitFor({ state: 'visible' });
		assert(await page.locator('#login-form').isVisible(), 'a disabled member logged in');
		await login(page, companyUser, userPassword);
		await page.click('#nav a[href^="#/orgs/"]');
		await page.click('#users-table button[data-user="' + member + '"][data-action="enable"]');
		await page.locator('#notice', { hasText: /enabled/ }).waitFor({ state: 'visible' });
		await page.click('#users-table button[data-user="' + member + '"][data-action="reset"]');
		await page.locator('#notice', { hasText: /Reset link/ }).waitFor({ state: 'visible' });
		assert(/\/#link=[A-Za-z0-9_-]{43}$/.test(await page.inputValue('#link-value')), 'no reset link');
		await logout(page);
		await login(page, member, memberPassword2);
		await logout(page);
	});

	await check('no console errors or CSP violations', async () => {
		await page.waitForTimeout(200);
		assert(consoleErrors.length === 0, 'console errors: ' + consoleErrors.join(' | '));
	});
} catch (e) {
	failed++;
	console.log('FAIL harness: ' + (e && e.message ? e.message.split('\n')[0] : e));
} finally {
	await browser.close();
}

console.log(passed + ' passed, ' + failed + ' failed, 0 skipped');
process.exit(failed === 0 && passed > 0 ? 0 : 1);
