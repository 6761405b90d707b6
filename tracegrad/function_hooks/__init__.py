"""Ready-made function hooks (see :class:`tracegrad.FunctionHook`)."""
from tracegrad.function_hooks.debug_print import PrintHook
from tracegrad.function_hooks.timer import TimerHook

__all__ = ['PrintHook', 'TimerHook']
