def stamp(data: bytes, slots: bytes, sources: tuple[bytes, ...], /) -> bytes:
    """``data`` with each slot of the packed ``slots`` table replaced by its source's bytes (see _stamp.c)."""
