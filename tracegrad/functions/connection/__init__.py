"""connection functions."""
__all__: list = []
