"""Function hooks: the order and arguments of the callbacks on the C and the Python hot
path, thread-local ``with`` hooks and per-function hooks, removal, the eager hot path
restored once no hook is left, TimerHook and PrintHook, and compiled steps."""
import gc
import io
import threading

import numpy as np
import pytest

import tracegrad
import tracegrad.functions as F
from tracegrad import _native, function_hook, function_hooks

pytestmark = pytest.mark.usefixtures('hot_path')


class Recorder(tracegrad.FunctionHook):
    """Writes each callback with the function's class name and what it was given."""

    def __init__(self, name='Recorder', log=None):
        self.name = name
        self.log = [] if log is None else log

    def added(self, function):
        self.log.append((self.name, 'added', function))

    def deleted(self, function):
        self.log.append((self.name, 'deleted', function))

    def forward_preprocess(self, function, in_data):
        self.log.append((self.name, 'forward_pre', type(function).__name__, in_data))

    def forward_postprocess(self, function, in_data):
        self.log.append((self.name, 'forward_post', type(function).__name__, in_data))

    def backward_preprocess(self, function, in_data, out_grad):
        self.log.append((self.name, 'backward_pre', type(function).__name__, in_data, out_grad))

    def backward_postprocess(self, function, in_data, out_grad):
        self.log.append((self.name, 'backward_post', type(function).__name__, in_data, out_grad))

    def events(self):
        return [entry[:3] if entry[1] not in ('added', 'deleted') else entry[:2]
                for entry in self.log]


def _no_hooks_installed():
    return (vars(tracegrad.FunctionNode)['apply'] is _native.active['apply']
            and tracegrad.backprop._loop is _native.active['loop'])


def test_forward_hooks_get_the_input_arrays_in_order():
    x = tracegrad.Variable(np.array([1., -2., 3.], np.float32))
    hook = Recorder()
    with hook as entered:
        y = F.relu(x)
    assert entered is hook
    assert hook.events() == [('Recorder', 'added'), ('Recorder', 'forward_pre', 'ReLU'),
                             ('Recorder', 'forward_post', 'ReLU'), ('Recorder', 'deleted')]
    assert hook.log[0][2] is None and hook.log[-1][2] is None  # registered with ``with``
    for entry in hook.log[1:3]:
        assert len(entry[3]) == 1 and entry[3][0] is x.array
    np.testing.assert_array_equal(y.array, [1., 0., 3.])


def test_arrays_given_to_apply_reach_the_hooks_as_arrays():
    a = np.ones((2, 3), np.float32)
    b = np.full((2, 3), 2., np.float32)
    with Recorder() as hook:
        y = F.maximum(a, tracegrad.Variable(b))
    pre = hook.log[1]
    assert pre[1:3] == ('forward_pre', 'Maximum')
    assert pre[3][0] is a and pre[3][1] is b
    np.testing.assert_array_equal(y.array, b)


def test_backward_hooks_get_inputs_and_output_gradients():
    x = tracegrad.Variable(np.array([1., 2., 3.], np.float32))
    y = F.exp(x)
    with Recorder() as hook:
        y.grad = np.array([1., 10., 100.], np.float32)
        y.backward()
    pre = [e for e in hook.log if e[1] == 'backward_pre']
    post = [e for e in hook.log if e[1] == 'backward_post']
    assert [e[2] for e in pre] == ['Exp'] and [e[2] for e in post] == ['Exp']
    _, _, _, in_data, out_grad = pre[0]
    np.testing.assert_array_equal(in_data[0], x.array)
    np.testing.assert_array_equal(out_grad[0], [1., 10., 100.])
    # Exp's backward multiplies by its output: a Mul runs (and is hooked) inside it.
    names = [e[1:3] for e in hook.log if e[1] not in ('added', 'deleted')]
    assert names == [('backward_pre', 'Exp'), ('forward_pre', 'Mul'), ('forward_post', 'Mul'),
                     ('backward_post', 'Exp')]
    np.testing.assert_allclose(x.grad, np.exp(x.array) * [1., 10., 100.], rtol=1e-6)


def test_backward_hooks_run_in_backprop_order_and_only_where_backward_runs():
    x = tracegrad.Variable(np.array([0.5, 1.5], np.float32))
    c = tracegrad.Variable(np.array([2., 3.], np.float32), requires_grad=False)
    h = F.tanh(x)
    y = F.sum(h * c)
    with Recorder() as hook:
        y.backward()
    order = [e[2] for e in hook.log if e[1] == 'backward_pre']
    assert order == ['Sum', 'Mul', 'Tanh']
    grad_h = 1 - np.tanh(x.array) ** 2
    np.testing.assert_allclose(x.grad, grad_h * c.array, rtol=1e-6)


def test_hooks_of_the_with_block_only():
    x = tracegrad.Variable(np.ones(2, np.float32))
    hook = Recorder()
    F.relu(x)
    with hook:
        F.sigmoid(x)
    F.tanh(x)
    assert [e[2] for e in hook.log if e[1] == 'forward_pre'] == ['Sigmoid']


def test_nested_hooks_are_called_in_registration_order():
    log = []
    x = tracegrad.Variable(np.ones(2, np.float32))
    with Recorder('A', log), Recorder('B', log):
        F.relu(x)
    calls = [(name, event) for name, event, *_ in log if event.startswith('forward')]
    assert calls == [('A', 'forward_pre'), ('B', 'forward_pre'),
                     ('A', 'forward_post'), ('B', 'forward_post')]


def test_the_same_name_twice_is_refused():
    with Recorder('A'):
        with pytest.raises(KeyError, match='A already exists'), Recorder('A'):
            pass
        assert list(tracegrad.get_function_hooks()) == ['A']
    assert not tracegrad.get_function_hooks()
    assert _no_hooks_installed()


def test_local_hook_sees_only_its_function():
    x = tracegrad.Variable(np.array([1., 2.], np.float32))
    node = type(F.exp(x).creator)()
    hook = Recorder()
    node.add_hook(hook)
    assert hook.log == [('Recorder', 'added', node)]
    assert list(node.local_function_hooks) == ['Recorder']
    y, = node.apply((x,))
    F.relu(x)  # another function: not hooked
    y.grad = np.ones(2, np.float32)
    y.backward()
    assert [e[1:3] for e in hook.log[1:]] == [
        ('forward_pre', 'Exp'), ('forward_post', 'Exp'), ('backward_pre', 'Exp'),
        ('backward_post', 'Exp')]
    node.delete_hook('Recorder')
    assert hook.log[-1] == ('Recorder', 'deleted', node)
    assert _no_hooks_installed()
    np.testing.assert_allclose(x.grad, np.exp(x.array), rtol=1e-6)


def test_local_hook_replaces_a_global_one_of_the_same_name():
    log = []
    x = tracegrad.Variable(np.ones(2, np.float32))
    node = type(F.relu(x).creator)()
    node.add_hook(Recorder('A', log), name='shared')
    with Recorder('shared', log), Recorder('B', log):
        node.apply((x,))
    pre = [name for name, event, *_ in log if event == 'forward_pre']
    assert pre == ['A', 'B']  # in the global one's place
    node.delete_hook('shared')


def test_add_hook_and_delete_hook_errors():
    x = tracegrad.Variable(np.ones(2, np.float32))
    node = type(F.relu(x).creator)()
    with pytest.raises(TypeError, match='ReLU.add_hook: hook must be a FunctionHook'):
        node.add_hook(object())
    node.add_hook(Recorder())
    with pytest.raises(KeyError, match='Recorder already exists'):
        node.add_hook(Recorder())
    with pytest.raises(KeyError, match='ReLU.delete_hook: hook nope does not exist'):
        node.delete_hook('nope')
    node.delete_hook('Recorder')
    with pytest.raises(KeyError, match='does not exist'):
        node.delete_hook('Recorder')
    assert _no_hooks_installed()


def test_a_hook_whose_added_fails_is_not_registered():
    """As for link hooks: an ``added`` that raises leaves the function without the hook."""
    class Refuses(Recorder):
        def added(self, function):
            raise ValueError('not for this function')

    node = type(F.relu(tracegrad.Variable(np.ones(2, np.float32))).creator)()
    with pytest.raises(ValueError, match='not for this function'):
        node.add_hook(Refuses())
    assert dict(node.local_function_hooks) == {}
    assert _no_hooks_installed()


def test_a_function_that_dies_with_hooks_does_not_keep_the_wrappers():
    x = tracegrad.Variable(np.ones(2, np.float32))
    node = type(F.relu(x).creator)()
    node.add_hook(Recorder())
    assert not _no_hooks_installed()
    del node
    gc.collect()
    assert _no_hooks_installed()


def test_eager_hot_path_is_back_after_the_with_block(hot_path):
    impl = _native._C if hot_path == 'c' else _native._PYTHON
    assert vars(tracegrad.FunctionNode)['apply'] is impl['apply']
    with Recorder():
        assert vars(tracegrad.FunctionNode)['apply'] is function_hook._apply_with_hooks
        assert tracegrad.backprop._loop is function_hook._loop_with_hooks
        assert _native.active is impl  # the hooks call the path the test selected
    assert vars(tracegrad.FunctionNode)['apply'] is impl['apply']
    assert tracegrad.backprop._loop is impl['loop']


def test_hooks_are_per_thread():
    x = tracegrad.Variable(np.ones(2, np.float32))
    seen_in_thread = []

    def other():
        F.tanh(x)
        seen_in_thread.append(dict(tracegrad.get_function_hooks()))

    with Recorder() as hook:
        t = threading.Thread(target=other)
        t.start()
        t.join()
        F.relu(x)
    assert seen_in_thread == [{}]
    assert [e[2] for e in hook.log if e[1] == 'forward_pre'] == ['ReLU']


def test_backward_is_unpatched_even_when_it_raises():
    class Broken(tracegrad.FunctionNode):
        def forward(self, inputs):
            return inputs[0] * 2,

        def backward(self, indexes, grad_outputs):
            raise RuntimeError('broken backward')

    x = tracegrad.Variable(np.ones(2, np.float32))
    node = Broken()
    y, = node.apply((x,))
    y.grad = np.ones(2, np.float32)
    with Recorder() as hook, pytest.raises(RuntimeError, match='broken backward'):
        y.backward()
    assert 'backward' not in vars(node)
    assert [e[1] for e in hook.log if e[1].startswith('backward')] == ['backward_pre']


def test_double_backprop_under_hooks():
    x = tracegrad.Variable(np.array([1., 2.], np.float32))
    with Recorder() as hook:
        y = F.sum(x ** 3)
        gx, = tracegrad.grad([y], [x], enable_double_backprop=True)
        ggx, = tracegrad.grad([F.sum(gx)], [x])
    np.testing.assert_allclose(gx.array, 3 * x.array ** 2)
    np.testing.assert_allclose(ggx.array, 6 * x.array)
    pre = [e[2] for e in hook.log if e[1] == 'backward_pre']
    post = [e[2] for e in hook.log if e[1] == 'backward_post']
    assert pre[:2] == ['Sum', type(y.creator.inputs[0].creator_node).__name__]
    assert sorted(pre) == sorted(post) and len(pre) > 2  # the second grad() is hooked too


def test_type_errors_are_raised_before_the_hooks():
    a = tracegrad.Variable(np.ones((2, 3), np.float32))
    b = tracegrad.Variable(np.ones((3, 2), np.float32))
    with Recorder() as hook, pytest.raises(tracegrad.utils.type_check.InvalidType):
        F.linear(a, b)
    assert not [e for e in hook.log if e[1] == 'forward_pre']


def test_old_style_function_hooks():
    class Twice(tracegrad.Function):
        def forward_cpu(self, inputs):
            return inputs[0] * 2,

        def backward_cpu(self, inputs, grad_outputs):
            return grad_outputs[0] * 2,

    f = Twice()
    hook = Recorder()
    f.add_hook(hook)  # before the call, as in Chainer
    x = tracegrad.Variable(np.ones(2, np.float32))
    y = f(x)
    y.grad = np.ones(2, np.float32)
    y.backward()
    assert [e[1:3] for e in hook.log[1:]] == [
        ('forward_pre', 'FunctionAdapter'), ('forward_post', 'FunctionAdapter'),
        ('backward_pre', 'FunctionAdapter'), ('backward_post', 'FunctionAdapter')]
    assert list(f.node.local_function_hooks) == ['Recorder']
    f.delete_hook('Recorder')
    np.testing.assert_array_equal(x.grad, [2., 2.])


# -- TimerHook -----------------------------------------------------------------------

def test_timer_hook_times_each_function():
    x = tracegrad.Variable(np.random.rand(3, 5).astype(np.float32))
    with function_hooks.TimerHook() as timer:
        y = F.sum(F.tanh(x))
        y.backward()
        F.tanh(x)
    summary = timer.summary()
    assert summary['Tanh']['occurrence'] == 3  # two forwards, one backward
    assert summary['Sum']['occurrence'] == 2
    for name, elapsed in timer.call_history:
        assert elapsed > 0, name
    assert all(r['elapsed_time'] > 0 for r in summary.values())
    # Only the outermost calls count towards the total: nested ones are inside them.
    outer = sum(t for n, t in timer.call_history)
    assert 0 < timer.total_time() < outer


def test_timer_hook_report():
    timer = function_hooks.TimerHook()
    timer.call_history = [('LinearFunction', 1.5), ('ReLU', 0.002), ('LinearFunction', 0.5)]
    out = io.StringIO()
    timer.print_report(file=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ['FunctionName', 'ElapsedTime', 'Occurrence']
    assert lines[1].split() == ['LinearFunction', '2.00sec', '2']
    assert lines[2].split() == ['ReLU', '0.00sec', '1']
    assert len({len(line) for line in lines}) == 1  # aligned columns
    out = io.StringIO()
    timer.print_report(unit='auto_foreach', file=out)
    assert out.getvalue().splitlines()[2].split() == ['ReLU', '2.00ms', '1']
    out = io.StringIO()
    timer.print_report(unit='us', file=out)
    assert out.getvalue().splitlines()[2].split() == ['ReLU', '2000.00us', '1']
    with pytest.raises(ValueError, match='TimerHook.print_report: unit must be one of'):
        timer.print_report(unit='hours')


# -- PrintHook -----------------------------------------------------------------------

def test_print_hook_prints_inputs_and_gradients():
    out = io.StringIO()
    x = tracegrad.Variable(np.array([1., 2.], np.float32))
    with function_hooks.PrintHook(file=out):
        y = F.sum(x)
        y.backward()
    text = out.getvalue()
    assert text.startswith('function\tSum\ninput data\n<variable>\n- device: @numpy\n')
    assert '- shape: (2,)' in text
    assert 'output gradient' in text
    assert '- grad: mean=1.00000000, std=0.00000000' in text
    with pytest.warns(DeprecationWarning, match='sep'):
        function_hooks.PrintHook(sep=' ')


def test_print_hook_with_an_output_without_gradient():
    out = io.StringIO()
    x = tracegrad.Variable(np.array([1., 2.], np.float32))
    a, _ = F.split_axis(x, 2, 0)
    with function_hooks.PrintHook(file=out):
        a.grad = np.ones(1, np.float32)
        a.backward()
    text = out.getvalue()
    block = text[text.index('function\tSplitAxis'):]
    block = block[block.index('output gradient'):]
    gradients = block.split('\nfunction\t')[0].splitlines()  # up to the next function
    assert gradients[1] == '<variable>' and gradients[-1] == 'None'
    np.testing.assert_array_equal(x.grad, [1., 0.])


# -- compiled steps ------------------------------------------------------------------

def _model_and_step(fallback):
    model = tracegrad.links.Linear(3, 2)
    opt = tracegrad.optimizers.SGD(lr=0.1).setup(model)

    def step(x):
        loss = F.sum(model(x) ** 2)
        model.cleargrads()
        loss.backward()
        opt.update()
        return loss

    return model, tracegrad.compile(step, backend='reference', fallback=fallback)


def test_compiled_step_refuses_function_hooks_clearly():
    x = np.random.rand(4, 3).astype(np.float32)
    _, compiled = _model_and_step('error')
    compiled(x)  # compiled without hooks
    refused = r"function hooks are registered \(TimerHook\).*fallback='eager'"
    with function_hooks.TimerHook() as timer, pytest.raises(tracegrad.CompileError,
                                                            match=refused):
        compiled(x)
    assert timer.call_history == []
    compiled(x)  # fine again outside the block


def test_compiled_step_with_eager_fallback_runs_the_hooks():
    x = np.random.rand(4, 3).astype(np.float32)
    model, compiled = _model_and_step('eager')
    compiled(x)
    w_before = model.W.array.copy()
    with function_hooks.TimerHook() as timer, pytest.warns(RuntimeWarning,
                                                           match='function hooks'):
        compiled(x)
    assert compiled.stats['eager_calls'] == 1
    assert 'LinearFunction' in timer.summary()
    assert not np.array_equal(model.W.array, w_before)  # the step did run


@pytest.mark.gpu
def test_timer_hook_on_gpu_arrays():
    from tracegrad.backends import cuda

    if not cuda.available:
        pytest.skip('needs CuPy and a CUDA GPU (or TRACEGRAD_HOST_CUPY=1)')
    x = tracegrad.Variable(cuda.to_gpu(np.random.rand(3, 4).astype(np.float32)))
    with function_hooks.TimerHook() as timer:
        F.sum(F.tanh(x)).backward()
    assert timer.summary()['Tanh']['occurrence'] == 2
    assert all(t > 0 for _, t in timer.call_history)
    assert isinstance(x.grad, cuda.ndarray)
