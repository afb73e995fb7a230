"""Google's OAuth 2.0 token endpoint (oauth2.googleapis.com/token) for the
Google Ads and GA4 mocks: the refresh_token grant, and the JWT-bearer grant
of a service account, whose RS256 signature is verified against the test
public key named in the credentials file and whose iss, scope, aud, iat
and exp are checked (CONNECTORS.md 2.3 and 5.3).  Also the bearer-token
check both Google APIs share, with Google's own 401 and 403 bodies.
"""

import json
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from mockcore import b64url_decode, json_reply

ADWORDS = "https://www.googleapis.com/auth/adwords"
ANALYTICS = "https://www.googleapis.com/auth/analytics.readonly"
KNOWN_SCOPES = {ADWORDS, ANALYTICS, "https://www.googleapis.com/auth/analytics"}
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def register(mock):
    s = mock.settings
    s.define("google.token_ttl", 3599, "access token lifetime, s")
    s.define("google.audiences", ["https://oauth2.googleapis.com/token",
                                  "https://www.googleapis.com/oauth2/v4/token"],
             "JWT aud values accepted (the mock's own /token URL always is)")
    s.define("google.max_clock_skew", 300, "seconds an iat may lie ahead")
    for path in ("/token", "/oauth2/v4/token", "/oauth2/v3/token"):
        mock.router.add("POST", path, token)


def grant_error(code, description, http=400):
    return json_reply(http, {"error": code, "error_description": description})


def token(mock, req, m):
    f = req.form()
    grant = f.get("grant_type")
    if grant == "refresh_token":
        return refresh(mock, f)
    if grant == JWT_GRANT:
        return jwt_bearer(mock, req, f)
    if not grant:
        return grant_error("invalid_request", "Required parameter is missing: "
                           "grant_type")
    return grant_error("unsupported_grant_type", "Invalid grant_type: " + grant)


def issue(mock, scopes):
    s = mock.settings
    ttl = s["token_ttl"] or s["google.token_ttl"]
    tok = mock.tokens.issue("google", ttl, scopes, prefix="ya29.mock-",
                            length=120)
    body = {"access_token": tok, "expires_in": int(ttl),
            "token_type": "Bearer"}
    return body


def refresh(mock, f):
    c = mock.creds.get("google", {})
    if not f.get("client_id") or f["client_id"] != c.get("client_id"):
        return grant_error("invalid_client", "The OAuth client was not found.",
                           401)
    if f.get("client_secret") != c.get("client_secret"):
        return grant_error("invalid_client", "Unauthorized", 401)
    if not f.get("refresh_token") or \
            f["refresh_token"] != c.get("refresh_token"):
        return grant_error("invalid_grant", "Token has been expired or "
                           "revoked.")
    scopes = c.get("scopes", [ADWORDS, ANALYTICS])
    scopes = " ".join(scopes) if isinstance(scopes, list) else scopes
    body = issue(mock, scopes)
    body["scope"] = scopes
    return json_reply(200, body)


def service_accounts(mock):
    c = mock.creds.get("google", {})
    accounts = list(c.get("service_accounts", []))
    if c.get("service_account"):
        accounts.append(c["service_account"])
    return accounts


def public_key(path):
    with open(path, "rb") as fh:
        pem = fh.read()
    if b"CERTIFICATE" in pem:
        return x509.load_pem_x509_certificate(pem).public_key()
    return serialization.load_pem_public_key(pem)


def jwt_parts(assertion):
    """(header, claims, signing input, signature) or raises ValueError."""
    parts = assertion.split(".")
    if len(parts) != 3:
        raise ValueError("not three parts")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not JSON objects")
    return header, claims, (parts[0] + "." + parts[1]).encode(), \
        b64url_decode(parts[2])


def jwt_bearer(mock, req, f):
    try:
        header, claims, signed, sig = jwt_parts(f.get("assertion", ""))
    except (ValueError, TypeError, UnicodeDecodeError):
        return grant_error("invalid_grant", "Invalid JWT: malformed assertion")
    if header.get("alg") != "RS256":
        return grant_error("invalid_grant", "Invalid JWT: only RS256 is "
                           "supported")
    account = next((a for a in service_accounts(mock)
                    if a.get("client_email") == claims.get("iss")), None)
    if account is None:
        return grant_error("invalid_grant", "Invalid grant: account not found")
    if "kid" in header and account.get("private_key_id") and \
            header["kid"] != account["private_key_id"]:
        return grant_error("invalid_grant", "Invalid JWT Signature.")
    try:
        public_key(account["public_key"]).verify(
            sig, signed, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return grant_error("invalid_grant", "Invalid JWT Signature.")
    audiences = list(mock.settings["google.audiences"]) + [
        mock.base_url() + p for p in ("/token", "/oauth2/v4/token")]
    if claims.get("aud") not in audiences:
        return grant_error("invalid_grant", "Invalid JWT: Failed audience "
                           "check.")
    now = time.time()
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) \
            or exp - iat > 3600 or exp <= now or \
            iat > now + mock.settings["google.max_clock_skew"]:
        return grant_error("invalid_grant", "Invalid JWT: Token must be a "
                           "short-lived token (60 minutes) and in a reasonable "
                           "timeframe. Check your iat and exp values in the "
                           "JWT claim.")
    scopes = str(claims.get("scope", "")).split()
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        return grant_error("invalid_scope", "Invalid OAuth scope or ID token "
                           "audience provided.")
    return json_reply(200, issue(mock, " ".join(scopes)))


# ---- the bearer check of Google's APIs ------------------------------------

UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected "
                   "OAuth 2 access token, login cookie or other valid "
                   "authentication credential. See https://developers.google."
                   "com/identity/sign-in/web/devconsole-project.")


def check(mock, req, scope_ok, extra_details=None):
    """None when the request's bearer token is good for the API, else
    Google's 401 (missing, unknown or expired token) or 403 (token without
    the API's scope).  `scope_ok(scopes)` says whether the scopes suffice;
    `extra_details(reason)` may add API-specific error details."""
    state, info = mock.tokens.check("google", req.bearer())
    if state != "ok":
        reason = "ACCESS_TOKEN_EXPIRED" if state == "expired" else \
            "CREDENTIALS_MISSING" if not req.bearer() else "ACCESS_TOKEN_INVALID"
        details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": reason, "domain": "googleapis.com"}]
        if extra_details:
            details += extra_details(reason)
        r = json_reply(401, {"error": {"code": 401, "message": UNAUTHENTICATED,
                                       "status": "UNAUTHENTICATED",
                                       "details": details}})
        r.add_header("WWW-Authenticate", 'Bearer realm="https://accounts.'
                     'google.com/", error="invalid_token"')
        return r
    if not scope_ok(info["scopes"]):
        return json_reply(403, {"error": {
            "code": 403, "message": "Request had insufficient authentication "
            "scopes.", "status": "PERMISSION_DENIED",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                         "domain": "googleapis.com"}]}})
    return None
