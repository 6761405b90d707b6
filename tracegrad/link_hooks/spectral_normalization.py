"""SpectralNormalization: divide a link's weight by its largest singular value."""
from __future__ import annotations

from tracegrad import backend
from tracegrad.configuration import config
from tracegrad.link_hook import LinkHook


def _l2normalize(xp, v, eps: float):
    return v / (xp.sqrt(xp.sum(v * v)) + eps)


class SpectralNormalization(LinkHook):
    """Replace a link's weight ``W`` by ``W / sigma(W)`` in every forward pass.

    ``sigma(W)``, the largest singular value of ``W`` (as a matrix of output units
    by everything else), is estimated by power iteration with a vector ``u`` kept
    on the link as the persistent value ``<weight_name>_u`` (saved by serializers).
    In training mode each forward pass refines ``u`` and stores it; in test mode
    ``u`` is used but left as it is. Gradients flow through ``sigma`` to ``W``
    (``u`` and the right vector ``v`` are constants of the pass), as in Miyato et
    al., *Spectral Normalization for Generative Adversarial Networks* (2018).

    Add it with ``link.add_hook(SpectralNormalization())``, preferably before the
    optimizer's ``setup`` (``use_gamma`` adds a parameter); it cannot be used in a
    ``with`` block. It works with Linear, EmbedID, Convolution2D and
    Deconvolution2D (whose output axis is 1), and with other links through
    ``weight_name``. Lazily initialised weights are set up at the first call.

    Args:
        n_power_iteration: power iteration steps per forward pass (at least 1).
        eps: added to vector norms for numerical stability.
        use_gamma: also learn a scale ``gamma`` (a parameter ``link.gamma``
            initialised to the weight's largest singular value).
        factor: divide ``sigma`` by this value (None: 1).
        weight_name: the name of the link's weight.
        name: the hook's name (default ``'SpectralNormalization'``).

    Attributes:
        vector_name (str): the name of ``u`` on the link.
        axis (int): the axis of the weight that holds the output units.

    >>> l = L.Convolution2D(3, 5, 3)
    >>> hook = chainer.link_hooks.SpectralNormalization()
    >>> _ = l.add_hook(hook)
    >>> getattr(l, hook.vector_name).shape
    (5,)
    >>> l.delete_hook(hook.name)
    >>> layer = L.Convolution2D(5, 3, stride=1, pad=1).add_hook(
    ...     chainer.link_hooks.SpectralNormalization())
    """

    name = 'SpectralNormalization'

    def __init__(self, n_power_iteration: int = 1, eps: float = 1e-6, use_gamma: bool = False,
                 factor: float | None = None, weight_name: str = 'W',
                 name: str | None = None) -> None:
        if n_power_iteration < 1:
            raise ValueError(f'SpectralNormalization: n_power_iteration must be at least 1, '
                             f'got {n_power_iteration}')
        self.n_power_iteration = n_power_iteration
        self.eps = eps
        self.use_gamma = use_gamma
        self.factor = factor
        self.weight_name = weight_name
        self.vector_name = weight_name + '_u'
        self.axis = 0
        self._initialized = False
        if name is not None:
            self.name = name

    def __enter__(self):
        raise NotImplementedError('SpectralNormalization belongs to one link: add it with '
                                  'link.add_hook(hook), not in a with-block')

    def __exit__(self, *exc):
        raise NotImplementedError('SpectralNormalization cannot be used in a with-block')

    def added(self, link) -> None:
        from tracegrad import links

        if not hasattr(link, self.weight_name):
            raise ValueError(f'SpectralNormalization: {type(link).__name__} has no weight '
                             f'{self.weight_name!r}')
        deconvolutions = tuple(getattr(links, n) for n in ('Deconvolution2D', 'DeconvolutionND')
                               if hasattr(links, n))
        if isinstance(link, deconvolutions):
            self.axis = 1
        if getattr(link, self.weight_name).array is not None:
            self._prepare_parameters(link)

    def deleted(self, link) -> None:
        if self._initialized:
            delattr(link, self.vector_name)
            if self.use_gamma:
                delattr(link, 'gamma')
        self._initialized = False

    def forward_preprocess(self, cb_args) -> None:
        link = cb_args.link
        if not self._initialized:
            self._prepare_parameters(link, cb_args.args[0] if cb_args.args else None)
        self.original_weight = getattr(link, self.weight_name)
        setattr(link, self.weight_name, self.normalize_weight(link))

    def forward_postprocess(self, cb_args) -> None:
        setattr(cb_args.link, self.weight_name, self.original_weight)

    def _prepare_parameters(self, link, x=None) -> None:
        """Make ``u`` (and ``gamma``), initialising a lazy weight from the first input."""
        from tracegrad.variable import Parameter

        weight = getattr(link, self.weight_name)
        if weight.array is None and x is not None:
            link._initialize_params(x.shape[1])
        if weight.array is None:
            raise ValueError(f'SpectralNormalization: {type(link).__name__}.'
                             f'{self.weight_name} is not initialised')
        n_out = weight.shape[self.axis]
        if n_out == 0:
            raise ValueError(f'SpectralNormalization: expected {self.weight_name}.shape'
                             f'[{self.axis}] > 0, got shape {weight.shape}')
        u = link.xp.random.normal(size=(n_out,)).astype(weight.dtype)
        setattr(link, self.vector_name, u)
        link.register_persistent(self.vector_name)
        if self.use_gamma:
            xp = backend.get_array_module(weight.array)
            s = xp.linalg.svd(self._as_matrix(weight.array), compute_uv=False)
            with link.init_scope():
                link.gamma = Parameter(xp.asarray(s[0]))
        self._initialized = True

    def _as_matrix(self, w):
        """The weight (Variable or array) as a matrix: output units by the rest."""
        if self.axis != 0:
            w = w.transpose([self.axis] + [i for i in range(w.ndim) if i != self.axis])
        return w if w.ndim == 2 else w.reshape(w.shape[0], -1)

    reshape_W = _as_matrix  # Chainer's name

    def normalize_weight(self, link):
        """The normalised weight (a Variable) for this forward pass; updates ``u`` in training."""
        from tracegrad import functions

        weight = getattr(link, self.weight_name)
        u = getattr(link, self.vector_name)
        matrix = self._as_matrix(weight)
        xp = backend.get_array_module(matrix.array)
        if config.in_recomputing:  # the pass being recomputed already refined u and v
            v = self.v
        else:
            w = matrix.array
            u_row = u.reshape(1, -1)
            for _ in range(self.n_power_iteration):
                v_row = _l2normalize(xp, xp.matmul(u_row, w), self.eps)
                u_row = _l2normalize(xp, xp.matmul(v_row, w.T), self.eps)
            u, v = u_row.reshape(-1), v_row.reshape(-1)
        # sigma = u^T W v with u and v held constant, so the gradient reaches W.
        sigma = functions.sum(matrix * (u.reshape(-1, 1) * v.reshape(1, -1)))
        if self.factor is not None:
            sigma = sigma / self.factor
        normalized = weight / sigma
        if self.use_gamma:
            normalized = link.gamma * normalized
        if not config.in_recomputing:
            self.v = v
            if config.train:
                getattr(link, self.vector_name)[...] = u
        return normalized
