"""Type hints of the public API: every parameter and every return is annotated
in the signature a user sees (``inspect.signature``, the generated functional
forms included), and the annotations resolve."""
import inspect

import pytest

import sparsecore as sc


def _public_callables():
    for name in sc.__all__:
        obj = getattr(sc, name)
        if inspect.isfunction(obj):
            yield name, obj
        elif inspect.isclass(obj) and not issubclass(obj, (Exception, Warning)):
            for attr, member in vars(obj).items():
                if attr.startswith("_") and attr not in ("__init__", "__matmul__",
                                                          "__rmatmul__"):
                    continue
                if isinstance(member, property):
                    member = member.fget
                elif isinstance(member, (classmethod, staticmethod)):
                    member = member.__func__
                if inspect.isfunction(member) and member.__module__.startswith("sparsecore"):
                    yield f"{name}.{attr}", member


CALLABLES = dict(_public_callables())


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_callable_is_fully_annotated(name):
    fn = CALLABLES[name]
    signature = inspect.signature(fn, eval_str=True)
    params = [p for p in signature.parameters.values() if p.name not in ("self", "cls")]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{name}: parameters without a type hint: {missing}"
    if name.rsplit(".", 1)[-1] != "__init__":
        assert signature.return_annotation is not inspect.Signature.empty, (
            f"{name}: no return annotation")
