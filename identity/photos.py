"""The residents' photos (eKYC ``Pht``): a drawn face per resident, as a small JPEG.

The sandbox holds no real photos. Each resident gets a simple face (skin tone, hair colour and
style, eye colour, mouth) drawn from a generator seeded by the number, so the same resident
always has the same photo and two residents almost never share one. Drawing and encoding take a
few milliseconds of CPU, so photos are cached per number in the process and made in a worker
thread (``face_jpeg``), never on the event loop.
"""

from __future__ import annotations

import hashlib
import io
import random
from functools import lru_cache

import anyio.to_thread
from PIL import Image, ImageDraw

WIDTH, HEIGHT = 160, 200
QUALITY = 80

_SKIN = ((255, 224, 189), (241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36))
_HAIR = ((20, 20, 20), (60, 40, 25), (110, 70, 40), (160, 160, 160), (90, 60, 30))
_EYES = ((40, 30, 20), (70, 50, 30), (60, 90, 60), (50, 70, 110))
_BACKDROP = ((235, 235, 240), (220, 232, 245), (240, 236, 225), (228, 240, 230))


async def face_jpeg(uid: str) -> bytes:
    """The resident's photo (JPEG bytes), drawn in a worker thread the first time."""
    return await anyio.to_thread.run_sync(face, uid)


@lru_cache(maxsize=1024)
def face(uid: str) -> bytes:
    """The resident's photo as JPEG bytes, the same on every call for the same number."""
    seed = int.from_bytes(hashlib.sha256(f"photo|{uid}".encode()).digest()[:8], "big")
    rand = random.Random(seed)  # a drawing, not a secret
    skin, hair = rand.choice(_SKIN), rand.choice(_HAIR)
    image = Image.new("RGB", (WIDTH, HEIGHT), rand.choice(_BACKDROP))
    draw = ImageDraw.Draw(image)
    cx = WIDTH // 2 + rand.randint(-6, 6)
    half_w, half_h = rand.randint(40, 50), rand.randint(52, 62)
    top = 48 + rand.randint(-6, 6)
    # shoulders and neck, then the head over them
    draw.ellipse((cx - 75, 175, cx + 75, 290), fill=rand.choice(_HAIR[:3] + _EYES))
    draw.rectangle((cx - 16, top + 2 * half_h - 20, cx + 16, 185), fill=skin)
    long_hair = rand.random() < 0.5
    if long_hair:
        draw.rectangle((cx - half_w - 6, top + 20, cx + half_w + 6, top + 2 * half_h), fill=hair)
    draw.ellipse((cx - half_w, top, cx + half_w, top + 2 * half_h), fill=skin)
    draw.chord(
        (cx - half_w - 4, top - 10, cx + half_w + 4, top + half_h + rand.randint(-12, 8)),
        180,
        360,
        fill=hair,
    )
    eye_y = top + half_h - rand.randint(4, 12)
    gap, size = rand.randint(14, 20), rand.randint(4, 7)
    for x in (cx - gap, cx + gap):
        draw.ellipse((x - size - 3, eye_y - size, x + size + 3, eye_y + size), fill="white")
        draw.ellipse((x - size + 1, eye_y - size + 1, x + size - 1, eye_y + size - 1), fill=0)
        draw.ellipse(
            (x - size + 2, eye_y - size + 2, x + size - 2, eye_y + size - 2),
            fill=rand.choice(_EYES),
        )
    nose_y = eye_y + rand.randint(14, 20)
    draw.line((cx, eye_y + 6, cx - 4, nose_y, cx + 3, nose_y), fill=_darker(skin), width=2)
    mouth_y, mouth_w = nose_y + rand.randint(12, 18), rand.randint(10, 18)
    box = (cx - mouth_w, mouth_y - 8, cx + mouth_w, mouth_y + rand.randint(2, 10))
    draw.arc(box, 20, 160, fill=(150, 60, 60), width=3)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def _darker(colour: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b = colour
    return (r * 3 // 4, g * 3 // 4, b * 3 // 4)
