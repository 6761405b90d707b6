"""rnn functions."""
__all__: list = []
