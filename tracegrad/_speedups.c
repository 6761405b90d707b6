/* The eager hot path in C: FunctionNode.apply and the backprop loop.
 *
 * This module is optional. The Python implementations stay the reference
 * (FunctionNode._apply_py, backprop._backprop_loop); tracegrad/_native.py puts
 * these in their place only when this module was built and reports the API
 * version that Python expects. The C code handles the case every eager step
 * takes and hands everything else to the Python helpers, so the two can only
 * differ in speed:
 *
 *   - an input that is not a Variable  -> FunctionNode._apply_py (the whole call)
 *   - type checks that need more than a cache hit -> FunctionNode._check_inputs
 *   - outputs that are not a tuple of ndarrays -> function_node._coerce_outputs
 *   - a backward result that is not one Variable per target input ->
 *     backprop._normalize_grads; gradient accumulation -> backprop._sum_grads;
 *     intermediate gradients for grad()/retain_grad -> backprop._record
 *
 * Variable and VariableNode keep their fields in __slots__; their offsets are
 * read once from the member descriptors at init(), so the fields are read and
 * written directly, as the interpreter's specialised bytecodes do.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#define API_VERSION 4  /* tracegrad._native.API_VERSION */

/* What init() is given (strong references, kept for the process's life). */
static PyTypeObject *Variable_type;
static PyTypeObject *VariableNode_type;
static PyTypeObject *ndarray_type;
static PyObject *config;              /* tracegrad.configuration.config */
static PyObject *checked_signatures;  /* function_node._checked_signatures (dict) */
static PyObject *apply_py;            /* FunctionNode._apply_py */
static PyObject *coerce_outputs;      /* function_node._coerce_outputs(func, outputs) */
static PyObject *base_check_type_forward;  /* FunctionNode.check_type_forward */
static PyObject *base_check_inputs;        /* FunctionNode._check_inputs */
static PyObject *object_init;              /* object.__init__ */
static PyObject *record_grad;     /* backprop._record(node, gy, wanted, found, retain_grad) */
static PyObject *normalize_grads; /* backprop._normalize_grads(func, targets, gxs) */
static PyObject *sum_grads;       /* backprop._sum_grads(a, b, differentiable) */
static PyObject *grad_shape_error; /* backprop._grad_shape_error(func, i, gx, x) */
static PyObject *heappush, *heappop, *no_grad_kwargs;

/* Slot offsets. */
static Py_ssize_t v_data, v_grad_var, v_requires_grad, v_loss_scale, v_name, v_node;
static Py_ssize_t n_variable, n_creator, n_rank, n_data, n_name, n_requires_grad,
    n_shape, n_dtype;

static PyObject *s_type_check, *s_enable_backprop, *s_forward, *s_check_inputs,
    *s_check_type_forward, *s_init, *s_node, *s_inputs, *s_outputs, *s_rank,
    *s_in_retain, *s_out_retain, *s_retained_out, *s_shape, *s_dtype, *s_backward, *s_dict, *s_get_variable;

static int initialized = 0;

#define SLOT(obj, off) (*(PyObject **)((char *)(obj) + (off)))

static inline void
slot_set(PyObject *obj, Py_ssize_t off, PyObject *value)  /* steals value */
{
    PyObject *old = SLOT(obj, off);
    SLOT(obj, off) = value;
    Py_XDECREF(old);
}

static int
slot_offset(PyTypeObject *type, const char *name, Py_ssize_t *off)
{
    PyObject *descr = PyDict_GetItemString(type->tp_dict, name);  /* borrowed */
    if (descr == NULL || !Py_IS_TYPE(descr, &PyMemberDescr_Type)) {
        PyErr_Format(PyExc_TypeError, "_speedups.init: %s.%s is not a __slots__ member",
                     type->tp_name, name);
        return -1;
    }
    PyMemberDef *m = ((PyMemberDescrObject *)descr)->d_member;
    if (m->type != T_OBJECT_EX) {
        PyErr_Format(PyExc_TypeError, "_speedups.init: %s.%s has an unexpected member type",
                     type->tp_name, name);
        return -1;
    }
    *off = m->offset;
    return 0;
}

static PyObject *
init(PyObject *module, PyObject *args)
{
    PyObject *vt, *nt, *at;
    if (initialized) {
        PyErr_SetString(PyExc_RuntimeError, "_speedups.init: called twice");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!OO!OOOOOOOOO:init",
                          &PyType_Type, &vt, &PyType_Type, &nt, &PyType_Type, &at,
                          &config, &PyDict_Type, &checked_signatures, &apply_py,
                          &coerce_outputs, &base_check_type_forward, &base_check_inputs,
                          &object_init, &record_grad, &normalize_grads, &sum_grads,
                          &grad_shape_error))
        return NULL;
    Variable_type = (PyTypeObject *)vt;
    VariableNode_type = (PyTypeObject *)nt;
    ndarray_type = (PyTypeObject *)at;
    if (slot_offset(Variable_type, "_data", &v_data) < 0 ||
        slot_offset(Variable_type, "_grad_var", &v_grad_var) < 0 ||
        slot_offset(Variable_type, "_requires_grad", &v_requires_grad) < 0 ||
        slot_offset(Variable_type, "_loss_scale", &v_loss_scale) < 0 ||
        slot_offset(Variable_type, "_name", &v_name) < 0 ||
        slot_offset(Variable_type, "_node_", &v_node) < 0 ||
        slot_offset(VariableNode_type, "_variable", &n_variable) < 0 ||
        slot_offset(VariableNode_type, "creator_node", &n_creator) < 0 ||
        slot_offset(VariableNode_type, "rank", &n_rank) < 0 ||
        slot_offset(VariableNode_type, "data", &n_data) < 0 ||
        slot_offset(VariableNode_type, "name", &n_name) < 0 ||
        slot_offset(VariableNode_type, "requires_grad", &n_requires_grad) < 0 ||
        slot_offset(VariableNode_type, "shape", &n_shape) < 0 ||
        slot_offset(VariableNode_type, "dtype", &n_dtype) < 0)
        return NULL;
    PyObject *heapq = PyImport_ImportModule("heapq");
    if (heapq == NULL)
        return NULL;
    heappush = PyObject_GetAttrString(heapq, "heappush");
    heappop = PyObject_GetAttrString(heapq, "heappop");
    Py_DECREF(heapq);
    no_grad_kwargs = Py_BuildValue("{s:O}", "requires_grad", Py_False);
    if (heappush == NULL || heappop == NULL || no_grad_kwargs == NULL)
        return NULL;
    /* Keep everything alive for the life of the process. */
    Py_INCREF(vt); Py_INCREF(nt); Py_INCREF(at); Py_INCREF(config);
    Py_INCREF(checked_signatures); Py_INCREF(apply_py); Py_INCREF(coerce_outputs);
    Py_INCREF(base_check_type_forward); Py_INCREF(base_check_inputs); Py_INCREF(object_init);
    Py_INCREF(record_grad); Py_INCREF(normalize_grads); Py_INCREF(sum_grads);
    Py_INCREF(grad_shape_error);
    initialized = 1;
    Py_RETURN_NONE;
}

/* A Variable holding `data`, without a node (Python: variable._new_variable). */
static PyObject *
new_variable(PyObject *data, int requires_grad)
{
    PyObject *var = Variable_type->tp_alloc(Variable_type, 0);
    if (var == NULL)
        return NULL;
    Py_INCREF(data);
    SLOT(var, v_data) = data;
    SLOT(var, v_grad_var) = Py_NewRef(Py_None);
    SLOT(var, v_requires_grad) = Py_NewRef(requires_grad ? Py_True : Py_False);
    SLOT(var, v_loss_scale) = Py_NewRef(Py_None);
    SLOT(var, v_name) = Py_NewRef(Py_None);
    SLOT(var, v_node) = Py_NewRef(Py_None);
    return var;
}

/* A function output: a Variable and its node (Python: variable._new_output).
 * Stores a new weak reference to the node in *ref. */
static PyObject *
new_output(PyObject *data, PyObject *creator, PyObject *rank, PyObject **ref)
{
    PyObject *var = new_variable(data, 1);
    if (var == NULL)
        return NULL;
    PyObject *node = VariableNode_type->tp_alloc(VariableNode_type, 0);
    if (node == NULL)
        goto fail;
    slot_set(var, v_node, node);  /* var owns node */
    PyObject *wr = PyWeakref_NewRef(var, NULL);
    if (wr == NULL)
        goto fail;
    SLOT(node, n_variable) = wr;
    SLOT(node, n_creator) = Py_NewRef(creator);
    SLOT(node, n_rank) = Py_NewRef(rank);
    SLOT(node, n_data) = Py_NewRef(Py_None);
    SLOT(node, n_name) = Py_NewRef(Py_None);
    SLOT(node, n_requires_grad) = Py_NewRef(Py_True);
    PyObject *shape = PyObject_GetAttr(data, s_shape);
    if (shape == NULL)
        goto fail;
    SLOT(node, n_shape) = shape;
    PyObject *dtype = PyObject_GetAttr(data, s_dtype);
    if (dtype == NULL)
        goto fail;
    SLOT(node, n_dtype) = dtype;
    *ref = PyWeakref_NewRef(node, NULL);
    if (*ref == NULL)
        goto fail;
    return var;
fail:
    Py_DECREF(var);
    return NULL;
}

/* Returns 1 when `self`'s check is known to pass (or it has none), 0 when the
 * full Python check must run, -1 on error. Builds the same cache key as
 * FunctionNode._check_inputs: the class, the instance's attribute values
 * (except for a class without a constructor and one or two inputs), then each
 * input's shape and dtype. */
static int
check_cached(PyObject *self, PyObject *in_data)
{
    Py_ssize_t n = PyTuple_GET_SIZE(in_data);
    PyTypeObject *cls = Py_TYPE(self);
    PyObject *a = n ? PyTuple_GET_ITEM(in_data, 0) : NULL;
    for (Py_ssize_t i = 1; i < n; i++)
        if (Py_TYPE(PyTuple_GET_ITEM(in_data, i)) != Py_TYPE(a))
            return 0;  /* mixed array types: the device check is Python's */
    PyObject *f = PyObject_GetAttr((PyObject *)cls, s_check_type_forward);
    if (f == NULL)
        return -1;
    Py_DECREF(f);  /* only compared by identity; the class keeps it alive */
    if (f == base_check_type_forward)
        return 1;
    PyObject *init_f = PyObject_GetAttr((PyObject *)cls, s_init);
    if (init_f == NULL)
        return -1;
    Py_DECREF(init_f);
    PyObject *dict = NULL;
    Py_ssize_t nv = 0;
    if (!(init_f == object_init && (n == 1 || n == 2))) {
        dict = PyObject_GetAttr(self, s_dict);
        if (dict == NULL)
            return -1;
        if (!PyDict_CheckExact(dict)) {
            Py_DECREF(dict);
            return 0;
        }
        nv = PyDict_GET_SIZE(dict);
    }
    PyObject *key = PyTuple_New(1 + nv + 2 * n);
    if (key == NULL) {
        Py_XDECREF(dict);
        return -1;
    }
    PyTuple_SET_ITEM(key, 0, Py_NewRef((PyObject *)cls));
    if (dict != NULL) {
        Py_ssize_t pos = 0, j = 1;
        PyObject *k, *v;
        while (PyDict_Next(dict, &pos, &k, &v) && j <= nv)
            PyTuple_SET_ITEM(key, j++, Py_NewRef(v));
        Py_DECREF(dict);
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(in_data, i);
        PyObject *shape = PyObject_GetAttr(x, s_shape);
        if (shape == NULL) {
            Py_DECREF(key);
            return -1;
        }
        PyTuple_SET_ITEM(key, 1 + nv + 2 * i, shape);
        PyObject *dtype = PyObject_GetAttr(x, s_dtype);
        if (dtype == NULL) {
            Py_DECREF(key);
            return -1;
        }
        PyTuple_SET_ITEM(key, 2 + nv + 2 * i, dtype);
    }
    int found = PyDict_Contains(checked_signatures, key);
    Py_DECREF(key);
    if (found < 0) {  /* unhashable: let Python decide */
        PyErr_Clear();
        return 0;
    }
    return found;
}

static int
is_true_config(PyObject *name)
{
    PyObject *v = PyObject_GetAttr(config, name);
    if (v == NULL)
        return -1;
    int r = v == Py_True ? 1 : v == Py_False ? 0 : PyObject_IsTrue(v);
    Py_DECREF(v);
    return r;
}

/* Set node.data = arrays[i] for each i in `indexes` (retain_inputs). */
static int
retain_inputs(PyObject *indexes, PyObject *nodes, PyObject *arrays)
{
    PyObject *seq = PySequence_Fast(indexes, "retain_inputs: indexes must be a sequence");
    if (seq == NULL)
        return -1;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t k = 0; k < m; k++) {
        PyObject *i = PySequence_Fast_GET_ITEM(seq, k);
        PyObject *node = PyObject_GetItem(nodes, i);
        if (node == NULL) {
            Py_DECREF(seq);
            return -1;
        }
        PyObject *data = PyObject_GetItem(arrays, i);
        if (data == NULL) {
            Py_DECREF(node);
            Py_DECREF(seq);
            return -1;
        }
        slot_set(node, n_data, data);
        Py_DECREF(node);
    }
    Py_DECREF(seq);
    return 0;
}

/* The checks every entry point makes: its argument count, and init() done. */
static int
ready(const char *name, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs != expected) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd arguments (%zd given)", name, expected,
                     nargs);
        return 0;
    }
    if (!initialized) {
        PyErr_SetString(PyExc_RuntimeError, "tracegrad._speedups.init() was not called");
        return 0;
    }
    return 1;
}

static PyObject *
apply(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready("apply", nargs, 2))
        return NULL;
    PyObject *self = args[0], *inputs = args[1];
    if (!PyTuple_CheckExact(inputs) && !PyList_CheckExact(inputs))
        return PyObject_Vectorcall(apply_py, args, 2, NULL);
    Py_ssize_t n = PySequence_Fast_GET_SIZE(inputs);
    PyObject **items = PySequence_Fast_ITEMS(inputs);
    int requires_grad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = items[i];
        if (!PyObject_TypeCheck(x, Variable_type) || SLOT(x, v_data) == NULL ||
            SLOT(x, v_requires_grad) == NULL || SLOT(x, v_node) == NULL)
            return PyObject_Vectorcall(apply_py, args, 2, NULL);
        PyObject *rg = SLOT(x, v_requires_grad);
        if (rg == Py_True)
            requires_grad = 1;
        else if (rg != Py_False) {
            int t = PyObject_IsTrue(rg);
            if (t < 0)
                return NULL;
            requires_grad |= t;
        }
    }
    /* From here on Python code runs (forward), so keep our own reference to the
     * inputs as they are now. */
    PyObject *ins = PySequence_Tuple(inputs);
    if (ins == NULL)
        return NULL;
    PyObject *in_data = PyTuple_New(n);
    PyObject *outputs = NULL, *in_nodes = NULL, *ret = NULL, *refs = NULL, *rank_obj = NULL,
             *idx = NULL;
    if (in_data == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n; i++)
        PyTuple_SET_ITEM(in_data, i, Py_NewRef(SLOT(PyTuple_GET_ITEM(ins, i), v_data)));

    int tc = is_true_config(s_type_check);
    if (tc < 0)
        goto done;
    if (tc) {
        int known = 0;
        PyObject *ci = PyObject_GetAttr((PyObject *)Py_TYPE(self), s_check_inputs);
        if (ci == NULL)
            goto done;
        Py_DECREF(ci);
        if (ci == base_check_inputs) {
            known = check_cached(self, in_data);
            if (known < 0)
                goto done;
        }
        if (!known) {
            PyObject *r = PyObject_CallMethodOneArg(self, s_check_inputs, in_data);
            if (r == NULL)
                goto done;
            Py_DECREF(r);
        }
    }

    outputs = PyObject_CallMethodOneArg(self, s_forward, in_data);
    if (outputs == NULL)
        goto done;
    int plain = PyTuple_CheckExact(outputs);
    for (Py_ssize_t i = 0; plain && i < PyTuple_GET_SIZE(outputs); i++)
        if (!Py_IS_TYPE(PyTuple_GET_ITEM(outputs, i), ndarray_type))
            plain = 0;
    if (!plain) {
        PyObject *fixed = PyObject_CallFunctionObjArgs(coerce_outputs, self, outputs, NULL);
        Py_SETREF(outputs, fixed);
        if (outputs == NULL)
            goto done;
    }
    Py_ssize_t m = PyTuple_GET_SIZE(outputs);

    int eb = 0;
    if (requires_grad) {
        eb = is_true_config(s_enable_backprop);
        if (eb < 0)
            goto done;
    }
    ret = PyTuple_New(m);
    if (ret == NULL)
        goto done;
    if (!eb) {
        for (Py_ssize_t i = 0; i < m; i++) {
            PyObject *var = new_variable(PyTuple_GET_ITEM(outputs, i), 0);
            if (var == NULL) {
                Py_CLEAR(ret);
                goto done;
            }
            PyTuple_SET_ITEM(ret, i, var);
        }
        goto done;
    }

    /* Attach this node to the graph. */
    in_nodes = PyTuple_New(n);
    if (in_nodes == NULL)
        goto fail;
    long rank = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyTuple_GET_ITEM(ins, i);
        PyObject *node = SLOT(x, v_node);
        if (node == Py_None) {
            node = PyObject_GetAttr(x, s_node);  /* the property makes it */
            if (node == NULL)
                goto fail;
        }
        else
            Py_INCREF(node);
        PyTuple_SET_ITEM(in_nodes, i, node);
        if (!PyObject_TypeCheck(node, VariableNode_type) || SLOT(node, n_rank) == NULL) {
            PyErr_Format(PyExc_TypeError, "apply: input %zd has no VariableNode", i);
            goto fail;
        }
        long r = PyLong_AsLong(SLOT(node, n_rank));
        if (r == -1 && PyErr_Occurred())
            goto fail;
        if (r > rank)
            rank = r;
    }
    if (PyObject_SetAttr(self, s_inputs, in_nodes) < 0)
        goto fail;
    rank_obj = PyLong_FromLong(rank);
    if (rank_obj == NULL || PyObject_SetAttr(self, s_rank, rank_obj) < 0)
        goto fail;
    Py_SETREF(rank_obj, PyLong_FromLong(rank + 1));
    refs = PyTuple_New(m);
    if (rank_obj == NULL || refs == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < m; i++) {
        PyObject *ref;
        PyObject *var = new_output(PyTuple_GET_ITEM(outputs, i), self, rank_obj, &ref);
        if (var == NULL)
            goto fail;
        PyTuple_SET_ITEM(ret, i, var);
        PyTuple_SET_ITEM(refs, i, ref);
    }
    if (PyObject_SetAttr(self, s_outputs, refs) < 0)
        goto fail;

    idx = PyObject_GetAttr(self, s_in_retain);
    if (idx == NULL)
        goto fail;
    if (idx != Py_None && retain_inputs(idx, in_nodes, in_data) < 0)
        goto fail;
    Py_SETREF(idx, PyObject_GetAttr(self, s_out_retain));
    if (idx == NULL)
        goto fail;
    if (idx != Py_None) {
        PyObject *kept;
        if (m == 1)
            kept = Py_NewRef(outputs);
        else {
            PyObject *seq = PySequence_Fast(idx, "retain_outputs: indexes must be a sequence");
            if (seq == NULL)
                goto fail;
            Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
            kept = PyTuple_New(k);
            for (Py_ssize_t j = 0; kept != NULL && j < k; j++) {
                PyObject *y = PyObject_GetItem(outputs, PySequence_Fast_GET_ITEM(seq, j));
                if (y == NULL)
                    Py_CLEAR(kept);
                else
                    PyTuple_SET_ITEM(kept, j, y);
            }
            Py_DECREF(seq);
            if (kept == NULL)
                goto fail;
        }
        int err = PyObject_SetAttr(self, s_retained_out, kept);
        Py_DECREF(kept);
        if (err < 0)
            goto fail;
    }
    goto done;
fail:
    Py_CLEAR(ret);
done:
    Py_XDECREF(idx);
    Py_XDECREF(rank_obj);
    Py_XDECREF(refs);
    Py_XDECREF(in_nodes);
    Py_XDECREF(outputs);
    Py_XDECREF(in_data);
    Py_DECREF(ins);
    return ret;
}


/* Queue the creator of `node` once, highest rank first, or note `node` as a
 * leaf (Python: backprop._push). */
static int
push(PyObject *node, PyObject *heap, PyObject *seen, PyObject *leaves)
{
    PyObject *func = SLOT(node, n_creator);
    if (func == NULL) {
        PyErr_SetString(PyExc_AttributeError, "VariableNode has no creator_node");
        return -1;
    }
    if (func == Py_None)
        return PyDict_SetItem(leaves, node, Py_None);
    int has = PySet_Contains(seen, func);
    if (has != 0)
        return has < 0 ? -1 : 0;
    if (PySet_Add(seen, func) < 0)
        return -1;
    PyObject *rank = PyObject_GetAttr(func, s_rank);
    if (rank == NULL)
        return -1;
    PyObject *neg = PyNumber_Negative(rank);
    Py_DECREF(rank);
    if (neg == NULL)
        return -1;
    PyObject *count = PyLong_FromSsize_t(PySet_GET_SIZE(seen));
    if (count == NULL) {
        Py_DECREF(neg);
        return -1;
    }
    PyObject *entry = PyTuple_Pack(3, neg, count, func);
    Py_DECREF(neg);
    Py_DECREF(count);
    if (entry == NULL)
        return -1;
    PyObject *pargs[2] = {heap, entry};
    PyObject *r = PyObject_Vectorcall(heappush, pargs, 2, NULL);
    Py_DECREF(entry);
    if (r == NULL)
        return -1;
    Py_DECREF(r);
    return 0;
}

/* One creator's backward: gather its output grads, call backward, and pass the
 * input grads on. Returns 0, or -1 with an exception set. */
static int
backprop_one(PyObject *func, PyObject *heap, PyObject *seen, PyObject *leaves,
             PyObject *grads, int record, PyObject *wanted, PyObject *found,
             PyObject *retain_grad, PyObject *differentiable)
{
    int status = -1;
    PyObject *outputs = NULL, *gys = NULL, *inputs = NULL, *targets = NULL, *gxs = NULL;
    outputs = PyObject_GetAttr(func, s_outputs);
    if (outputs == NULL)
        goto done;
    if (!PyTuple_Check(outputs)) {
        PyErr_Format(PyExc_TypeError, "backprop: %R.outputs is not a tuple of references",
                     func);
        goto done;
    }
    Py_ssize_t m = PyTuple_GET_SIZE(outputs);
    gys = PyTuple_New(m);
    if (gys == NULL)
        goto done;
    int has_gy = 0;
    for (Py_ssize_t j = 0; j < m; j++) {
        PyObject *n = PyObject_CallNoArgs(PyTuple_GET_ITEM(outputs, j));
        if (n == NULL)
            goto done;
        PyObject *gy = NULL;
        if (n != Py_None) {
            gy = PyDict_GetItemWithError(grads, n);  /* borrowed */
            if (gy == NULL && PyErr_Occurred()) {
                Py_DECREF(n);
                goto done;
            }
            if (gy != NULL) {
                Py_INCREF(gy);
                if (PyDict_DelItem(grads, n) < 0) {
                    Py_DECREF(gy);
                    Py_DECREF(n);
                    goto done;
                }
            }
        }
        if (gy == NULL)
            gy = Py_NewRef(Py_None);
        PyTuple_SET_ITEM(gys, j, gy);
        if (gy != Py_None) {
            has_gy = 1;
            if (record) {
                PyObject *rargs[5] = {n, gy, wanted, found, retain_grad};
                PyObject *r = PyObject_Vectorcall(record_grad, rargs, 5, NULL);
                if (r == NULL) {
                    Py_DECREF(n);
                    goto done;
                }
                Py_DECREF(r);
            }
        }
        Py_DECREF(n);
    }
    inputs = PyObject_GetAttr(func, s_inputs);
    if (inputs == NULL)
        goto done;
    if (inputs == Py_None || !has_gy) {  /* unchained while we walked, or no grads */
        status = 0;
        goto done;
    }
    if (!PyTuple_Check(inputs)) {
        PyErr_Format(PyExc_TypeError, "backprop: %R.inputs is not a tuple of nodes", func);
        goto done;
    }
    Py_ssize_t n_in = PyTuple_GET_SIZE(inputs), n_t = 0;
    targets = PyTuple_New(n_in);
    if (targets == NULL)
        goto done;
    for (Py_ssize_t i = 0; i < n_in; i++) {
        PyObject *x = PyTuple_GET_ITEM(inputs, i);
        PyObject *rg = SLOT(x, n_requires_grad);
        int t;
        if (!PyObject_TypeCheck(x, VariableNode_type) || rg == NULL) {
            PyErr_Format(PyExc_TypeError, "backprop: input %zd of %R is not a VariableNode",
                         i, func);
            goto done;
        }
        t = rg == Py_True ? 1 : rg == Py_False ? 0 : PyObject_IsTrue(rg);
        if (t < 0)
            goto done;
        if (t) {
            PyObject *index = PyLong_FromSsize_t(i);
            if (index == NULL)
                goto done;
            PyTuple_SET_ITEM(targets, n_t++, index);
        }
    }
    if (n_t == 0) {
        status = 0;
        goto done;
    }
    if (n_t < n_in && _PyTuple_Resize(&targets, n_t) < 0)
        goto done;
    {
        PyObject *bargs[3] = {func, targets, gys};
        gxs = PyObject_VectorcallMethod(s_backward, bargs, 3, NULL);
    }
    Py_CLEAR(gys);  /* the output grads are no longer needed */
    if (gxs == NULL)
        goto done;
    if (PyTuple_CheckExact(gxs) && PyTuple_GET_SIZE(gxs) == n_in && n_t < n_in) {
        /* one entry per input: keep the targets' (as _normalize_grads does) */
        PyObject *picked = PyTuple_New(n_t);
        if (picked == NULL)
            goto done;
        for (Py_ssize_t k = 0; k < n_t; k++) {
            Py_ssize_t i = PyLong_AsSsize_t(PyTuple_GET_ITEM(targets, k));
            PyTuple_SET_ITEM(picked, k, Py_NewRef(PyTuple_GET_ITEM(gxs, i)));
        }
        Py_SETREF(gxs, picked);
    }
    if (!PyTuple_CheckExact(gxs) || PyTuple_GET_SIZE(gxs) != n_t) {
        PyObject *nargs[3] = {func, targets, gxs};
        Py_SETREF(gxs, PyObject_Vectorcall(normalize_grads, nargs, 3, NULL));
        if (gxs == NULL)
            goto done;
        if (!PyTuple_CheckExact(gxs) || PyTuple_GET_SIZE(gxs) != n_t) {
            PyErr_SetString(PyExc_TypeError, "backprop: _normalize_grads returned no tuple");
            goto done;
        }
    }
    for (Py_ssize_t k = 0; k < n_t; k++) {
        PyObject *gx = PyTuple_GET_ITEM(gxs, k);
        if (gx == Py_None)
            continue;
        PyObject *index = PyTuple_GET_ITEM(targets, k);
        Py_ssize_t i = PyLong_AsSsize_t(index);
        PyObject *x = PyTuple_GET_ITEM(inputs, i);
        Py_INCREF(gx);
        if (!PyObject_TypeCheck(gx, Variable_type)) {
            PyObject *cargs[1] = {gx};
            PyObject *var = PyObject_VectorcallDict((PyObject *)Variable_type, cargs, 1,
                                                    no_grad_kwargs);
            Py_SETREF(gx, var);
            if (gx == NULL)
                goto done;
        }
        PyObject *x_shape = SLOT(x, n_shape);
        PyObject *data = SLOT(gx, v_data);
        if (x_shape != NULL && x_shape != Py_None && data != NULL) {
            PyObject *g_shape = PyObject_GetAttr(data, s_shape);
            int ne = g_shape == NULL ? -1 : PyObject_RichCompareBool(g_shape, x_shape, Py_NE);
            Py_XDECREF(g_shape);
            if (ne != 0) {
                if (ne > 0) {
                    PyObject *eargs[4] = {func, index, gx, x};
                    PyObject *err = PyObject_Vectorcall(grad_shape_error, eargs, 4, NULL);
                    if (err != NULL) {
                        PyErr_SetObject((PyObject *)Py_TYPE(err), err);
                        Py_DECREF(err);
                    }
                }
                Py_DECREF(gx);
                goto done;
            }
        }
        PyObject *old = PyDict_GetItemWithError(grads, x);  /* borrowed */
        if (old == NULL) {
            int err = PyErr_Occurred() ? -1 : PyDict_SetItem(grads, x, gx);
            Py_DECREF(gx);
            if (err < 0 || push(x, heap, seen, leaves) < 0)
                goto done;
        }
        else {  /* x's creator was queued with its first gradient */
            Py_INCREF(old);
            PyObject *sargs[3] = {old, gx, differentiable};
            PyObject *sum = PyObject_Vectorcall(sum_grads, sargs, 3, NULL);
            Py_DECREF(old);
            Py_DECREF(gx);
            if (sum == NULL)
                goto done;
            int err = PyDict_SetItem(grads, x, sum);
            Py_DECREF(sum);
            if (err < 0)
                goto done;
        }
    }
    status = 0;
done:
    Py_XDECREF(gxs);
    Py_XDECREF(targets);
    Py_XDECREF(inputs);
    Py_XDECREF(gys);
    Py_XDECREF(outputs);
    return status;
}

static PyObject *
backprop_loop(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready("backprop_loop", nargs, 8))
        return NULL;
    PyObject *heap = args[0], *seen = args[1], *leaves = args[2], *grads = args[3],
             *wanted = args[4], *found = args[5], *retain_grad = args[6],
             *differentiable = args[7];
    if (!PyList_CheckExact(heap) || !PySet_CheckExact(seen) || !PyDict_CheckExact(leaves) ||
        !PyDict_CheckExact(grads)) {
        PyErr_SetString(PyExc_TypeError,
                        "backprop_loop: heap, seen, leaves, grads must be list, set, dict, dict");
        return NULL;
    }
    int keep = PyObject_IsTrue(retain_grad);
    if (keep < 0)
        return NULL;
    int record = wanted != Py_None || keep;
    while (PyList_GET_SIZE(heap) > 0) {
        PyObject *entry = PyObject_Vectorcall(heappop, &heap, 1, NULL);
        if (entry == NULL)
            return NULL;
        if (!PyTuple_Check(entry) || PyTuple_GET_SIZE(entry) != 3) {
            Py_DECREF(entry);
            PyErr_SetString(PyExc_TypeError, "backprop_loop: malformed heap entry");
            return NULL;
        }
        PyObject *func = Py_NewRef(PyTuple_GET_ITEM(entry, 2));
        Py_DECREF(entry);
        int err = backprop_one(func, heap, seen, leaves, grads, record, wanted, found,
                               retain_grad, differentiable);
        Py_DECREF(func);
        if (err < 0)
            return NULL;
    }
    Py_RETURN_NONE;
}


/* What the weak reference ``wr`` points to, as a new reference; NULL (and no error) when
   it is dead. PyWeakref_GET_OBJECT is deprecated from Python 3.13, PyWeakref_GetRef new. */
static PyObject *weak_target(PyObject *wr)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyObject *obj = NULL;
    if (PyWeakref_GetRef(wr, &obj) < 0)
        PyErr_Clear();
    return obj;
#else
    PyObject *obj = PyWeakref_GET_OBJECT(wr);
    return obj == Py_None ? NULL : Py_NewRef(obj);
#endif
}

/* FunctionNode.get_retained_inputs: the retained inputs' Variables, taken from
 * their nodes' weak references (node.get_variable() recreates a dead one). */
static PyObject *
get_retained_inputs(PyObject *module, PyObject *self)
{
    PyObject *indexes = PyObject_GetAttr(self, s_in_retain);
    if (indexes == NULL)
        return NULL;
    PyObject *inputs = PyObject_GetAttr(self, s_inputs);
    if (inputs == NULL) {
        Py_DECREF(indexes);
        return NULL;
    }
    PyObject *ret = NULL, *seq = NULL;
    if (indexes == Py_None || inputs == Py_None) {
        ret = PyTuple_New(0);
        goto done;
    }
    seq = PySequence_Fast(indexes, "get_retained_inputs: indexes must be a sequence");
    if (seq == NULL)
        goto done;
    Py_ssize_t k = PySequence_Fast_GET_SIZE(seq);
    ret = PyTuple_New(k);
    for (Py_ssize_t j = 0; ret != NULL && j < k; j++) {
        PyObject *node = PyObject_GetItem(inputs, PySequence_Fast_GET_ITEM(seq, j));
        PyObject *var = NULL;
        if (node != NULL) {
            PyObject *wr = Py_IS_TYPE(node, VariableNode_type) ? SLOT(node, n_variable) : NULL;
            if (wr != NULL && PyWeakref_CheckRefExact(wr))
                var = weak_target(wr);
            if (var == NULL)
                var = PyObject_CallMethodNoArgs(node, s_get_variable);
            Py_DECREF(node);
        }
        if (var == NULL)
            Py_CLEAR(ret);
        else
            PyTuple_SET_ITEM(ret, j, var);
    }
done:
    Py_XDECREF(seq);
    Py_DECREF(inputs);
    Py_DECREF(indexes);
    return ret;
}


/* backprop._store_leaf_grads: add each leaf's gradient to its Variable's grad. */
static PyObject *
store_leaf_grads(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (!ready("store_leaf_grads", nargs, 4))
        return NULL;
    if (!PyDict_CheckExact(args[0]) || !PyDict_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError,
                        "store_leaf_grads(leaves: dict, grads: dict, loss_scale, differentiable)");
        return NULL;
    }
    PyObject *leaves = args[0], *grads = args[1], *loss_scale = args[2],
             *differentiable = args[3];
    PyObject *stored = PySet_New(NULL);  /* ids of the grads handed out */
    if (stored == NULL)
        return NULL;
    /* Python code runs below (copy, _sum_grads): walk a snapshot of the leaves. */
    PyObject *nodes = PyDict_Keys(leaves);
    if (nodes == NULL) {
        Py_DECREF(stored);
        return NULL;
    }
    int ok = 0;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(nodes); j++) {
        PyObject *node = PyList_GET_ITEM(nodes, j);
        if (!Py_IS_TYPE(node, VariableNode_type) || SLOT(node, n_variable) == NULL) {
            PyErr_SetString(PyExc_TypeError, "store_leaf_grads: a leaf is not a VariableNode");
            goto done;
        }
        PyObject *var = PyObject_CallNoArgs(SLOT(node, n_variable));
        if (var == NULL)
            goto done;
        if (var == Py_None) {
            Py_DECREF(var);
            continue;
        }
        PyObject *gx = PyDict_GetItemWithError(grads, node);
        if (gx == NULL) {
            if (!PyErr_Occurred())
                PyErr_SetObject(PyExc_KeyError, node);
            Py_DECREF(var);
            goto done;
        }
        Py_INCREF(gx);
        PyObject *data = PyObject_TypeCheck(gx, Variable_type) ? SLOT(gx, v_data) : NULL;
        if (data == NULL) {
            PyErr_SetString(PyExc_TypeError, "store_leaf_grads: a gradient is not a Variable");
            goto fail;
        }
        PyObject *id = PyLong_FromVoidPtr(gx);
        int copy = id == NULL ? -1 : PySet_Contains(stored, id);
        Py_XDECREF(id);
        if (copy == 0 && Py_IS_TYPE(data, ndarray_type)) {
            PyObject *flags = PyObject_GetAttrString(data, "flags");
            PyObject *w = flags ? PyObject_GetAttrString(flags, "writeable") : NULL;
            Py_XDECREF(flags);
            copy = w == NULL ? -1 : !PyObject_IsTrue(w);
            Py_XDECREF(w);
        }
        if (copy < 0)
            goto fail;
        if (copy) {  /* shared with another leaf, or a read-only view: its own array */
            PyObject *arr = PyObject_CallMethod(data, "copy", NULL);
            if (arr == NULL)
                goto fail;
            Py_SETREF(gx, new_variable(arr, 0));
            Py_DECREF(arr);
            if (gx == NULL)
                goto fail;
        }
        id = PyLong_FromVoidPtr(gx);
        if (id == NULL || PySet_Add(stored, id) < 0) {
            Py_XDECREF(id);
            goto fail;
        }
        Py_DECREF(id);
        PyObject *old = SLOT(var, v_grad_var);
        if (old != NULL && old != Py_None) {
            PyObject *sargs[3] = {old, gx, differentiable};
            Py_SETREF(gx, PyObject_Vectorcall(sum_grads, sargs, 3, NULL));
            if (gx == NULL)
                goto fail;
        }
        slot_set(var, v_grad_var, gx);  /* steals gx */
        slot_set(var, v_loss_scale, Py_NewRef(loss_scale));
        Py_DECREF(var);
        continue;
    fail:
        Py_XDECREF(gx);
        Py_DECREF(var);
        goto done;
    }
    ok = 1;
done:
    Py_DECREF(nodes);
    Py_DECREF(stored);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"init", init, METH_VARARGS,
     "init(Variable, VariableNode, ndarray, config, checked_signatures, apply_py, "
     "coerce_outputs, check_type_forward, check_inputs, object_init): bind the Python "
     "side (called once by tracegrad.function_node)."},
    {"apply", (PyCFunction)(void (*)(void))apply, METH_FASTCALL,
     "apply(func, inputs): FunctionNode.apply's common case in C."},
    {"get_retained_inputs", get_retained_inputs, METH_O,
     "get_retained_inputs(func): FunctionNode.get_retained_inputs in C."},
    {"store_leaf_grads", (PyCFunction)(void (*)(void))store_leaf_grads, METH_FASTCALL,
     "store_leaf_grads(leaves, grads, loss_scale, differentiable): "
     "backprop._store_leaf_grads in C."},
    {"backprop_loop", (PyCFunction)(void (*)(void))backprop_loop, METH_FASTCALL,
     "backprop_loop(heap, seen, leaves, grads, wanted, found, retain_grad, "
     "enable_double_backprop): backprop._backprop_loop in C."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "tracegrad._speedups",
    "C implementation of the eager hot path (optional; see tracegrad/_native.py).", -1,
    methods, NULL, NULL, NULL, NULL,
};

#define INTERN(var, text) if ((var = PyUnicode_InternFromString(text)) == NULL) return NULL

PyMODINIT_FUNC
PyInit__speedups(void)
{
    INTERN(s_type_check, "type_check");
    INTERN(s_enable_backprop, "enable_backprop");
    INTERN(s_forward, "forward");
    INTERN(s_check_inputs, "_check_inputs");
    INTERN(s_check_type_forward, "check_type_forward");
    INTERN(s_init, "__init__");
    INTERN(s_node, "_node");
    INTERN(s_inputs, "inputs");
    INTERN(s_outputs, "outputs");
    INTERN(s_rank, "rank");
    INTERN(s_in_retain, "_input_indexes_to_retain");
    INTERN(s_out_retain, "_output_indexes_to_retain");
    INTERN(s_retained_out, "_retained_output_data");
    INTERN(s_shape, "shape");
    INTERN(s_dtype, "dtype");
    INTERN(s_backward, "backward");
    INTERN(s_dict, "__dict__");
    INTERN(s_get_variable, "get_variable");
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL)
        return NULL;
    PyObject *apply_f = PyObject_GetAttrString(m, "apply");
    PyObject *method = apply_f ? PyInstanceMethod_New(apply_f) : NULL;
    Py_XDECREF(apply_f);
    if (method == NULL || PyModule_AddObject(m, "apply_method", method) < 0) {
        Py_XDECREF(method);
        Py_DECREF(m);
        return NULL;
    }
    PyObject *gri = PyObject_GetAttrString(m, "get_retained_inputs");
    method = gri ? PyInstanceMethod_New(gri) : NULL;
    Py_XDECREF(gri);
    if (method == NULL || PyModule_AddObject(m, "get_retained_inputs_method", method) < 0 ||
        PyModule_AddIntConstant(m, "API_VERSION", API_VERSION) < 0) {
        Py_XDECREF(method);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
