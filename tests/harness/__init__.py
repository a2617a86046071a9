"""Reusable test harnesses: the schemathesis run over the OpenAPI, the tenant-isolation table."""
