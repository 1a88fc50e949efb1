"""Helpers for the panels each app contributes to the staff home (`AppConfig.staff_panels`)."""


def alert(*pairs) -> str:
    """("3 overdue", …) from (count, words) pairs, skipping zeros."""
    it = iter(pairs)
    return ", ".join(f"{n} {words}" for n, words in zip(it, it, strict=True) if n)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
