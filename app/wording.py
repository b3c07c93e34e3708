"""Small helpers for the words around numbers in user-facing text."""


def plural(count: int, noun: str, many: str | None = None) -> str:
    """`count` with `noun` agreeing in number: "1 sample", "2 samples", "1,024 samples".

    Args:
        count: How many.
        noun: The singular form.
        many: The plural form where it is not `noun` + "s". Defaults to `noun + "s"`.
    """
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"
