"""Aadhaar-like identity (UIDAI Auth API 2.5, OTP API 2.5, eKYC API 2.5).

The I/O-free core: ``codes`` and ``errors`` (the Aadhaar error table), ``keys`` and ``crypto``
(Auth 2.5 PID encryption), ``pid`` and ``pid_rules`` (the PID block), ``matching`` (demographic
matching), ``models`` (the types). On top, the first HTTP slice (JSON renditions of OTP and
Auth): ``api`` (routes), ``service`` (one module per use case), ``schemas`` (wire models),
``store`` (``OtpStore``, ``AuthStore``, the auth key file), ``photos`` (the residents' drawn
eKYC photos), ``magic`` (the documented values that force each code) and ``domain`` (what
``sandbox.app`` installs).
"""
