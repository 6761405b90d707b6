"""The one Jinja environment of codegen; templates are found through package resources."""
from __future__ import annotations

import functools
from importlib import resources

import jinja2


class _PackageLoader(jinja2.BaseLoader):
    """Loads templates from the installed ``templates`` package (a wheel or a checkout)."""

    def get_source(self, environment, template):
        path = resources.files('templates').joinpath(template)
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        return path.read_text(encoding='utf-8'), None, lambda: True


@functools.cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=_PackageLoader(), undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                              autoescape=False)


def render(template: str, _macro: str | None = None, **context) -> str:
    """Render ``template`` (or one of its macros, called with ``context`` as arguments)."""
    tmpl = environment().get_template(template)
    if _macro is None:
        return tmpl.render(**context)
    return str(getattr(tmpl.module, _macro)(**context))
