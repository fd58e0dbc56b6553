"""Sphinx configuration of the sparsecore documentation site.

Build (from the repository root; strict: any warning fails)::

    python3 -m pip install -q -e ".[docs]" && python3 -m sphinx -W --keep-going -n -b html docs site

This file only assigns settings (nothing from Sphinx is imported at module
level), because pytest imports every ``.py`` under ``docs/`` for doctests.
"""
import os
import re

import sparsecore

project = "sparsecore"
author = "the sparsecore authors"
copyright = "the sparsecore authors"
release = sparsecore.__version__
version = release

extensions = [
    "myst_parser",            # the guides are Markdown (and doctested by pytest)
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",  # one API page per public name
    "numpydoc",               # the docstrings are numpydoc
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["screenshots", "_build", "**/.ipynb_checkpoints"]
templates_path = ["_templates"]

# -- MyST -------------------------------------------------------------------
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3          # links like guide.md#a-section resolve (and are checked)

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autosummary_ignore_module_all = False
autodoc_default_options = {"members": True, "inherited-members": True,
                           "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
# the aliases of sparsecore._typing, shown by name (explained on the API index page)
autodoc_type_aliases = {name: name for name in ("ArrayLike", "Result", "Shape", "Backend")}
toc_object_entries_show_parents = "hide"   # "On this page" lists apply(), not CSR.apply()
numpydoc_show_class_members = False   # autodoc lists the members, with their docs
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Strict build: ``-n`` (nitpicky) reports every cross-reference that does not
# resolve.  The only ones tolerated are references in docstrings to internal
# modules and helpers (not part of the public reference) and to brainunit,
# whose inventory the build does not download.
nitpick_ignore_regex = [
    ("py:mod", r"sparsecore\.(_.*|kernels.*)"),
    ("py:func", r"brainunit\..*"),
    ("py:func", r"classify"),
    ("py:class", r"brainunit\..*"),
    # type hints: the aliases (explained on the API index page) and classes of
    # libraries whose inventories the build does not download
    # (Sphinx >= 8.2 also reports each alias as an unresolved TypeAliasForwardRef)
    ("py:class", r"ArrayLike|Result|Shape|Backend|TypeAliasForwardRef|Self|DTypeLike|Callable"),
    ("py:class", r"(jax|numpy|np|scipy|sp|saiunit|collections\.abc|typing)\..*"),
]

# -- HTML -------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sparsecore {release}"
html_static_path = ["_static"]
html_css_files = ["sparsecore.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False
# pages without sub-pages: no empty "Section Navigation" column
html_sidebars = {page: [] for page in ("index", "benchmarks", "changelog", "contributing")}
html_context = {"default_mode": "light"}


def _skip_member(app, what, name, obj, skip, options):
    """Hide pytree plumbing and members inherited from brainunit's base class."""
    if name in ("tree_flatten", "tree_unflatten"):
        return True
    module = getattr(getattr(obj, "fget", obj), "__module__", None) or ""
    if what == "class" and module and not module.startswith("sparsecore"):
        return True
    return skip


def _public_bases(app, name, obj, options, bases):
    """Show public bases only: a private base is replaced by its public ancestors."""
    import sparsecore as sc

    public = {getattr(sc, n) for n in sc.__all__}
    shown = []
    for base in bases:
        for cls in getattr(base, "__mro__", (base,)):
            if cls in public or not getattr(cls, "__module__", "").startswith("sparsecore"):
                break
        if getattr(cls, "__module__", "").startswith("saiunit"):
            continue  # brainunit's abstract base: named in SparseMatrix's docstring
        if cls is not object and cls not in shown:
            shown.append(cls)
    bases[:] = shown


def _own_signature(app, what, name, obj, options, signature, return_annotation):
    """A class whose constructor is inherited from outside sparsecore shows none."""
    if what == "class":
        init = getattr(obj, "__init__", None)
        if not getattr(init, "__module__", "sparsecore").startswith("sparsecore"):
            return "", None
    return None


def _check_api_index(app):
    """Fail the build unless the API pages list every public name exactly once."""
    api = os.path.join(app.srcdir, "api")
    listed = []
    for page in sorted(os.listdir(api)):
        if page.endswith(".md"):
            with open(os.path.join(api, page), encoding="utf-8") as f:
                listed += re.findall(r"^   ([A-Za-z_][A-Za-z0-9_]*)\s*$", f.read(), flags=re.M)
    public = set(sparsecore.__all__)
    missing = sorted(public - set(listed))
    extra = sorted(set(listed) - public)
    twice = sorted({n for n in listed if listed.count(n) > 1})
    if missing or extra or twice:
        raise RuntimeError(
            f"docs/api/*.md are out of date with sparsecore.__all__: missing {missing}, "
            f"not public {extra}, listed twice {twice}. Add the name to the autosummary "
            "list of its group page (each name on its own line, indented three spaces).")


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("autodoc-process-signature", _own_signature)
    app.connect("builder-inited", _check_api_index)
