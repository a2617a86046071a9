"""The sandbox's signing keys: one RSA-2048 key in the data dir, its JWKS, detached JWS.

- ``ring.KeyRing``: the key, created on first use (atomically, one per data dir however many
  processes start together) and loaded afterwards; ``kid`` is its RFC 7638 thumbprint.
- ``jws``: detached JWS with unencoded payload (RFC 7797), as ReBIT AA and the identity answers
  use it (``x-jws-signature``): ``sign_detached`` and ``verify_detached``, whose errors name the
  check that failed.
- ``canonical.compact_json``: the bytes of a signed JSON answer, equal to what a JavaScript
  client's ``JSON.stringify(JSON.parse(body))`` gives back.
- ``api``: ``GET /.well-known/jwks.json`` and ``signed_json``, the response of a signed route.

Only ``api`` knows the web framework.
"""
