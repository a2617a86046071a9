"""The web console under ``/console``: the resident's screens (an AA app and a UPI app as the
resident would see them) and the partner's dashboard, server-rendered with Jinja2.

It is a platform-level package beside the domains: it calls the domains' and the platform's
service functions (never their stores or routers, an import-linter contract says so), and only
``sandbox.app`` wires it in. Every page carries the sandbox's strict Content-Security-Policy:
no inline script, every asset from ``/console/static``.

    session      signed cookies (who is signed in), the CSRF token, form bodies
    redirects    where the AA consent flow may send the resident back to (no open redirect)
    render       templates, the page policy, errors shown as pages
    resident     /console/resident/...: sign in with mobile + OTP, consents, collects, history
    partner      /console/partner/...: the dashboard, signed in with the API key
"""
