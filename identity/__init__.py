"""Aadhaar-like identity (UIDAI Auth API 2.5, OTP API 2.5, eKYC API 2.5).

The I/O-free core: ``codes`` and ``errors`` (the Aadhaar error table), ``keys`` and ``crypto``
(Auth 2.5 PID encryption), ``pid`` and ``pid_rules`` (the PID block), ``matching`` (demographic
matching), ``models`` (the types). The API, service and store layers build on these.
"""
