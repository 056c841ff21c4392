/* _tapegrad.c: the CPython extension behind the tapegrad package: micrograd's Value, backed by
 * the C tape. It uses only the library's public header (tapegrad.h); the pure-Python parts
 * (nn, grad/hessian/jvp/gradcheck wrappers, pictures) are in python/tapegrad/.
 *
 * Memory design (why no Value ever dangles and a training loop keeps its memory bounded):
 *   - A Value is a small C object that holds its data, its grad, its op and strong references
 *     to its children, exactly what micrograd's Value holds in _prev. Children never point to
 *     parents, so the graph has no reference cycles: Python's reference counting frees a step's
 *     graph the moment its last Value goes, with no cycle collector (the type is not GC-tracked).
 *   - Recording is eager, as micrograd: each operation computes its value at once through the
 *     library's op table on a small scratch tape (two constant leaves, one op node, rewound at
 *     once), so every value is the one the C engine computes, bit for bit.
 *   - backward() (and trace, pictures, higher order) records the cone of its root onto one
 *     reused tape, in topological order (an iterative depth-first walk: any depth works), runs
 *     the library's reverse sweep, adds the gradients into the Values' .grad as micrograd does,
 *     and rewinds the tape to empty. So a tape node lives only while a sweep needs it; between
 *     sweeps the tapes hold nothing but their reserved storage (the largest graph seen).
 *   - Deallocation of a long chain is iterative too (a pending list), so dropping a
 *     100,000-deep graph does not overflow the C stack. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tapegrad.h"

/* ---- Exceptions ----------------------------------------------------------------------- */

static PyObject *Error;        /* tapegrad.Error(RuntimeError): any library error */
static PyObject *AnomalyError; /* tapegrad.AnomalyError(FloatingPointError): NaN/inf found */
static PyObject *ProgramError; /* tapegrad.ProgramError(ValueError): the language's errors */

/* Raises the Python exception for a tape's error, with the library's own message, and clears
 * the error so the (reused) tape records again. Returns NULL for `return raise_tape(t);`. */
static PyObject *raise_tape(tg_tape *t)
{
    const tg_status code = tg_tape_status(t);
    const char *msg = tg_tape_errmsg(t);
    PyObject *type = code == TG_ERR_NONFINITE ? AnomalyError
                     : code == TG_ERR_NOMEM   ? PyExc_MemoryError
                                              : Error;
    PyErr_Format(type, "%s", msg && *msg ? msg : tg_strerror(code));
    tg_tape_clear_error(t);
    return NULL;
}

/* ---- The op table as the module sees it -----------------------------------------------
 * Every op is recorded through tg_apply and described by its row (tg_op_info_of), so a new
 * row of ops/ops.c becomes a Value method without touching this file. */

static int op_arity(tg_op op)
{
    const tg_op_info *info = tg_op_info_of(op);
    return info ? info->n_args : 0;
}

/* The name a method gets: the language's function names (exp, sigmoid, atan2, where, ...);
 * not the infix operators (Python has those), the n-ary sum and dot (module functions here),
 * nor the internal ops, which the table leaves without a name. */
static const char *op_method_name(tg_op op)
{
    const tg_op_info *info = tg_op_info_of(op);
    if (!info || !info->name || info->n_args == TG_NARY || info->n_args == 0)
        return NULL;
    return info->name;
}

static tg_var record_op(tg_tape *t, tg_op op, size_t n, const tg_var *a)
{
    return tg_apply(t, op, n, a);
}

/* ---- The Value type ------------------------------------------------------------------- */

enum {
    F_CONST = 1,    /* a Python number promoted to a Value (recorded as tg_const) */
    F_DATA_INT = 2, /* .data reads back as int (micrograd keeps Value(0).data an int) */
    F_GRAD_INT = 4, /* .grad reads back as int (micrograd's initial grad is the int 0) */
};

typedef struct ValueObject {
    PyObject_HEAD
    double data;
    double grad;
    int32_t op;        /* tg_op; TG_OP_INPUT / TG_OP_CONST for leaves */
    uint32_t flags;
    uint32_t n_args;
    uint32_t tape_id;  /* the node's id on the sweep tape, valid while mark == walk_epoch */
    uint64_t mark;
    struct ValueObject **args; /* inline_args or a PyMem array; strong references */
    struct ValueObject *inline_args[2];
    PyObject *label;   /* str or NULL */
    PyObject *op_str;  /* _op given to the constructor, or '**p' of a pow; NULL: from op */
} ValueObject;

static PyTypeObject ValueType;
#define Value_Check(o) PyObject_TypeCheck((o), &ValueType)

static tg_tape *scratch;   /* computes one op's value: leaves k[0..2], then the op, rewound */
static tg_var scratch_k[3];
static tg_mark scratch_mark;
static tg_tape *sweep;     /* the tape backward records a cone on; emptied after each use */
static int anomaly_on;
static uint64_t walk_epoch;

static ValueObject *value_alloc(double data, int op, uint32_t n_args)
{
    ValueObject *v = PyObject_New(ValueObject, &ValueType);
    if (!v)
        return NULL;
    v->data = data;
    v->grad = 0.0;
    v->op = op;
    v->flags = F_GRAD_INT;
    v->n_args = 0;
    v->tape_id = 0;
    v->mark = 0;
    v->args = v->inline_args;
    v->label = NULL;
    v->op_str = NULL;
    if (n_args > 2) {
        v->args = PyMem_Malloc(n_args * sizeof *v->args);
        if (!v->args) {
            v->args = v->inline_args;
            Py_DECREF(v);
            PyErr_NoMemory();
            return NULL;
        }
    }
    return v;
}

/* Iterative release: a Value whose child is about to die with it hands the child to this list
 * instead of decref'ing it inside its own dealloc, so freeing a chain of any depth uses a
 * bounded C stack. */
static ValueObject **pending;
static size_t n_pending, cap_pending;
static int releasing;

static void value_dealloc(ValueObject *v)
{
    for (uint32_t k = 0; k < v->n_args; k++) {
        ValueObject *c = v->args[k];
        if (Py_REFCNT(c) > 1) {
            Py_DECREF(c);
            continue;
        }
        if (n_pending == cap_pending) {
            size_t cap = cap_pending ? 2 * cap_pending : 1024;
            ValueObject **p = PyMem_Realloc(pending, cap * sizeof *p);
            if (!p) {
                Py_DECREF(c); /* recursion as a last resort */
                continue;
            }
            pending = p;
            cap_pending = cap;
        }
        pending[n_pending++] = c;
    }
    if (v->args != v->inline_args)
        PyMem_Free(v->args);
    Py_CLEAR(v->label);
    Py_CLEAR(v->op_str);
    PyObject_Free(v);
    if (releasing)
        return;
    releasing = 1;
    while (n_pending > 0) {
        ValueObject *c = pending[--n_pending];
        Py_DECREF(c);
    }
    releasing = 0;
}

/* Reads a Python number (int, float, numpy scalar, anything with __float__ or __index__).
 * Returns 0 and sets *is_int, or -1 with TypeError cleared-and-unset when not a number
 * (so binary operators can return NotImplemented). */
static int number_of(PyObject *o, double *x, int *is_int)
{
    if (PyFloat_Check(o)) {
        *x = PyFloat_AS_DOUBLE(o);
        *is_int = 0;
        return 0;
    }
    if (PyLong_Check(o)) {
        *x = PyLong_AsDouble(o);
        if (*x == -1.0 && PyErr_Occurred())
            return -2; /* too large: a real error */
        *is_int = fabs(*x) <= 9007199254740992.0;
        return 0;
    }
    PyNumberMethods *nb = Py_TYPE(o)->tp_as_number;
    if (!nb || (!nb->nb_float && !nb->nb_index))
        return -1;
    *is_int = !nb->nb_float && nb->nb_index;
    if (*is_int) {
        PyObject *i = PyNumber_Index(o);
        if (!i)
            return -2;
        *x = PyLong_AsDouble(i);
        Py_DECREF(i);
    } else {
        *x = PyFloat_AsDouble(o);
    }
    if (*x == -1.0 && PyErr_Occurred())
        return -2;
    return 0;
}

static ValueObject *const_value(double x, int is_int)
{
    ValueObject *v = value_alloc(x, TG_OP_CONST, 0);
    if (v)
        v->flags |= F_CONST | (is_int ? F_DATA_INT : 0);
    return v;
}

/* A Value for o: o itself (new reference) if it is one, else a constant. NULL and no error
 * set when o is not a number (the caller returns NotImplemented). */
static ValueObject *as_value(PyObject *o)
{
    if (Value_Check(o)) {
        Py_INCREF(o);
        return (ValueObject *)o;
    }
    double x;
    int is_int;
    const int rc = number_of(o, &x, &is_int);
    if (rc == -1)
        return NULL;
    if (rc == -2)
        return NULL;
    return const_value(x, is_int);
}

/* The value of op over args, computed by the library on the scratch tape. Returns 0, or -1 with
 * an exception (AnomalyError under anomaly mode, or the library's error). */
static int forward_value(tg_op op, uint32_t n, ValueObject *const *args, double *out)
{
    /* The two ops of every neuron, a + b and a * b, are one IEEE operation each in the
     * library (add_fwd, mul_fwd): computed here directly, the same bits, without the scratch
     * tape's calls (tests/python checks every op against the engine). Anomaly mode goes
     * through the library for its checks and messages. */
    if (!anomaly_on && op == TG_OP_ADD) {
        *out = args[0]->data + args[1]->data;
        return 0;
    }
    if (!anomaly_on && op == TG_OP_MUL) {
        *out = args[0]->data * args[1]->data;
        return 0;
    }
    /* sum and dot: the library's loops (sum_fwd, dot_fwd), 0 + x0 + x1 + ... in order */
    if (!anomaly_on && op == TG_OP_SUM) {
        double s = 0.0;
        for (uint32_t k = 0; k < n; k++)
            s += args[k]->data;
        *out = s;
        return 0;
    }
    if (!anomaly_on && op == TG_OP_DOT) {
        const uint32_t m = n / 2;
        double s = 0.0;
        for (uint32_t j = 0; j < m; j++)
            s += args[j]->data * args[m + j]->data;
        *out = s;
        return 0;
    }
    tg_var ids[3];
    tg_var *a = ids;
    tg_var *heap = NULL;
    if (n > 3 || anomaly_on) {
        if (n > 3) {
            heap = PyMem_Malloc(n * sizeof *heap);
            if (!heap) {
                PyErr_NoMemory();
                return -1;
            }
            a = heap;
        }
        for (uint32_t k = 0; k < n; k++)
            a[k] = tg_const(scratch, args[k]->data);
    } else {
        for (uint32_t k = 0; k < n; k++) {
            tg_set_value(scratch, scratch_k[k], args[k]->data);
            a[k] = scratch_k[k];
        }
    }
    tg_var y = record_op(scratch, op, n, a);
    PyMem_Free(heap);
    if (!tg_var_ok(y) || tg_tape_status(scratch) != TG_OK) {
        if (tg_tape_status(scratch) == TG_OK)
            PyErr_Format(Error, "operation %s cannot be recorded", tg_op_name(op));
        else
            raise_tape(scratch);
        tg_tape_rewind(scratch, scratch_mark);
        return -1;
    }
    *out = tg_value(scratch, y);
    tg_tape_rewind(scratch, scratch_mark);
    return 0;
}

/* A new op node over args (borrowed; the node takes its own references). */
static PyObject *make_op(tg_op op, uint32_t n, ValueObject *const *args)
{
    double y;
    if (forward_value(op, n, args, &y) < 0)
        return NULL;
    ValueObject *v = value_alloc(y, op, n);
    if (!v)
        return NULL;
    v->flags = F_GRAD_INT;
    for (uint32_t k = 0; k < n; k++) {
        Py_INCREF(args[k]);
        v->args[k] = args[k];
    }
    v->n_args = n;
    return (PyObject *)v;
}

/* a (op) b where either may be a number; new references are dropped here. */
static PyObject *binary(tg_op op, PyObject *a, PyObject *b)
{
    ValueObject *va = as_value(a);
    if (!va)
        goto not_number;
    ValueObject *vb = as_value(b);
    if (!vb) {
        Py_DECREF(va);
        goto not_number;
    }
    ValueObject *args[2] = {va, vb};
    PyObject *r = make_op(op, 2, args);
    Py_DECREF(va);
    Py_DECREF(vb);
    return r;
not_number:
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NOTIMPLEMENTED;
}

/* ---- micrograd's operators, composed exactly as micrograd composes them, so that the graph
 * (its _prev and _op) and every value are micrograd's: a - b is a + (-b), -a is a * -1, a / b is
 * a * b**-1; reflected forms put the Value first, as micrograd's __radd__ (self + other). ---- */

static PyObject *value_add(PyObject *a, PyObject *b)
{
    return Value_Check(a) ? binary(TG_OP_ADD, a, b) : binary(TG_OP_ADD, b, a);
}

static PyObject *value_mul(PyObject *a, PyObject *b)
{
    return Value_Check(a) ? binary(TG_OP_MUL, a, b) : binary(TG_OP_MUL, b, a);
}

static PyObject *value_neg(PyObject *a)
{
    PyObject *m1 = PyLong_FromLong(-1);
    if (!m1)
        return NULL;
    PyObject *r = binary(TG_OP_MUL, a, m1);
    Py_DECREF(m1);
    return r;
}

static int is_number(PyObject *o)
{
    double x;
    int is_int;
    const int rc = number_of(o, &x, &is_int);
    if (rc == -2)
        PyErr_Clear();
    return rc == 0;
}

static PyObject *value_sub(PyObject *a, PyObject *b)
{
    if (!Value_Check(a) && !is_number(a))
        Py_RETURN_NOTIMPLEMENTED;
    if (!Value_Check(b) && !is_number(b))
        Py_RETURN_NOTIMPLEMENTED;
    /* self - other = self + (-other); other - self = other + (-self) = (-self) + other */
    PyObject *neg_b = PyNumber_Negative(b);
    if (!neg_b)
        return NULL;
    PyObject *r = value_add(a, neg_b);
    Py_DECREF(neg_b);
    return r;
}

static PyObject *power(PyObject *a, PyObject *b)
{
    if (!Value_Check(a)) { /* number ** Value: micrograd has no __rpow__; tapegrad records pow */
        if (!is_number(a))
            Py_RETURN_NOTIMPLEMENTED;
        return binary(TG_OP_POW, a, b);
    }
    if (Value_Check(b))
        return binary(TG_OP_POW, a, b);
    double p;
    int is_int;
    const int rc = number_of(b, &p, &is_int);
    if (rc == -2)
        return NULL;
    if (rc == -1)
        Py_RETURN_NOTIMPLEMENTED;
    PyObject *r = binary(TG_OP_POWC, a, b);
    if (r) { /* micrograd's _op is f'**{other}' */
        PyObject *s = PyUnicode_FromFormat("**%S", b);
        if (!s) {
            Py_DECREF(r);
            return NULL;
        }
        ((ValueObject *)r)->op_str = s;
    }
    return r;
}

static PyObject *value_pow(PyObject *a, PyObject *b, PyObject *mod)
{
    if (mod != Py_None) {
        PyErr_SetString(PyExc_TypeError, "pow() with a modulus is not defined for Values");
        return NULL;
    }
    return power(a, b);
}

static PyObject *value_truediv(PyObject *a, PyObject *b)
{
    if (!Value_Check(a) && !is_number(a))
        Py_RETURN_NOTIMPLEMENTED;
    if (!Value_Check(b) && !is_number(b))
        Py_RETURN_NOTIMPLEMENTED;
    /* self / other = self * other**-1; other / self = other * self**-1 (a Python number's
     * power is Python's own, so 2**-1 is 0.5 and 0**-1 raises ZeroDivisionError as there) */
    PyObject *m1 = PyLong_FromLong(-1);
    if (!m1)
        return NULL;
    PyObject *base = b;
    if (!Value_Check(b) && !PyLong_Check(b) && !PyFloat_Check(b)) {
        base = PyNumber_Float(b); /* numpy's int64(3)**-1 is an error; 3.0**-1 is not */
        if (!base) {
            Py_DECREF(m1);
            return NULL;
        }
    } else {
        Py_INCREF(base);
    }
    PyObject *inv = PyNumber_Power(base, m1, Py_None);
    Py_DECREF(base);
    Py_DECREF(m1);
    if (!inv)
        return NULL;
    PyObject *r = value_mul(a, inv);
    Py_DECREF(inv);
    return r;
}

/* ---- The table's ops as methods: v.exp(), v.sigmoid(), v.pow(w), ... ------------------ */

static PyObject *apply_method(tg_op op, PyObject *self, PyObject *const *argv, Py_ssize_t argc)
{
    const int arity = op_arity(op);
    if (argc != arity - 1)
        return PyErr_Format(PyExc_TypeError, "%s() takes %d argument%s (%zd given)",
                            op_method_name(op), arity - 1, arity == 2 ? "" : "s", argc);
    ValueObject *args[4] = {(ValueObject *)self, NULL, NULL, NULL};
    PyObject *r = NULL;
    Py_ssize_t made = 0;
    for (; made < argc; made++) {
        args[made + 1] = as_value(argv[made]);
        if (!args[made + 1]) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s(): argument %zd is not a number or Value",
                             op_method_name(op), made + 1);
            goto done;
        }
    }
    r = make_op(op, (uint32_t)arity, args);
done:
    for (Py_ssize_t k = 0; k < made; k++)
        Py_DECREF(args[k + 1]);
    return r;
}

/* One C function per op (a method must know its op without a closure): op_method_I_J is
 * op 8*I + J, for 64 ops. */
#define METHOD_SLOT(i, j)                                                                     \
    static PyObject *op_method_##i##_##j(PyObject *self, PyObject *const *argv,              \
                                          Py_ssize_t argc)                                    \
    {                                                                                         \
        return apply_method((tg_op)(8 * (i) + (j)), self, argv, argc);                        \
    }
#define METHOD_SLOT_ADDRESS(i, j) op_method_##i##_##j,
#define METHOD_SLOTS_8(X, i) X(i, 0) X(i, 1) X(i, 2) X(i, 3) X(i, 4) X(i, 5) X(i, 6) X(i, 7)
#define METHOD_SLOTS(X)                                                                       \
    METHOD_SLOTS_8(X, 0) METHOD_SLOTS_8(X, 1) METHOD_SLOTS_8(X, 2) METHOD_SLOTS_8(X, 3)       \
    METHOD_SLOTS_8(X, 4) METHOD_SLOTS_8(X, 5) METHOD_SLOTS_8(X, 6) METHOD_SLOTS_8(X, 7)
METHOD_SLOTS(METHOD_SLOT)
#define N_METHOD_SLOTS 64
static PyObject *(*const op_methods[N_METHOD_SLOTS])(PyObject *, PyObject *const *, Py_ssize_t) = {
    METHOD_SLOTS(METHOD_SLOT_ADDRESS)};
_Static_assert(TG_N_OPS <= N_METHOD_SLOTS, "more ops than method slots: add METHOD_SLOTS_8s");
static PyMethodDef op_method_defs[N_METHOD_SLOTS];

/* ---- Recording a cone on the sweep tape -------------------------------------------------- */

static ValueObject **topo; /* the recorded Values in tape order, for writing gradients back */
static size_t n_topo, cap_topo;
typedef struct walk_frame {
    ValueObject *v;
    uint32_t next;
} walk_frame;
static walk_frame *walk_stack;
static size_t cap_walk;

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need)
        c *= 2;
    void *q = PyMem_Realloc(*p, c * size);
    if (!q) {
        PyErr_NoMemory();
        return -1;
    }
    *p = q;
    *cap = c;
    return 0;
}

static tg_var *arg_ids; /* an op's argument ids while it is recorded */
static size_t cap_arg_ids;

static int is_leaf(const ValueObject *v) { return v->op == TG_OP_INPUT || v->op == TG_OP_CONST; }

/* Records v itself, its children already recorded. */
static int record_one(tg_tape *t, ValueObject *v)
{
    tg_var id;
    if (is_leaf(v)) {
        id = (v->flags & F_CONST) ? tg_const(t, v->data) : tg_input(t, v->data);
    } else {
        if (grow((void **)&arg_ids, &cap_arg_ids, v->n_args + 1, sizeof *arg_ids) < 0)
            return -1;
        for (uint32_t k = 0; k < v->n_args; k++)
            arg_ids[k].id = v->args[k]->tape_id;
        id = record_op(t, (tg_op)v->op, v->n_args, arg_ids);
    }
    if (!tg_var_ok(id)) { /* the tape keeps the first error; anomaly mode flags it invalid */
        if (tg_tape_status(t) == TG_OK)
            PyErr_SetString(Error, "a Value could not be recorded on the tape");
        else
            raise_tape(t);
        return -1;
    }
    v->tape_id = id.id;
    v->mark = walk_epoch;
    if (grow((void **)&topo, &cap_topo, n_topo + 1, sizeof *topo) < 0)
        return -1;
    topo[n_topo++] = v;
    return 0;
}

/* Records root's cone (what root depends on) after whatever the current walk has recorded,
 * children before parents, without recursion. Leaves are recorded as inputs (Values made by
 * the user) or constants (numbers promoted by an operator); a Value built with _children by
 * hand is a leaf here: its derivative is unknown. Values already recorded in this walk
 * (mark == walk_epoch) are not recorded again. */
static int record_cone(tg_tape *t, ValueObject *root)
{
    if (root->mark == walk_epoch)
        return 0;
    size_t depth = 0;
    if (grow((void **)&walk_stack, &cap_walk, 1, sizeof *walk_stack) < 0)
        return -1;
    walk_stack[depth++] = (walk_frame){root, 0};
    root->mark = walk_epoch - 1; /* on the stack: "visiting" (not yet recorded) */
    while (depth > 0) {
        walk_frame *f = &walk_stack[depth - 1];
        ValueObject *v = f->v;
        if (!is_leaf(v) && f->next < v->n_args) {
            if (f->next + 4 < v->n_args) /* a dot's children: overlap their cache misses */
                __builtin_prefetch(v->args[f->next + 4]);
            ValueObject *c = v->args[f->next++];
            if (c->mark == walk_epoch || c->mark == walk_epoch - 1)
                continue; /* recorded already (a DAG: no cycles exist by construction) */
            if (is_leaf(c)) { /* no children to visit: record it now, without a frame */
                if (record_one(t, c) < 0)
                    return -1;
                continue;
            }
            c->mark = walk_epoch - 1;
            if (grow((void **)&walk_stack, &cap_walk, depth + 1, sizeof *walk_stack) < 0)
                return -1;
            walk_stack[depth++] = (walk_frame){c, 0};
            for (uint32_t k = 0; k < c->n_args && k < 2; k++)
                __builtin_prefetch(c->args[k]);
            continue;
        }
        depth--;
        if (record_one(t, v) < 0)
            return -1;
    }
    if (anomaly_on && tg_tape_status(t) != TG_OK) { /* the flagged node was still recorded */
        raise_tape(t);
        return -1;
    }
    return 0;
}

/* Starts a walk on the sweep tape: an empty tape, a fresh epoch (two numbers per walk: one for
 * "on the stack", one for "recorded"). */
static void walk_begin(void)
{
    tg_tape_clear(sweep);
    tg_tape_clear_error(sweep);
    tg_tape_set_anomaly(sweep, anomaly_on);
    walk_epoch += 2;
    n_topo = 0;
}

static void walk_end(void)
{
    tg_tape_clear(sweep);
    tg_tape_clear_error(sweep);
    n_topo = 0;
    if (cap_walk > (1u << 16)) { /* a very deep graph's stack is not kept for the next walk */
        PyMem_Free(walk_stack);
        walk_stack = NULL;
        cap_walk = 0;
    }
}

static ValueObject *value_arg(PyObject *o, const char *what)
{
    if (!Value_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be a Value, not %.100s", what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    return (ValueObject *)o;
}

/* ---- Value: construction, attributes, backward ----------------------------------------- */

static PyObject *value_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    (void)type;
    static char *kwlist[] = {"data", "_children", "_op", "label", NULL};
    PyObject *data, *children = NULL, *op = NULL, *label = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|OUU:Value", kwlist, &data, &children, &op,
                                     &label))
        return NULL;
    double x;
    int is_int;
    const int rc = number_of(data, &x, &is_int);
    if (rc == -1)
        return PyErr_Format(PyExc_TypeError, "Value(data): data must be a number, not %.100s",
                            Py_TYPE(data)->tp_name);
    if (rc == -2)
        return NULL;
    PyObject *kids = NULL;
    Py_ssize_t n = 0;
    if (children) {
        kids = PySequence_Fast(children, "Value(_children=...) must be iterable");
        if (!kids)
            return NULL;
        n = PySequence_Fast_GET_SIZE(kids);
        for (Py_ssize_t k = 0; k < n; k++)
            if (!value_arg(PySequence_Fast_GET_ITEM(kids, k), "each of _children")) {
                Py_DECREF(kids);
                return NULL;
            }
    }
    ValueObject *v = value_alloc(x, TG_OP_INPUT, (uint32_t)n);
    if (!v) {
        Py_XDECREF(kids);
        return NULL;
    }
    v->flags = F_GRAD_INT | (is_int ? F_DATA_INT : 0);
    for (Py_ssize_t k = 0; k < n; k++) {
        PyObject *c = PySequence_Fast_GET_ITEM(kids, k);
        Py_INCREF(c);
        v->args[k] = (ValueObject *)c;
    }
    v->n_args = (uint32_t)n;
    Py_XDECREF(kids);
    if (op && PyUnicode_GET_LENGTH(op) > 0) {
        Py_INCREF(op);
        v->op_str = op;
    }
    if (label && PyUnicode_GET_LENGTH(label) > 0) {
        Py_INCREF(label);
        v->label = label;
    }
    return (PyObject *)v;
}

static PyObject *number_out(double x, int as_int)
{
    if (as_int && x == floor(x) && fabs(x) <= 9007199254740992.0)
        return PyLong_FromDouble(x);
    return PyFloat_FromDouble(x);
}

static PyObject *get_data(ValueObject *v, void *c)
{
    (void)c;
    return number_out(v->data, v->flags & F_DATA_INT);
}

static int set_number(PyObject *o, double *x, uint32_t *flags, uint32_t int_flag, const char *what)
{
    if (!o) {
        PyErr_Format(PyExc_AttributeError, "cannot delete %s", what);
        return -1;
    }
    int is_int;
    const int rc = number_of(o, x, &is_int);
    if (rc == -1)
        PyErr_Format(PyExc_TypeError, "%s must be a number, not %.100s", what, Py_TYPE(o)->tp_name);
    if (rc < 0)
        return -1;
    *flags = is_int ? (*flags | int_flag) : (*flags & ~int_flag);
    return 0;
}

static int set_data(ValueObject *v, PyObject *o, void *c)
{
    (void)c;
    return set_number(o, &v->data, &v->flags, F_DATA_INT, "data");
}

static PyObject *get_grad(ValueObject *v, void *c)
{
    (void)c;
    return number_out(v->grad, v->flags & F_GRAD_INT);
}

static int set_grad(ValueObject *v, PyObject *o, void *c)
{
    (void)c;
    return set_number(o, &v->grad, &v->flags, F_GRAD_INT, "grad");
}

/* _prev: a new set each time, of the same child objects (micrograd's is a set too). A power
 * by a number has its base only, as micrograd's Value(self.data**other, (self,), ...). */
static PyObject *get_prev(ValueObject *v, void *c)
{
    (void)c;
    PyObject *s = PySet_New(NULL);
    const uint32_t n = v->op == TG_OP_POWC ? 1 : v->n_args;
    for (uint32_t k = 0; s && k < n; k++)
        if (PySet_Add(s, (PyObject *)v->args[k]) < 0)
            Py_CLEAR(s);
    return s;
}

/* The children in order (w and x of a dot, a and b of a - b): what _prev loses. */
static PyObject *get_args(ValueObject *v, void *c)
{
    (void)c;
    PyObject *t = PyTuple_New(v->n_args);
    for (uint32_t k = 0; t && k < v->n_args; k++) {
        Py_INCREF(v->args[k]);
        PyTuple_SET_ITEM(t, k, (PyObject *)v->args[k]);
    }
    return t;
}

static PyObject *get_op(ValueObject *v, void *c)
{
    (void)c;
    if (v->op_str) {
        Py_INCREF(v->op_str);
        return v->op_str;
    }
    switch (v->op) {
    case TG_OP_INPUT: case TG_OP_CONST: return PyUnicode_FromString("");
    case TG_OP_ADD: return PyUnicode_FromString("+");
    case TG_OP_SUB: return PyUnicode_FromString("-");
    case TG_OP_MUL: return PyUnicode_FromString("*");
    case TG_OP_DIV: return PyUnicode_FromString("/");
    case TG_OP_POW: return PyUnicode_FromString("**");
    case TG_OP_RELU: return PyUnicode_FromString("ReLU");
    default: {
        const char *name = tg_op_name((tg_op)v->op);
        return PyUnicode_FromString(name ? name : "?");
    }
    }
}

/* The op's identifier in the table ("add", "powc", "relu"; "input" / "const" for leaves):
 * what _op cannot say (micrograd's '*' is also a negation), for tools such as _show. */
static PyObject *get_opid(ValueObject *v, void *c)
{
    (void)c;
    const tg_op_info *info = tg_op_info_of((tg_op)v->op);
    return PyUnicode_FromString(info && info->id ? info->id : "?");
}

static PyObject *get_const(ValueObject *v, void *c)
{
    (void)c;
    return PyBool_FromLong(v->flags & F_CONST);
}

static PyObject *get_label(ValueObject *v, void *c)
{
    (void)c;
    if (!v->label)
        return PyUnicode_FromString("");
    Py_INCREF(v->label);
    return v->label;
}

static int set_label(ValueObject *v, PyObject *o, void *c)
{
    (void)c;
    if (o && o != Py_None && !PyUnicode_Check(o)) {
        PyErr_SetString(PyExc_TypeError, "label must be a str");
        return -1;
    }
    Py_XINCREF(o == Py_None ? NULL : o);
    Py_XSETREF(v->label, o == Py_None ? NULL : o);
    return 0;
}

static PyObject *value_repr(ValueObject *v)
{
    PyObject *d = get_data(v, NULL), *g = get_grad(v, NULL), *r = NULL;
    if (d && g)
        r = PyUnicode_FromFormat("Value(data=%R, grad=%R)", d, g);
    Py_XDECREF(d);
    Py_XDECREF(g);
    return r;
}

/* backward(): micrograd's, through the C sweep. The root's grad becomes 1; every other Value
 * of the cone gets d(root)/d(it) ADDED to its .grad (micrograd and PyTorch accumulate, which
 * is why training loops call zero_grad). */
static PyObject *value_backward(ValueObject *self, PyObject *unused)
{
    (void)unused;
    walk_begin();
    if (record_cone(sweep, self) < 0)
        goto fail;
    if (tg_backward(sweep, (tg_var){self->tape_id}) != TG_OK) {
        raise_tape(sweep);
        goto fail;
    }
    for (size_t k = 0; k < n_topo; k++) {
        ValueObject *v = topo[k];
        if (k + 8 < n_topo) /* the Values are scattered over the heap: fetch ahead */
            __builtin_prefetch(topo[k + 8], 1);
        const double g = tg_grad(sweep, (tg_var){v->tape_id});
        if (v == self) {
            v->grad = 1.0;
        } else {
            v->grad += g;
        }
        v->flags &= ~(uint32_t)F_GRAD_INT;
    }
    walk_end();
    Py_RETURN_NONE;
fail:
    walk_end();
    return NULL;
}

/* Names the nodes of a recorded cone by their labels, for traces and pictures. */
static int name_recorded(void)
{
    for (size_t k = 0; k < n_topo; k++) {
        ValueObject *v = topo[k];
        if (!v->label)
            continue;
        const char *s = PyUnicode_AsUTF8(v->label);
        if (!s)
            return -1;
        if (tg_set_name(sweep, (tg_var){v->tape_id}, s) != TG_OK) {
            raise_tape(sweep);
            return -1;
        }
    }
    return 0;
}

/* Runs writer(t, root, f) into a memory stream and returns what it wrote as str. */
static PyObject *capture(tg_status (*writer)(tg_tape *, tg_var, FILE *, int), ValueObject *root,
                         int arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return PyErr_SetFromErrno(PyExc_OSError);
    const tg_status st = writer(sweep, (tg_var){root->tape_id}, f, arg);
    fclose(f);
    PyObject *r = NULL;
    if (st != TG_OK) {
        if (tg_tape_status(sweep) != TG_OK)
            raise_tape(sweep);
        else
            PyErr_Format(Error, "%s", tg_strerror(st));
    } else {
        r = PyUnicode_DecodeUTF8(buf, (Py_ssize_t)len, "replace");
    }
    free(buf);
    return r;
}

static tg_status trace_writer(tg_tape *t, tg_var out, FILE *f, int fmt)
{
    return tg_trace_backward(t, out, f, (tg_trace_format)fmt);
}

static tg_status dot_writer(tg_tape *t, tg_var out, FILE *f, int unused)
{
    (void)unused;
    return tg_dot_export(t, out, f);
}

/* v.trace(format='text'): the chain rule step by step, as `tapegrad --trace` prints it; the
 * Values' .grad are not touched. format: 'text', 'markdown' or 'json'. */
static PyObject *value_trace(ValueObject *self, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"format", NULL};
    const char *format = "text";
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "|s:trace", kwlist, &format))
        return NULL;
    int fmt;
    if (strcmp(format, "text") == 0)
        fmt = TG_TRACE_TEXT;
    else if (strcmp(format, "markdown") == 0)
        fmt = TG_TRACE_MARKDOWN;
    else if (strcmp(format, "json") == 0)
        fmt = TG_TRACE_JSON;
    else
        return PyErr_Format(PyExc_ValueError,
                            "trace(format='%s'): use 'text', 'markdown' or 'json'", format);
    walk_begin();
    PyObject *r = NULL;
    if (record_cone(sweep, self) == 0 && name_recorded() == 0)
        r = capture(trace_writer, self, fmt);
    walk_end();
    return r;
}

/* v._dot(): the graph as Graphviz DOT (the library's tg_dot_export), each node with its value
 * and its current .grad. */
static PyObject *value_dot(ValueObject *self, PyObject *unused)
{
    (void)unused;
    walk_begin();
    PyObject *r = NULL;
    if (record_cone(sweep, self) == 0 && name_recorded() == 0) {
        for (size_t k = 0; k < n_topo; k++)
            tg_set_grad(sweep, (tg_var){topo[k]->tape_id}, topo[k]->grad);
        r = capture(dot_writer, self, 0);
    }
    walk_end();
    return r;
}

static PyObject *show_call(PyObject *self, const char *fn)
{
    PyObject *mod = PyImport_ImportModule("tapegrad._show");
    if (!mod)
        return NULL;
    PyObject *r = PyObject_CallMethod(mod, fn, "O", self);
    Py_DECREF(mod);
    return r;
}

static PyObject *value_repr_svg(PyObject *self, PyObject *unused)
{
    (void)unused;
    return show_call(self, "svg");
}

static PyObject *value_repr_html(PyObject *self, PyObject *unused)
{
    (void)unused;
    return show_call(self, "html");
}

static PyObject *value_program(PyObject *self, PyObject *unused)
{
    (void)unused;
    return show_call(self, "program");
}

static PyObject *value_n_nodes(ValueObject *self, PyObject *unused)
{
    (void)unused;
    walk_begin();
    PyObject *r = NULL;
    if (record_cone(sweep, self) == 0)
        r = PyLong_FromSize_t(n_topo);
    walk_end();
    return r;
}

static PyMethodDef value_methods[] = {
    {"backward", (PyCFunction)value_backward, METH_NOARGS,
     "backward(): d(self)/d(v) for every Value v self depends on, ADDED to v.grad (self.grad "
     "becomes 1), as micrograd and PyTorch do; call zero_grad() between steps."},
    {"trace", (PyCFunction)(void (*)(void))value_trace, METH_VARARGS | METH_KEYWORDS,
     "trace(format='text'): the chain rule step by step ('text', 'markdown' or 'json'), as "
     "`tapegrad --trace` prints it. Does not change any .grad."},
    {"_dot", (PyCFunction)value_dot, METH_NOARGS, "The graph as Graphviz DOT source."},
    {"_repr_svg_", (PyCFunction)value_repr_svg, METH_NOARGS, "Jupyter: the graph as SVG."},
    {"_repr_html_", (PyCFunction)value_repr_html, METH_NOARGS,
     "Jupyter: the graph and the chain rule step by step."},
    {"program", (PyCFunction)value_program, METH_NOARGS,
     "program() -> (source, inputs): the graph as a program of tapegrad's expression language "
     "(one statement per operation, named by its label) and its inputs {name: value}; "
     "tapegrad.run(source, **inputs) and the tapegrad command record the same graph."},
    {"n_nodes", (PyCFunction)value_n_nodes, METH_NOARGS,
     "Number of Values (leaves and operations) this one depends on, itself included."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef value_getset[] = {
    {"data", (getter)get_data, (setter)set_data, "The value (writable, as micrograd's).", NULL},
    {"grad", (getter)get_grad, (setter)set_grad, "The gradient backward() accumulated.", NULL},
    {"_prev", (getter)get_prev, NULL, "The children, a set (micrograd's _prev).", NULL},
    {"_args", (getter)get_args, NULL, "The children in order, a tuple.", NULL},
    {"_op", (getter)get_op, NULL, "The op that produced this Value ('+', '*', 'ReLU', ...).", NULL},
    {"label", (getter)get_label, (setter)set_label, "A name for traces and pictures.", NULL},
    {"_opid", (getter)get_opid, NULL, "The op's identifier in tapegrad's table.", NULL},
    {"_const", (getter)get_const, NULL, "True for a number promoted to a Value.", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyNumberMethods value_as_number = {
    .nb_add = value_add,
    .nb_subtract = value_sub,
    .nb_multiply = value_mul,
    .nb_true_divide = value_truediv,
    .nb_power = value_pow,
    .nb_negative = value_neg,
};

static PyTypeObject ValueType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "tapegrad.Value",
    .tp_basicsize = sizeof(ValueObject),
    .tp_dealloc = (destructor)value_dealloc,
    .tp_repr = (reprfunc)value_repr,
    .tp_as_number = &value_as_number,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Value(data, _children=(), _op='', label=''): a scalar that remembers how it was "
              "computed (micrograd's Value), backed by tapegrad's C tape.",
    .tp_methods = value_methods,
    .tp_getset = value_getset,
    .tp_new = value_new,
};

/* ---- Module functions ------------------------------------------------------------------- */

/* Values from a sequence (numbers become constants); a new list of new references. */
static PyObject *values_of(PyObject *seq, const char *what)
{
    PyObject *fast = PySequence_Fast(seq, what);
    if (!fast)
        return NULL;
    const Py_ssize_t n = PySequence_Fast_GET_SIZE(fast);
    PyObject *list = PyList_New(n);
    for (Py_ssize_t k = 0; list && k < n; k++) {
        PyObject *o = PySequence_Fast_GET_ITEM(fast, k);
        ValueObject *v = as_value(o);
        if (!v) {
            if (!PyErr_Occurred())
                PyErr_Format(PyExc_TypeError, "%s: item %zd is not a number or Value", what, k);
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, k, (PyObject *)v);
    }
    Py_DECREF(fast);
    return list;
}

/* sum(xs): one n-ary node, 0 + x0 + x1 + ... in that order (what Python's sum builds as a
 * chain of '+' nodes, bit for bit). */
static PyObject *mod_sum(PyObject *m, PyObject *xs)
{
    (void)m;
    PyObject *list = values_of(xs, "sum(xs)");
    if (!list)
        return NULL;
    PyObject *r = make_op(TG_OP_SUM, (uint32_t)PyList_GET_SIZE(list),
                          (ValueObject *const *)((PyListObject *)list)->ob_item);
    Py_DECREF(list);
    return r;
}

/* dot(w, x): one n-ary node, 0 + w0*x0 + w1*x1 + ... in that order. */
static PyObject *mod_dot(PyObject *m, PyObject *const *argv, Py_ssize_t argc)
{
    (void)m;
    if (argc != 2)
        return PyErr_Format(PyExc_TypeError, "dot(w, x) takes 2 arguments (%zd given)", argc);
    PyObject *w = values_of(argv[0], "dot(w, x)"), *x = NULL, *r = NULL;
    if (!w || !(x = values_of(argv[1], "dot(w, x)")))
        goto done;
    const Py_ssize_t n = PyList_GET_SIZE(w);
    if (PyList_GET_SIZE(x) != n) {
        PyErr_Format(PyExc_ValueError, "dot(w, x): %zd weights but %zd inputs", n,
                     PyList_GET_SIZE(x));
        goto done;
    }
    ValueObject **args = PyMem_Malloc((size_t)(2 * n + 1) * sizeof *args);
    if (!args) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < n; k++) {
        args[k] = (ValueObject *)PyList_GET_ITEM(w, k);
        args[n + k] = (ValueObject *)PyList_GET_ITEM(x, k);
    }
    r = make_op(TG_OP_DOT, (uint32_t)(2 * n), args);
    PyMem_Free(args);
done:
    Py_XDECREF(w);
    Py_XDECREF(x);
    return r;
}

/* One layer of the dot fast path: neurons, a list of lists [b, w0, ..., w_{n-1}] of Values;
 * x, a list of n Values; one, the constant 1 Value. Each neuron is one dot node b*1 + w0*x0 +
 * ... (the order of micrograd's sum(..., self.b), bit for bit), then a relu when nonlin.
 * Returns the new list of outputs. */
static PyObject *layer_forward(PyObject *neurons, PyObject *x, int nonlin, ValueObject *one)
{
    if (!PyList_Check(neurons))
        return PyErr_Format(PyExc_TypeError, "_layer: neurons must be a list");
    const Py_ssize_t n_in = PyList_GET_SIZE(x), n_out = PyList_GET_SIZE(neurons);
    ValueObject **args = PyMem_Malloc((size_t)(2 * n_in + 2) * sizeof *args);
    if (!args)
        return PyErr_NoMemory();
    args[n_in + 1] = one;
    for (Py_ssize_t k = 0; k < n_in; k++)
        args[n_in + 2 + k] = (ValueObject *)PyList_GET_ITEM(x, k);
    PyObject *out = PyList_New(n_out);
    for (Py_ssize_t j = 0; out && j < n_out; j++) {
        PyObject *wb = PyList_GET_ITEM(neurons, j);
        if (!PyList_Check(wb) || PyList_GET_SIZE(wb) != n_in + 1) {
            PyErr_Format(PyExc_ValueError, "_layer: neuron %zd has %zd parameters for %zd inputs",
                         j, PyList_Check(wb) ? PyList_GET_SIZE(wb) : -1, n_in);
            Py_CLEAR(out);
            break;
        }
        for (Py_ssize_t k = 0; k <= n_in; k++) {
            PyObject *p = PyList_GET_ITEM(wb, k);
            if (!Value_Check(p)) {
                PyErr_SetString(PyExc_TypeError, "_layer: parameters must be Values");
                Py_CLEAR(out);
                break;
            }
            args[k] = (ValueObject *)p;
        }
        if (!out)
            break;
        PyObject *act = make_op(TG_OP_DOT, (uint32_t)(2 * n_in + 2), args);
        if (act && nonlin) {
            PyObject *r = make_op(TG_OP_RELU, 1, (ValueObject *const *)&act);
            Py_DECREF(act);
            act = r;
        }
        if (!act) {
            Py_CLEAR(out);
            break;
        }
        PyList_SET_ITEM(out, j, act);
    }
    PyMem_Free(args);
    return out;
}

/* _layer(neurons, x, nonlin, one): nn.Layer's dot fast path (x: numbers or Values). */
static PyObject *mod_layer(PyObject *m, PyObject *const *argv, Py_ssize_t argc)
{
    (void)m;
    if (argc != 4)
        return PyErr_Format(PyExc_TypeError, "_layer takes 4 arguments (%zd given)", argc);
    const int nonlin = PyObject_IsTrue(argv[2]);
    ValueObject *one = value_arg(argv[3], "one");
    if (nonlin < 0 || !one)
        return NULL;
    PyObject *x = values_of(argv[1], "layer input");
    if (!x)
        return NULL;
    PyObject *out = layer_forward(argv[0], x, nonlin, one);
    Py_DECREF(x);
    return out;
}

/* _mlp(layers, x, nonlins, one): nn.MLP's dot fast path, every layer in one call (layers: a
 * list of _layer's neuron lists, nonlins: a list of bools). Returns the last layer's list. */
static PyObject *mod_mlp(PyObject *m, PyObject *const *argv, Py_ssize_t argc)
{
    (void)m;
    if (argc != 4 || !PyList_Check(argv[0]) || !PyList_Check(argv[2]) ||
        PyList_GET_SIZE(argv[0]) != PyList_GET_SIZE(argv[2]))
        return PyErr_Format(PyExc_TypeError, "_mlp(layers: list, x, nonlins: list, one)");
    ValueObject *one = value_arg(argv[3], "one");
    if (!one)
        return NULL;
    PyObject *x = values_of(argv[1], "MLP input");
    for (Py_ssize_t l = 0; x && l < PyList_GET_SIZE(argv[0]); l++) {
        const int nonlin = PyObject_IsTrue(PyList_GET_ITEM(argv[2], l));
        PyObject *out = nonlin < 0 ? NULL
                                   : layer_forward(PyList_GET_ITEM(argv[0], l), x, nonlin, one);
        Py_DECREF(x);
        x = out;
    }
    return x;
}

/* Records the cones of out and of every wrt Value; returns the wrt ids in *ids (PyMem). */
static int record_with(ValueObject *out, PyObject *wrt_list, tg_var **ids, Py_ssize_t *n)
{
    *n = PyList_GET_SIZE(wrt_list);
    *ids = PyMem_Malloc((size_t)(*n ? *n : 1) * sizeof **ids);
    if (!*ids) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < *n; k++) {
        ValueObject *w = value_arg(PyList_GET_ITEM(wrt_list, k), "each of wrt");
        if (!w || record_cone(sweep, w) < 0)
            return -1;
        (*ids)[k].id = w->tape_id;
    }
    return record_cone(sweep, out);
}

static PyObject *list_of_doubles(const double *x, Py_ssize_t n)
{
    PyObject *l = PyList_New(n);
    for (Py_ssize_t k = 0; l && k < n; k++) {
        PyObject *f = PyFloat_FromDouble(x[k]);
        if (!f) {
            Py_CLEAR(l);
            break;
        }
        PyList_SET_ITEM(l, k, f);
    }
    return l;
}

/* _derivs(kind, out, wrt, extra): the engine's derivatives of out w.r.t. the Values in wrt,
 * without touching any .grad. kind 'grad': [d out/d w_j]; 'hessian': rows of second
 * derivatives; 'jvp': sum_j d out/d w_j * extra[j] by a forward (tangent) sweep;
 * 'gradcheck': a list of dicts, the library's finite-difference check of each gradient with
 * tolerance extra. */
static PyObject *mod_derivs(PyObject *m, PyObject *const *argv, Py_ssize_t argc)
{
    (void)m;
    if (argc != 4 || !PyUnicode_Check(argv[0]) || !PyList_Check(argv[2]))
        return PyErr_Format(PyExc_TypeError, "_derivs(kind, out, wrt: list, extra)");
    const char *kind = PyUnicode_AsUTF8(argv[0]);
    ValueObject *out = value_arg(argv[1], "the function's result");
    if (!kind || !out)
        return NULL;
    tg_var *ids = NULL;
    double *buf = NULL;
    Py_ssize_t n = 0;
    PyObject *r = NULL;
    walk_begin();
    if (record_with(out, argv[2], &ids, &n) < 0)
        goto done;
    const tg_var root = {out->tape_id};
    tg_status st = TG_OK;
    if (strcmp(kind, "grad") == 0 || strcmp(kind, "gradcheck") == 0) {
        if ((st = tg_backward(sweep, root)) != TG_OK)
            goto lib_error;
        if (kind[4] == '\0') {
            r = PyList_New(n);
            for (Py_ssize_t k = 0; r && k < n; k++) {
                PyObject *f = PyFloat_FromDouble(tg_grad(sweep, ids[k]));
                if (!f)
                    Py_CLEAR(r);
                else
                    PyList_SET_ITEM(r, k, f);
            }
            goto done;
        }
        const double tol = PyFloat_AsDouble(argv[3]);
        if (tol == -1.0 && PyErr_Occurred())
            goto done;
        r = PyList_New(n);
        for (Py_ssize_t k = 0; r && k < n; k++) {
            tg_gradcheck_result res;
            if ((st = tg_gradcheck(sweep, root, ids[k], tg_grad(sweep, ids[k]), tol, &res)) !=
                TG_OK) {
                Py_CLEAR(r);
                goto lib_error;
            }
            PyObject *d = Py_BuildValue("{s:d,s:d,s:d,s:d,s:d,s:O,s:O}", "expected",
                                        res.expected, "numeric", res.numeric, "abs_err",
                                        res.abs_err, "rel_err", res.rel_err, "step", res.step,
                                        "ok", res.ok ? Py_True : Py_False, "kink",
                                        res.kink ? Py_True : Py_False);
            if (!d)
                Py_CLEAR(r);
            else
                PyList_SET_ITEM(r, k, d);
        }
    } else if (strcmp(kind, "hessian") == 0) {
        buf = PyMem_Malloc((size_t)(n * n + 1) * sizeof *buf);
        if (!buf) {
            PyErr_NoMemory();
            goto done;
        }
        if ((st = tg_hessian(sweep, root, (size_t)n, ids, TG_MODE_AUTO, buf)) != TG_OK)
            goto lib_error;
        r = PyList_New(n);
        for (Py_ssize_t i = 0; r && i < n; i++) {
            PyObject *row = list_of_doubles(buf + i * n, n);
            if (!row)
                Py_CLEAR(r);
            else
                PyList_SET_ITEM(r, i, row);
        }
    } else if (strcmp(kind, "jvp") == 0) {
        PyObject *dir = PySequence_Fast(argv[3], "jvp: tangents must be a sequence");
        if (!dir)
            goto done;
        if (PySequence_Fast_GET_SIZE(dir) != n) {
            PyErr_Format(PyExc_ValueError, "jvp: %zd tangents for %zd inputs",
                         PySequence_Fast_GET_SIZE(dir), n);
            Py_DECREF(dir);
            goto done;
        }
        buf = PyMem_Malloc((size_t)(n + 1) * sizeof *buf);
        for (Py_ssize_t k = 0; buf && k < n; k++) {
            buf[k] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(dir, k));
            if (buf[k] == -1.0 && PyErr_Occurred()) {
                Py_DECREF(dir);
                goto done;
            }
        }
        Py_DECREF(dir);
        if (!buf) {
            PyErr_NoMemory();
            goto done;
        }
        double tangent;
        if ((st = tg_jvp(sweep, 1, &root, (size_t)n, ids, buf, &tangent)) != TG_OK)
            goto lib_error;
        r = PyFloat_FromDouble(tangent);
    } else {
        PyErr_Format(PyExc_ValueError, "_derivs: unknown kind '%s'", kind);
    }
    goto done;
lib_error:
    if (tg_tape_status(sweep) != TG_OK)
        raise_tape(sweep);
    else
        PyErr_Format(Error, "%s", tg_strerror(st));
done:
    PyMem_Free(ids);
    PyMem_Free(buf);
    walk_end();
    return r;
}

/* run(program, **inputs): the expression language. Each input is a Value (used as it is, so
 * its .grad receives the program's gradient after backward) or a number (a new input Value
 * labelled with its name). Returns the program's result as a Value graph: every node the
 * program recorded becomes a Value, labelled with its name in the program where it has one,
 * so trace(), backward() and pictures work on it as on any Value. */
static PyObject *mod_run(PyObject *m, PyObject *args, PyObject *kwds)
{
    (void)m;
    const char *src;
    Py_ssize_t len;
    if (!PyArg_ParseTuple(args, "s#:run", &src, &len))
        return NULL;
    tg_tape *t = tg_tape_new();
    tg_parser *p = t ? tg_parser_new(t) : NULL;
    PyObject *made = NULL, *result = NULL;
    if (!p) {
        PyErr_NoMemory();
        goto done;
    }
    tg_tape_set_anomaly(t, anomaly_on);
    made = PyDict_New(); /* tape id -> Value, for the inputs and then every node */
    if (!made)
        goto done;
    if (kwds) {
        PyObject *key, *val;
        Py_ssize_t pos = 0;
        while (PyDict_Next(kwds, &pos, &key, &val)) {
            const char *name = PyUnicode_AsUTF8(key);
            if (!name)
                goto done;
            ValueObject *v;
            if (Value_Check(val)) {
                Py_INCREF(val);
                v = (ValueObject *)val;
            } else {
                double x;
                int is_int;
                const int rc = number_of(val, &x, &is_int);
                if (rc < 0) {
                    if (rc == -1)
                        PyErr_Format(PyExc_TypeError, "run(): input '%s' is not a number", name);
                    goto done;
                }
                v = value_alloc(x, TG_OP_INPUT, 0);
                if (!v)
                    goto done;
                v->label = PyUnicode_FromString(name);
            }
            const tg_var id = tg_input(t, v->data);
            PyObject *key_id = PyLong_FromUnsignedLong(id.id);
            const int bad = !key_id || PyDict_SetItem(made, key_id, (PyObject *)v) < 0;
            Py_XDECREF(key_id);
            Py_DECREF(v);
            if (bad)
                goto done;
            if (tg_parser_define(p, name, id) != TG_OK) {
                PyErr_Format(ProgramError, "%s", tg_parser_error(p)->message);
                goto done;
            }
        }
    }
    tg_var out;
    if (tg_parser_run(p, src, (size_t)len, &out) != TG_OK) {
        const tg_parse_error *e = tg_parser_error(p);
        PyObject *exc = PyObject_CallFunction(ProgramError, "s", "");
        if (exc) {
            PyObject *msg = PyUnicode_FromFormat("line %u, column %u: %s", (unsigned)e->line,
                                                 (unsigned)e->column, e->message);
            PyObject *line = PyLong_FromUnsignedLong(e->line);
            PyObject *col = PyLong_FromUnsignedLong(e->column);
            if (msg && line && col) {
                PyObject *a = PyTuple_Pack(1, msg);
                if (a) {
                    PyObject_SetAttrString(exc, "args", a);
                    Py_DECREF(a);
                }
                PyObject_SetAttrString(exc, "line", line);
                PyObject_SetAttrString(exc, "column", col);
                PyErr_SetObject(ProgramError, exc);
            }
            Py_XDECREF(msg);
            Py_XDECREF(line);
            Py_XDECREF(col);
            Py_DECREF(exc);
        }
        goto done;
    }
    /* Tape order is topological: make each node's Value after its inputs'. */
    for (uint32_t id = 0; id <= out.id; id++) {
        PyObject *key_id = PyLong_FromUnsignedLong(id);
        if (!key_id)
            goto done;
        PyObject *have = PyDict_GetItemWithError(made, key_id);
        if (have || PyErr_Occurred()) {
            Py_DECREF(key_id);
            if (have)
                continue;
            goto done;
        }
        const tg_var v = {id};
        const tg_op op = tg_op_of(t, v);
        const size_t n = tg_n_args(t, v);
        ValueObject *nv = value_alloc(tg_value(t, v), op, (uint32_t)n);
        if (!nv) {
            Py_DECREF(key_id);
            goto done;
        }
        if (op == TG_OP_CONST)
            nv->flags |= F_CONST;
        for (size_t k = 0; k < n; k++) {
            PyObject *ck = PyLong_FromUnsignedLong(tg_arg(t, v, k).id);
            PyObject *c = ck ? PyDict_GetItemWithError(made, ck) : NULL;
            Py_XDECREF(ck);
            if (!c) { /* a node the program's tape records before its inputs: not expected */
                if (!PyErr_Occurred())
                    PyErr_SetString(Error, "run(): the tape is not in topological order");
                Py_DECREF(nv);
                Py_DECREF(key_id);
                goto done;
            }
            Py_INCREF(c);
            nv->args[k] = (ValueObject *)c;
            nv->n_args = (uint32_t)(k + 1);
        }
        const char *name = tg_name(t, v);
        if (name)
            nv->label = PyUnicode_FromString(name);
        const int bad = PyDict_SetItem(made, key_id, (PyObject *)nv) < 0;
        Py_DECREF(key_id);
        Py_DECREF(nv);
        if (bad)
            goto done;
    }
    PyObject *key_out = PyLong_FromUnsignedLong(out.id);
    if (key_out) {
        result = PyDict_GetItemWithError(made, key_out);
        Py_XINCREF(result);
        Py_DECREF(key_out);
    }
done:
    Py_XDECREF(made);
    tg_parser_free(p);
    tg_tape_free(t);
    return result;
}

static PyObject *mod_set_anomaly(PyObject *m, PyObject *on)
{
    (void)m;
    const int was = anomaly_on;
    const int v = PyObject_IsTrue(on);
    if (v < 0)
        return NULL;
    anomaly_on = v;
    tg_tape_set_anomaly(scratch, v);
    return PyBool_FromLong(was);
}

/* op_names(): the op table's functions that Value has as methods, in table order. */
static PyObject *mod_op_names(PyObject *m, PyObject *unused)
{
    (void)m, (void)unused;
    PyObject *l = PyList_New(0);
    for (int op = 0; l && op < TG_N_OPS; op++) {
        const char *name = op_method_name((tg_op)op);
        if (!name)
            continue;
        PyObject *s = Py_BuildValue("(si)", name, op_arity((tg_op)op));
        if (!s || PyList_Append(l, s) < 0)
            Py_CLEAR(l);
        Py_XDECREF(s);
    }
    return l;
}

static PyMethodDef module_methods[] = {
    {"sum", mod_sum, METH_O, "sum(xs): 0 + x0 + x1 + ..., one node."},
    {"dot", (PyCFunction)(void (*)(void))mod_dot, METH_FASTCALL,
     "dot(w, x): 0 + w0*x0 + w1*x1 + ..., one node."},
    {"_layer", (PyCFunction)(void (*)(void))mod_layer, METH_FASTCALL, "nn's dot fast path."},
    {"_mlp", (PyCFunction)(void (*)(void))mod_mlp, METH_FASTCALL, "nn's dot fast path."},
    {"_derivs", (PyCFunction)(void (*)(void))mod_derivs, METH_FASTCALL,
     "Derivatives by the engine (see tapegrad.grad, hessian, jvp, gradcheck)."},
    {"run", (PyCFunction)(void (*)(void))mod_run, METH_VARARGS | METH_KEYWORDS,
     "run(program, **inputs): the program's result as a Value graph."},
    {"set_anomaly", mod_set_anomaly, METH_O,
     "set_anomaly(on): NaN/inf raise AnomalyError with the library's message; returns the old "
     "setting."},
    {"op_names", mod_op_names, METH_NOARGS, "[(name, n_args)] of the ops Value has as methods."},
    {NULL, NULL, 0, NULL}};

static void module_free(void *m)
{
    (void)m;
    tg_tape_free(scratch);
    tg_tape_free(sweep);
    scratch = sweep = NULL;
    PyMem_Free(topo);
    PyMem_Free(walk_stack);
    PyMem_Free(pending);
    PyMem_Free(arg_ids);
    arg_ids = NULL;
    cap_arg_ids = 0;
    topo = NULL;
    walk_stack = NULL;
    pending = NULL;
    cap_topo = cap_walk = cap_pending = 0;
}

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_tapegrad",
    "tapegrad's C core: micrograd's Value backed by the C tape.", -1, module_methods,
    NULL, NULL, NULL, module_free};

static int add_op_methods(void)
{
    PyObject *dict = ValueType.tp_dict;
    for (int op = 0; op < TG_N_OPS; op++) {
        const char *name = op_method_name((tg_op)op);
        if (!name || PyDict_GetItemString(dict, name))
            continue; /* a method written by hand (none today) wins */
        PyMethodDef *def = &op_method_defs[op];
        def->ml_name = name;
        def->ml_meth = (PyCFunction)(void (*)(void))op_methods[op];
        def->ml_flags = METH_FASTCALL;
        def->ml_doc = "An operation of tapegrad's op table (see tapegrad.op_names()).";
        PyObject *descr = PyDescr_NewMethod(&ValueType, def);
        if (!descr || PyDict_SetItemString(dict, name, descr) < 0) {
            Py_XDECREF(descr);
            return -1;
        }
        Py_DECREF(descr);
    }
    /* numpy scalars on the left (np.int64(-1) * v) defer to Value's reflected operators
     * instead of wrapping v in an object array. */
    if (PyDict_SetItemString(dict, "__array_ufunc__", Py_None) < 0)
        return -1;
    PyType_Modified(&ValueType);
    return 0;
}

PyMODINIT_FUNC PyInit__tapegrad(void)
{
    if (PyType_Ready(&ValueType) < 0 || add_op_methods() < 0)
        return NULL;
    scratch = tg_tape_new();
    sweep = tg_tape_new();
    if (!scratch || !sweep)
        return PyErr_NoMemory();
    for (int k = 0; k < 3; k++)
        scratch_k[k] = tg_const(scratch, 0.0);
    scratch_mark = tg_tape_mark(scratch);
    PyObject *m = PyModule_Create(&module_def);
    if (!m)
        return NULL;
    Error = PyErr_NewExceptionWithDoc("tapegrad.Error", "An error the C library reported.",
                                      PyExc_RuntimeError, NULL);
    AnomalyError = PyErr_NewExceptionWithDoc(
        "tapegrad.AnomalyError", "A NaN or infinity found under anomaly mode.",
        PyExc_FloatingPointError, NULL);
    ProgramError = PyErr_NewExceptionWithDoc(
        "tapegrad.ProgramError", "An error in a program of the expression language.",
        PyExc_ValueError, NULL);
    if (!Error || !AnomalyError || !ProgramError ||
        PyModule_AddObjectRef(m, "Error", Error) < 0 ||
        PyModule_AddObjectRef(m, "AnomalyError", AnomalyError) < 0 ||
        PyModule_AddObjectRef(m, "ProgramError", ProgramError) < 0 ||
        PyModule_AddObjectRef(m, "Value", (PyObject *)&ValueType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
