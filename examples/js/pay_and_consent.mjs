// Pay a persona, then read her bank statement with her consent: the India Stack Sandbox's
// payment and consent flows with fetch, in Node 18+ and no npm packages.
//
//   SANDBOX_URL=http://127.0.0.1:8000 SANDBOX_API_KEY=sk_sandbox_... node pay_and_consent.mjs
//
// Without SANDBOX_API_KEY the script signs up a new partner (a world of its own).

import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";

const BASE_URL = process.env.SANDBOX_URL ?? "http://127.0.0.1:8000";
const headers = { "Content-Type": "application/json" };

// A refusal, with the code to branch on and the hint that says how to fix the request.
class SandboxError extends Error {
  constructor(status, code, detail, hint) {
    super(`${status} ${code}: ${detail} (hint: ${hint})`);
    Object.assign(this, { status, code, detail, hint });
  }
}

// The JSON body, or a SandboxError. Three shapes of refusal: problem+json (a request that could
// not be processed), the AA spec's errorCode (under /aa), and, with status 200, a UPI decline
// (status FAILURE with an NPCI responseCode).
async function call(method, path, { body, extra = {} } = {}) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: { ...headers, ...extra },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  if (response.status >= 400 && json.errorCode) {
    throw new SandboxError(response.status, json.errorCode, json.errorMsg ?? "", "");
  }
  if (response.status >= 400) {
    let code = (json.type ?? "").split("/").pop();
    if (json.errors?.length) code = `${json.errors[0].field}: ${json.errors[0].rule}`;
    throw new SandboxError(response.status, code, json.detail ?? "", json.hint ?? "");
  }
  if (json.status === "FAILURE" && json.responseCode) {
    throw new SandboxError(200, json.responseCode, json.detail ?? "", json.hint ?? "");
  }
  return json;
}

const step = (title, text) => console.log(`[ok] ${title}: ${text}`);

async function apiKey() {
  if (process.env.SANDBOX_API_KEY) {
    step("API key", "from SANDBOX_API_KEY");
    return process.env.SANDBOX_API_KEY;
  }
  const created = await call("POST", "/v1/partners", {
    body: { name: "Example app (js)", contactEmail: "dev@example.com", country: "IN" },
  });
  step("Sign up", `partner ${created.partnerId}, key ${created.apiKey.slice(0, 16)}...`);
  return created.apiKey;
}

// -- payments (UPI-like) ----------------------------------------------------------------------

async function expectRefusal(title, promise) {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    step(title, `${error.status} ${error.code}; hint: ${error.hint}`);
    return;
  }
  throw new Error(`${title}: the request should have been refused`);
}

// ReqPay PAY: amounts are strings with the currency's minor digits; the Idempotency-Key makes a
// retry after a timeout safe (the same answer comes back, marked replayed).
const pay = (payer, payeeVpa, amount, more = {}) =>
  call("POST", "/v1/upi/pay", {
    extra: { "Idempotency-Key": `example-${randomUUID()}` },
    body: {
      payer: { vpa: payer.vpa, pin: payer.upiPin },
      payee: { vpa: payeeVpa },
      amount,
      ...more,
    },
  });

async function payFlow(people) {
  const { asha, ravi } = people;

  // ReqValAdd: is the payee's address real, and whose is it?
  const found = await call("POST", "/v1/upi/vpa/validate", { body: { vpa: ravi.vpa } });
  step("Validate VPA", `${ravi.vpa} is ${found.name}`);

  const paid = await pay(asha, ravi.vpa, "150.25", { note: "Lunch" });
  step("Pay", `${paid.status} ${paid.responseCode}, txnId ${paid.txnId}, RRN ${paid.rrn}`);

  // ReqChkTxn: the status of a payment you made
  const now = await call("GET", `/v1/upi/transactions/${paid.txnId}`);
  step("Check status", `${now.txnId} is ${now.status}`);

  // A decline answers 200 with an NPCI response code and a hint (a magic VPA: forces XI) ...
  await expectRefusal("Declined as expected", pay(asha, "noaccount@sandbox", "10.00"));
  // ... and a request that breaks a rule a 4xx problem+json naming the field and the rule.
  await expectRefusal("Refused as expected", pay(asha, ravi.vpa, "150")); // not "150.00"
  return paid.txnId;
}

// -- consent and FI data (ReBIT AA 2.0.0 under /aa) -------------------------------------------

// RFC 3339, UTC, milliseconds: how the AA spec writes time.
const stamp = (date) => date.toISOString();
const plusDays = (date, days) => new Date(date.getTime() + days * 86_400_000);

// Every /aa request carries ver, a timestamp (your world's time) and a fresh txnid.
const aaPost = (path, now, fields) =>
  call("POST", `/aa${path}`, {
    body: { ver: "2.0.0", timestamp: stamp(now), txnid: randomUUID(), ...fields },
  });

// The spec's KeyMaterial: an X25519 public key (PEM SubjectPublicKeyInfo), a 32-byte nonce and
// an expiry. Keep privateKey if you decrypt POST /aa/FI/fetch yourself.
function keyMaterial(now) {
  const { publicKey } = generateKeyPairSync("x25519");
  return {
    cryptoAlg: "ECDH",
    curve: "X25519",
    params: "cipher=AES/GCM/NoPadding;KeyPairGenerator=ECDH",
    DHPublicKey: {
      expiry: stamp(plusDays(now, 1)),
      Parameters: "",
      KeyValue: publicKey.export({ type: "spki", format: "pem" }),
    },
    Nonce: randomBytes(32).toString("base64"),
  };
}

// The Transaction entries of an FI document's JSON rendition, wherever they sit.
function transactionsOf(document) {
  if (Array.isArray(document)) return document.flatMap(transactionsOf);
  if (document === null || typeof document !== "object") return [];
  const found = document.Transaction;
  if (Array.isArray(found)) return found;
  if (found && typeof found === "object") return [found];
  return Object.values(document).flatMap(transactionsOf);
}

async function consentFlow(people, txnId) {
  const { asha } = people;
  const now = new Date((await call("GET", "/v1/sandbox/clock")).now);
  const dataRange = { from: stamp(plusDays(now, -365)), to: stamp(now) };

  // ConsentsRequest: purpose 102 (customer spending patterns), her deposit accounts' last year
  const detail = {
    consentStart: stamp(now),
    consentExpiry: stamp(plusDays(now, 180)),
    consentMode: "STORE",
    fetchType: "PERIODIC",
    consentTypes: ["PROFILE", "SUMMARY", "TRANSACTIONS"],
    fiTypes: ["DEPOSIT"],
    DataConsumer: { id: "example-fiu", type: "FIU" },
    Customer: { id: asha.aaHandle },
    Purpose: { code: "102", refUri: "https://api.rebit.org.in/aa/purpose/102.xml" },
    FIDataRange: dataRange,
    DataLife: { unit: "MONTH", value: 1 },
    Frequency: { unit: "MONTH", value: 30 },
  };
  const { ConsentHandle: handle } = await aaPost("/Consent", now, { ConsentDetail: detail });
  step("Consent requested", `handle ${handle} for ${asha.aaHandle}`);

  // Test-only: the customer approves in her AA app (or sign in as her at /console).
  await call("POST", `/v1/sandbox/aa/consents/${handle}/approve`);
  const { ConsentStatus: status } = await aaPost("/Consent/handle", now, { ConsentHandle: handle });
  step("Consent approved", `handle ${status.status}, consent ${status.id}`);

  // FIRequest: the consent's id and the signature part of its signed artefact, and our key
  const artefact = await aaPost("/Consent/fetch", now, { consentId: status.id });
  const { sessionId } = await aaPost("/FI/request", now, {
    FIDataRange: dataRange,
    Consent: { id: status.id, digitalSignature: artefact.signedConsent.split(".").pop() },
    KeyMaterial: keyMaterial(now),
  });
  step("FI requested", `session ${sessionId}`);

  // The easy path: the session's data decrypted by the sandbox (POST /aa/FI/fetch gives the
  // same documents encrypted to your KeyMaterial).
  const data = await call("GET", `/v1/fi/sessions/${sessionId}/data?format=json`);
  for (const account of data.accounts) {
    const lines = transactionsOf(account.data);
    step("Statement", `${account.fipId} ${account.maskedAccNumber}: ${lines.length} entries`);
    for (const line of lines.slice(-3)) {
      const when = line.valueDate ?? line.transactionTimestamp;
      console.log(`     ${when} ${line.type} ${line.amount} ${line.narration}`);
    }
    if (lines.some((line) => JSON.stringify(line).includes(txnId))) {
      step("Found our payment", `txnId ${txnId} is in her statement`);
    }
  }
}

try {
  headers.Authorization = `Bearer ${await apiKey()}`;
  const { personas } = await call("GET", "/v1/sandbox/personas");
  const people = Object.fromEntries(personas.map((p) => [p.key, p]));
  const txnId = await payFlow(people);
  await consentFlow(people, txnId);
  console.log("[done] pay and consent flows completed");
} catch (error) {
  console.error(`[failed] ${error.message}`);
  process.exitCode = 1;
}
