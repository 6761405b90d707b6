"""TimerHook for links: how long each link's forward takes."""
from __future__ import annotations

from tracegrad.function_hooks.timer import CallTimer
from tracegrad.link_hook import LinkHook


class TimerHook(LinkHook, CallTimer):
    """Measure the time each link's ``forward`` takes (links nest: a chain's time
    includes its children's, so the rows may add up to more than :meth:`total_time`).

    On CuPy the device is synchronised before and after each call. A compiled step
    makes no link calls to time: tracing one under this hook raises CompileError.

    >>> model = L.Classifier(L.Linear(3, 2))
    >>> with tracegrad.link_hooks.TimerHook() as hook:
    ...     loss = model(np.ones((1, 3), np.float32), np.zeros(1, np.int32))
    >>> sorted(hook.summary())
    ['Classifier', 'Linear']

    Attributes:
        call_history (list): ``(link class name, seconds)`` per call.
    """

    name = 'TimerHook'
    _name_header = 'LinkName'

    def forward_preprocess(self, args) -> None:
        from tracegrad.compile.tracer import CompileError, TraceContext

        if getattr(TraceContext._local, 'ctx', None) is not None:
            raise CompileError(
                f'link_hooks.TimerHook times eager calls of links, and a compiled step makes '
                f'none; call the step outside the hook, or compile it with '
                f"fallback='eager' (while tracing {type(args.link).__name__})")
        self._start(args.link.xp)

    def forward_postprocess(self, args) -> None:
        self._stop(type(args.link).__name__)
