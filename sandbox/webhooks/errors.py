"""Webhook errors.

SandboxError
├── NotFound
│   └── DeliveryNotFound        no delivery with this id in the caller's world
└── Conflict
    └── NoWebhookUrl            the partner has no webhook URL to deliver to
"""

from __future__ import annotations

from sandbox.errors import Conflict, NotFound


class DeliveryNotFound(NotFound):
    slug = "delivery-not-found"
    title = "Webhook delivery not found"


class NoWebhookUrl(Conflict):
    slug = "no-webhook-url"
    title = "No webhook URL"
