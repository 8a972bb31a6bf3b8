/* Native stamping for re-issued traces (otel_locust.encoding.reissue): one pass over a template.
 *
 * stamp(data, slots, sources) -> bytes
 *
 * ``data`` is an encoded trace; ``slots`` a packed array of native uint32 quadruples (offset, width, source,
 * source offset), sorted by offset and not overlapping; ``sources`` a tuple of bytes. The result is ``data`` with
 * each slot's ``width`` bytes replaced by ``sources[source][source offset:source offset + width]``: the same bytes
 * the pure-Python path makes with ``bytes.join`` of the pieces between the slots and the values cut from the
 * sources, without making a Python object per piece or per value. Every offset is checked: a bad table raises
 * ValueError, never reads or writes outside a buffer.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

static PyObject *
stamp(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 3 || !PyBytes_Check(args[0]) || !PyBytes_Check(args[1]) || !PyTuple_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "stamp(data: bytes, slots: bytes, sources: tuple[bytes, ...])");
        return NULL;
    }
    const char *data = PyBytes_AS_STRING(args[0]);
    Py_ssize_t size = PyBytes_GET_SIZE(args[0]);
    Py_ssize_t table = PyBytes_GET_SIZE(args[1]);
    if (table % 16) {
        PyErr_SetString(PyExc_ValueError, "slots: not a whole number of 16-byte entries");
        return NULL;
    }
    PyObject *sources = args[2];
    Py_ssize_t count = PyTuple_GET_SIZE(sources);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (!PyBytes_Check(PyTuple_GET_ITEM(sources, i))) {
            PyErr_SetString(PyExc_TypeError, "sources: every item must be bytes");
            return NULL;
        }
    }
    PyObject *result = PyBytes_FromStringAndSize(NULL, size);
    if (result == NULL) {
        return NULL;
    }
    char *out = PyBytes_AS_STRING(result);
    const char *entry = PyBytes_AS_STRING(args[1]);
    const char *end = entry + table;
    Py_ssize_t at = 0;
    for (; entry < end; entry += 16) {
        uint32_t slot[4];
        memcpy(slot, entry, 16);
        /* compared as size_t before any sum: no overflow, whatever the width of Py_ssize_t */
        size_t offset = slot[0], width = slot[1], from = slot[3];
        if (offset < (size_t)at || offset > (size_t)size || width > (size_t)size - offset || slot[2] >= (size_t)count) {
            goto bad;
        }
        PyObject *source = PyTuple_GET_ITEM(sources, slot[2]);
        size_t available = (size_t)PyBytes_GET_SIZE(source);
        if (from > available || width > available - from) {
            goto bad;
        }
        memcpy(out + at, data + at, offset - (size_t)at);
        memcpy(out + offset, PyBytes_AS_STRING(source) + from, width);
        at = (Py_ssize_t)(offset + width);
    }
    memcpy(out + at, data + at, size - at);
    return result;
bad:
    Py_DECREF(result);
    PyErr_SetString(PyExc_ValueError, "slots: an entry is out of order or outside its buffer");
    return NULL;
}

static PyMethodDef methods[] = {
    {"stamp", (PyCFunction)(void (*)(void))stamp, METH_FASTCALL,
     "stamp(data, slots, sources) -> bytes: data with each slot replaced by its source's bytes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_stamp", "Native stamping for re-issued traces.", -1, methods,
};

PyMODINIT_FUNC
PyInit__stamp(void)
{
    return PyModule_Create(&module);
}
