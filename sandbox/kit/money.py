"""Money is an integer in minor units beside its currency; text is only for the wire.

Amounts arrive as decimal strings with exactly the currency's minor digits ("100.00" for INR).
Numbers (JSON floats or ints) are refused: a float cannot carry a paisa exactly.
"""

from __future__ import annotations

import re


class AmountError(ValueError):
    """The text is not an amount of this currency; the message says which rule failed."""


def format_minor(amount: int, minor_units: int) -> str:
    """``12345, 2 -> "123.45"``."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**minor_units)
    return f"{sign}{whole}.{frac:0{minor_units}d}" if minor_units else f"{sign}{whole}"


def parse_amount(text: str, minor_units: int) -> int:
    """``"123.45", 2 -> 12345``; refuses signs, exponents and the wrong number of decimals."""
    pattern = (
        rf"^(0|[1-9][0-9]{{0,15}})\.([0-9]{{{minor_units}}})$"
        if minor_units
        else (r"^(0|[1-9][0-9]{0,15})$")
    )
    match = re.match(pattern, text)
    if match is None:
        example = format_minor(10_000, minor_units)
        raise AmountError(
            f"'{text}' is not an amount with exactly {minor_units} decimal digits "
            f'(e.g. "{example}")'
        )
    whole = int(match.group(1))
    frac = int(match.group(2)) if minor_units else 0
    return int(whole * 10**minor_units + frac)
