"""The admin guide lists every traitlet, with its current default and help text."""

from __future__ import annotations

import importlib.util
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"


def test_admin_guide_traitlet_table_is_current():
    spec = importlib.util.spec_from_file_location("config_reference", DOCS / "config_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    guide = (DOCS / "admin.md").read_text()
    assert module.render(guide) == guide, "run: .venv/bin/python docs/config_reference.py"
    from jupyter_binder_ext.resources.traits import ResourceDefaultsTraits
    from jupyter_binder_ext.server.app import BinderExt

    names = [*BinderExt.class_own_traits(config=True), *ResourceDefaultsTraits.class_traits()]
    assert "default_mem_limit_gb" in names
    for name in names:
        assert f"`c.BinderExt.{name}`" in guide


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_typescript_answer_types_are_generated_from_the_python_ones():
    module = _load("answer_types")
    assert module.TS_FILE.read_text() == module.render_ts(), (
        "run: .venv/bin/python docs/answer_types.py"
    )


def test_rest_reference_tables_are_generated_from_the_answer_types():
    module = _load("answer_types")
    doc = module.REST_DOC.read_text()
    assert module.BEGIN in doc
    assert module.render_rest_doc(doc) == doc, "run: .venv/bin/python docs/answer_types.py"
