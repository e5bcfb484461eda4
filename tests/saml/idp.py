"""A real SAML 2.0 identity provider for Tessera's SAML tests, built on
pysaml2's server API (pinned in requirements.txt; it signs and encrypts
with Debian's `xmlsec1`). It listens on 127.0.0.1 and a free port, prints
one JSON line {"base": ..., "metadata_url": ...} once it listens, and exits
when its standard input closes (so a test that dies takes it along).

It generates its own signing key and self-signed certificate at each start
(a restart is a key rotation). It learns a service provider by fetching the
SP's metadata from the SP's entity id (Tessera's entity id is its metadata
URL), afresh for every message, so a changed SP setting applies at once.

Endpoints:
  GET  /metadata          the IdP's metadata (entity id = this URL)
  GET  /sso/redirect      SP-initiated sign-in (HTTP-Redirect binding): a
                          login form (username only: this IdP trusts whoever
                          types a name)
  POST /login             the form's answer: an auto-submitting form that
                          POSTs SAMLResponse and RelayState to the SP's ACS
  GET  /initiate?sp=ENTITY_ID&username=NAME
                          IdP-initiated sign-in (no request, no RelayState)

Test knobs, as extra fields of /login or query parameters of /initiate
(each makes the IdP misbehave the way a misconfigured IdP would, with a
response it really signs):
  audience=ENTITY_ID  the assertion's audience instead of the SP's entity id
                      (another SP whose metadata the IdP can fetch)
  lifetime=MINUTES    how long the assertion is valid (negative: expired)
  encrypt=1           encrypt the assertion to the SP's encryption cert
  sign=assertion|response|both|none   what is signed (default both)
  alg=sha256|sha1     the signature and digest algorithm (default sha256)

Accounts: alice (alice@corp.example, groups engineering and admins), bob
(bob@corp.example, no groups), olga (olga@other.example); any other name
gets name@corp.example and no groups. The NameID is persistent:
"saml-<name>".
"""

import base64
import html
import json
import os
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, make_server

from saml2 import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    saml,
)
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NameID
from saml2.server import Server
import saml2.entity
import saml2.sigver

# pysaml2 encrypts with 3DES unless told otherwise; a current IdP uses AES
# (Tessera accepts AES-128 in CBC or GCM, key transport RSA-OAEP).
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
_pre_encryption_part = saml2.sigver.pre_encryption_part
saml2.entity.pre_encryption_part = lambda **kw: _pre_encryption_part(msg_enc=AES128_CBC, **kw)
_encrypt_assertion = saml2.sigver.SecurityContext.encrypt_assertion


def _encrypt_aes(self, statement, enc_key, template, key_type="aes-128", node_xpath=None):
    return _encrypt_assertion(self, statement, enc_key, template, key_type, node_xpath)


saml2.sigver.SecurityContext.encrypt_assertion = _encrypt_aes

ACCOUNTS = {
    "alice": {"email": "alice@corp.example", "groups": ["engineering", "admins"], "name": "Alice Liddell"},
    "bob": {"email": "bob@corp.example", "groups": [], "name": "Bob"},
    "olga": {"email": "olga@other.example", "groups": [], "name": "Olga"},
}


# What the IdP signs with: SHA-256 by default, SHA-1 when asked (the `alg`
# knob), as an old IdP would.
SIGNING = {
    "sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", "http://www.w3.org/2001/04/xmlenc#sha256"),
    "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1"),
}


def account(name):
    return ACCOUNTS.get(name, {"email": f"{name}@corp.example", "groups": [], "name": name})


WORK = tempfile.mkdtemp(prefix="tessera-saml-idp-")
KEY = os.path.join(WORK, "idp.key")
CERT = os.path.join(WORK, "idp.crt")
subprocess.run(
    [
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256",
        "-days", "2", "-subj", "/CN=Tessera test IdP", "-keyout", KEY, "-out", CERT,
    ],
    check=True,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)

BASE = None  # set once the port is known


def sp_metadata(entity_id):
    """The SP's metadata, fetched from its entity id."""
    with urllib.request.urlopen(entity_id, timeout=10) as reply:
        return reply.read().decode("utf-8")


def server(sp_entity_id, lifetime=None, audience=None):
    """A pysaml2 IdP server knowing one SP (its current metadata), and the
    SP of `audience` when the test asks for another audience."""
    xml = sp_metadata(sp_entity_id)
    wants_signed = 'AuthnRequestsSigned="true"' in xml
    inline = [xml]
    if audience and audience != sp_entity_id:
        inline.append(sp_metadata(audience))
    policy = {"default": {"name_form": NAME_FORMAT_BASIC, "attribute_restrictions": None}}
    if lifetime is not None:
        policy["default"]["lifetime"] = {"minutes": lifetime}
    conf = IdPConfig()
    conf.load(
        {
            "entityid": f"{BASE}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{BASE}/sso/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "policy": policy,
                    "name_id_format": [saml.NAMEID_FORMAT_PERSISTENT, saml.NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": wants_signed,
                    "want_authn_requests_only_with_valid_cert": False,
                },
            },
            "key_file": KEY,
            "cert_file": CERT,
            "encryption_keypairs": [{"key_file": KEY, "cert_file": CERT}],
            "metadata": {"inline": inline},
            "xmlsec_binary": "/usr/bin/xmlsec1",
            "allow_unknown_attributes": True,

        }
    )
    return Server(config=conf)


def own_metadata():
    conf = IdPConfig()
    conf.load(
        {
            "entityid": f"{BASE}/metadata",
            "service": {
                "idp": {
                    "endpoints": {
                        "single_sign_on_service": [(f"{BASE}/sso/redirect", BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [saml.NAMEID_FORMAT_PERSISTENT, saml.NAMEID_FORMAT_EMAILADDRESS],
                },
            },
            "key_file": KEY,
            "cert_file": CERT,
            "xmlsec_binary": "/usr/bin/xmlsec1",
        }
    )
    return str(entity_descriptor(conf))


def respond(srv, username, in_response_to, destination, sp_entity_id, name_id_format, relay_state, knobs):
    person = account(username)
    if name_id_format == saml.NAMEID_FORMAT_EMAILADDRESS:
        name_id = NameID(format=saml.NAMEID_FORMAT_EMAILADDRESS, text=person["email"])
    else:
        name_id = NameID(format=saml.NAMEID_FORMAT_PERSISTENT, text=f"saml-{username}")
    identity = {"email": [person["email"]], "displayName": [person["name"]]}
    if person["groups"]:
        identity["groups"] = person["groups"]
    sign = knobs.get("sign") or "both"
    encrypt = knobs.get("encrypt") == "1"
    encrypt_cert = None
    if encrypt:
        certs = srv.metadata.certs(sp_entity_id, "spsso", use="encryption")
        encrypt_cert = certs[0][1] if certs else None
        if encrypt_cert and not encrypt_cert.startswith("-----"):
            encrypt_cert = f"-----BEGIN CERTIFICATE-----\n{encrypt_cert}\n-----END CERTIFICATE-----\n"
    audience = knobs.get("audience") or sp_entity_id
    alg = knobs.get("alg") or "sha256"
    response = srv.create_authn_response(
        identity,
        in_response_to,
        destination,
        audience,
        userid=username,
        name_id=name_id,
        authn={"class_ref": saml.AUTHN_PASSWORD_PROTECTED, "authn_auth": f"{BASE}/metadata"},
        sign_response=sign in ("response", "both"),
        sign_assertion=sign in ("assertion", "both"),
        encrypt_assertion=encrypt,
        encrypt_assertion_self_contained=True,
        encrypt_cert_assertion=encrypt_cert,
        sign_alg=SIGNING[alg][0],
        digest_alg=SIGNING[alg][1],
    )
    encoded = base64.b64encode(str(response).encode("utf-8")).decode("ascii")
    fields = f'<input type="hidden" name="SAMLResponse" value="{encoded}"/>'
    if relay_state:
        fields += f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}"/>'
    return (
        "<!doctype html><html><body onload=\"document.forms[0].submit()\">"
        f'<form method="post" action="{html.escape(destination)}">{fields}'
        "<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>"
    )


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    method = environ["REQUEST_METHOD"]
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))

    def one(params, name):
        values = params.get(name)
        return values[0] if values else None

    def answer(status, body, content_type="text/html; charset=utf-8"):
        start_response(status, [("Content-Type", content_type), ("Cache-Control", "no-store")])
        return [body.encode("utf-8")]

    try:
        if method == "GET" and path == "/metadata":
            return answer("200 OK", own_metadata(), "application/samlmetadata+xml")
        if method == "GET" and path == "/sso/redirect":
            hidden = "".join(
                f'<input type="hidden" name="{k}" value="{html.escape(one(query, k))}"/>'
                for k in ("SAMLRequest", "RelayState", "SigAlg", "Signature")
                if one(query, k) is not None
            )
            return answer(
                "200 OK",
                "<!doctype html><html><body><h1>Test IdP</h1>"
                f'<form method="post" action="{BASE}/login">{hidden}'
                '<label>Username <input name="username"/></label>'
                '<button type="submit">Sign in</button></form></body></html>',
            )
        if method == "POST" and path == "/login":
            size = int(environ.get("CONTENT_LENGTH") or 0)
            form = urllib.parse.parse_qs(environ["wsgi.input"].read(size).decode("utf-8"))
            request_xml = one(form, "SAMLRequest")
            # The SP is known from the request's issuer, read before the
            # server (which needs the SP's metadata) parses it properly.
            from saml2.samlp import authn_request_from_string
            from saml2.pack import http_redirect_message  # noqa: F401 (import check)
            import zlib

            raw = zlib.decompress(base64.b64decode(request_xml), -15).decode("utf-8")
            issuer = authn_request_from_string(raw).issuer.text
            lifetime = one(form, "lifetime")
            srv = server(issuer, int(lifetime) if lifetime else None, one(form, "audience"))
            parsed = srv.parse_authn_request(
                request_xml,
                BINDING_HTTP_REDIRECT,
                relay_state=one(form, "RelayState"),
                sigalg=one(form, "SigAlg"),
                signature=one(form, "Signature"),
            )
            message = parsed.message
            args = srv.response_args(message, [BINDING_HTTP_POST])
            policy = message.name_id_policy
            body = respond(
                srv,
                one(form, "username") or "alice",
                args["in_response_to"],
                args["destination"],
                args["sp_entity_id"],
                policy.format if policy is not None else None,
                one(form, "RelayState"),
                {k: one(form, k) for k in ("audience", "encrypt", "sign", "alg")},
            )
            return answer("200 OK", body)
        if method == "GET" and path == "/initiate":
            sp = one(query, "sp")
            lifetime = one(query, "lifetime")
            srv = server(sp, int(lifetime) if lifetime else None, one(query, "audience"))
            acs = srv.metadata.assertion_consumer_service(sp, BINDING_HTTP_POST)[0]["location"]
            body = respond(
                srv,
                one(query, "username") or "alice",
                None,
                acs,
                sp,
                None,
                one(query, "RelayState"),
                {k: one(query, k) for k in ("audience", "encrypt", "sign", "alg")},
            )
            return answer("200 OK", body)
        return answer("404 Not Found", "not found", "text/plain")
    except Exception as error:  # the test reads the reason
        return answer("400 Bad Request", f"{type(error).__name__}: {error}", "text/plain")


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main():
    global BASE
    httpd = make_server("127.0.0.1", int(os.environ.get("PORT", "0")), app, handler_class=QuietHandler)
    BASE = f"http://127.0.0.1:{httpd.server_port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    sys.stdout.write(json.dumps({"base": BASE, "metadata_url": f"{BASE}/metadata"}) + "\n")
    sys.stdout.flush()
    sys.stdin.read()


if __name__ == "__main__":
    main()
