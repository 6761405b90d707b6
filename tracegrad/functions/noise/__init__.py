"""noise functions."""
__all__: list = []
